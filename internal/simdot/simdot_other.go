//go:build !(goexperiment.simd && amd64)

package simdot

func install() (string, bool) {
	return "scalar simplego matmul (build with GOEXPERIMENT=simd on amd64 for the AVX-512 kernel)", false
}

func available() bool { return false }
