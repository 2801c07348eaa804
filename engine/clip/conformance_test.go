package clip_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/clip"
	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/internal/fixture"
)

// fixtureSet is one fixture folder with CLIP text encoders: meta.json
// (checkpoints in order, tolerances, tensor descriptions),
// expected.safetensors, and a checkpoint folder per encoder (see
// testdata/reference/encoders/README.md).
type fixtureSet struct {
	dir        string
	atol, rtol float64
	e          *enginetest.File
	encoders   []encoder // meta.json's CLIP checkpoints, in its order
}

// encoder is one checkpoint of a set and the prefix of its tensors in
// expected.safetensors ("te1").
type encoder struct {
	name, prefix string
	m            *engine.Model
}

// clipSets finds every fixture folder under testdata/reference/encoders
// whose meta.json lists a checkpoint of this family, so that another set
// in the same format is checked without changing the test.
func clipSets(t *testing.T) []*fixtureSet {
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
		t.Fatalf("no CLIP text encoder fixture under %s", fixture.Reference(t, "encoders"))
	}
	return out
}

// readSet reads one folder, or returns nil when none of its checkpoints is
// a CLIP text encoder.
func readSet(t *testing.T, dir string) *fixtureSet {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Checkpoints json.RawMessage `json:"checkpoints"`
		Tensors     map[string]struct {
			Desc string `json:"desc"`
		} `json:"tensors"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatalf("%s/meta.json: %v", dir, err)
	}
	var names []string
	for _, n := range orderedKeys(t, meta.Checkpoints) {
		cfg, err := os.ReadFile(filepath.Join(dir, n, "config.json"))
		if err != nil {
			continue
		}
		var head struct {
			Architectures []string `json:"architectures"`
		}
		if json.Unmarshal(cfg, &head) == nil && len(head.Architectures) > 0 &&
			(head.Architectures[0] == clip.TextModel || head.Architectures[0] == clip.TextModelWithProjection) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	e, atol, rtol := enginetest.Expected(t, dir)
	s := &fixtureSet{dir: dir, atol: atol, rtol: rtol, e: e}

	// Tensors are named prefix.case.output; a prefix's checkpoint is the
	// one its descriptions start with ("text_encoder (CLIPTextModel) ..."),
	// else the checkpoint at the prefix's rank (te1: the first).
	prefixes := map[string]bool{}
	for _, n := range e.Names() {
		if m := outputName.FindStringSubmatch(n); m != nil {
			prefixes[m[1]] = true
		}
	}
	var ps []string
	for p := range prefixes {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	byName := map[string]string{}
	for i, p := range ps {
		for n, info := range meta.Tensors {
			if strings.HasPrefix(n, p+".") {
				if first, _, _ := strings.Cut(info.Desc, " "); slices.Contains(names, first) {
					byName[first] = p
				}
			}
		}
		if !slices.Contains(mapValues(byName), p) && i < len(names) {
			byName[names[i]] = p
		}
	}
	for _, n := range names {
		p, ok := byName[n]
		if !ok {
			t.Fatalf("%s: no expected tensors for checkpoint %s", dir, n)
		}
		m, err := engine.Load(context.Background(), filepath.Join(dir, n), engine.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.encoders = append(s.encoders, encoder{name: n, prefix: p, m: m})
	}
	return s
}

// outputName matches the expected outputs: prefix.case.output[.k].
var outputName = regexp.MustCompile(`^([^.]+)\.([^.]+)\.(last_hidden_state|penultimate_hidden_state|pooler_output|text_embeds|hidden_states\.\d+)$`)

// orderedKeys returns the keys of a JSON object in file order.
func orderedKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	if _, err := d.Token(); err != nil {
		t.Fatalf("meta.json checkpoints: %v", err)
	}
	var keys []string
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatalf("meta.json checkpoints: %v", err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatalf("meta.json checkpoints: %v", err)
		}
	}
	return keys
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func (s *fixtureSet) ints(t *testing.T, name string) [][]int {
	t.Helper()
	v, shape, err := s.e.Ints(name)
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

func (s *fixtureSet) has(name string) bool {
	_, ok := s.e.Info(name)
	return ok
}

// check compares got with the expected tensor name elementwise,
// |got − want| ≤ atol + rtol·|want| (meta.json's float32 tolerances), and
// logs the largest difference.
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

func flat2(x [][]float32) []float32 {
	var out []float32
	for _, a := range x {
		out = append(out, a...)
	}
	return out
}

// TestConformanceCLIPText runs every case of every CLIP fixture through
// clip.Encode exactly as transformers received it and compares each output
// the fixture holds at every slot, padding included: last_hidden_state,
// penultimate_hidden_state (hidden_states[-2]), every hidden_states.k,
// pooler_output and text_embeds. A case named c reads input_ids_c when
// the fixture has it (else input_ids) and attention_mask_c (else
// attention_mask for the case "mask"; the other cases pass no mask, as
// SDXL does).
func TestConformanceCLIPText(t *testing.T) {
	ctx := context.Background()
	for _, s := range clipSets(t) {
		for _, enc := range s.encoders {
			t.Run(filepath.Base(s.dir)+"/"+enc.name, func(t *testing.T) {
				cases := map[string][]string{} // case -> outputs
				for _, n := range s.e.Names() {
					if m := outputName.FindStringSubmatch(n); m != nil && m[1] == enc.prefix {
						cases[m[2]] = append(cases[m[2]], m[3])
					}
				}
				if len(cases) == 0 {
					t.Fatalf("no %s.* tensors", enc.prefix)
				}
				L := enc.m.Info().NumLayers
				for c, outputs := range cases {
					ids := "input_ids"
					if s.has("input_ids_" + c) {
						ids = "input_ids_" + c
					}
					var opts clip.EncodeOptions
					switch {
					case s.has("attention_mask_" + c):
						opts.Mask = s.ints(t, "attention_mask_"+c)
					case c == "mask":
						opts.Mask = s.ints(t, "attention_mask")
					}
					for _, o := range outputs {
						if k, ok := strings.CutPrefix(o, "hidden_states."); ok {
							i, _ := strconv.Atoi(k)
							opts.Capture = append(opts.Capture, clip.HiddenState(i, L))
						}
					}
					out, err := clip.Encode(ctx, enc.m, s.ints(t, ids), opts)
					if err != nil {
						t.Fatal(err)
					}
					sort.Strings(outputs)
					for _, o := range outputs {
						name := enc.prefix + "." + c + "." + o
						switch {
						case o == "last_hidden_state":
							s.check(t, name, flat3(out.LastHiddenState))
						case o == "penultimate_hidden_state":
							s.check(t, name, flat3(out.Penultimate))
						case o == "pooler_output":
							s.check(t, name, flat2(out.Pooled))
						case o == "text_embeds":
							if out.TextEmbeds == nil {
								t.Errorf("%s: the fixture has text_embeds, the model (%s) has no projection", name, enc.m.Info().Architecture)
								continue
							}
							s.check(t, name, flat2(out.TextEmbeds))
						default:
							k, _ := strconv.Atoi(strings.TrimPrefix(o, "hidden_states."))
							s.check(t, name, flat3(out.Captured[clip.HiddenState(k, L)]))
						}
					}
				}
			})
		}
	}
}

// TestConformanceCLIPTextSDXL builds SDXL's conditioning from a set's two
// encoders, as StableDiffusionXLPipeline.encode_prompt does, when the
// fixture holds it: prompt_embeds is the concatenation of both encoders'
// penultimate hidden states on their own ids (sdxl.input_ids_1 for the
// first checkpoint, _2 for the second), pooled_prompt_embeds the second's
// text_embeds; flux.pooled_projections is the first's pooled output on
// sdxl.input_ids_1, as FluxPipeline's CLIP embedding.
func TestConformanceCLIPTextSDXL(t *testing.T) {
	ctx := context.Background()
	n := 0
	for _, s := range clipSets(t) {
		if !s.has("sdxl.prompt_embeds") || len(s.encoders) != 2 {
			continue
		}
		n++
		t.Run(filepath.Base(s.dir), func(t *testing.T) {
			var outs [2]*clip.Output
			for i, enc := range s.encoders {
				o, err := clip.Encode(ctx, enc.m, s.ints(t, fmt.Sprintf("sdxl.input_ids_%d", i+1)), clip.EncodeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				outs[i] = o
			}
			var cat []float32
			for i := range outs[0].Penultimate {
				for t := range outs[0].Penultimate[i] {
					cat = append(append(cat, outs[0].Penultimate[i][t]...), outs[1].Penultimate[i][t]...)
				}
			}
			s.check(t, "sdxl.prompt_embeds", cat)
			if s.has("sdxl.pooled_prompt_embeds") {
				s.check(t, "sdxl.pooled_prompt_embeds", flat2(outs[1].TextEmbeds))
			}
			if s.has("flux.pooled_projections") {
				s.check(t, "flux.pooled_projections", flat2(outs[0].Pooled))
			}
		})
	}
	if n == 0 {
		t.Skip("no fixture with sdxl.prompt_embeds and two encoders")
	}
}

// TestConformanceCLIPTextForward checks the engine's own batching against
// the fixture: each row of every unmasked case, cut after its first
// end-of-text token (the tokens the causal model reads before pooling),
// run alone and in batches padded right and left, must give the fixture's
// last hidden state at those tokens, and the same values in all three
// runs.
func TestConformanceCLIPTextForward(t *testing.T) {
	ctx := context.Background()
	for _, s := range clipSets(t) {
		for _, enc := range s.encoders {
			t.Run(filepath.Base(s.dir)+"/"+enc.name, func(t *testing.T) {
				name := enc.prefix + ".nomask.last_hidden_state"
				if !s.has(name) {
					t.Skipf("no %s", name)
				}
				want, shape, err := s.e.Float32(name)
				if err != nil {
					t.Fatal(err)
				}
				D := shape[2]
				cfg := enc.m.Arch().(*clip.Model).Config()
				ids := s.ints(t, "input_ids")
				var seqs [][]int
				for _, row := range ids {
					seqs = append(seqs, row[:cfg.PoolIndex(row)+1])
				}
				last := clip.FinalLayerNorm
				for _, tc := range []struct {
					name  string
					batch bool
					left  bool
				}{{"alone", false, false}, {"right padding", true, false}, {"left padding", true, true}} {
					var got [][][]float32
					if tc.batch {
						out, err := enc.m.Forward(ctx, seqs, engine.ForwardOptions{Capture: []string{last}, NoLogits: true, LeftPad: tc.left})
						if err != nil {
							t.Fatal(err)
						}
						got = out.Captured[last]
					} else {
						for _, sq := range seqs {
							out, err := enc.m.Forward(ctx, [][]int{sq}, engine.ForwardOptions{Capture: []string{last}, NoLogits: true})
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
}
