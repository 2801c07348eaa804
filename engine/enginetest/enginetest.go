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

	"github.com/gomlx/gomlx/pkg/core/tensors"

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

// Fixture is an open reference folder of a standalone kind (UNet, FLUX,
// …): its meta.json and expected.safetensors, closed when the test ends.
// A kind's conformance test embeds it and decodes the meta.json fields it
// reads with [Fixture.Decode].
type Fixture struct {
	Dir  string
	F    *safetensors.File
	meta []byte
	tol  map[string]any
}

// OpenFixture opens the fixture folder dir.
func OpenFixture(t testing.TB, dir string) *Fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := &Fixture{Dir: dir, meta: b}
	var m struct {
		Tol map[string]any `json:"tolerances_float32"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/meta.json: %v", dir, err)
	}
	r.tol = m.Tol
	if r.F, err = safetensors.Open(filepath.Join(dir, "expected.safetensors")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.F.Close() })
	return r
}

// Decode unmarshals meta.json into v.
func (r *Fixture) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.meta, v); err != nil {
		t.Fatalf("%s/meta.json: %v", r.Dir, err)
	}
}

// Has reports whether expected.safetensors holds name.
func (r *Fixture) Has(name string) bool { _, ok := r.F.Info(name); return ok }

// Tensor reads a float tensor as float32 with its shape.
func (r *Fixture) Tensor(t testing.TB, name string) *tensors.Tensor {
	t.Helper()
	v, shape, err := r.F.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.FromFlatDataAndDimensions(v, shape...)
}

// Values reads a float tensor's values as float32.
func (r *Fixture) Values(t testing.TB, name string) []float32 {
	t.Helper()
	v, _, err := r.F.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Tol reads tolerances_float32[key], failing the test when it is missing.
func (r *Fixture) Tol(t testing.TB, key string) float64 {
	t.Helper()
	v, ok := r.tol[key].(float64)
	if !ok {
		t.Fatalf("%s/meta.json tolerances_float32 has no %s", r.Dir, key)
	}
	return v
}

// OptTol reads tolerances_float32[key] when meta.json has it.
func (r *Fixture) OptTol(key string) (float64, bool) {
	v, ok := r.tol[key].(float64)
	return v, ok
}
