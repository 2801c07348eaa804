package cpu

import (
	"slices"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/actsh/actsh/internal/gemm"
)

// operand describes one side of a DotGeneral as a batch of matrices: the
// element (t, i, p) of batch t, free index i and contracted index p is at
// t·bs + i·rs + p·ks of the flat data.
type operand struct {
	batch, rows, k int
	bs, rs, ks     int
}

// collapse returns the common stride of axes taken as one index (the
// first axis outermost), and false when their memory layout does not
// allow it. Axes of size 1 are skipped.
func collapse(dims, strides, axes []int) (size, stride int, ok bool) {
	size, stride = 1, 1
	first := true
	for i := len(axes) - 1; i >= 0; i-- {
		a := axes[i]
		if dims[a] == 1 {
			continue
		}
		if first {
			stride, first = strides[a], false
		} else if strides[a] != stride*size {
			return 0, 0, false
		}
		size *= dims[a]
	}
	return size, stride, true
}

func rowMajorStrides(dims []int) []int {
	s := make([]int, len(dims))
	acc := 1
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= dims[i]
	}
	return s
}

// freeAxes lists the axes of a rank-r operand that are neither batch nor
// contracted, in order.
func freeAxes(r int, batch, contract []int) []int {
	var out []int
	for a := range r {
		if !slices.Contains(batch, a) && !slices.Contains(contract, a) {
			out = append(out, a)
		}
	}
	return out
}

// describe lays an operand out as a batch of matrices, or returns false
// when its axes must be transposed first.
func describe(dims, batch, contract []int) (operand, bool) {
	st := rowMajorStrides(dims)
	free := freeAxes(len(dims), batch, contract)
	var o operand
	var ok1, ok2, ok3 bool
	o.batch, o.bs, ok1 = collapse(dims, st, batch)
	o.rows, o.rs, ok2 = collapse(dims, st, free)
	o.k, o.ks, ok3 = collapse(dims, st, contract)
	// Strides of indices that take one value are free: pick the ones the
	// kernels like (contiguous rows).
	if o.k <= 1 {
		o.ks = 1
	}
	if o.rows <= 1 {
		o.rs = 1
		if o.ks == 1 {
			o.rs = o.k
		}
	}
	return o, ok1 && ok2 && ok3
}

// dotKernel runs a float32 DotGeneral on the matrix kernels.
func dotKernel(n *Node) kernel {
	p := n.params.(*dotParams)
	lhs, rhs := n.inputs[0], n.inputs[1]
	if lhs.shape.DType != dtypes.Float32 {
		return nil
	}
	if rhs.shape.DType == dtypes.BFloat16 || rhs.shape.DType == dtypes.Float16 {
		return halfDotKernel(n, p)
	}
	if rhs.shape.DType != dtypes.Float32 {
		return nil
	}
	ld, rd := lhs.shape.Dimensions, rhs.shape.Dimensions
	lo, lok := describe(ld, p.lhsBatch, p.lhsContract)
	ro, rok := describe(rd, p.rhsBatch, p.rhsContract)
	// Operands whose axes do not collapse are copied to [batch, free,
	// contracted] first.
	var lperm, rperm []int
	if !lok {
		lperm = slices.Concat(p.lhsBatch, freeAxes(len(ld), p.lhsBatch, p.lhsContract), p.lhsContract)
		lo = packed(ld, p.lhsBatch, p.lhsContract)
	}
	if !rok {
		rperm = slices.Concat(p.rhsBatch, freeAxes(len(rd), p.rhsBatch, p.rhsContract), p.rhsContract)
		ro = packed(rd, p.rhsBatch, p.rhsContract)
	}
	M, N, K, B := lo.rows, ro.rows, lo.k, lo.batch
	if B == 1 {
		lo.bs, ro.bs = 0, 0
	}
	return func(r *run, n *Node, in []*value) (*value, error) {
		a := in[0].st.flat.([]float32)
		b := in[1].st.flat.([]float32)
		if lperm != nil {
			a = transposeScratch(a, ld, lperm)
			defer putScratch(a)
		}
		if rperm != nil {
			b = transposeScratch(b, rd, rperm)
			defer putScratch(b)
		}
		out, err := r.alloc(n.shape)
		if err != nil {
			return nil, err
		}
		c := out.st.flat.([]float32)
		matmul(B, M, N, K, a, lo, b, ro, c)
		return out, nil
	}
}

