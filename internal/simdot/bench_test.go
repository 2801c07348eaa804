package simdot_test

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// BenchmarkDotGeneral times the embedded model's largest product (512
// tokens × 128 against the 4096 × 128 embedding) on simplego, with the
// vectorised kernel where the build has it; compare
// `go test -bench . ./internal/simdot` with and without GOEXPERIMENT=simd.
func BenchmarkDotGeneral(b *testing.B) {
	backend := pureGo(b)
	const n, k, m = 512, 128, 4096
	x := tensors.FromFlatDataAndDimensions(make([]float32, n*k), n, k)
	y := tensors.FromFlatDataAndDimensions(make([]float32, m*k), m, k)
	exec := graph.MustNewExec(backend, func(x, y *graph.Node) *graph.Node { return graph.Einsum("ik,jk->ij", x, y) })
	exec.MustExec(x, y)
	b.ResetTimer()
	for range b.N {
		exec.MustExec(x, y)
	}
	b.ReportMetric(float64(2*n*k*m)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
