package images

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestFiles: the embedded folder holds a whole pipeline, the classifier
// parses, and the name lists are the training and held-out emoji.
func TestFiles(t *testing.T) {
	for _, f := range []string{"model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json",
		"text_encoder/model.safetensors", "tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json",
		"unet/config.json", "unet/diffusion_pytorch_model.safetensors"} {
		if _, err := fs.Stat(Pipeline(), f); err != nil {
			t.Errorf("embedded pipeline: %v", err)
		}
	}
	c, err := Classifier()
	if err != nil {
		t.Fatal(err)
	}
	if c.Styles != [2]string{"noto", "twemoji"} || c.HeldOutAccuracy < 0.8 {
		t.Errorf("classifier of %v, held-out accuracy %.3f", c.Styles, c.HeldOutAccuracy)
	}
	train, held := Names(false), Names(true)
	if len(train) < 1000 || len(held) < 100 {
		t.Errorf("%d training and %d held-out names", len(train), len(held))
	}
	seen := map[string]bool{}
	for _, n := range train {
		seen[n] = true
	}
	for _, n := range held {
		if seen[n] {
			t.Errorf("%q is both a training and a held-out name", n)
		}
	}
}

func TestExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pipe")
	if err := Export(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "unet", "diffusion_pytorch_model.safetensors")); err != nil {
		t.Error(err)
	}
	if err := Export(dir); err == nil {
		t.Error("Export over an existing folder succeeded")
	}
}
