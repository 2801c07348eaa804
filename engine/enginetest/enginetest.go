// Package enginetest holds test doubles shared by the engine's family
// packages, as net/http/httptest does for net/http.
package enginetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/actsh/actsh/engine/safetensors"
)

// ZeroWeights serves zero tensors of the given shapes, by name: enough to
// exercise a family's config and weight validation without a checkpoint.
type ZeroWeights map[string][]int

// Names returns the tensor names, sorted.
func (w ZeroWeights) Names() []string {
	out := make([]string, 0, len(w))
	for n := range w {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Float32 returns a zero tensor of the named shape.
func (w ZeroWeights) Float32(name string) ([]float32, []int, error) {
	s, ok := w[name]
	if !ok {
		return nil, nil, fmt.Errorf("tensor %s not found", name)
	}
	n := 1
	for _, d := range s {
		n *= d
	}
	return make([]float32, n), s, nil
}

// File is a safetensors file with an accessor for token-id tensors.
type File struct {
	*safetensors.File
}

// Open opens a safetensors file.
func Open(path string) (*File, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	return &File{f}, nil
}

// Ints returns an integer tensor as []int, with its shape.
func (f *File) Ints(name string) ([]int, []int, error) {
	v, shape, err := f.Int64(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out, shape, nil
}

// Expected opens an encoder fixture folder's expected.safetensors (closed
// when the test ends) and reads the {atol, rtol} of its meta.json's
// tolerances_float32, failing the test when either is missing.
func Expected(t testing.TB, dir string) (e *File, atol, rtol float64) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Tol struct {
			Atol *float64 `json:"atol"`
			Rtol *float64 `json:"rtol"`
		} `json:"tolerances_float32"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatalf("%s/meta.json: %v", dir, err)
	}
	if meta.Tol.Atol == nil || meta.Tol.Rtol == nil {
		t.Fatalf("%s/meta.json has no tolerances_float32 {atol, rtol}", dir)
	}
	e, err = Open(filepath.Join(dir, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, *meta.Tol.Atol, *meta.Tol.Rtol
}
