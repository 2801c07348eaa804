package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/actsh/actsh/internal/fixture"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	_ "github.com/actsh/actsh/engine/families"
)

// family is one row of the conformance table: a reference folder under
// testdata/reference and what the reference covers.
type family struct {
	name string
	// checkpoints are the folders (under the reference folder) holding
	// the same weights; every one must give the expected outputs.
	checkpoints []string
	// logitsTol is the max abs logit difference allowed (README "Suggested
	// tolerances": about 1e-4 relative to the largest logit).
	logitsTol float64
	// leftPad is true when the reference has a left-padded batch.
	leftPad bool
}

// families lists every family under test. Adding a family is one row.
var families = []family{
	{name: "gpt2", checkpoints: []string{"checkpoint", "checkpoint_hub_layout"}, logitsTol: 2e-4},
	{name: "llama", checkpoints: []string{"checkpoint"}, logitsTol: 2e-4, leftPad: true},
	{name: "gemma2", checkpoints: []string{"checkpoint"}, logitsTol: 5e-4, leftPad: true},
	// mistral: sliding_window 4 on sequences of 5, 12 and 20 tokens, greedy
	// runs whose cache crosses the window (the window rules one key apart
	// differ by ≥ 3.9 in the logits, meta.json "sensitivity").
	{name: "mistral", checkpoints: []string{"checkpoint"}, logitsTol: 2e-4, leftPad: true},
}

// actTol is the activation tolerance: 1e-4·max(1, |ref|) (README).
const actTol = 1e-4

func refDir(t testing.TB, fam string) string {
	return fixture.Reference(t, fam)
}

