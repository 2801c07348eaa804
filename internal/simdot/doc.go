// Package simdot makes matrix products on GoMLX's pure-Go backend
// (simplego) run on the CPU's vector units.
//
// simplego multiplies matrices by splitting them into square blocks and
// calling a block kernel written as scalar Go; on the machines we train
// the embedded model on it ran at about 1 GFLOP/s per core and took 78% of
// a training step. [Install] replaces simplego's float32 block kernel with
// one that uses AVX-512 fused multiply-adds through Go's experimental
// SIMD package (simd/archsimd), which needs the program to be built with
// GOEXPERIMENT=simd on amd64:
//
//	GOEXPERIMENT=simd go run recipes/tiny_train.go ...
//
// Without that experiment, on other architectures or on CPUs without
// AVX-512, Install changes nothing and says why. The replacement computes
// the same block products (output += lhs·rhsᵀ, both blocks laid out
// contracting axis last) in a fixed order, so results are deterministic;
// they differ from the scalar kernel's by float32 rounding only.
//
// simplego has no public hook for its kernels: Install reaches its
// unexported kernel table with go:linkname, which ties this package to
// the GoMLX version in go.mod (v0.26.0): if an upgrade renames the table,
// SIMD builds fail to link; if it changes the kernel's types, Install
// refuses and says why. The package's test runs simplego DotGenerals
// through whichever kernel is installed against a float64 reference, and
// fails if the kernel this build and CPU should have is not installed.
package simdot
