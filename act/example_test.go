package act_test

import (
	"fmt"

	. "github.com/actsh/actsh/act"
)

// Load a checkpoint folder and continue a prompt of token ids greedily,
// then under a hand-written transport that pushes block 1's MLP input
// halfway (λ = 0.5) towards w·z + b.
func ExampleModel_GenerateIDs() {
	m := Load("../testdata/reference/gpt2/checkpoint")
	prompt := []int{290, 28, 105, 52, 205}
	fmt.Println(m.GenerateIDs(prompt, nil, 0, MaxTokens(10)))

	w, b := make([]float32, 64), make([]float32, 64)
	for i := range w {
		w[i], b[i] = -1, 0.5
	}
	t := NewTransport()
	t.Set("transformer.h.1.ln_2", w, b, nil, nil)
	fmt.Println(m.GenerateIDs(prompt, t, 0.5, MaxTokens(10)))
	// Output:
	// [157 40 157 157 157 157 166 157 88 157]
	// [299 195 261 157 138 157 42 71 88 157]
}

// Points selects intervention points with a regular expression that must
// match the whole name.
func ExampleModel_Points() {
	m := Load("../testdata/reference/gpt2/checkpoint")
	fmt.Println(m.Points(".*ln_2"))
	fmt.Println(len(m.Capture([]int{1, 2, 3}, "transformer.h.0.mlp.c_fc")[0]))
	// Output:
	// [transformer.h.0.ln_2 transformer.h.1.ln_2]
	// 256
}
