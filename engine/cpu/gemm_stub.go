package cpu

// Stand-ins until internal/gemm lands.

func gemmKernel() string { return "go" }

func gemmNTBatch(batch, m, n, k int, a []float32, sa, lda int, b []float32, sb, ldb int, c []float32, sc, ldc int) {
	for t := range batch {
		for i := range m {
			for j := range n {
				var s float32
				ar := a[t*sa+i*lda:]
				br := b[t*sb+j*ldb:]
				for p := range k {
					s += ar[p] * br[p]
				}
				c[t*sc+i*ldc+j] = s
			}
		}
	}
}

func gemmNNBatch(batch, m, n, k int, a []float32, sa, lda int, b []float32, sb, ldb int, c []float32, sc, ldc int) {
	for t := range batch {
		for i := range m {
			cr := c[t*sc+i*ldc : t*sc+i*ldc+n]
			clear(cr)
			for p := range k {
				av := a[t*sa+i*lda+p]
				br := b[t*sb+p*ldb:]
				for j := range cr {
					cr[j] += av * br[j]
				}
			}
		}
	}
}
