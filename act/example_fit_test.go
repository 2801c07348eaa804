package act_test

import (
	"fmt"
	"os"
	"path/filepath"

	. "github.com/actsh/actsh/act"
)

// Fit Linear-AcT on raw responses of one point, apply it at λ = 1 and
// λ = 0.5, then save it and load it back.
func ExampleFitLinearOT() {
	// Four source and four target samples of a 2-unit point: the target
	// is 2·source + 1 on unit 0 and source − 3 on unit 1.
	src := [][]float32{{0, 1}, {1, 2}, {2, 3}, {3, 4}}
	dst := [][]float32{{1, -2}, {3, -1}, {5, 0}, {7, 1}}
	r := ResponsesOf("transformer.h.1.ln_2", src, dst)

	t := FitLinearOT(r, Support("q_all"))
	z := [][]float32{{1.5, 2.5}}
	fmt.Println(t.Apply("transformer.h.1.ln_2", z, 1))
	fmt.Println(t.Apply("transformer.h.1.ln_2", z, 0.5))

	dir, _ := os.MkdirTemp("", "act")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "demo.act.safetensors")
	t.Save(path)
	back := LoadTransport(path)
	fmt.Println(back.Points(), back.Apply("transformer.h.1.ln_2", z, 1))
	fmt.Println(back)
	// Output:
	// [[4 -0.5]]
	// [[2.75 1]]
	// [transformer.h.1.ln_2] [[4 -0.5]]
	// transport linear_ot: 1 point(s), support q_all, position all
	//   out = λ·(w·z + b) + (1 − λ)·z where lo < z < hi, else z
	//   transformer.h.1.ln_2: 2 units, mean|w−1| 0.5, mean|b| 2, within ±1e6
}
