package engine

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

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

// TestWideningPattern pins the graph shape a CPU backend matches to
// multiply half-precision weights without widening them first: Linear's
// product takes ConvertDType(parameter) as its right-hand side, and Embed
// gathers from the half table and converts the gathered rows. A float32
// weight gets no conversion at all. Float16 is checked where the backend
// can build float16 parameters.
func TestWideningPattern(t *testing.T) {
	b, _, err := Backend()
	if err != nil {
		t.Fatal(err)
	}
	g := graph.NewGraph(b, "pattern")
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 2, 3, 4))
	ids := graph.Parameter(g, "ids", shapes.Make(dtypes.Int32, 2, 3))
	dts := []dtypes.DType{dtypes.BFloat16, dtypes.Float32}
	if backendHas(dtypes.Float16) {
		dts = append(dts, dtypes.Float16)
	}
	for _, dt := range dts {
		w := graph.Parameter(g, "w_"+dt.String(), shapes.Make(dt, 5, 4))
		lin := Linear(x, w, nil)
		var dots []*graph.Node
		walk(lin, func(n *graph.Node) {
			if n.Type() == graph.NodeTypeDotGeneral {
				dots = append(dots, n)
			}
		})
		if len(dots) != 1 {
			t.Fatalf("%s: Linear has %d DotGenerals, want 1", dt, len(dots))
		}
		rhs := dots[0].Inputs()[1]
		if dt == dtypes.Float32 {
			if rhs != w {
				t.Errorf("float32: the product's rhs is %s, want the parameter itself", rhs.Type())
			}
		} else if rhs.Type() != graph.NodeTypeConvertDType || rhs.Inputs()[0] != w || rhs.DType() != dtypes.Float32 {
			t.Errorf("%s: the product's rhs is %s of %s, want ConvertDType(parameter) to Float32", dt, rhs.Type(), rhs.Inputs())
		}
		emb := Embed(w, ids)
		if emb.DType() != dtypes.Float32 {
			t.Errorf("%s: Embed gives %s, want Float32", dt, emb.DType())
		}
		if dt != dtypes.Float32 && (emb.Type() != graph.NodeTypeConvertDType || emb.Inputs()[0].Type() != graph.NodeTypeGather || emb.Inputs()[0].Inputs()[0] != w) {
			t.Errorf("%s: Embed is %s, want ConvertDType(Gather(table, ids))", dt, emb.Type())
		}
	}
}

// walk calls f on n and every node it depends on.
func walk(n *graph.Node, f func(*graph.Node)) {
	seen := map[*graph.Node]bool{}
	var visit func(*graph.Node)
	visit = func(n *graph.Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		f(n)
		for _, in := range n.Inputs() {
			visit(in)
		}
	}
	visit(n)
}
