package engine

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
)

// The building blocks below are shared by the families. All compute in
// float32 on [..., D] inputs. Weights may be half precision (bfloat16 or
// float16 matrices kept as the checkpoint stores them): Embed and Linear
// widen them here, and only here, so that a backend can recognise
// ConvertDType(parameter) feeding a DotGeneral and multiply the half bits
// directly. Widening is exact, so the results equal those of float32
// weights holding the same values.

// Embed looks up rows of table [V, D] for ids int32 [B, T]: [B, T, D],
// float32. A half-precision table is gathered as is and only the gathered
// rows are widened, never the whole table.
func Embed(table, ids *Node) *Node {
	return widen(Gather(table, ExpandAxes(ids, -1)))
}

// LayerNorm is (x − mean)/√(var + eps)·w + b over the last axis, with the
// biased variance (PyTorch's LayerNorm).
func LayerNorm(x, w, b *Node, eps float64) *Node {
	mean := ReduceAndKeep(x, ReduceMean, -1)
	c := Sub(x, mean)
	v := ReduceAndKeep(Square(c), ReduceMean, -1)
	y := Mul(c, Rsqrt(AddScalar(v, eps)))
	return Add(Mul(y, expandLike(w, y)), expandLike(b, y))
}

// RMSNorm is x·rsqrt(mean(x²) + eps)·scale over the last axis, with
// scale = w, or 1 + w when onePlus (Gemma).
func RMSNorm(x, w *Node, eps float64, onePlus bool) *Node {
	ms := ReduceAndKeep(Square(x), ReduceMean, -1)
	y := Mul(x, Rsqrt(AddScalar(ms, eps)))
	if onePlus {
		w = OnePlus(w)
	}
	return Mul(y, expandLike(w, y))
}

// Linear is x·Wᵀ (+ b) for a PyTorch Linear weight W [out, in]; b may be nil.
// A half-precision W is widened to float32 inside the graph, as the
// right-hand side of the product: DotGeneral(x, ConvertDType(W, Float32)).
func Linear(x, w, b *Node) *Node {
	y := flatDot("ni,oi->no", x, widen(w), w.Shape().Dimensions[0])
	if b != nil {
		y = Add(y, expandLike(b, y))
	}
	return y
}

// GeluTanh is the tanh approximation of GELU (gelu_new,
// gelu_pytorch_tanh): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func GeluTanh(x *Node) *Node {
	inner := MulScalar(Add(x, MulScalar(Mul(Square(x), x), 0.044715)), math.Sqrt(2/math.Pi))
	return Mul(MulScalar(x, 0.5), OnePlus(Tanh(inner)))
}

// Gelu is the exact GELU (hidden_act "gelu" in transformers, PyTorch's
// nn.GELU()): 0.5·x·(1 + erf(x/√2)).
func Gelu(x *Node) *Node {
	return Mul(MulScalar(x, 0.5), OnePlus(Erf(MulScalar(x, 1/math.Sqrt2))))
}

// SiLU is x·σ(x).
func SiLU(x *Node) *Node { return Mul(x, Sigmoid(x)) }

// RoPE rotates x [B, T, H, hd] in the half-split (rotate_half) layout:
// dimension i pairs with i + hd/2 at angle θ_i = position·invFreq[i].
// positions is int32 [B, T]; invFreq is [hd/2] on the host.
func RoPE(x, positions *Node, invFreq []float32) *Node {
	dims := x.Shape().Dimensions
	B, T, H, hd := dims[0], dims[1], dims[2], dims[3]
	half := hd / 2
	g := x.Graph()
	f := Const(g, invFreq)                                         // [half]
	pos := ConvertDType(positions, dtypes.Float32)                 // [B,T]
	ang := Mul(BroadcastToDims(Reshape(pos, B, T, 1), B, T, half), // [B,T,half]
		BroadcastToDims(Reshape(f, 1, 1, half), B, T, half))
	cos := BroadcastToDims(Reshape(Cos(ang), B, T, 1, half), B, T, H, half)
	sin := BroadcastToDims(Reshape(Sin(ang), B, T, 1, half), B, T, H, half)
	x1 := Slice(x, AxisRange(), AxisRange(), AxisRange(), AxisRange(0, half))
	x2 := Slice(x, AxisRange(), AxisRange(), AxisRange(), AxisRange(half, hd))
	return Concatenate([]*Node{
		Sub(Mul(x1, cos), Mul(x2, sin)),
		Add(Mul(x2, cos), Mul(x1, sin)),
	}, -1)
}

// widen converts a half-precision node to float32 (exact) and returns a
// float32 node unchanged.
func widen(x *Node) *Node {
	if x.DType() == dtypes.Float32 {
		return x
	}
	return ConvertDType(x, dtypes.Float32)
}

// expandLike broadcasts a [D] vector to y's shape [..., D].
func expandLike(v, y *Node) *Node {
	dims := y.Shape().Dimensions
	shape := make([]int, len(dims))
	for i := range shape {
		shape[i] = 1
	}
	shape[len(shape)-1] = dims[len(dims)-1]
	return BroadcastToDims(Reshape(v, shape...), dims...)
}

// flatDot contracts the last axis of x with w by eq on x flattened to 2-D,
// then restores x's leading axes with out units.
func flatDot(eq string, x, w *Node, out int) *Node {
	dims := x.Shape().Dimensions
	n := 1
	for _, d := range dims[:len(dims)-1] {
		n *= d
	}
	y := Einsum(eq, Reshape(x, n, dims[len(dims)-1]), w)
	outDims := append(append([]int(nil), dims[:len(dims)-1]...), out)
	return Reshape(y, outDims...)
}