func loadCheckpoint(t testing.TB, dir string) *engine.Model {
	t.Helper()
	m, err := engine.Load(context.Background(), dir, engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type expected struct {
	*stFile
	t testing.TB
}

func loadExpected(t testing.TB, fam string) expected {
	f, err := readST(filepath.Join(refDir(t, fam), "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return expected{f, t}
}

func (e expected) ints(name string) []int {
	v, _, err := e.Ints(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e expected) floats(name string) ([]float32, []int) {
	v, s, err := e.Float32(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return v, s
}

func (e expected) has(name string) bool { _, ok := e.Info(name); return ok }

// maxDiff compares got rows [pos][unit] with want (row-major, rows of
// len(got[0])) and returns the largest |got−want|/scale(want).
func maxDiff(got [][]float32, want []float32, rel bool) float64 {
	var md float64
	for p, row := range got {
		for j, x := range row {
			w := float64(want[p*len(row)+j])
			d := math.Abs(float64(x) - w)
			if rel {
				d /= math.Max(1, math.Abs(w))
			}
			if math.IsNaN(float64(x)) {
				d = math.Inf(1)
			}
			md = math.Max(md, d)
		}
	}
	return md
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type meta struct {
	Intervention struct {
		Module string `json:"module"`
	} `json:"intervention"`
}

func loadMeta(t testing.TB, fam string) meta {
	b, err := os.ReadFile(filepath.Join(refDir(t, fam), "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// referenceSteering is the fixture's intervention: z ← (1−s)·z + s·(w⊙z + b)
// at every position of one module, unbounded.
func referenceSteering(t testing.TB, fam string, e expected) *engine.Steering {
	w, _ := e.floats("intervene.w")
	b, _ := e.floats("intervene.b")
	s, _ := e.floats("intervene.s")
	return &engine.Steering{
		Maps:     map[string]*transport.Map{loadMeta(t, fam).Intervention.Module: {W: w, B: b}},
		Strength: s[0],
	}
}

// TestConformance runs every family through the same checks against the
// reference outputs.
func TestConformance(t *testing.T) {
	ctx := context.Background()
	for _, fam := range families {
		e := loadExpected(t, fam.name)
		steer := referenceSteering(t, fam.name, e)
		for _, ck := range fam.checkpoints {
			t.Run(fam.name+"/"+ck, func(t *testing.T) {
				m := loadCheckpoint(t, filepath.Join(refDir(t, fam.name), ck))
				var seqs [][]int
				for k := 0; e.has(fmt.Sprintf("input_ids.%d", k)); k++ {
					seqs = append(seqs, e.ints(fmt.Sprintf("input_ids.%d", k)))
				}
				V := m.Info().VocabSize
				for k, ids := range seqs {
					t.Run(fmt.Sprintf("seq%d", k), func(t *testing.T) {
						checkSequence(ctx, t, m, e, fam, k, ids, steer, V)
					})
				}
				t.Run("batch_right", func(t *testing.T) { checkBatch(ctx, t, m, e, fam, "batch_right", false) })
				if fam.leftPad {
					t.Run("batch_left", func(t *testing.T) { checkBatch(ctx, t, m, e, fam, "batch_left", true) })
				}
				if e.has("rope.inv_freq") {
					t.Run("rope", func(t *testing.T) {
						a, ok := m.Arch().(interface{ InvFreq() []float32 })
						if !ok {
							t.Fatalf("%s has rope.inv_freq but no InvFreq accessor", fam.name)
						}
						want, _ := e.floats("rope.inv_freq")
						// Tolerance 1e-6 relative: θ^(−2i/d) computed in float64 vs
						// torch's float32 pow differ by an ulp or two.
						for i, f := range a.InvFreq() {
							if d := math.Abs(float64(f-want[i])) / float64(want[i]); d > 1e-6 {
								t.Errorf("inv_freq[%d] = %g, want %g", i, f, want[i])
							}
						}
					})
				}
			})
		}
	}
}

func checkSequence(ctx context.Context, t *testing.T, m *engine.Model, e expected, fam family, k int, ids []int, steer *engine.Steering, V int) {
	prefix := fmt.Sprintf("act.%d.", k)
	var points []string
	for _, n := range e.Names() {
		if strings.HasPrefix(n, prefix) {
			points = append(points, strings.TrimPrefix(n, prefix))
		}
	}
	out, err := m.Forward(ctx, [][]int{ids}, engine.ForwardOptions{Capture: points})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := e.floats(fmt.Sprintf("logits.%d", k))
	if d := maxDiff(out.Logits[0], want, false); d > fam.logitsTol {
		t.Errorf("logits: max abs diff %.3g > %.3g", d, fam.logitsTol)
	} else {
		t.Logf("logits: max abs diff %.3g", d)
	}
	for _, p := range points {
		want, _ := e.floats(prefix + p)
		if d := maxDiff(out.Captured[p][0], want, true); d > actTol {
			t.Errorf("activation %s: max rel diff %.3g > %g", p, d, actTol)
		}
	}
	greedy := e.ints(fmt.Sprintf("greedy.%d", k))
	opts := engine.GenerateOptions{MaxNewTokens: len(greedy), StopTokens: []int{}}
	got, err := m.Generate(ctx, [][]int{ids}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(got[0], greedy) {
		t.Errorf("greedy: got %v, want %v", got[0], greedy)
	}

	sout, err := m.Forward(ctx, [][]int{ids}, engine.ForwardOptions{Steering: steer})
	if err != nil {
		t.Fatal(err)
	}
	want, _ = e.floats(fmt.Sprintf("intervene.logits.%d", k))
	if d := maxDiff(sout.Logits[0], want, false); d > fam.logitsTol {
		t.Errorf("steered logits: max abs diff %.3g > %.3g", d, fam.logitsTol)
	}
	sgreedy := e.ints(fmt.Sprintf("intervene.greedy.%d", k))
	opts.Steering = steer
	got, err = m.Generate(ctx, [][]int{ids}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(got[0], sgreedy) {
		t.Errorf("steered greedy: got %v, want %v", got[0], sgreedy)
	}
}

func checkBatch(ctx context.Context, t *testing.T, m *engine.Model, e expected, fam family, name string, left bool) {
	ids, shape, err := e.Ints(name + ".input_ids")
	if err != nil {
		t.Fatal(err)
	}
	mask := e.ints(name + ".attention_mask")
	want, _ := e.floats(name + ".logits")
	n, T := shape[0], shape[1]
	V := m.Info().VocabSize
	var batch [][]int
	var rows [][]float32 // expected real-position rows per sequence, flattened
	for i := range n {
		var s []int
		var w []float32
		for j := range T {
			if mask[i*T+j] == 1 {
				s = append(s, ids[i*T+j])
				w = append(w, want[(i*T+j)*V:(i*T+j+1)*V]...)
			}
		}
		batch = append(batch, s)
		rows = append(rows, w)
	}
	out, err := m.Forward(ctx, batch, engine.ForwardOptions{LeftPad: left})
	if err != nil {
		t.Fatal(err)
	}
	for i := range batch {
		if d := maxDiff(out.Logits[i], rows[i], false); d > fam.logitsTol {
			t.Errorf("row %d: max abs diff %.3g > %.3g", i, d, fam.logitsTol)
		}
	}
}
