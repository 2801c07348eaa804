package engine_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
)

// logSoftmaxAt is log softmax(row)[id] in float64, on the host.
func logSoftmaxAt(row []float32, id int) float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - mx)
	}
	return float64(row[id]) - mx - math.Log(s)
}

// ScoreTokens equals the log-softmax of Forward's logits at the targets,
// plain and steered (every token, and the last one only), for ragged
// batches; skipped targets are 0. Tolerance 2e-5·max(1,|v|): float32
// log-sum-exp on the device against float64 on the host.
func TestScoreTokens(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	for name, m := range models(t) {
		t.Run(name, func(t *testing.T) {
			V := m.Info().VocabSize
			in := prompts(r, V, 9, 4, 13)
			tg := make([][]int, len(in))
			for i, s := range in {
				tg[i] = make([]int, len(s))
				for j := range s {
					tg[i][j] = r.IntN(V)
				}
				tg[i][1] = -1
			}
			pt := midPoint[name]
			for _, st := range []*engine.Steering{nil,
				{Maps: map[string]*transport.Map{pt: randomMap(r, m.PointWidth(pt), false)}, Strength: 0.6},
				{Maps: map[string]*transport.Map{pt: randomMap(r, m.PointWidth(pt), false)}, Strength: 0.6, LastOnly: true},
			} {
				got, err := m.ScoreTokens(ctx, in, tg, engine.ForwardOptions{Steering: st})
				if err != nil {
					t.Fatal(err)
				}
				ref, err := m.Forward(ctx, in, engine.ForwardOptions{Steering: st})
				if err != nil {
					t.Fatal(err)
				}
				var worst float64
				for i := range in {
					for j, id := range tg[i] {
						want := 0.0
						if id >= 0 {
							want = logSoftmaxAt(ref.Logits[i][j], id)
						}
						d := math.Abs(float64(got[i][j]) - want)
						worst = max(worst, d)
						if d > 2e-5*math.Max(1, math.Abs(want)) {
							t.Errorf("steered=%v seq %d pos %d: %g, want %g", st != nil, i, j, got[i][j], want)
						}
					}
				}
				t.Logf("steered=%v lastOnly=%v: max |Δ| %.2g", st != nil, st != nil && st.LastOnly, worst)
			}
			for _, bad := range []struct {
				in, tg [][]int
				want   string
			}{
				{[][]int{{1, 2}}, [][]int{{1}}, "targets"},
				{[][]int{{1, 2}}, [][]int{{1, V}}, "outside the vocabulary"},
				{[][]int{{}}, [][]int{{}}, "empty"},
			} {
				if _, err := m.ScoreTokens(ctx, bad.in, bad.tg, engine.ForwardOptions{}); err == nil || !strings.Contains(err.Error(), bad.want) {
					t.Errorf("ScoreTokens(%v, %v): %v, want an error saying %q", bad.in, bad.tg, err, bad.want)
				}
			}
		})
	}
}

// LastLogits returns each sequence's last row of Forward's logits, left
// or right padded, with captures unchanged.
func TestForwardLastLogits(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 10))
	for name, m := range models(t) {
		t.Run(name, func(t *testing.T) {
			in := prompts(r, m.Info().VocabSize, 5, 11, 2)
			pt := midPoint[name]
			for _, left := range []bool{false, true} {
				full, err := m.Forward(ctx, in, engine.ForwardOptions{Capture: []string{pt}, LeftPad: left})
				if err != nil {
					t.Fatal(err)
				}
				last, err := m.Forward(ctx, in, engine.ForwardOptions{LastLogits: true, LeftPad: left, Capture: []string{pt}})
				if err != nil {
					t.Fatal(err)
				}
				for i, s := range in {
					if len(last.Logits[i]) != 1 {
						t.Fatalf("seq %d: %d rows, want 1", i, len(last.Logits[i]))
					}
					if d := maxDiff(last.Logits[i], full.Logits[i][len(s)-1], false); d > 1e-5 {
						t.Errorf("left=%v seq %d: last row differs by %g", left, i, d)
					}
					if d := maxDiff(last.Captured[pt][i], flat(full.Captured[pt][i]), false); d > 1e-5 {
						t.Errorf("left=%v seq %d: capture differs by %g", left, i, d)
					}
				}
			}
		})
	}
}
