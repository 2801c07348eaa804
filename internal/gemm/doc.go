// Package gemm multiplies float32 matrices on the CPU, fast, in the
// default Go build: the vector kernels are Go assembly, so they need no
// cgo, no GOEXPERIMENT and no GODEBUG setting.
//
// # Products
//
// All matrices are row-major slices with a leading dimension (the distance
// between rows, at least the row width), so sub-matrices are passed as
// they lie. Outputs are overwritten and must not overlap the inputs.
//
//   - [NT]: C[i·ldc+j] = Σ_{p<k} A[i·lda+p]·B[j·ldb+p]. B is n×k, laid out
//     like a PyTorch Linear weight [out, in]: the product with a weight.
//   - [NN]: C[i·ldc+j] = Σ_{p<k} A[i·lda+p]·B[p·ldb+j]. B is k×n, as V in
//     attention (probabilities·V) and in the gradients of training.
//   - [NTBatch], [NNBatch]: batch independent products whose operands start
//     strideA, strideB and strideC elements apart (0 shares an operand).
//   - [NTBF16], [NTF16]: [NT] with B kept as bfloat16 or IEEE half bits,
//     the weights in their checkpoint dtype; each element is widened to
//     float32 ([BF16ToFloat32], [F16ToFloat32]) inside the kernel and the
//     sums are float32.
//
// Sizes may be anything, zero included (an empty product sets C to zero).
// Impossible arguments (a negative size or stride, a leading dimension
// shorter than the row, a slice too short for the shapes and strides)
// panic with a message naming the values.
//
// # Kernels
//
// The package picks, when it starts, the fastest of three implementations
// the CPU runs, reported by [Kernel]:
//
//   - "avx512": AVX-512 F, BW and VL, 16 lanes.
//   - "avx2": AVX2 with FMA and F16C, 8 lanes.
//   - "go": plain Go, on every architecture.
//
// The environment variable ACTSH_GEMM=avx512|avx2|go forces one, for
// benchmarks and comparisons; a choice the CPU lacks falls back to the
// fastest one it has.
//
// NT products with few rows (decoding, short prompts) compute each output
// as a dot product: a tile of 4×4 outputs (3×4 on AVX2) keeps one vector
// accumulator per output, loads rows of A and B straight from the
// caller's slices (weights are never copied), prefetches the rows of B the
// next tile reads, and sums each accumulator's lanes at the end. NN
// products broadcast A[i,p] and add it times a row of B to 6 rows × 64
// columns of C (6×16 on AVX2). NT products with more rows (from 32 rows
// for float32 B and 64 for 16-bit B on AVX-512, from 256 on AVX2) run on
// the NN tiles too: a block of B one tile wide (64 rows × up to 768 steps
// of K) is transposed, and widened from bfloat16 or half, into a pooled
// scratch buffer (16×16 transposes in registers on AVX-512, Go on AVX2)
// and used by every row of A, which pays for the copy.
//
// Products run over K in blocks (1024 steps for dot products when
// K > 1536, 512 for the others when K > 768) and over B in blocks of
// about 256 KiB, so operands come from L1 and L2. The tails of K and of
// the rows of C are handled with masked loads and stores: nothing outside
// the operands is read or written.
//
// Products of more than about 130 000 multiply-adds are split across
// runtime.GOMAXPROCS(0) goroutines (the caller's and workers started once
// and kept waiting; a product allocates nothing once warm): whole products
// of a batch, else columns or rows of C in whole tiles (columns when few
// rows, as in decoding, and for the broadcast tiles, so that goroutines
// transpose different blocks of B).
//
// # Determinism
//
// Each element of C is computed by one goroutine, and the order of its
// additions depends only on the shape (m, n, k) and the kernel set: the
// same call gives the same bits whatever GOMAXPROCS is, and every tile
// shape of a path sums an element the same way. The dot-product and the
// broadcast paths add in different orders, so a row of A multiplied alone
// and among many rows may differ in the last bits. Different kernel
// sets round differently too: avx512, avx2 and go agree to float32
// rounding, not bit for bit.
//
// # Adding a kernel set
//
// A kernel set is a kernels value: NT tiles for each dtype of B (mr×nr,
// 1×nr, mr×1, 1×1) and NN tiles (mr×vectors, one row, and masked forms for
// the last columns), each computing C = or += a K block of its tile. The
// drivers in driver.go do the blocking, the threading and the edges. The
// amd64 kernels are written by gen.go (go generate), which emits
// kernels_amd64.s and the declarations in kernels_amd64.go; add an
// instruction set there, list its set in platformKernels with the CPU
// features it needs, and the tests in gemm_test.go run every available set
// against a float64 reference.
package gemm
