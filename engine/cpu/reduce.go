package cpu

import (
	"math"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// reduceKernel runs ReduceSum, ReduceMax, ReduceMin and ReduceProduct on
// float32 values over any axes: the kept axes become rows, the reduced
// ones (moved last by a transpose when they are not already) the
// elements reduced, in order, with four partial accumulators for sums.
func reduceKernel(n *Node) kernel {
	x := n.inputs[0]
	if x.shape.DType != dtypes.Float32 {
		return nil
	}
	switch n.op {
	case backends.OpTypeReduceSum, backends.OpTypeReduceMax, backends.OpTypeReduceMin, backends.OpTypeReduceProduct:
	default:
		return nil
	}
	dims := x.shape.Dimensions
	axes := n.params.(*reduceParams).axes
	if len(axes) == 0 { // all of them
		for a := range dims {
			axes = append(axes, a)
		}
	}
	var kept []int
	for a := range dims {
		if !slices.Contains(axes, a) {
			kept = append(kept, a)
		}
	}
	perm := append(slices.Clone(kept), axes...)
	sorted := slices.IsSorted(perm)
	inner := 1
	for _, a := range axes {
		inner *= dims[a]
	}
	op := n.op
	return func(r *run, n *Node, in []*value) (*value, error) {
		out, err := r.alloc(n.shape)
		if err != nil {
			return nil, err
		}
		src := in[0].st.flat.([]float32)[:x.shape.Size()]
		if !sorted {
			src = transposeScratch(src, dims, perm)
			defer putScratch(src)
		}
		dst := out.st.flat.([]float32)
		parallelFor(len(dst), len(src), func(lo, hi int) {
			for o := lo; o < hi; o++ {
				dst[o] = reduceRow(op, src[o*inner:(o+1)*inner])
			}
		})
		return out, nil
	}
}

func reduceRow(op backends.OpType, x []float32) float32 {
	switch op {
	case backends.OpTypeReduceSum:
		var s0, s1, s2, s3 float32
		i := 0
		for ; i+4 <= len(x); i += 4 {
			s0 += x[i]
			s1 += x[i+1]
			s2 += x[i+2]
			s3 += x[i+3]
		}
		for ; i < len(x); i++ {
			s0 += x[i]
		}
		return (s0 + s1) + (s2 + s3)
	case backends.OpTypeReduceProduct:
		p := float32(1)
		for _, v := range x {
			p *= v
		}
		return p
	case backends.OpTypeReduceMax:
		m := float32(math.Inf(-1))
		for _, v := range x {
			m = maxF32(m, v)
		}
		return m
	default:
		m := float32(math.Inf(1))
		for _, v := range x {
			m = minF32(m, v)
		}
		return m
	}
}
