package train

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/actsh/actsh/engine/safetensors"
)

// WeightDiff says how far apart two models' weights are.
type WeightDiff struct {
	Tensors, Values int     // compared
	Differing       int     // values that are not bit-identical
	MaxAbs          float64 // largest absolute difference
	MaxTensor       string  // where it is
}

// Identical reports whether every value is bit-identical.
func (d WeightDiff) Identical() bool { return d.Differing == 0 }

func (d WeightDiff) String() string {
	if d.Identical() {
		return fmt.Sprintf("bit-identical (%d tensors, %d values)", d.Tensors, d.Values)
	}
	return fmt.Sprintf("%d of %d values differ, max |Δ| %.3g in %s", d.Differing, d.Values, d.MaxAbs, d.MaxTensor)
}

// CompareWeights compares the model.safetensors of two model folders,
// tensor by tensor: they must hold the same tensor names and shapes (an
// error says which differs), and the result counts the values that differ.
// It is how a rebuild of the embedded model is checked against the
// shipped one (recipes/tiny_train.go -compare).
func CompareWeights(dirA, dirB string) (WeightDiff, error) {
	var d WeightDiff
	a, err := safetensors.Open(filepath.Join(dirA, "model.safetensors"))
	if err != nil {
		return d, err
	}
	defer a.Close()
	b, err := safetensors.Open(filepath.Join(dirB, "model.safetensors"))
	if err != nil {
		return d, err
	}
	defer b.Close()
	na, nb := a.Names(), b.Names()
	slices.Sort(na)
	slices.Sort(nb)
	if !slices.Equal(na, nb) {
		return d, fmt.Errorf("train: %s and %s hold different tensors: %q vs %q", a.Path(), b.Path(), na, nb)
	}
	for _, name := range na {
		va, sa, err := a.Float32(name)
		if err != nil {
			return d, err
		}
		vb, sb, err := b.Float32(name)
		if err != nil {
			return d, err
		}
		if !slices.Equal(sa, sb) {
			return d, fmt.Errorf("train: tensor %s has shape %v in %s but %v in %s", name, sa, a.Path(), sb, b.Path())
		}
		d.Tensors++
		d.Values += len(va)
		for i := range va {
			if math.Float32bits(va[i]) == math.Float32bits(vb[i]) {
				continue
			}
			d.Differing++
			if e := math.Abs(float64(va[i]) - float64(vb[i])); e > d.MaxAbs || math.IsNaN(e) {
				d.MaxAbs, d.MaxTensor = e, name
			}
		}
	}
	return d, nil
}
