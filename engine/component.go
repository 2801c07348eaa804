package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/actsh/actsh/engine/safetensors"
)

// OpenComponent opens the weights of a diffusers component folder (unet/,
// vae/, transformer/, text_encoder/, …): its fp16 variant files
// (model.fp16.safetensors, diffusion_pytorch_model.fp16-00001-of-00002.safetensors)
// when it has any — they stay half precision in memory — else its other
// *.safetensors files. A folder may hold both a plain and a variant copy of
// the same tensors, which safetensors.OpenDir would refuse as duplicates.
// Sharded checkpoints are their shards (the index file is not needed).
func OpenComponent(dir string) (*safetensors.Set, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return nil, err
	}
	var half, plain []string
	for _, p := range paths {
		if fp16Variant.MatchString(filepath.Base(p)) {
			half = append(half, p)
		} else {
			plain = append(plain, p)
		}
	}
	pick := plain
	if len(half) > 0 {
		pick = half
	}
	if len(pick) == 0 {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return nil, fmt.Errorf("%s has no *.safetensors weights (it holds %s)", dir, strings.Join(names, ", "))
	}
	sort.Strings(pick)
	return safetensors.OpenFiles(dir, pick)
}

// fp16Variant matches diffusers' fp16 variant file names.
var fp16Variant = regexp.MustCompile(`\.fp16(-\d+-of-\d+)?\.safetensors$`)

// LoadComponent reads a diffusers component with build (a kind's New):
// dir is the component folder (config.json and its weights, see
// [OpenComponent]) or a pipeline folder holding it as sub/. It returns the
// component and the folder it was read from.
func LoadComponent[M any](dir, sub string, build func(config []byte, w Weights) (M, error)) (M, string, error) {
	var zero M
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil && sub != "" {
		if _, err2 := os.Stat(filepath.Join(dir, sub, "config.json")); err2 == nil {
			dir = filepath.Join(dir, sub)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return zero, dir, err
	}
	set, err := OpenComponent(dir)
	if err != nil {
		return zero, dir, err
	}
	defer set.Close()
	m, err := build(cfg, set)
	return m, dir, err
}
