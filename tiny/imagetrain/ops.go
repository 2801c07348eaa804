package imagetrain

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/actsh/actsh/engine"
)

// The operations below compute exactly what the engine's graphs compute
// (engine.Conv2D, engine.Linear, the attention's Einsums) and supply their
// gradients themselves, as products our CPU backend runs on its fast
// kernels: GoMLX's own gradient of a convolution uses Reverse and, for the
// kernel, a convolution in a transposed layout, neither of which the
// backend runs (simplego has no Reverse; the layout falls back to a scalar
// loop), and its gradient of a contraction materialises the broadcast
// product of the operands.

// vjp is the gradient for one input of a custom operation, given v, the
// gradient of the operation's result.
type vjp func(v *Node) *Node

// custom returns y, computed by the caller from StopGradient copies of
// inputs, wired so that the gradient for inputs[i] is grads[i](v) (nil
// grads[i]: the input gets none, e.g. data).
//
// How: each input enters the result through an identity with a custom
// gradient, summed and added with weight 0; a custom identity on the
// result records v. GoMLX builds the reverse pass in decreasing node
// order, so the result's identity (created last) sees v before the
// inputs' identities (created first) are asked for their gradients.
func custom(y *Node, inputs []*Node, grads []vjp) *Node {
	var v, zero *Node
	for i, x := range inputs {
		if grads[i] == nil {
			continue
		}
		f := grads[i]
		h := IdentityWithCustomGradient(x, func(_, _ *Node) *Node { return f(v) })
		s := ReduceAllSum(h)
		if zero == nil {
			zero = s
		} else {
			zero = Add(zero, s)
		}
	}
	if zero == nil {
		return y
	}
	dims := y.Shape().Dimensions
	ones := make([]int, len(dims))
	for i := range ones {
		ones[i] = 1
	}
	y = Add(y, BroadcastToDims(Reshape(MulScalar(zero, 0), ones...), dims...))
	return IdentityWithCustomGradient(y, func(_, vy *Node) *Node {
		v = vy
		return vy
	})
}

// contract is Einsum(eq, a, b) with the gradients Einsum(gradA, v, b) for
// a and Einsum(gradB, v, a) for b ("" when that operand needs none).
func contract(eq string, a, b *Node, gradA, gradB string) *Node {
	y := Einsum(eq, StopGradient(a), StopGradient(b))
	var ga, gb vjp
	if gradA != "" {
		ga = func(v *Node) *Node { return Einsum(gradA, v, StopGradient(b)) }
	}
	if gradB != "" {
		gb = func(v *Node) *Node { return Einsum(gradB, v, StopGradient(a)) }
	}
	return custom(y, []*Node{a, b}, []vjp{ga, gb})
}

// linear is engine.Linear, x·Wᵀ + b for W [out, in] (b may be nil), on x
// [..., in].
func linear(x, w, b *Node) *Node {
	dims := x.Shape().Dimensions
	n := 1
	for _, d := range dims[:len(dims)-1] {
		n *= d
	}
	out := w.Shape().Dimensions[0]
	y := contract("ni,oi->no", Reshape(x, n, dims[len(dims)-1]), w, "no,oi->ni", "no,ni->oi")
	if b != nil {
		y = Add(y, BroadcastToDims(Reshape(b, 1, out), n, out))
	}
	return Reshape(y, append(append([]int(nil), dims[:len(dims)-1]...), out)...)
}

// layerNorm is engine.LayerNorm with Div and Sqrt, which GoMLX
// differentiates (it has no gradient for Rsqrt): equal up to rounding.
func layerNorm(x, w, b *Node, eps float64) *Node {
	dims := x.Shape().Dimensions
	mean := ReduceAndKeep(x, ReduceMean, -1)
	c := Sub(x, mean)
	v := ReduceAndKeep(Square(c), ReduceMean, -1)
	y := Div(c, Sqrt(AddScalar(v, eps)))
	shape := make([]int, len(dims))
	for i := range shape {
		shape[i] = 1
	}
	shape[len(shape)-1] = dims[len(dims)-1]
	return Add(Mul(y, BroadcastToDims(Reshape(w, shape...), dims...)), BroadcastToDims(Reshape(b, shape...), dims...))
}

// sliceLast is x[..., from:to] with the gradient v padded back with
// zeros (GoMLX's gradient of Slice needs Pad, which the backend lacks).
func sliceLast(x *Node, from, to int) *Node {
	r := x.Rank()
	specs := make([]SliceAxisSpec, r)
	for i := range specs {
		specs[i] = AxisRange()
	}
	specs[r-1] = AxisRange(from, to)
	y := Slice(StopGradient(x), specs...)
	D := x.Shape().Dimensions[r-1]
	return custom(y, []*Node{x}, []vjp{func(v *Node) *Node {
		parts := []*Node{}
		zeros := func(n int) *Node {
			d := append([]int(nil), v.Shape().Dimensions...)
			d[r-1] = n
			return Zeros(v.Graph(), shapes.Make(dtypes.Float32, d...))
		}
		if from > 0 {
			parts = append(parts, zeros(from))
		}
		parts = append(parts, v)
		if to < D {
			parts = append(parts, zeros(D-to))
		}
		if len(parts) == 1 {
			return v
		}
		return Concatenate(parts, -1)
	}})
}

