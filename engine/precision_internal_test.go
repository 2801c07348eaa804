package engine

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/actsh/actsh/engine/safetensors"
)

// TestFloat16WithoutBackendSupport checks the fallback for a backend
// without float16 (the pure-Go one): float16 matrices are widened to
// float32 at load, and with support they stay float16.
func TestFloat16WithoutBackendSupport(t *testing.T) {
	w := rawDouble{"m": safetensors.F16("m", []int{2, 3}, []float32{1, 2, 3, -1, 0.5, 65504})}
	for _, has := range []bool{false, true} {
		old := backendHas
		backendHas = func(dt dtypes.DType) bool { return has || dt != dtypes.Float16 }
		p, err := LoadParam(w, "m", 2, 3)
		pt, errT := LoadParamT(w, "m", 2, 3)
		backendHas = old
		if err != nil || errT != nil {
			t.Fatal(err, errT)
		}
		want := dtypes.Float32
		if has {
			want = dtypes.Float16
		}
		if p.DType() != want || pt.DType() != want {
			t.Errorf("backend has float16 %v: kept %s and %s (transposed), want %s", has, p.DType(), pt.DType(), want)
		}
		if got := pt.Shape().Dimensions; got[0] != 3 || got[1] != 2 {
			t.Errorf("transposed shape %v, want [3 2]", got)
		}
	}
}

// rawDouble is a RawWeights over in-memory tensors.
type rawDouble map[string]safetensors.Tensor

func (w rawDouble) Names() []string {
	var out []string
	for n := range w {
		out = append(out, n)
	}
	return out
}

func (w rawDouble) Float32(name string) ([]float32, []int, error) {
	f, err := safetensors.OpenBytes(name, mustEncode(w[name]))
	if err != nil {
		return nil, nil, err
	}
	return f.Float32(name)
}

func (w rawDouble) Raw(name string) (safetensors.DType, []int, []byte, error) {
	t := w[name]
	return t.DType, t.Shape, t.Data, nil
}

func mustEncode(t safetensors.Tensor) []byte {
	b, err := safetensors.Encode([]safetensors.Tensor{t}, nil)
	if err != nil {
		panic(err)
	}
	return b
}
