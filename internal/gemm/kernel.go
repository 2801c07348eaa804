package gemm

import (
	"os"
	"unsafe"
)

// Element types of B in the NT products.
const (
	elemF32 = iota
	elemBF16
	elemF16
	numElems
)

// elemShift is log2 of the size in bytes of each element type.
var elemShift = [numElems]uint{2, 1, 1}

// ntFunc computes one NT tile of a kernel set: for the tile's rows r and
// columns c, C[r·ldc+c] = Σ_{p<k} A[r·lda+p]·B[c·ldb+p], added to the old
// value of C when acc is not zero. Strides are in elements.
type ntFunc func(k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, acc int)

// nnFunc computes one NN tile: C[r·ldc+j] = Σ_{p<k} A[r·lda+p]·B[p·ldb+j]
// (plus the old value of C when acc is not zero) for the tile's rows r and
// its columns j; masked tiles have cols columns.
type nnFunc func(k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, acc int, cols int)

// packFunc is the type of kernels.pack.
type packFunc func(k int, b unsafe.Pointer, ldb int, rows int, dst unsafe.Pointer, ldd int)

// ntTiles are the NT tiles of one element type: mr×nr, 1×nr, mr×1 and 1×1.
type ntTiles struct {
	tile, row, col, one ntFunc
}

// kernels is one implementation of the products: its micro-kernels and
// their tile sizes. The drivers in driver.go cut every product into these
// tiles; they need no other knowledge of the instruction set.
type kernels struct {
	name string

	mr, nr int               // NT tile: rows of A × rows of B
	nt     [numElems]ntTiles // by element type of B
	// halfStep, when not zero, says that the 16-bit NT tiles stop at the
	// last multiple of halfStep in K; the driver adds the other products.
	halfStep int

	nnMR, nnNV, vw int // NN tile: rows × nnNV vectors of vw columns
	// nnTile is nnMR×(nnNV·vw), nnRow 1×(nnNV·vw), nnMask nnMR×cols and
	// nnRowMask 1×cols with cols ≤ vw.
	nnTile, nnRow, nnMask, nnRowMask nnFunc

	// pack, where not nil for an element type of B, lets NT products
	// with many rows run on the NN tiles: it writes the transpose of a
	// rows×k block of B (rows ≤ packRows), widened to float32, to dst:
	// dst[p·ldd+r] = B[r·ldb+p].
	pack     [numElems]packFunc
	packRows int
	// packMinRows is the number of rows of A from which NT products use
	// pack: enough rows share each block of B to pay for the copy
	// (measured: where the two paths run equally fast).
	packMinRows [numElems]int
}

// active is the kernel set the products use.
var active = chooseKernels(os.Getenv("ACTSH_GEMM"))

// available lists the kernel sets this CPU runs, fastest first.
func available() []*kernels {
	return append(platformKernels(), &goKernels)
}

// chooseKernels returns the set named want, or the fastest set when want
// is empty or not available here.
func chooseKernels(want string) *kernels {
	all := available()
	for _, ks := range all {
		if ks.name == want {
			return ks
		}
	}
	return all[0]
}

// useKernels makes the set named name active and reports whether it
// exists on this CPU; tests and benchmarks call it between products.
func useKernels(name string) bool {
	for _, ks := range available() {
		if ks.name == name {
			active = ks
			return true
		}
	}
	return false
}

// Kernel returns the name of the implementation the products run:
// "avx512", "avx2" or "go".
func Kernel() string { return active.name }
