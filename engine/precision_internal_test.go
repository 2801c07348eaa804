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

// TestProbeHalf checks the probe on the process backend: it must agree
// with what the backend really runs. Both GoMLX's pure-Go backend and
// actsh's CPU backend run bfloat16 weights; a backend that cannot build a
// float16 parameter must answer no instead of failing at the first pass.
func TestProbeHalf(t *testing.T) {
	b, name, err := Backend()
	if err != nil {
		t.Fatal(err)
	}
	if !probeHalf(b, dtypes.BFloat16) {
		t.Errorf("%s: the bfloat16 probe failed", name)
	}
	f16 := probeHalf(b, dtypes.Float16)
	t.Logf("%s: lists float16 %v, runs it %v", name, b.Capabilities().DTypes[dtypes.Float16], f16)
	if f16 && !b.Capabilities().DTypes[dtypes.Float16] {
		t.Errorf("%s runs float16 weights without listing the dtype", name)
	}
	if probeHalf(b, dtypes.Float64) {
		t.Error("the probe accepts float64, which is not a half-precision dtype")
	}
}
