package gemm

import (
	"fmt"
	"unsafe"
)

// NT computes C = A·Bᵀ: C[i·ldc+j] = Σ_{p<k} A[i·lda+p]·B[j·ldb+p] for
// i < m, j < n, overwriting C. A is m×k and B is n×k, both row-major with
// K contiguous (B is laid out like a PyTorch Linear weight [out, in]).
func NT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	NTBatch(1, m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc)
}

// NN computes C = A·B: C[i·ldc+j] = Σ_{p<k} A[i·lda+p]·B[p·ldb+j] for
// i < m, j < n, overwriting C. A is m×k and B is k×n, both row-major.
func NN(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	NNBatch(1, m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc)
}

// NTBF16 is [NT] with B given as bfloat16 bits, widened to float32 inside
// the kernel; products and sums are float32.
func NTBF16(m, n, k int, a []float32, lda int, b []uint16, ldb int, c []float32, ldc int) {
	checkNT("NTBF16", 1, m, n, k, len(a), 0, lda, len(b), 0, ldb, len(c), 0, ldc)
	if m == 0 || n == 0 {
		return
	}
	run(ntJob(elemBF16, 1, m, n, k, addr(a), 0, lda, addr16(b), 0, ldb, addr(c), 0, ldc))
}

// NTF16 is [NT] with B given as IEEE 754 half-precision bits, widened to
// float32 inside the kernel; products and sums are float32.
func NTF16(m, n, k int, a []float32, lda int, b []uint16, ldb int, c []float32, ldc int) {
	checkNT("NTF16", 1, m, n, k, len(a), 0, lda, len(b), 0, ldb, len(c), 0, ldc)
	if m == 0 || n == 0 {
		return
	}
	run(ntJob(elemF16, 1, m, n, k, addr(a), 0, lda, addr16(b), 0, ldb, addr(c), 0, ldc))
}

// NTBatch computes batch independent products C_t = A_t·B_tᵀ as [NT] does,
// where A_t starts at a[t·strideA:], B_t at b[t·strideB:] and C_t at
// c[t·strideC:]. A stride of 0 shares one operand among all products.
func NTBatch(batch, m, n, k int, a []float32, strideA, lda int, b []float32, strideB, ldb int, c []float32, strideC, ldc int) {
	checkNT("NTBatch", batch, m, n, k, len(a), strideA, lda, len(b), strideB, ldb, len(c), strideC, ldc)
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	run(ntJob(elemF32, batch, m, n, k, addr(a), strideA, lda, addr(b), strideB, ldb, addr(c), strideC, ldc))
}

// NNBatch computes batch independent products C_t = A_t·B_t as [NN] does,
// with operands at the offsets described for [NTBatch].
func NNBatch(batch, m, n, k int, a []float32, strideA, lda int, b []float32, strideB, ldb int, c []float32, strideC, ldc int) {
	check("NNBatch", batch, m, n, k)
	checkOperand("NNBatch", "A", batch, m, k, len(a), strideA, lda)
	checkOperand("NNBatch", "B", batch, k, n, len(b), strideB, ldb)
	checkOperand("NNBatch", "C", batch, m, n, len(c), strideC, ldc)
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	run(job{
		nn: true, batch: batch, m: m, n: n, k: k,
		a: addr(a), strideA: strideA, lda: lda,
		b: addr(b), strideB: strideB, ldb: ldb,
		c: addr(c), strideC: strideC, ldc: ldc,
	})
}

func ntJob(elem, batch, m, n, k int, a unsafe.Pointer, strideA, lda int, b unsafe.Pointer, strideB, ldb int, c unsafe.Pointer, strideC, ldc int) job {
	return job{
		elem: elem, batch: batch, m: m, n: n, k: k,
		a: a, strideA: strideA, lda: lda,
		b: b, strideB: strideB, ldb: ldb,
		c: c, strideC: strideC, ldc: ldc,
	}
}

func addr(s []float32) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(&s[0])
}

func addr16(s []uint16) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(&s[0])
}

func checkNT(op string, batch, m, n, k, la, strideA, lda, lb, strideB, ldb, lc, strideC, ldc int) {
	check(op, batch, m, n, k)
	checkOperand(op, "A", batch, m, k, la, strideA, lda)
	checkOperand(op, "B", batch, n, k, lb, strideB, ldb)
	checkOperand(op, "C", batch, m, n, lc, strideC, ldc)
}

func check(op string, batch, m, n, k int) {
	if batch < 0 || m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm.%s: negative size (batch %d, m %d, n %d, k %d)", op, batch, m, n, k))
	}
}

// checkOperand panics unless a slice of length length holds batch
// rows×cols matrices with leading dimension ld, stride elements apart.
func checkOperand(op, name string, batch, rows, cols, length, stride, ld int) {
	if ld < cols {
		panic(fmt.Sprintf("gemm.%s: ld of %s (%d) is less than its %d columns", op, name, ld, cols))
	}
	if stride < 0 {
		panic(fmt.Sprintf("gemm.%s: negative batch stride of %s (%d)", op, name, stride))
	}
	if batch == 0 || rows == 0 || cols == 0 {
		return
	}
	need := (batch-1)*stride + (rows-1)*ld + cols
	if length < need {
		panic(fmt.Sprintf("gemm.%s: %s has %d elements, %d×%d with ld %d, batch %d and stride %d need %d",
			op, name, length, rows, cols, ld, batch, stride, need))
	}
}
