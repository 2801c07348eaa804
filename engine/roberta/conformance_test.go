package roberta_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/engine/roberta"
	"github.com/actsh/actsh/internal/fixture"
)

// maxLogitTol caps the logit tolerance: the task asks for 1e-4, or the
// fixture's own tolerance where that is stricter.
const maxLogitTol = 1e-4

// rcase is one fixture folder: a checkpoint, meta.json and
// expected.safetensors with input_ids, attention_mask, logits, probs,
// hidden_states.{k} and last_hidden_state (see
// testdata/reference/encoders/README.md).
type rcase struct {
	dir        string
	atol, rtol float64
	ids, mask  [][]int
	e          *enginetest.File
}

// robertaCases finds every fixture under testdata/reference/encoders whose
// checkpoint is a RobertaForSequenceClassification, so that another set in
// the same format is checked without changing the test.
func robertaCases(t *testing.T) []rcase {
	t.Helper()
	cfgs, err := filepath.Glob(fixture.Reference(t, "encoders", "*", "checkpoint", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []rcase
	for _, cfg := range cfgs {
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Architectures []string `json:"architectures"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			t.Fatalf("%s: %v", cfg, err)
		}
		if len(head.Architectures) == 0 || head.Architectures[0] != roberta.Architecture {
			continue
		}
		dir := filepath.Dir(filepath.Dir(cfg))
		out = append(out, readCase(t, dir))
	}
	if len(out) == 0 {
		t.Fatalf("no %s fixture under %s", roberta.Architecture, fixture.Reference(t, "encoders"))
	}
	return out
}

func readCase(t *testing.T, dir string) rcase {
	t.Helper()
	e, atol, rtol := enginetest.Expected(t, dir)
	c := rcase{dir: dir, atol: atol, rtol: rtol, e: e}
	c.ids = c.intRows(t, "input_ids")
	c.mask = c.intRows(t, "attention_mask")
	return c
}

func (c rcase) intRows(t *testing.T, name string) [][]int {
	t.Helper()
	v, shape, err := c.e.Ints(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 2 {
		t.Fatalf("%s has shape %v, want [batch, len]", name, shape)
	}
	rows := make([][]int, shape[0])
	for i := range rows {
		rows[i] = v[i*shape[1] : (i+1)*shape[1]]
	}
	return rows
}

// floats returns a float32 tensor flattened to rows of its last axis.
func (c rcase) floats(t *testing.T, name string) ([]float32, []int) {
	t.Helper()
	v, shape, err := c.e.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return v, shape
}

// tol is the fixture's allclose bound for an expected value, capped at
// maxLogitTol: |got − want| ≤ min(atol + rtol·|want|, 1e-4).
func (c rcase) tol(want float64) float64 {
	return math.Min(c.atol+c.rtol*math.Abs(want), maxLogitTol)
}

// compare checks got against want element by element and returns the
// largest |got − want| and the number of elements out of tolerance.
func (c rcase) compare(got, want []float32) (maxAbs float64, bad int) {
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		maxAbs = math.Max(maxAbs, d)
		if d > c.tol(float64(want[i])) {
			bad++
		}
	}
	return maxAbs, bad
}

// hiddenPoints maps expected.safetensors' hidden_states.{k} to the points
// that produce them: transformers' hidden_states[0] is the embeddings'
// output, hidden_states[k] the output of layer k−1.
func hiddenPoints(c rcase) map[string]string {
	out := map[string]string{}
	for _, n := range c.e.Names() {
		if k, ok := strings.CutPrefix(n, "hidden_states."); ok {
			i, err := strconv.Atoi(k)
			if err != nil {
				continue
			}
			if i == 0 {
				out[n] = "roberta.embeddings"
			} else {
				out[n] = fmt.Sprintf("roberta.encoder.layer.%d.output", i-1)
			}
		}
	}
	return out
}

// TestConformanceRoberta runs each RoBERTa classifier fixture's padded
// batch exactly as transformers received it (ids and attention mask, with
// its left- and right-padded rows) and compares the logits, the
// probabilities and every hidden state at the real tokens. The head reads
// slot 0, as transformers does: for a left-padded row that is a pad, and
// the fixture's logits are the pad's.
func TestConformanceRoberta(t *testing.T) {
	ctx := context.Background()
	for _, c := range robertaCases(t) {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			m, err := engine.Load(ctx, filepath.Join(c.dir, "checkpoint"), engine.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			points := hiddenPoints(c)
			if _, ok := c.e.Info("last_hidden_state"); ok {
				points["last_hidden_state"] = fmt.Sprintf("roberta.encoder.layer.%d.output", m.Info().NumLayers-1)
			}
			var capture []string
			for _, p := range points {
				capture = append(capture, p)
			}
			out, err := m.ForwardPadded(ctx, c.ids, c.mask, engine.ForwardOptions{Capture: capture})
			if err != nil {
				t.Fatal(err)
			}
			want, shape := c.floats(t, "logits")
			L := shape[1]
			got := make([]float32, 0, len(want))
			for i := range c.ids {
				got = append(got, out.Logits[i][0]...)
			}
			if len(got) != len(want) || L != len(m.Info().Labels) {
				t.Fatalf("logits: got %d values (%d labels), want shape %v", len(got), len(m.Info().Labels), shape)
			}
			d, bad := c.compare(got, want)
			if bad > 0 {
				t.Errorf("logits: %d of %d out of tolerance (atol %g, rtol %g, cap %g); max |Δ| %.3g", bad, len(want), c.atol, c.rtol, maxLogitTol, d)
			}
			t.Logf("logits: max |Δ| %.3g over %d rows", d, len(c.ids))

			wantP, _ := c.floats(t, "probs")
			var gotP []float32
			for i := range c.ids {
				gotP = append(gotP, softmax(out.Logits[i][0])...)
			}
			if d, bad := c.compare(gotP, wantP); bad > 0 {
				t.Errorf("probs: %d out of tolerance; max |Δ| %.3g", bad, d)
			}

			names := make([]string, 0, len(points))
			for n := range points {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, name := range names {
				want, shape := c.floats(t, name)
				D := shape[len(shape)-1]
				var g, w []float32
				for i, row := range c.mask {
					for s, v := range row {
						if v == 1 {
							g = append(g, out.Captured[points[name]][i][s]...)
							off := (i*len(row) + s) * D
							w = append(w, want[off:off+D]...)
						}
					}
				}
				if d, bad := c.compare(g, w); bad > 0 {
					t.Errorf("%s (%s): %d of %d out of tolerance at real tokens; max |Δ| %.3g", name, points[name], bad, len(w), d)
				} else {
					t.Logf("%s (%s): max |Δ| %.3g", name, points[name], d)
				}
			}
		})
	}
}

// TestConformanceRobertaUnpadded gives the engine each fixture row's real
// tokens alone, then batched with right and then left padding: every row's
// hidden states must match the fixture at its real tokens, and its logits
// (read at its first real token, <s>) must be the same in the three runs
// and equal the fixture's where the fixture row starts with a real token.
func TestConformanceRobertaUnpadded(t *testing.T) {
	ctx := context.Background()
	for _, c := range robertaCases(t) {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			m, err := engine.Load(ctx, filepath.Join(c.dir, "checkpoint"), engine.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			last := fmt.Sprintf("roberta.encoder.layer.%d.output", m.Info().NumLayers-1)
			wantH, shape := c.floats(t, "last_hidden_state")
			D := shape[len(shape)-1]
			wantL, _ := c.floats(t, "logits")
			nl := len(m.Info().Labels)
			var seqs [][]int
			for i, row := range c.ids {
				var s []int
				for j, v := range c.mask[i] {
					if v == 1 {
						s = append(s, row[j])
					}
				}
				seqs = append(seqs, s)
			}
			alone := make([][]float32, len(seqs))
			for i, s := range seqs {
				out, err := m.Forward(ctx, [][]int{s}, engine.ForwardOptions{})
				if err != nil {
					t.Fatal(err)
				}
				alone[i] = out.Logits[0][0]
				if c.mask[i][0] == 1 {
					if d, bad := c.compare(alone[i], wantL[i*nl:(i+1)*nl]); bad > 0 {
						t.Errorf("row %d alone: logits max |Δ| %.3g out of tolerance", i, d)
					}
				}
			}
			for _, left := range []bool{false, true} {
				out, err := m.Forward(ctx, seqs, engine.ForwardOptions{LeftPad: left, Capture: []string{last}})
				if err != nil {
					t.Fatal(err)
				}
				for i := range seqs {
					if d, bad := c.compare(out.Logits[i][0], alone[i]); bad > 0 {
						t.Errorf("row %d (left padding %v): logits differ from the row alone by %.3g", i, left, d)
					}
					var w []float32
					for s, v := range c.mask[i] {
						if v == 1 {
							off := (i*len(c.mask[i]) + s) * D
							w = append(w, wantH[off:off+D]...)
						}
					}
					var g []float32
					for _, r := range out.Captured[last][i] {
						g = append(g, r...)
					}
					if d, bad := c.compare(g, w); bad > 0 {
						t.Errorf("row %d (left padding %v): last hidden state max |Δ| %.3g out of tolerance", i, left, d)
					}
				}
			}
		})
	}
}

func softmax(x []float32) []float32 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(math.Exp(float64(v)-m) / s)
	}
	return out
}
