package engine_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/actsh/actsh/engine"
	_ "github.com/actsh/actsh/engine/gpt2"
)

// repoRoot walks up from the test's directory to the folder holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func loadCheckpoint(t testing.TB, dir string) *engine.Model {
	t.Helper()
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := readST(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.New(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestQuickGPT2(t *testing.T) {
	root := repoRoot(t)
	m := loadCheckpoint(t, filepath.Join(root, "testdata/reference/gpt2/checkpoint"))
	exp, err := readST(filepath.Join(root, "testdata/reference/gpt2/expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	ids, _, _ := exp.Ints("input_ids.0")
	want, _, _ := exp.Float32("logits.0")
	out, err := m.Forward(context.Background(), [][]int{ids}, engine.ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var md float64
	for p, row := range out.Logits[0] {
		for v, x := range row {
			md = math.Max(md, math.Abs(float64(x-want[p*320+v])))
		}
	}
	fmt.Println("max diff", md)
}
