package vecf32_test

import (
	"fmt"
	"math"

	"github.com/actsh/actsh/internal/vecf32"
)

// A residual connection, in place: h += x.
func ExampleAdd() {
	h := []float32{1, 2, 3}
	x := []float32{0.5, 0.5, -3}
	vecf32.Add(h, h, x)
	fmt.Println(h)
	// Output: [1.5 2.5 0]
}

// Max propagates NaN from either operand, as XLA's max does.
func ExampleMax() {
	a := []float32{1, float32(math.NaN()), 3}
	b := []float32{2, 0, float32(math.NaN())}
	o := make([]float32, 3)
	vecf32.Max(o, a, b)
	fmt.Println(o)
	// Output: [2 NaN NaN]
}

// Softmax numerators: e^(x − max) in place.
func ExampleExp() {
	x := []float32{0, -1, -100, float32(math.Inf(-1))}
	vecf32.Exp(x, x)
	fmt.Printf("%.6f\n", x)
	// Output: [1.000000 0.367879 0.000000 0.000000]
}

// The GELU of GPT-2: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
func ExampleTanh() {
	x := []float32{-1, 0, 1, 3}
	t := make([]float32, len(x))
	for i, v := range x {
		t[i] = 0.7978846 * (v + 0.044715*v*v*v)
	}
	vecf32.Tanh(t, t)
	for i, v := range x {
		t[i] = 0.5 * v * (1 + t[i])
	}
	fmt.Printf("%.4f\n", t)
	// Output: [-0.1588 0.0000 0.8412 2.9964]
}

// The SiLU of Llama's MLP: x·σ(x).
func ExampleLogistic() {
	x := []float32{-2, 0, 2}
	s := make([]float32, len(x))
	vecf32.Logistic(s, x)
	vecf32.Mul(s, s, x)
	fmt.Printf("%.4f\n", s)
	// Output: [-0.2384 0.0000 1.7616]
}

// Kernel names the implementation in use: the fastest the CPU runs unless
// ACTSH_VEC chooses another.
func ExampleKernel() {
	k := vecf32.Kernel()
	fmt.Println(k == "avx512" || k == "avx2" || k == "go")
	// Output: true
}
