package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
)

// randomWeights serves random float32 tensors (normal, std 0.02; norm
// weights 1) of the requested shapes, for benchmarks at real model sizes.
type randomWeights struct {
	shapes map[string][]int
	seed   uint64
}

func (w randomWeights) Names() []string {
	var out []string
	for n := range w.shapes {
		out = append(out, n)
	}
	return out
}

func (w randomWeights) Float32(name string) ([]float32, []int, error) {
	s, ok := w.shapes[name]
	if !ok {
		return nil, nil, fmt.Errorf("tensor %s not found", name)
	}
	n := 1
	for _, d := range s {
		n *= d
	}
	r := rand.New(rand.NewPCG(w.seed, uint64(len(name))))
	out := make([]float32, n)
	isNorm := strings.Contains(name, "ln_") && strings.HasSuffix(name, ".weight")
	for i := range out {
		if isNorm {
			out[i] = 1
		} else {
			out[i] = float32(0.02 * r.NormFloat64())
		}
	}
	return out, s, nil
}

// gpt2Small builds a GPT-2-small-shaped model (12 layers, 768 wide, 12
// heads, vocab 50257) with random weights.
func gpt2Small(b testing.TB) *engine.Model {
	const D, L, V, P = 768, 12, 50257, 1024
	sh := map[string][]int{"transformer.wte.weight": {V, D}, "transformer.wpe.weight": {P, D},
		"transformer.ln_f.weight": {D}, "transformer.ln_f.bias": {D}}
	for i := range L {
		h := fmt.Sprintf("transformer.h.%d.", i)
		for n, s := range map[string][]int{"ln_1.weight": {D}, "ln_1.bias": {D}, "attn.c_attn.weight": {D, 3 * D}, "attn.c_attn.bias": {3 * D},
			"attn.c_proj.weight": {D, D}, "attn.c_proj.bias": {D}, "ln_2.weight": {D}, "ln_2.bias": {D},
			"mlp.c_fc.weight": {D, 4 * D}, "mlp.c_fc.bias": {4 * D}, "mlp.c_proj.weight": {4 * D, D}, "mlp.c_proj.bias": {D}} {
			sh[h+n] = s
		}
	}
	cfg := fmt.Sprintf(`{"architectures":["GPT2LMHeadModel"],"n_embd":%d,"n_layer":%d,"n_head":12,"vocab_size":%d,"n_positions":%d,"eos_token_id":50256}`, D, L, V, P)
	m, err := engine.New([]byte(cfg), randomWeights{shapes: sh, seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkGPT2Small reports tokens/s for batched prefill (8×128) and
// cached decode (batch 8 and 1, 48 new tokens after a 16-token prompt) on a
// GPT-2-small-shaped random model, with and without a map at every
// layernorm (ln_1, ln_2, ln_f). It is slow on the pure-Go backend: run it
// alone, e.g.
//
//	go test ./engine -run '^$' -bench GPT2Small -benchtime 1x
//
// `actsh bench` runs the same workloads against PyTorch on the same
// machine and reports the ratios.
func BenchmarkGPT2Small(b *testing.B) {
	ctx := context.Background()
	m := gpt2Small(b)
	r := rand.New(rand.NewPCG(1, 2))
	lns, err := m.MatchPoints(`.*ln_.*`)
	if err != nil {
		b.Fatal(err)
	}
	steer := &engine.Steering{Maps: map[string]*transport.Map{}, Strength: 0.5}
	for _, p := range lns {
		steer.Maps[p] = randomMap(r, m.PointWidth(p), true)
	}
	for _, st := range []struct {
		name string
		s    *engine.Steering
	}{{"plain", nil}, {"steered", steer}} {
		b.Run("prefill_8x128/"+st.name, func(b *testing.B) {
			batch := prompts(r, 50257, 128, 128, 128, 128, 128, 128, 128, 128)
			for b.Loop() {
				if _, err := m.Forward(ctx, batch, engine.ForwardOptions{Steering: st.s, NoLogits: true, Capture: []string{"transformer.ln_f"}, Pool: "last"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(8*128*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
		b.Run("decode_8x48/"+st.name, func(b *testing.B) {
			batch := prompts(r, 50257, 16, 16, 16, 16, 16, 16, 16, 16)
			for b.Loop() {
				if _, err := m.Generate(ctx, batch, engine.GenerateOptions{Steering: st.s, MaxNewTokens: 48, StopTokens: []int{}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(8*48*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
		b.Run("decode_1x48/"+st.name, func(b *testing.B) {
			batch := prompts(r, 50257, 16)
			for b.Loop() {
				if _, err := m.Generate(ctx, batch, engine.GenerateOptions{Steering: st.s, MaxNewTokens: 48, StopTokens: []int{}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(48*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
