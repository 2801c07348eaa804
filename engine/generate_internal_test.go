package engine

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLogitsProcessors checks the sampler against hand-computed cases of
// Hugging Face's processors (repetition penalty, temperature, top-k, top-p).
func TestLogitsProcessors(t *testing.T) {
	logp := func(p ...float64) []float32 {
		out := make([]float32, len(p))
		for i, v := range p {
			out[i] = float32(math.Log(v))
		}
		return out
	}
	tests := []struct {
		name    string
		opts    GenerateOptions
		logits  []float32
		seen    []int
		allowed []int // tokens that may be drawn
		want    map[int]float64
	}{
		{"greedy", GenerateOptions{}, []float32{1, 3, 3, 0}, nil, []int{1}, map[int]float64{1: 1}},
		// 2/2 = 1 and −2·2 = −4: token 2 (logit 1.5) wins.
		{"repetition penalty", GenerateOptions{RepetitionPenalty: 2}, []float32{2, -2, 1.5}, []int{0, 1, 0}, []int{2}, map[int]float64{2: 1}},
		{"top-k", GenerateOptions{Temperature: 1, TopK: 2}, logp(0.1, 0.6, 0.3, 0.0001), nil, []int{1, 2}, map[int]float64{1: 2.0 / 3, 2: 1.0 / 3}},
		// ascending cumulative: 0.05, 0.2, 0.5, 1; removed where ≤ 1−0.7.
		{"top-p", GenerateOptions{Temperature: 1, TopP: 0.7}, logp(0.5, 0.3, 0.15, 0.05), nil, []int{0, 1}, map[int]float64{0: 0.625, 1: 0.375}},
		// at exactly 0.5 the third smallest is removed too: only the top token is left.
		{"top-p boundary", GenerateOptions{Temperature: 1, TopP: 0.5}, logp(0.5, 0.3, 0.15, 0.05), nil, []int{0}, map[int]float64{0: 1}},
		// temperature 2 on log-probs (0.8, 0.2) gives √0.8 : √0.2 = 2:1.
		{"temperature", GenerateOptions{Temperature: 2}, logp(0.8, 0.2), nil, []int{0, 1}, map[int]float64{0: 2.0 / 3, 1: 1.0 / 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := &generation{opts: tc.opts, rng: rand.New(rand.NewPCG(1, 1))}
			const n = 20000
			count := map[int]int{}
			for range n {
				count[g.pick(tc.logits, tc.seen)]++
			}
			for tok := range count {
				ok := false
				for _, a := range tc.allowed {
					ok = ok || a == tok
				}
				if !ok {
					t.Errorf("drew token %d, allowed %v", tok, tc.allowed)
				}
			}
			// Tolerance 0.02: 4.5 standard errors of a frequency over 20000 draws.
			for tok, p := range tc.want {
				if f := float64(count[tok]) / n; math.Abs(f-p) > 0.02 {
					t.Errorf("token %d drawn with frequency %.3f, want %.3f", tok, f, p)
				}
			}
		})
	}
}

func TestBuckets(t *testing.T) {
	tests := []struct{ n, seq, batch int }{{1, 8, 1}, {8, 8, 8}, {9, 16, 16}, {33, 64, 64}, {65, 128, 128}, {129, 192, 256}}
	for _, tc := range tests {
		if got := bucket(tc.n); got != tc.seq {
			t.Errorf("bucket(%d) = %d, want %d", tc.n, got, tc.seq)
		}
		if got := batchBucket(tc.n); got != tc.batch {
			t.Errorf("batchBucket(%d) = %d, want %d", tc.n, got, tc.batch)
		}
	}
}
