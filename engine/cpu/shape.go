package cpu

import (
	"slices"
	"unsafe"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	"github.com/x448/float16"

	"github.com/actsh/actsh/internal/gemm"
)

// Kernels that move data: slices, concatenations, row gathers, iota and
// half-precision widening.

// sliceKernel copies a slice with unit strides as contiguous runs.
func sliceKernel(n *Node) kernel {
	p := n.params.(*sliceParams)
	for _, s := range p.strides {
		if s != 1 {
			return nil
		}
	}
	dims := n.inputs[0].shape.Dimensions
	size := n.shape.Dimensions
	return func(r *run, n *Node, in []*value) (*value, error) {
		out, err := r.alloc(n.shape)
		if err != nil {
			return nil, err
		}
		blockCopy(in[0].st.flat, out.st.flat, dims, p.starts, size, false)
		return out, nil
	}
}

// concatKernel copies each operand's rows in turn.
func concatKernel(n *Node) kernel {
	axis := n.params.(*concatParams).axis
	dims := n.shape.Dimensions
	outer := 1
	for _, d := range dims[:axis] {
		outer *= d
	}
	rowSize := func(x *Node) int {
		s := 1
		for _, d := range x.shape.Dimensions[axis:] {
			s *= d
		}
		return s
	}
	return func(r *run, n *Node, in []*value) (*value, error) {
		out, err := r.alloc(n.shape)
		if err != nil {
			return nil, err
		}
		total := rowSize(n)
		at := 0
		for i, x := range n.inputs {
			w := rowSize(x)
			copyRows(out.st.flat, in[i].st.flat, outer, w, total, at)
			at += w
		}
		return out, nil
	}
}

// copyRows copies outer rows of w elements from src (dense) into dst rows
// of stride elements, at column at.
func copyRows(dst, src any, outer, w, stride, at int) {
	switch d := dst.(type) {
	case []float32:
		s := src.([]float32)
		for o := range outer {
			copy(d[o*stride+at:o*stride+at+w], s[o*w:(o+1)*w])
		}
	case []int32:
		s := src.([]int32)
		for o := range outer {
			copy(d[o*stride+at:o*stride+at+w], s[o*w:(o+1)*w])
		}
	default:
		blockCopyRows(dst, src, outer, w, stride, at)
	}
}

func blockCopyRows(dst, src any, outer, w, stride, at int) {
	blockCopy(dst, src, []int{outer, stride}, []int{0, at}, []int{outer, w}, true)
}

// gatherKernel handles lookups of whole trailing blocks: operand
// [d0, …, dk−1, rest…], indices [..., k] giving (i0, …, ik−1), output
// [..., rest…] (embeddings: k = 1; picking each row's last position: k =
// 2). An index outside its axis is clamped, as XLA does.
func gatherKernel(n *Node) kernel {
	p := n.params.(*gatherParams)
	x, idx := n.inputs[0], n.inputs[1]
	xd := x.shape.Dimensions
	id := idx.shape.Dimensions
	if len(id) == 0 || idx.shape.DType != dtypes.Int32 || p.indexVectorAxis != len(id)-1 {
		return nil
	}
	k := id[len(id)-1]
	if k < 1 || k > len(xd) || len(p.startIndexMap) != k || len(p.collapsedSliceAxes) != k {
		return nil
	}
	for i := range k {
		if p.startIndexMap[i] != i || p.collapsedSliceAxes[i] != i || p.sliceSizes[i] != 1 {
			return nil
		}
	}
	if !slices.Equal(p.sliceSizes[k:], xd[k:]) {
		return nil
	}
	// The block's axes must come last in the output, in order.
	for i, a := range p.offsetOutputAxes {
		if a != len(id)-1+i {
			return nil
		}
	}
	row := 1
	for _, d := range xd[k:] {
		row *= d
	}
	strides := rowMajorStrides(xd[:k])
	return func(r *run, n *Node, in []*value) (*value, error) {
		out, err := r.alloc(n.shape)
		if err != nil {
			return nil, err
		}
		ids := in[1].st.flat.([]int32)[:idx.shape.Size()]
		for i := range len(ids) / k {
			at := 0
			for j, v := range ids[i*k : (i+1)*k] {
				at += min(max(int(v), 0), xd[j]-1) * strides[j]
			}
			copyRows(out.st.flat, sliceOf(in[0].st.flat, at*row, row), 1, row, row, i*row)
		}
		return out, nil
	}
}

// sliceOf returns flat[off:off+n] of a typed slice.
func sliceOf(flat any, off, n int) any {
	switch f := flat.(type) {
	case []float32:
		return f[off : off+n]
	case []int32:
		return f[off : off+n]
	case []bfloat16.BFloat16:
		return f[off : off+n]
	case []float16.Float16:
		return f[off : off+n]
	case []float64:
		return f[off : off+n]
	case []int64:
		return f[off : off+n]
	case []bool:
		return f[off : off+n]
	}
	panic("cpu: slice of an unsupported dtype")
}

// iotaKernel fills float32 and int32 counters along an axis.
func iotaKernel(n *Node) kernel {
	axis := n.params.(*iotaParams).axis
	dims := n.shape.Dimensions
	if n.shape.DType != dtypes.Float32 && n.shape.DType != dtypes.Int32 {
		return nil
	}
	inner := 1
	for _, d := range dims[axis+1:] {
		inner *= d
	}
	return func(r *run, n *Node, _ []*value) (*value, error) {
		out, err := r.alloc(n.shape)
		if err != nil {
			return nil, err
		}
		switch f := out.st.flat.(type) {
		case []float32:
			for i := range f {
				f[i] = float32(i / inner % dims[axis])
			}
		case []int32:
			for i := range f {
				f[i] = int32(i / inner % dims[axis])
			}
		}
		return out, nil
	}
}

// widenKernel converts bfloat16 and float16 values to float32.
func widenKernel(n *Node) kernel {
	from := n.inputs[0].shape.DType
	if n.shape.DType != dtypes.Float32 || (from != dtypes.BFloat16 && from != dtypes.Float16) {
		return nil
	}
	return func(r *run, n *Node, in []*value) (*value, error) {
		out, err := r.alloc(n.shape)
		if err != nil {
			return nil, err
		}
		dst := out.st.flat.([]float32)
		src := halfBits(in[0].st.flat)
		widen := gemm.F16ToFloat32
		if from == dtypes.BFloat16 {
			widen = gemm.BF16ToFloat32
		}
		parallelFor(len(dst), len(dst), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				dst[i] = widen(src[i])
			}
		})
		return out, nil
	}
}

// halfBits views bfloat16 or float16 values as their bits.
func halfBits(flat any) []uint16 {
	switch f := flat.(type) {
	case []bfloat16.BFloat16:
		return unsafe.Slice((*uint16)(unsafe.SliceData(f)), len(f))
	case []float16.Float16:
		return unsafe.Slice((*uint16)(unsafe.SliceData(f)), len(f))
	}
	panic("cpu: not a half-precision buffer")
}
