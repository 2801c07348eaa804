package t5_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/engine/t5"
	"github.com/actsh/actsh/internal/fixture"
)

// fixtureSet is one fixture folder with a T5 encoder: meta.json (the
// checkpoint folder, tolerances, tensor descriptions),
// expected.safetensors and the checkpoint (see
// testdata/reference/encoders/README.md).
type fixtureSet struct {
	dir        string
	atol, rtol float64
	e          *enginetest.File
	m          *engine.Model
}

// t5Sets finds every fixture folder under testdata/reference/encoders
// whose meta.json names a checkpoint of this family, so that another set
// in the same format is checked without changing the test.
func t5Sets(t *testing.T) []*fixtureSet {
	t.Helper()
	metas, err := filepath.Glob(fixture.Reference(t, "encoders", "*", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*fixtureSet
	for _, meta := range metas {
		if s := readSet(t, filepath.Dir(meta)); s != nil {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no T5 encoder fixture under %s", fixture.Reference(t, "encoders"))
	}
	return out
}

// readSet reads one folder, or returns nil when its meta.json names no
// checkpoint ("checkpoint": "<dir>/config.json + …") of a T5 encoder.
func readSet(t *testing.T, dir string) *fixtureSet {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Checkpoint string `json:"checkpoint"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatalf("%s/meta.json: %v", dir, err)
	}
	if meta.Checkpoint == "" {
		return nil
	}
	cfgPath, _, _ := strings.Cut(meta.Checkpoint, " ")
	ckpt := filepath.Join(dir, filepath.Dir(cfgPath))
	cfg, err := os.ReadFile(filepath.Join(ckpt, "config.json"))
	if err != nil {
		return nil
	}
	var head struct {
		Architectures []string `json:"architectures"`
	}
	if json.Unmarshal(cfg, &head) != nil || len(head.Architectures) == 0 || head.Architectures[0] != t5.EncoderModel {
		return nil
	}
	e, atol, rtol := enginetest.Expected(t, dir)
	m, err := engine.Load(context.Background(), ckpt, engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &fixtureSet{dir: dir, atol: atol, rtol: rtol, e: e, m: m}
}

// outputName matches the expected outputs: case.output[.k].
var outputName = regexp.MustCompile(`^([^.]+)\.(last_hidden_state|hidden_states\.\d+)$`)

func (s *fixtureSet) has(name string) bool {
	_, ok := s.e.Info(name)
	return ok
}

func (s *fixtureSet) ints(t *testing.T, name string) [][]int {
	t.Helper()
	v, shape, err := s.e.Ints(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 2 {
		t.Fatalf("%s has shape %v, want 2 axes", name, shape)
	}
	rows := make([][]int, shape[0])
	for i := range rows {
		rows[i] = v[i*shape[1] : (i+1)*shape[1]]
	}
	return rows
}

// check compares got with the expected tensor name elementwise,
// |got − want| ≤ atol + rtol·|want| (meta.json's float32 tolerances,
// about 20× the float32-vs-float64 difference of the reference), and logs
// the largest difference.
func (s *fixtureSet) check(t *testing.T, name string, got []float32) {
	t.Helper()
	want, shape, err := s.e.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("%s: got %d values, want shape %v", name, len(got), shape)
		return
	}
	maxAbs, bad := 0.0, 0
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		maxAbs = math.Max(maxAbs, d)
		if d > s.atol+s.rtol*math.Abs(float64(want[i])) {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance (atol %g, rtol %g); max |Δ| %.3g", name, bad, len(want), s.atol, s.rtol, maxAbs)
		return
	}
	t.Logf("%s: max |Δ| %.3g over %v (atol %g)", name, maxAbs, shape, s.atol)
}

func flat3(x [][][]float32) []float32 {
	var out []float32
	for _, a := range x {
		for _, b := range a {
			out = append(out, b...)
		}
	}
	return out
}

// TestConformanceT5 runs every case of every T5 fixture through t5.Encode
// exactly as transformers received it and compares each output the
// fixture holds at every slot, padding included: last_hidden_state and
// every hidden_states.k. A case named c reads input_ids_c when the
// fixture has it (else input_ids) and attention_mask_c (else
// attention_mask for the case "mask"; the other cases pass no mask, as
// FluxPipeline does).
func TestConformanceT5(t *testing.T) {
	ctx := context.Background()
	for _, s := range t5Sets(t) {
		t.Run(filepath.Base(s.dir), func(t *testing.T) {
			cases := map[string][]string{} // case -> outputs
			for _, n := range s.e.Names() {
				if m := outputName.FindStringSubmatch(n); m != nil {
					cases[m[1]] = append(cases[m[1]], m[2])
				}
			}
			if len(cases) == 0 {
				t.Fatal("no case.last_hidden_state or case.hidden_states.k tensors")
			}
			L := s.m.Info().NumLayers
			for c, outputs := range cases {
				ids := "input_ids"
				if s.has("input_ids_" + c) {
					ids = "input_ids_" + c
				}
				var opts t5.EncodeOptions
				switch {
				case s.has("attention_mask_" + c):
					opts.Mask = s.ints(t, "attention_mask_"+c)
				case c == "mask":
					opts.Mask = s.ints(t, "attention_mask")
				}
				for _, o := range outputs {
					if k, ok := strings.CutPrefix(o, "hidden_states."); ok {
						i, _ := strconv.Atoi(k)
						opts.Capture = append(opts.Capture, t5.HiddenState(i, L))
					}
				}
				out, err := t5.Encode(ctx, s.m, s.ints(t, ids), opts)
				if err != nil {
					t.Fatal(err)
				}
				sort.Strings(outputs)
				for _, o := range outputs {
					name := c + "." + o
					if o == "last_hidden_state" {
						s.check(t, name, flat3(out.LastHiddenState))
						continue
					}
					k, _ := strconv.Atoi(strings.TrimPrefix(o, "hidden_states."))
					s.check(t, name, flat3(out.Captured[t5.HiddenState(k, L)]))
				}
			}
		})
	}
}

// TestConformanceT5Buckets compares t5.Bucket with the fixture's
// relative_position_bucket [T, S] (query i, key j), exactly: the bucket
// is an integer computed with torch's float32 logarithm and truncation.
func TestConformanceT5Buckets(t *testing.T) {
	n := 0
	for _, s := range t5Sets(t) {
		if !s.has("relative_position_bucket") {
			continue
		}
		n++
		t.Run(filepath.Base(s.dir), func(t *testing.T) {
			c := s.m.Arch().(*t5.Model).Config()
			for i, row := range s.ints(t, "relative_position_bucket") {
				for j, want := range row {
					if got := t5.Bucket(j-i, c.RelativeAttentionNumBuckets, c.RelativeAttentionMaxDistance); got != want {
						t.Errorf("bucket(query %d, key %d) = %d, want %d", i, j, got, want)
					}
				}
			}
		})
	}
	if n == 0 {
		t.Skip("no fixture with relative_position_bucket")
	}
}

// TestConformanceT5Forward checks the engine's own batching against the
// fixture's masked case: each row cut to its real tokens (the mask's
// ones), run alone and in batches padded right and left, must give the
// fixture's last hidden state at those tokens, and so the same values in
// all three runs (padding is masked and the relative position bias sees
// only differences of slots).
func TestConformanceT5Forward(t *testing.T) {
	ctx := context.Background()
	for _, s := range t5Sets(t) {
		t.Run(filepath.Base(s.dir), func(t *testing.T) {
			const name = "mask.last_hidden_state"
			if !s.has(name) || !s.has("attention_mask") {
				t.Skipf("no %s with attention_mask", name)
			}
			want, shape, err := s.e.Float32(name)
			if err != nil {
				t.Fatal(err)
			}
			D := shape[2]
			ids, mask := s.ints(t, "input_ids"), s.ints(t, "attention_mask")
			var seqs [][]int
			for i, row := range ids {
				var sq []int
				for p, id := range row {
					if mask[i][p] == 1 {
						sq = append(sq, id)
					}
				}
				seqs = append(seqs, sq)
			}
			last := t5.FinalLayerNorm
			for _, tc := range []struct {
				name  string
				batch bool
				left  bool
			}{{"alone", false, false}, {"right padding", true, false}, {"left padding", true, true}} {
				var got [][][]float32
				if tc.batch {
					out, err := s.m.Forward(ctx, seqs, engine.ForwardOptions{Capture: []string{last}, NoLogits: true, LeftPad: tc.left})
					if err != nil {
						t.Fatal(err)
					}
					got = out.Captured[last]
				} else {
					for _, sq := range seqs {
						out, err := s.m.Forward(ctx, [][]int{sq}, engine.ForwardOptions{Capture: []string{last}, NoLogits: true})
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, out.Captured[last][0])
					}
				}
				maxAbs := 0.0
				for i, sq := range seqs {
					for p := range sq {
						for d := range D {
							w := float64(want[(i*shape[1]+p)*D+d])
							g := float64(got[i][p][d])
							if diff := math.Abs(g - w); diff > s.atol+s.rtol*math.Abs(w) || math.IsNaN(diff) {
								t.Fatalf("%s: row %d slot %d unit %d: %g, want %g", tc.name, i, p, d, g, w)
							} else {
								maxAbs = math.Max(maxAbs, diff)
							}
						}
					}
				}
				t.Logf("%s: max |Δ| %.3g", tc.name, maxAbs)
			}
		})
	}
}
