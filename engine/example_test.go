package engine_test

import (
	"context"
	"fmt"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	_ "github.com/actsh/actsh/engine/families"
)

// Load a checkpoint folder, capture a point pooled over each sequence, and
// generate greedily with and without a map on block 1's MLP input.
func ExampleLoad() {
	ctx := context.Background()
	m, err := engine.Load(ctx, "../testdata/reference/gpt2/checkpoint", engine.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	pts, _ := m.MatchPoints(`.*\.ln_2`)
	fmt.Println(pts)

	batch := [][]int{{290, 28, 105, 52, 205}, {7, 8}}
	out, err := m.Forward(ctx, batch, engine.ForwardOptions{Capture: pts, Pool: "mean", NoLogits: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(out.Pooled[pts[1]]), len(out.Pooled[pts[1]][0]))

	ids, _ := m.Generate(ctx, batch[:1], engine.GenerateOptions{MaxNewTokens: 5})
	fmt.Println(ids[0])

	w, b := make([]float32, 64), make([]float32, 64)
	for i := range w {
		w[i], b[i] = -1, 0.5
	}
	st := &engine.Steering{Maps: map[string]*transport.Map{pts[1]: {W: w, B: b}}, Strength: 0.5}
	ids, _ = m.Generate(ctx, batch[:1], engine.GenerateOptions{MaxNewTokens: 5, Steering: st})
	fmt.Println(ids[0])
	// Output:
	// [transformer.h.0.ln_2 transformer.h.1.ln_2]
	// 2 64
	// [157 40 157 157 157]
	// [299 195 261 157 138]
}
