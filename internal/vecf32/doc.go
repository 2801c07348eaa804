// Package vecf32 computes float32 elementwise functions over slices, with
// vector kernels in the default Go build: they are Go assembly, so they
// need no cgo, no GOEXPERIMENT and no GODEBUG setting. The CPU backend's
// fused loops call it on chunks of their operands.
//
// # Functions
//
// Every function writes o[i] for i < len(o) from the inputs at the same
// index. The slices must have the same length (anything, zero included);
// different lengths panic with a message naming them. The output may be
// one of the inputs (in-place updates) but must not overlap one partially.
//
//   - [Add], [Sub], [Mul], [Div]: o = a + b, a − b, a·b, a/b.
//   - [Max], [Min]: o = a if a is NaN or a > b (a < b), else b. A NaN in
//     either operand gives NaN, as in XLA; of two zeros, b.
//   - [AddScalar], [MulScalar]: o = a + s, a·s.
//   - [Exp]: o = e^x, Cephes' expf: n = ⌊x·log₂e + ½⌋, r = x − n·ln2 with
//     ln2 split as 0.693359375 − 2.12194440e-4 (so that the first product
//     is exact), e^r ≈ 1 + r + r²·P(r) with P of degree 5, times 2^n.
//     x < −87.33654 gives 0 (the result would not be a normal float32),
//     x > 88.72283 gives +Inf, NaN gives NaN.
//   - [Tanh]: o = tanh x: x + x·x²·P(x²) (P of degree 4) for |x| < 0.625,
//     ±1 for |x| > 9, else ±(1 − 2/(e^{2|x|} + 1)) with the sign of x.
//   - [Logistic]: o = 1/(1 + e^−x); 0 for x < −88.
//
// # Accuracy
//
// The pure-Go kernels define the results. The arithmetic functions, [Max]
// and [Min] are exact on every path: the same bits as Go's float32
// operations (a NaN result may carry another payload). [Exp], [Tanh] and
// [Logistic] evaluate the same formulas on every path, but the vector
// kernels use fused multiply-adds in the reduction and the polynomials, so
// their results may differ from the Go path's in the last bits. The tests
// hold every path to: [Exp] within 2 ulp of e^x (computed in float64)
// where e^x is a normal float32; [Tanh] and [Logistic] within 2e-7
// absolute. Special values give the same results on every path: e^−Inf =
// 0, e^+Inf = +Inf, tanh ±Inf = ±1, σ(−Inf) = 0, σ(+Inf) = 1, NaN gives
// NaN; subnormal inputs and outputs are not flushed to zero.
//
// # Kernels
//
// The package picks, when it starts, the fastest of three implementations
// the CPU runs, reported by [Kernel]:
//
//   - "avx512": AVX-512 F, 16 lanes; the last len(o) mod 16 elements are
//     loaded and stored under a lane mask. Exp scales by 2^n with VSCALEFPS.
//   - "avx2": AVX2 with FMA, 8 lanes; the tail is loaded and stored with
//     VMASKMOVPS. 2^n is built from the exponent bits, in two factors so
//     that n = 128 does not overflow before the product.
//   - "go": plain Go, on every architecture.
//
// Nothing outside the slices is read or written. The arithmetic loops
// handle four vectors per iteration, the transcendental ones two on
// AVX-512 and one on AVX2; they have no branches on the data: tanh
// computes both of its formulas, and lanes out of range are fixed up by
// compares and blends.
//
// The environment variable ACTSH_VEC=avx512|avx2|go forces one, for
// benchmarks and comparisons; a choice the CPU lacks falls back to the
// fastest one it has.
//
// # Adding a kernel set
//
// A kernel set is a kernels value with one function per operation,
// called with slices of equal length. The amd64 kernels are written by
// gen.go (go generate), which emits kernels_amd64.s and the declarations
// in kernels_amd64.go; list a new set in platformKernels with the CPU
// features it needs, and the tests run every available set against
// float64 references and the Go path.
package vecf32
