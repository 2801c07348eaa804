package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/safetensors"
)

// TestOpenComponent: a diffusers component folder holding a plain and an
// fp16 copy of the same tensors opens the fp16 one (not a duplicate-tensor
// error); without a variant the plain file; without weights, an error
// listing what the folder holds.
func TestOpenComponent(t *testing.T) {
	dir := t.TempDir()
	w := []float32{1, 2, 3, 4}
	if err := safetensors.Write(filepath.Join(dir, "diffusion_pytorch_model.safetensors"), []safetensors.Tensor{safetensors.F32("x", []int{2, 2}, w)}, nil); err != nil {
		t.Fatal(err)
	}
	set, err := engine.OpenComponent(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, _, _, _ := set.Raw("x"); st != safetensors.DTypeF32 {
		t.Errorf("plain folder: x is %v", st)
	}
	set.Close()
	if err := safetensors.Write(filepath.Join(dir, "diffusion_pytorch_model.fp16.safetensors"), []safetensors.Tensor{safetensors.F16("x", []int{2, 2}, w)}, nil); err != nil {
		t.Fatal(err)
	}
	set, err = engine.OpenComponent(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, _, _, _ := set.Raw("x"); st != safetensors.DTypeF16 {
		t.Errorf("with an fp16 variant: x is %v", st)
	}
	set.Close()
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "config.json"), []byte("{}"), 0o644)
	if _, err := engine.OpenComponent(empty); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("a folder without weights: %v", err)
	}
}
