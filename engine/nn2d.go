package engine

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	timage "github.com/gomlx/gomlx/pkg/core/tensors/images"
)

// The 2-D building blocks below are shared by the diffusion graphs (the
// VAE and the UNet). Feature maps are x [B, C, H, W], float32, PyTorch's
// layout; weights are as diffusers stores them and may be half precision
// (a conv kernel of a float16 checkpoint): they are widened here, exactly,
// like [Linear]'s.

// Conv2D is nn.Conv2d on x [B, C, H, W] with the kernel w [O, C, KH, KW]
// and the bias b [O] (nil: none), one group, no dilation:
//
//	y[b,o,i,j] = b[o] + Σ_{c,u,v} w[o,c,u,v]·x[b, c, i·stride − pad[0][0] + u, j·stride − pad[1][0] + v]
//
// with x zero outside the image. pad holds the zeros added above and below
// (pad[0]) and left and right (pad[1]); nn.Conv2d's padding p is
// {{p, p}, {p, p}}. It goes through GoMLX's Convolve, which the CPU
// backend runs with its own convolution kernel.
func Conv2D(x, w, b *Node, stride int, pad [2][2]int) *Node {
	y := Convolve(x, widen(w)).ChannelsAxis(timage.ChannelsFirst).Strides(stride).
		PaddingPerDim([][2]int{pad[0], pad[1]}).Done()
	if b != nil {
		y = Add(y, channelVec(widen(b), y))
	}
	return y
}

// GroupNorm is nn.GroupNorm(groups, C, eps) on x [B, C, H, W]: per batch
// item and group of C/groups channels, (x − mean)/√(var + eps) with the
// biased variance over the group's channels and positions, then
// ·w[c] + b[c].
func GroupNorm(x, w, b *Node, groups int, eps float64) *Node {
	dims := x.Shape().Dimensions
	B, C, H, W := dims[0], dims[1], dims[2], dims[3]
	if C%groups != 0 {
		panic(fmt.Sprintf("engine: GroupNorm of %d channels in %d groups", C, groups))
	}
	g := Reshape(x, B, groups, (C/groups)*H*W)
	mean := ReduceAndKeep(g, ReduceMean, -1)
	d := Sub(g, mean)
	variance := ReduceAndKeep(Mul(d, d), ReduceMean, -1)
	y := Reshape(Div(d, Sqrt(AddScalar(variance, eps))), B, C, H, W)
	return Add(Mul(y, channelVec(widen(w), y)), channelVec(widen(b), y))
}

// Upsample2x repeats every pixel of x [B, C, H, W] in a 2×2 block:
// F.interpolate(x, scale_factor=2, mode="nearest").
func Upsample2x(x *Node) *Node {
	dims := x.Shape().Dimensions
	B, C, H, W := dims[0], dims[1], dims[2], dims[3]
	y := BroadcastToDims(Reshape(x, B, C, H, 1, W, 1), B, C, H, 2, W, 2)
	return Reshape(y, B, C, 2*H, 2*W)
}

// ResizeNearest is F.interpolate(x, size=(h, w), mode="nearest") on
// x [B, C, H, W]: output row i takes input row ⌊i·s⌋ with s = H/h computed
// in float32 as PyTorch does (clamped to H − 1), and likewise for columns.
// Doubling both sides is [Upsample2x].
func ResizeNearest(x *Node, h, w int) *Node {
	dims := x.Shape().Dimensions
	if h == 2*dims[2] && w == 2*dims[3] {
		return Upsample2x(x)
	}
	return nearestAxis(nearestAxis(x, 2, h), 3, w)
}

// nearestAxis resizes axis of x to n by PyTorch's nearest rule, gathering
// the source rows (the axis moved to the front, where Gather indexes).
func nearestAxis(x *Node, axis, n int) *Node {
	in := x.Shape().Dimensions[axis]
	if in == n {
		return x
	}
	idx := make([][]int32, n)
	scale := float32(in) / float32(n)
	for i := range idx {
		src := int(float32(math.Floor(float64(float32(i) * scale))))
		idx[i] = []int32{int32(min(src, in-1))}
	}
	perm := []int{axis}
	for a := range x.Rank() {
		if a != axis {
			perm = append(perm, a)
		}
	}
	y := Gather(TransposeAllAxes(x, perm...), Const(x.Graph(), idx))
	inv := make([]int, len(perm))
	for i, a := range perm {
		inv[a] = i
	}
	return TransposeAllAxes(y, inv...)
}

// channelVec broadcasts a [C] vector over y [B, C, H, W].
func channelVec(v, y *Node) *Node {
	return BroadcastToDims(Reshape(v, 1, v.Shape().Dimensions[0], 1, 1), y.Shape().Dimensions...)
}
