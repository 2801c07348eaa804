package cpu

import (
	"fmt"
	"reflect"

	"github.com/gomlx/gomlx/backends"
)

// nativeKernel returns this backend's kernel for n, or nil when the pure-Go
// backend must run it.
func nativeKernel(n *Node) kernel {
	switch n.op {
	case backends.OpTypeReshape:
		return func(r *run, n *Node, in []*value) (*value, error) {
			return &value{st: in[0].st, shape: n.shape}, nil
		}
	case backends.OpTypeDotGeneral:
		return dotKernel(n)
	case backends.OpTypeConvGeneral:
		return convKernel(n)
	case backends.OpTypeTranspose:
		perm := n.params.(*transposeParams).perm
		dims := n.inputs[0].shape.Dimensions
		return func(r *run, n *Node, in []*value) (*value, error) {
			out, err := r.alloc(n.shape)
			if err != nil {
				return nil, err
			}
			transposeInto(out.st.flat, in[0].st.flat, dims, perm)
			return out, nil
		}
	case backends.OpTypeReduceSum, backends.OpTypeReduceMax, backends.OpTypeReduceMin, backends.OpTypeReduceProduct:
		return reduceKernel(n)
	case backends.OpTypeSlice:
		return sliceKernel(n)
	case backends.OpTypeConcatenate:
		return concatKernel(n)
	case backends.OpTypeGather:
		return gatherKernel(n)
	case backends.OpTypeIota:
		return iotaKernel(n)
	case backends.OpTypeConvertDType:
		return widenKernel(n)
	case backends.OpTypeDynamicUpdateSlice:
		return dynamicUpdateSlice
	case backends.OpTypeDynamicSlice:
		return dynamicSlice
	}
	return nil
}

// copyFlat copies src into dst (slices of one type).
func copyFlat(dst, src any) {
	reflect.Copy(reflect.ValueOf(dst), reflect.ValueOf(src))
}

// transposeScratch returns x [dims] with its axes permuted (output axis i
// is input axis perm[i]) in a scratch buffer (see getScratch); x may be
// longer than dims (a view's storage).
func transposeScratch(x []float32, dims, perm []int) []float32 {
	size := 1
	for _, d := range dims {
		size *= d
	}
	out := getScratch(size)
	transposeT(out, x[:size], dims, perm)
	return out
}

// transposeInto writes src [dims] permuted into dst; both are slices of the
// same element type.
func transposeInto(dst, src any, dims, perm []int) {
	switch s := src.(type) {
	case []float32:
		transposeT(dst.([]float32), s, dims, perm)
	case []int32:
		transposeT(dst.([]int32), s, dims, perm)
	case []bool:
		transposeT(dst.([]bool), s, dims, perm)
	case []float64:
		transposeT(dst.([]float64), s, dims, perm)
	case []int64:
		transposeT(dst.([]int64), s, dims, perm)
	default:
		dv, sv := reflect.ValueOf(dst), reflect.ValueOf(src)
		idx := permutedOffsets(dims, perm)
		for i, o := range idx {
			dv.Index(i).Set(sv.Index(o))
		}
	}
}

// permutedOffsets lists, for each output element in order, the offset of
// its source element.
func permutedOffsets(dims, perm []int) []int {
	st := rowMajorStrides(dims)
	r := len(perm)
	odims := make([]int, r)
	ost := make([]int, r)
	size := 1
	for i, p := range perm {
		odims[i], ost[i] = dims[p], st[p]
		size *= dims[p]
	}
	out := make([]int, 0, size)
	if size == 0 {
		return out
	}
	idx := make([]int, r)
	off := 0
	for {
		out = append(out, off)
		a := r - 1
		for ; a >= 0; a-- {
			idx[a]++
			off += ost[a]
			if idx[a] < odims[a] {
				break
			}
			off -= ost[a] * odims[a]
			idx[a] = 0
		}
		if a < 0 {
			return out
		}
	}
}