// conv2d is engine.Conv2D for the two convolutions a UNet has: stride 1
// with padding (k−1)/2 (size-keeping, any odd k), and stride 2 with a 3×3
// kernel and padding 1 (the downsamplers, on even sides). Its gradients:
//
//	dx = conv(v, W̃, stride 1, pad (k−1)/2)   W̃[c,o,u,w] = W[o,c,k−1−u,k−1−w]
//	     (stride 2: v spread onto the even positions of an H×W map first)
//	dW[o,c,u,w] = Σ_{b,i,j} v[b,o,i,j]·x̂[b,c,s·i+u,s·j+w]   (x̂: x zero-padded)
//	db[o] = Σ_{b,i,j} v[b,o,i,j]
//
// dW is one matrix product of v [O, B·h·w] with the k² shifted copies of x
// laid out [C·k², B·h·w].
func conv2d(x, w, b *Node, stride int) *Node {
	k := w.Shape().Dimensions[2]
	p := (k - 1) / 2
	dims := x.Shape().Dimensions
	H, W := dims[2], dims[3]
	if stride != 1 && (stride != 2 || k != 3 || H%2 != 0 || W%2 != 0) {
		panic(fmt.Sprintf("imagetrain: conv2d supports stride 1, or stride 2 with a 3×3 kernel on even sides (got stride %d, kernel %d, %d×%d)", stride, k, H, W))
	}
	pad := [2][2]int{{p, p}, {p, p}}
	y := engine.Conv2D(StopGradient(x), StopGradient(w), StopGradient(b), stride, pad)
	gx := func(v *Node) *Node {
		if stride == 2 {
			v = spread2(v)
		}
		return engine.Conv2D(v, flipT(StopGradient(w)), nil, 1, pad)
	}
	gw := func(v *Node) *Node { return convKernelGrad(StopGradient(x), v, k, p, stride) }
	gb := func(v *Node) *Node { return ReduceSum(v, 0, 2, 3) }
	return custom(y, []*Node{x, w, b}, []vjp{gx, gw, gb})
}

// spread2 puts v [B, C, h, w] on the even rows and columns of a
// [B, C, 2h, 2w] map of zeros.
func spread2(v *Node) *Node {
	d := v.Shape().Dimensions
	B, C, h, w := d[0], d[1], d[2], d[3]
	z := Zeros(v.Graph(), shapes.Make(dtypes.Float32, B, C, h, 1, w, 1))
	x := Reshape(v, B, C, h, 1, w, 1)
	x = Concatenate([]*Node{x, z}, 5)            // [B,C,h,1,w,2]
	x = Concatenate([]*Node{x, ZerosLike(x)}, 3) // [B,C,h,2,w,2]
	return Reshape(x, B, C, 2*h, 2*w)
}

// flipT turns a kernel [O, C, k, k] into [C, O, k, k] rotated by 180°,
// the kernel of the convolution's transpose (a product with a reversal
// matrix: the backend has no Reverse).
func flipT(w *Node) *Node {
	d := w.Shape().Dimensions
	O, C, k := d[0], d[1], d[2]
	K := k * k
	rev := make([][]float32, K)
	for i := range rev {
		rev[i] = make([]float32, K)
		rev[i][K-1-i] = 1
	}
	f := Einsum("ocq,qr->cor", Reshape(w, O, C, K), Const(w.Graph(), rev))
	return Reshape(f, C, O, k, k)
}

// convKernelGrad is dW for x [B, C, H, W], v [B, O, h, w]. For stride 1
// it is itself a convolution, run by the backend's convolution kernel:
// the channels of x as the batch, its batch as the input channels, and v
// as an h×w kernel,
//
//	dW[o,c,·,·] = conv(x̂ᵀ [C, B, H+2p, W+2p], vᵀ [O, B, h, w])   → [C, O, k, k]
//
// For stride 2 (the downsamplers, on small maps) it is one matrix product
// of v [O, B·h·w] with the k² strided shifts of x̂ laid out [C·k², B·h·w].
func convKernelGrad(x, v *Node, k, p, stride int) *Node {
	d := x.Shape().Dimensions
	B, C, H, W := d[0], d[1], d[2], d[3]
	vd := v.Shape().Dimensions
	O, h, w := vd[1], vd[2], vd[3]
	xt := TransposeAllAxes(x, 1, 0, 2, 3) // [C, B, H, W]
	vt := TransposeAllAxes(v, 1, 0, 2, 3) // [O, B, h, w]
	if stride == 1 {
		g := engine.Conv2D(xt, vt, nil, 1, [2][2]int{{p, p}, {p, p}}) // [C, O, k, k]
		return TransposeAllAxes(g, 1, 0, 2, 3)
	}
	g := x.Graph()
	zr := Zeros(g, shapes.Make(dtypes.Float32, C, B, p, W))
	xt = Concatenate([]*Node{zr, xt, zr}, 2)
	zc := Zeros(g, shapes.Make(dtypes.Float32, C, B, H+2*p, p))
	xt = Concatenate([]*Node{zc, xt, zc}, 3)
	shifts := make([]*Node, 0, k*k)
	for u := range k {
		for q := range k {
			shifts = append(shifts, Slice(xt, AxisRange(), AxisRange(),
				AxisRange(u, u+stride*(h-1)+1).Stride(stride), AxisRange(q, q+stride*(w-1)+1).Stride(stride)))
		}
	}
	cols := Reshape(Stack(shifts, 1), C*k*k, B*h*w) // [C, k², B, h, w]
	return Reshape(Einsum("on,kn->ok", Reshape(vt, O, B*h*w), cols), O, C, k, k)
}

// groupNorm is engine.GroupNorm (Div and Sqrt: differentiable as it is).
func groupNorm(x, w, b *Node, groups int, eps float64) *Node {
	return engine.GroupNorm(x, w, b, groups, eps)
}
