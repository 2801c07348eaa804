package safetensors

import (
	"path/filepath"
	"testing"
)

func TestQuickGPT2(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "gpt2.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Names()) != 29 {
		t.Fatalf("names %d", len(f.Names()))
	}
	for _, n := range f.Names() {
		if _, _, err := f.Float32(n); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "x.safetensors")
	if err := Write(p, []Tensor{F32("a", []int{2}, []float32{1, 2}), I64("b", nil, []int64{3})}, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	g, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	v, _, _ := g.Float32("a")
	i, _, _ := g.Int64("b")
	if v[1] != 2 || i[0] != 3 || g.Metadata()["k"] != "v" {
		t.Fatal(v, i)
	}
}