// packed is the layout of an operand copied to [batch, free, contracted].
func packed(dims, batch, contract []int) operand {
	size := func(axes []int) int {
		s := 1
		for _, a := range axes {
			s *= dims[a]
		}
		return s
	}
	bt, k := size(batch), size(contract)
	rows := size(freeAxes(len(dims), batch, contract))
	return operand{batch: bt, rows: rows, k: k, bs: rows * k, rs: k, ks: 1}
}

// matmul computes c[t, i, j] = Σ_p a(t, i, p)·b(t, j, p) for the layouts
// given, choosing the matrix kernel by which index is contiguous.
func matmul(B, M, N, K int, a []float32, lo operand, b []float32, ro operand, c []float32) {
	if M == 0 || N == 0 {
		return
	}
	if K == 0 {
		clear(c[:B*M*N])
		return
	}
	if lo.ks != 1 {
		// lhs is contracted along a strided index: copy it to rows.
		a = gatherRows(a, lo, B, M, K)
		defer putScratch(a)
		lo = operand{batch: B, rows: M, k: K, bs: M * K, rs: K, ks: 1}
	}
	switch {
	case ro.ks == 1:
		gemm.NTBatch(B, M, N, K, a, lo.bs, lo.rs, b, ro.bs, ro.rs, c, M*N, N)
	case ro.rs == 1:
		gemm.NNBatch(B, M, N, K, a, lo.bs, lo.rs, b, ro.bs, ro.ks, c, M*N, N)
	default:
		b = gatherRows(b, ro, B, N, K)
		defer putScratch(b)
		gemm.NTBatch(B, M, N, K, a, lo.bs, lo.rs, b, N*K, K, c, M*N, N)
	}
}

// gatherRows copies a strided batch of matrices to contiguous [B, rows, K]
// in scratch memory (return it with putScratch), in 32×32 blocks so that
// both the strided reads and the writes stay in cache.
func gatherRows(x []float32, o operand, B, rows, K int) []float32 {
	out := getScratch(B * rows * K)
	const blk = 32
	for t := range B {
		dst := out[t*rows*K : (t+1)*rows*K]
		for i0 := 0; i0 < rows; i0 += blk {
			for p0 := 0; p0 < K; p0 += blk {
				for i := i0; i < min(i0+blk, rows); i++ {
					base := t*o.bs + i*o.rs
					d := dst[i*K : (i+1)*K]
					for p := p0; p < min(p0+blk, K); p++ {
						d[p] = x[base+p*o.ks]
					}
				}
			}
		}
	}
	return out
}

// scratch holds float32 buffers for operands copied before a product.
var scratch sync.Pool

// getScratch returns a float32 buffer of length n (not zeroed).
func getScratch(n int) []float32 {
	if p, ok := scratch.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float32, n)
}

// putScratch returns a buffer from getScratch.
func putScratch(s []float32) { scratch.Put(&s) }

// halfDotKernel runs a product with half-precision weights laid out
// [out, in] (the contracted index contiguous): the kernels widen them.
// Other layouts return nil (the fallback converts, then multiplies).
func halfDotKernel(n *Node, p *dotParams) kernel {
	lhs, rhs := n.inputs[0], n.inputs[1]
	ld, rd := lhs.shape.Dimensions, rhs.shape.Dimensions
	lo, lok := describe(ld, p.lhsBatch, p.lhsContract)
	ro, rok := describe(rd, p.rhsBatch, p.rhsContract)
	if !rok || ro.ks != 1 || lo.batch != 1 {
		return nil
	}
	var lperm []int
	if !lok {
		lperm = slices.Concat(p.lhsBatch, freeAxes(len(ld), p.lhsBatch, p.lhsContract), p.lhsContract)
		lo = packed(ld, p.lhsBatch, p.lhsContract)
	}
	M, N, K := lo.rows, ro.rows, lo.k
	nt := gemm.NTF16
	if rhs.shape.DType == dtypes.BFloat16 {
		nt = gemm.NTBF16
	}
	return func(r *run, n *Node, in []*value) (*value, error) {
		a, l := in[0].st.flat.([]float32), lo
		if lperm != nil {
			a = transposeScratch(a, ld, lperm)
			defer putScratch(a)
		}
		if l.ks != 1 {
			a = gatherRows(a, l, 1, M, K)
			defer putScratch(a)
			l = operand{batch: 1, rows: M, k: K, rs: K, ks: 1}
		}
		out, err := r.alloc(n.shape)
		if err != nil {
			return nil, err
		}
		if M > 0 && N > 0 {
			nt(M, N, K, a, l.rs, halfBits(in[1].st.flat), ro.rs, out.st.flat.([]float32), N)
		}
		return out, nil
	}
}
