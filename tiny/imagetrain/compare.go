package imagetrain

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/actsh/actsh/engine/safetensors"
)

// Diff says how far apart two trained outputs are.
type Diff struct {
	Tensors, Values int     // compared
	Differing       int     // values that are not bit-identical
	MaxAbs          float64 // largest absolute difference
	MaxTensor       string  // where it is
}

// Identical reports whether every weight is bit-identical.
func (d Diff) Identical() bool { return d.Differing == 0 }

func (d Diff) String() string {
	if d.Differing == 0 {
		return fmt.Sprintf("bit-identical (%d tensors, %d values)", d.Tensors, d.Values)
	}
	return fmt.Sprintf("%d of %d values differ, max |Δ| %.3g in %s", d.Differing, d.Values, d.MaxAbs, d.MaxTensor)
}

// Compare compares two outputs of the training recipe (folders holding
// pipeline/): every tensor of pipeline/text_encoder and pipeline/unet,
// which must have the same names and shapes (an error says which
// differs). It is how a rebuild of the embedded image model is checked
// against the shipped one.
func Compare(dirA, dirB string) (Diff, error) {
	var d Diff
	for _, f := range []string{"text_encoder/model.safetensors", "unet/diffusion_pytorch_model.safetensors"} {
		a, err := safetensors.Open(filepath.Join(dirA, "pipeline", f))
		if err != nil {
			return d, err
		}
		defer a.Close()
		b, err := safetensors.Open(filepath.Join(dirB, "pipeline", f))
		if err != nil {
			return d, err
		}
		defer b.Close()
		na, nb := a.Names(), b.Names()
		slices.Sort(na)
		slices.Sort(nb)
		if !slices.Equal(na, nb) {
			return d, fmt.Errorf("imagetrain: %s and %s hold different tensors", a.Path(), b.Path())
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
				return d, fmt.Errorf("imagetrain: tensor %s has shape %v in %s but %v in %s", name, sa, a.Path(), sb, b.Path())
			}
			d.Tensors++
			d.Values += len(va)
			for i := range va {
				if math.Float32bits(va[i]) == math.Float32bits(vb[i]) {
					continue
				}
				d.Differing++
				if e := math.Abs(float64(va[i]) - float64(vb[i])); e > d.MaxAbs || math.IsNaN(e) {
					d.MaxAbs, d.MaxTensor = e, f+":"+name
				}
			}
		}
	}
	return d, nil
}
