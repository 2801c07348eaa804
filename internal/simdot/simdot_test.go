package simdot_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/internal/simdot"
)

// TestDotGeneral runs batched matrix products through simplego's large
// (blocked) path, shapes not multiples of the block, and compares them
// with a float64 reference. With GOEXPERIMENT=simd on an AVX-512 CPU this
// checks the vectorised kernel (and that it was installed); otherwise the
// scalar one, which keeps the test meaningful in every build.
func TestDotGeneral(t *testing.T) {
	backend := pureGo(t)
	if _, ok := simdot.Install(); ok != simdot.Available() {
		t.Fatalf("Install: installed = %v, but this build and CPU should give %v", ok, !ok)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][4]int{{2, 200, 70, 150}, {1, 512, 128, 384}, {3, 130, 33, 129}, {1, 64, 128, 4096}} {
		batch, n, k, m := sz[0], sz[1], sz[2], sz[3]
		a := make([]float32, batch*n*k)
		b := make([]float32, batch*m*k)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		exec := graph.MustNewExec(backend, func(x, y *graph.Node) *graph.Node {
			return graph.Einsum("bik,bjk->bij", x, y)
		})
		out := exec.MustExec(tensors.FromFlatDataAndDimensions(a, batch, n, k), tensors.FromFlatDataAndDimensions(b, batch, m, k))[0]
		got := tensors.MustCopyFlatData[float32](out)
		worst := 0.0
		for bi := range batch {
			for i := range n {
				for j := range m {
					var want float64
					for kk := range k {
						want += float64(a[(bi*n+i)*k+kk]) * float64(b[(bi*m+j)*k+kk])
					}
					e := math.Abs(float64(got[(bi*n+i)*m+j])-want) / math.Sqrt(float64(k))
					worst = max(worst, e)
				}
			}
		}
		// float32 accumulation of k unit-normal products: error grows like
		// sqrt(k)·eps·|terms|; 1e-5 per sqrt(k) is far above it and far
		// below any indexing mistake (errors of order 1).
		if worst > 1e-5 {
			t.Errorf("%v: worst error %.3g·sqrt(k) against float64", sz, worst)
		}
	}
}

// pureGo installs the kernel this build can have, logs which runs, and
// returns a sequential simplego backend, finalized when tb ends.
func pureGo(tb testing.TB) backends.Backend {
	what, ok := simdot.Install()
	tb.Logf("%s (installed: %v)", what, ok)
	backend, err := simplego.New("ops_sequential")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(backend.Finalize)
	return backend
}
