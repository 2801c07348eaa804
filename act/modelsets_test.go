package act_test

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	. "github.com/actsh/actsh/act"
	"github.com/actsh/actsh/configs"
	"github.com/actsh/actsh/internal/fixture"
)

// TestModelConfigSets checks every pattern of every default_module_names
// set of every language-model config against a model of that config's
// family: the embedded tiny model, or the reference checkpoint of the same
// family. Each pattern must select at least one point, so a typo in a
// pattern (or a point a family stops offering) fails here rather than in
// a user's pipeline run.
func TestModelConfigSets(t *testing.T) {
	models := map[string]string{ // config option → model to match against
		"tiny":            "tiny",
		"gpt2":            fixture.Reference(t, "gpt2", "checkpoint"),
		"gemma-2-2b":      fixture.Reference(t, "gemma2", "checkpoint"),
		"Meta-Llama-3-8B": fixture.Reference(t, "llama", "checkpoint"),
	}
	images := map[string]string{ // image pipelines: the tiny one of the same layout
		"SDXL-Lightning": "../testdata/sdxl-tiny",
	}
	noModel := map[string]string{ // config option → why it is not checked
		"FLUX.1-schnell": "its patterns name single blocks up to 14, which the tiny FLUX pipeline (2 single blocks) lacks; engine/diffusion's tests check ml-act's FLUX patterns",
	}
	files, err := fs.Glob(configs.FS, "model/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("model configs: %v, %v", files, err)
	}
	for _, f := range files {
		option := strings.TrimSuffix(path.Base(f), ".yaml")
		t.Run(option, func(t *testing.T) {
			dir, ok := models[option]
			var match func(string) ([]string, error)
			if img, isImage := images[option]; isImage {
				dir, ok = img, true
				match = LoadImagePipeline(img).Engine().MatchPoints
			}
			if !ok {
				if why, skip := noModel[option]; skip {
					t.Skipf("model=%s: %s", option, why)
				}
				t.Fatalf("model=%s has no model to check its sets against: add one to this test", option)
			}
			cfg, err := PipelineConfig(PipelineOptions{Overrides: []string{"model=" + option}, LookupEnv: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatal(err)
			}
			sets, err := cfg.Keys("model.default_module_names")
			if err != nil || len(sets) == 0 {
				t.Fatalf("model.default_module_names: %v, %v", sets, err)
			}
			if match == nil {
				match = Load(dir).Engine().MatchPoints
			}
			for _, set := range sets {
				patterns, err := cfg.Strings("model.default_module_names." + set)
				if err != nil || len(patterns) == 0 {
					t.Errorf("set %s: %v, %v", set, patterns, err)
					continue
				}
				for _, p := range patterns {
					if pts, err := match(p); err != nil {
						t.Errorf("set %s: %v", set, err)
					} else {
						t.Logf("set %s: %q selects %d points, first %s", set, p, len(pts), pts[0])
					}
				}
			}
		})
	}
}
