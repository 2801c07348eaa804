package cpu

import (
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/actsh/actsh/internal/gemm"
)

// convParams are a ConvGeneral's attributes.
type convParams struct {
	axes                            backends.ConvolveAxesConfig
	strides                         []int
	paddings                        [][2]int
	inputDilations, kernelDilations []int
	channelGroups, batchGroups      int
}

// colBudget is the most float32 elements of the im2col matrix built at
// once (4 MiB): large images are convolved a band of output rows at a
// time, so the copy stays small whatever the image size.
const colBudget = 1 << 20

// convKernel runs a 2-D float32 convolution laid out as PyTorch's
// nn.Conv2d — input [B, C, H, W], kernel [O, C, KH, KW], output
// [B, O, Ho, Wo] — with any strides and paddings, no dilation and one
// group, as a matrix product with the weights:
//
//	y[b, o, oy, ox] = Σ_{c,ky,kx} w[o, c, ky, kx] · x[b, c, oy·sh − ph + ky, ox·sw − pw + kx]
//
// (x is zero outside the image). The weights are the NN kernel's A
// [O, C·KH·KW] as they lie; B is the im2col matrix [C·KH·KW, Ho·Wo] of a
// band of output rows, or the image itself for a 1×1 kernel of stride 1
// without padding. Other configurations return nil (the fallback runs
// them).
func convKernel(n *Node) kernel {
	p, ok := n.params.(*convParams)
	x, w := n.inputs[0], n.inputs[1]
	if !ok || x.shape.DType != dtypes.Float32 || w.shape.DType != dtypes.Float32 || x.shape.Rank() != 4 || w.shape.Rank() != 4 {
		return nil
	}
	a := p.axes
	nchw := a.InputBatch == 0 && a.InputChannels == 1 && slices.Equal(a.InputSpatial, []int{2, 3}) &&
		a.KernelOutputChannels == 0 && a.KernelInputChannels == 1 && slices.Equal(a.KernelSpatial, []int{2, 3}) &&
		a.OutputBatch == 0 && a.OutputChannels == 1 && slices.Equal(a.OutputSpatial, []int{2, 3})
	if !nchw || p.channelGroups > 1 || p.batchGroups > 1 || dilated(p.inputDilations) || dilated(p.kernelDilations) {
		return nil
	}
	sh, sw := 1, 1
	if len(p.strides) == 2 {
		sh, sw = p.strides[0], p.strides[1]
	}
	var ph, pw int
	if len(p.paddings) == 2 {
		ph, pw = p.paddings[0][0], p.paddings[1][0]
		if min(ph, pw, p.paddings[0][1], p.paddings[1][1]) < 0 {
			return nil // cropping
		}
	}
	if sh < 1 || sw < 1 {
		return nil
	}
	xd, wd, od := x.shape.Dimensions, w.shape.Dimensions, n.shape.Dimensions
	g := im2col{C: xd[1], H: xd[2], W: xd[3], KH: wd[2], KW: wd[3], sh: sh, sw: sw, ph: ph, pw: pw, Wo: od[3]}
	B, O, Ho, Wo := od[0], od[1], od[2], od[3]
	K, N := g.C*g.KH*g.KW, Ho*Wo
	pointwise := g.KH == 1 && g.KW == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && Ho == g.H && Wo == g.W
	band := max(1, colBudget/max(1, K*Wo)) // output rows per im2col band
	return func(r *run, n *Node, in []*value) (*value, error) {
		out, err := r.alloc(n.shape)
		if err != nil {
			return nil, err
		}
		y := out.st.flat.([]float32)[:B*O*N]
		if len(y) == 0 {
			return out, nil
		}
		img := in[0].st.flat.([]float32)[:B*g.C*g.H*g.W]
		wt := in[1].st.flat.([]float32)[:O*K]
		if pointwise {
			gemm.NNBatch(B, O, N, K, wt, 0, K, img, K*N, N, y, O*N, N)
			return out, nil
		}
		col := getScratch(K * min(band, Ho) * Wo)
		defer putScratch(col)
		for b := range B {
			xb := img[b*g.C*g.H*g.W : (b+1)*g.C*g.H*g.W]
			for y0 := 0; y0 < Ho; y0 += band {
				y1 := min(y0+band, Ho)
				cols := (y1 - y0) * Wo
				g.fill(col[:K*cols], xb, y0, y1)
				gemm.NN(O, cols, K, wt, K, col[:K*cols], cols, y[b*O*N+y0*Wo:], N)
			}
		}
		return out, nil
	}
}

// dilated reports whether any dilation is above 1 (0 means 1).
func dilated(d []int) bool {
	for _, v := range d {
		if v > 1 {
			return true
		}
	}
	return false
}

// im2col is the geometry of a convolution's input and window.
type im2col struct {
	C, H, W, KH, KW int
	sh, sw, ph, pw  int
	Wo              int // output width
}

// fill writes the im2col matrix of image x [C, H, W] for output rows
// [y0, y1) into dst [C·KH·KW, (y1−y0)·Wo]: row (c, ky, kx), column
// (oy, ox) holds x[c, oy·sh − ph + ky, ox·sw − pw + kx], zero outside the
// image. The rows are split over the cores.
func (g im2col) fill(dst, x []float32, y0, y1 int) {
	K := g.C * g.KH * g.KW
	cols := (y1 - y0) * g.Wo
	parallelFor(K, K*cols, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			c, ky, kx := k/(g.KH*g.KW), k/g.KW%g.KH, k%g.KW
			src := x[c*g.H*g.W : (c+1)*g.H*g.W]
			// Output columns whose input column lies inside the image:
			// 0 ≤ ox·sw − pw + kx < W.
			off := kx - g.pw
			oxLo := 0
			if off < 0 {
				oxLo = (-off + g.sw - 1) / g.sw
			}
			oxHi := 0
			if g.W-1-off >= 0 {
				oxHi = (g.W-1-off)/g.sw + 1
			}
			oxHi = min(oxHi, g.Wo)
			oxLo = min(oxLo, oxHi)
			row := dst[k*cols : (k+1)*cols]
			for oy := y0; oy < y1; oy++ {
				d := row[(oy-y0)*g.Wo : (oy-y0+1)*g.Wo]
				iy := oy*g.sh - g.ph + ky
				if iy < 0 || iy >= g.H {
					clear(d)
					continue
				}
				s := src[iy*g.W : (iy+1)*g.W]
				clear(d[:oxLo])
				clear(d[oxHi:])
				if g.sw == 1 {
					copy(d[oxLo:oxHi], s[oxLo+off:oxHi+off])
					continue
				}
				for ox := oxLo; ox < oxHi; ox++ {
					d[ox] = s[ox*g.sw+off]
				}
			}
		}
	})
}
