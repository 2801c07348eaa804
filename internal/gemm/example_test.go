package gemm_test

import (
	"fmt"

	"github.com/actsh/actsh/internal/gemm"
)

// A Linear layer: y = x·Wᵀ with W stored [out, in] as in a checkpoint.
func ExampleNT() {
	x := []float32{1, 2, 3} // one token, 3 features
	w := []float32{
		1, 0, 0, // out 0
		0, 1, 1, // out 1
	}
	y := make([]float32, 2)
	gemm.NT(1, 2, 3, x, 3, w, 3, y, 2)
	fmt.Println(y)
	// Output: [1 5]
}

// Attention output: probabilities [2 queries, 3 keys] times V [3 keys, 2].
func ExampleNN() {
	p := []float32{
		1, 0, 0,
		0.5, 0.5, 0,
	}
	v := []float32{
		1, 2,
		3, 4,
		5, 6,
	}
	out := make([]float32, 4)
	gemm.NN(2, 2, 3, p, 3, v, 2, out, 2)
	fmt.Println(out)
	// Output: [1 2 2 3]
}

// Scores of two heads at once, each head a 2×2 block of a [tokens, heads·2]
// matrix: the batch stride steps from one head's columns to the next.
func ExampleNTBatch() {
	q := []float32{ // [2 tokens, 2 heads × 2]
		1, 0, 1, 1,
		0, 1, 2, 0,
	}
	k := q
	scores := make([]float32, 2*2*2) // [2 heads, 2, 2]
	gemm.NTBatch(2, 2, 2, 2, q, 2, 4, k, 2, 4, scores, 4, 2)
	fmt.Println(scores)
	// Output: [1 0 0 1 2 2 2 4]
}

// Weights kept as bfloat16: 0x3f80 is 1.0 and 0x4000 is 2.0.
func ExampleNTBF16() {
	x := []float32{3, 4}
	w := []uint16{0x3f80, 0x4000}
	y := make([]float32, 1)
	gemm.NTBF16(1, 1, 2, x, 2, w, 2, y, 1)
	fmt.Println(y)
	// Output: [11]
}

func ExampleKernel() {
	k := gemm.Kernel()
	fmt.Println(k == "avx512" || k == "avx2" || k == "go")
	// Output: true
}