// transposeT permutes with the innermost output axis copied in a tight
// loop.
func transposeT[T any](dst, src []T, dims, perm []int) {
	r := len(perm)
	if r == 0 {
		copy(dst, src)
		return
	}
	st := rowMajorStrides(dims)
	inner := dims[perm[r-1]]
	istride := st[perm[r-1]]
	if inner == 0 || len(dst) == 0 {
		return
	}
	outer := len(dst) / inner
	odims := make([]int, r-1)
	ost := make([]int, r-1)
	for i := range r - 1 {
		odims[i], ost[i] = dims[perm[i]], st[perm[i]]
	}
	idx := make([]int, r-1)
	off := 0
	for o := range outer {
		d := dst[o*inner : (o+1)*inner]
		if istride == 1 {
			copy(d, src[off:off+inner])
		} else {
			for j := range d {
				d[j] = src[off+j*istride]
			}
		}
		for a := r - 2; a >= 0; a-- {
			idx[a]++
			off += ost[a]
			if idx[a] < odims[a] {
				break
			}
			off -= ost[a] * odims[a]
			idx[a] = 0
		}
	}
}

// scalarIndex reads an integer scalar start index.
func scalarIndex(v *value) int {
	switch f := v.st.flat.(type) {
	case []int32:
		return int(f[0])
	case []int64:
		return int(f[0])
	case []uint32:
		return int(f[0])
	case []uint64:
		return int(f[0])
	case []int16:
		return int(f[0])
	case []int8:
		return int(f[0])
	case []uint8:
		return int(f[0])
	case []uint16:
		return int(f[0])
	}
	panic(fmt.Sprintf("start index of dtype %s", v.shape.DType))
}

// starts reads and clamps start indices so that a block of size fits in
// dims (XLA's rule).
func starts(in []*value, dims, size []int) []int {
	s := make([]int, len(dims))
	for i := range dims {
		s[i] = min(max(scalarIndex(in[i]), 0), dims[i]-size[i])
	}
	return s
}

// blockCopy copies the block of size at offset start of a [big] array
// into (toBig=false) or from (toBig=true) the dense small array.
func blockCopy(big, small any, dims, start, size []int, toBig bool) {
	bv, sv := reflect.ValueOf(big), reflect.ValueOf(small)
	st := rowMajorStrides(dims)
	r := len(dims)
	if r == 0 {
		if toBig {
			reflect.Copy(bv, sv)
		} else {
			reflect.Copy(sv, bv)
		}
		return
	}
	inner := size[r-1]
	total := 1
	for _, d := range size {
		total *= d
	}
	if inner == 0 || total == 0 {
		return
	}
	idx := make([]int, r-1)
	for o := range total / inner {
		off := start[r-1]
		for a := range r - 1 {
			off += (start[a] + idx[a]) * st[a]
		}
		b := bv.Slice(off, off+inner)
		s := sv.Slice(o*inner, (o+1)*inner)
		if toBig {
			reflect.Copy(b, s)
		} else {
			reflect.Copy(s, b)
		}
		for a := r - 2; a >= 0; a-- {
			idx[a]++
			if idx[a] < size[a] {
				break
			}
			idx[a] = 0
		}
	}
}

// dynamicUpdateSlice writes in[1] into in[0] at the clamped start indices
// in[2:], in place when in[0]'s buffer may be reused.
func dynamicUpdateSlice(r *run, n *Node, in []*value) (*value, error) {
	x, u := in[0], in[1]
	dims := x.shape.Dimensions
	out := x
	if !reusable(x, n.shape) {
		var err error
		if out, err = r.alloc(n.shape); err != nil {
			return nil, err
		}
		copyFlat(out.st.flat, x.st.flat)
	}
	blockCopy(out.st.flat, u.st.flat, dims, starts(in[2:], dims, u.shape.Dimensions), u.shape.Dimensions, true)
	return out, nil
}

// dynamicSlice copies the block of in[0] at the clamped start indices.
func dynamicSlice(r *run, n *Node, in []*value) (*value, error) {
	out, err := r.alloc(n.shape)
	if err != nil {
		return nil, err
	}
	dims := in[0].shape.Dimensions
	blockCopy(in[0].st.flat, out.st.flat, dims, starts(in[1:], dims, n.shape.Dimensions), n.shape.Dimensions, false)
	return out, nil
}
