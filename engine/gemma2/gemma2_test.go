package gemma2

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/internal/fixture"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
)

// tinyConfig is a valid one-layer Gemma-2 config for the table tests.
const tinyConfig = `{"architectures":["Gemma2ForCausalLM"],"hidden_size":8,"intermediate_size":12,"num_hidden_layers":2,
"num_attention_heads":2,"num_key_value_heads":1,"head_dim":4,"query_pre_attn_scalar":4,"vocab_size":10,
"attn_logit_softcapping":50.0,"final_logit_softcapping":30.0,"sliding_window":4,
"bos_token_id":2,"eos_token_id":[1,3],"pad_token_id":0}`

// with returns tinyConfig with the JSON fields of extra added in front;
// extra must name fields tinyConfig lacks (encoding/json keeps the last
// duplicate, which would be tinyConfig's).
func with(extra string) string {
	return strings.Replace(tinyConfig, `{`, `{`+extra+`,`, 1)
}

// replace returns tinyConfig with old replaced by new.
func replace(old, new string) string { return strings.Replace(tinyConfig, old, new, 1) }

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, config, err string
	}{
		{"valid", tinyConfig, ""},
		{"defaults", `{"hidden_size":8,"intermediate_size":4,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4}`, ""},
		{"sizes", replace(`"hidden_size":8`, `"hidden_size":0`), "hidden_size 0"},
		{"kv heads", replace(`"num_key_value_heads":1`, `"num_key_value_heads":3`), "num_attention_heads (2) must be a multiple of num_key_value_heads (3)"},
		{"odd head_dim", replace(`"head_dim":4`, `"head_dim":3`), "head_dim (3) must be positive and even"},
		{"query scalar", replace(`"query_pre_attn_scalar":4`, `"query_pre_attn_scalar":0`), "query_pre_attn_scalar (0) must be positive"},
		{"activation", with(`"hidden_activation":"relu"`), `hidden_activation "relu" is not supported`},
		{"hidden_act fallback", with(`"hidden_act":"silu"`), `hidden_activation "silu" is not supported`},
		{"gelu_new", with(`"hidden_activation":"gelu_new"`), ""},
		{"attn softcap", replace(`"attn_logit_softcapping":50.0`, `"attn_logit_softcapping":-1`), "attn_logit_softcapping (-1) must not be negative"},
		{"final softcap", replace(`"final_logit_softcapping":30.0`, `"final_logit_softcapping":-2`), "final_logit_softcapping (-2) must not be negative"},
		{"null softcaps", replace(`"attn_logit_softcapping":50.0,"final_logit_softcapping":30.0`, `"attn_logit_softcapping":null,"final_logit_softcapping":null`), ""},
		{"window", replace(`"sliding_window":4`, `"sliding_window":-4`), "sliding_window (-4) must not be negative"},
		{"layer_types length", with(`"layer_types":["full_attention"]`), "layer_types has 1 entries, want num_hidden_layers (2)"},
		{"layer_types value", with(`"layer_types":["full_attention","local"]`), `layer_types[1] is "local"`},
		{"eos", replace(`"eos_token_id":[1,3]`, `"eos_token_id":"x"`), `eos_token_id "x"`},
		{"eos range", replace(`"eos_token_id":[1,3]`, `"eos_token_id":[1,10]`), "special token id 10 is outside the vocabulary (vocab_size 10)"},
		{"json", `{"hidden_size":`, "gemma2: parse config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.config))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "gemma2: ") {
				t.Fatalf("error %v, want one starting gemma2: and containing %q", err, tc.err)
			}
		})
	}
}

func TestConfigDerived(t *testing.T) {
	tests := []struct {
		name, config  string
		windows       []int
		attn, final   float64
		scale         float64
		tied          bool
		eos, bos, pad int
	}{
		{"parity", tinyConfig, []int{4, 0}, 50, 30, 0.5, true, 1, 2, 0},
		{"layer_types", with(`"layer_types":["full_attention","sliding_attention"]`), []int{0, 4}, 50, 30, 0.5, true, 1, 2, 0},
		{"no window", replace(`"sliding_window":4`, `"sliding_window":null`), []int{0, 0}, 50, 30, 0.5, true, 1, 2, 0},
		{"no caps, untied", strings.NewReplacer(`"attn_logit_softcapping":50.0`, `"attn_logit_softcapping":null`,
			`"final_logit_softcapping":30.0`, `"final_logit_softcapping":0,"tie_word_embeddings":false`,
			`"query_pre_attn_scalar":4`, `"query_pre_attn_scalar":16`).Replace(tinyConfig),
			[]int{4, 0}, 0, 0, 0.25, false, 1, 2, 0},
		{"defaults", `{"hidden_size":8,"intermediate_size":4,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4}`,
			[]int{0}, 0, 0, 1.0 / 16, true, -1, -1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.windows {
				if got := c.Window(i); got != w {
					t.Errorf("Window(%d) = %d, want %d", i, got, w)
				}
			}
			if c.AttnSoftcap() != tc.attn || c.FinalSoftcap() != tc.final || c.QueryScale() != tc.scale || c.Tied() != tc.tied {
				t.Errorf("caps %g %g scale %g tied %v, want %g %g %g %v",
					c.AttnSoftcap(), c.FinalSoftcap(), c.QueryScale(), c.Tied(), tc.attn, tc.final, tc.scale, tc.tied)
			}
			m := &Model{cfg: c}
			info := m.Info()
			if info.EOS != tc.eos || info.BOS != tc.bos || info.Pad != tc.pad || info.Family != "gemma2" {
				t.Errorf("info %+v, want eos %d bos %d pad %d", info, tc.eos, tc.bos, tc.pad)
			}
		})
	}
}

// fakeWeights serves zero tensors of the given shapes.
type fakeWeights = enginetest.ZeroWeights

func tinyWeights(head bool) fakeWeights {
	w := fakeWeights{"model.embed_tokens.weight": {10, 8}, "model.norm.weight": {8}}
	if head {
		w["lm_head.weight"] = []int{10, 8}
	}
	for i := range 2 {
		l := fmt.Sprintf("model.layers.%d.", i)
		for n, s := range map[string][]int{
			"input_layernorm.weight": {8}, "post_attention_layernorm.weight": {8},
			"pre_feedforward_layernorm.weight": {8}, "post_feedforward_layernorm.weight": {8},
			"self_attn.q_proj.weight": {8, 8}, "self_attn.k_proj.weight": {4, 8}, "self_attn.v_proj.weight": {4, 8},
			"self_attn.o_proj.weight": {8, 8}, "mlp.gate_proj.weight": {12, 8}, "mlp.up_proj.weight": {12, 8},
			"mlp.down_proj.weight": {8, 12}} {
			w[l+n] = s
		}
	}
	return w
}

func TestNew(t *testing.T) {
	tests := []struct {
		name, config string
		w            fakeWeights
		err          string
		tied         bool
	}{
		{"tied", tinyConfig, tinyWeights(false), "", true},
		{"tied ignores lm_head", tinyConfig, tinyWeights(true), "", true},
		{"untied", with(`"tie_word_embeddings":false`), tinyWeights(true), "", false},
		{"untied without head", with(`"tie_word_embeddings":false`), tinyWeights(false), "weight lm_head.weight", false},
		{"missing norm", tinyConfig, func() fakeWeights {
			w := tinyWeights(false)
			delete(w, "model.layers.1.pre_feedforward_layernorm.weight")
			return w
		}(), "weight model.layers.1.pre_feedforward_layernorm.weight", false},
		{"misshapen", tinyConfig, func() fakeWeights {
			w := tinyWeights(false)
			w["model.layers.0.self_attn.k_proj.weight"] = []int{8, 8}
			return w
		}(), "k_proj.weight has shape [8 8], want [4 8]", false},
		{"bad config", replace(`"head_dim":4`, `"head_dim":5`), tinyWeights(false), "head_dim (5)", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New([]byte(tc.config), tc.w)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "gemma2: ") {
					t.Fatalf("error %v, want one starting gemma2: and containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.tied != tc.tied {
				t.Errorf("tied %v, want %v", m.tied, tc.tied)
			}
			_, hasHead := m.Params()["lm_head.weight"]
			if hasHead == tc.tied {
				t.Errorf("lm_head.weight loaded: %v with tied %v", hasHead, tc.tied)
			}
			pts := m.Points()
			if len(pts) != 2+2*15 || pts[0].Name != "model.embed_tokens" || pts[len(pts)-1].Name != "model.norm" {
				t.Errorf("points %v", pts)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(tinyConfig))
	f.Add([]byte(with(`"layer_types":["sliding_attention","full_attention"]`)))
	f.Add([]byte(`{"hidden_size":8,"num_attention_heads":0,"sliding_window":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if c.HeadDim <= 0 || c.HeadDim%2 != 0 || c.NumKeyValueHeads <= 0 || c.NumAttentionHeads%c.NumKeyValueHeads != 0 ||
			!(c.QueryPreAttnScalar > 0) || c.AttnSoftcap() < 0 || c.FinalSoftcap() < 0 {
			t.Errorf("accepted an invalid config: %+v", c)
		}
		for i := range c.NumHiddenLayers {
			if c.Window(i) < 0 {
				t.Errorf("Window(%d) = %d", i, c.Window(i))
			}
		}
	})
}

type reference struct {
	t     *testing.T
	m     *engine.Model
	e     *stFile
	seqs  [][]int
	steer *engine.Steering
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	dir := fixture.Reference(t, "gemma2")
	cfg, err := os.ReadFile(filepath.Join(dir, "checkpoint", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := readST(filepath.Join(dir, "checkpoint", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	arch, err := New(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.FromArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	e, err := readST(filepath.Join(dir, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	r := &reference{t: t, m: m, e: e}
	for k := 0; ; k++ {
		ids, _, err := e.Ints(fmt.Sprintf("input_ids.%d", k))
		if err != nil {
			break
		}
		r.seqs = append(r.seqs, ids)
	}
	w64, _ := r.floats("intervene.w")
	b64, _ := r.floats("intervene.b")
	s, _ := r.floats("intervene.s")
	r.steer = &engine.Steering{
		Maps:     map[string]*transport.Map{"model.layers.1.post_attention_layernorm": {W: w64, B: b64}},
		Strength: s[0],
	}
	return r
}

func (r *reference) floats(name string) ([]float32, []int) {
	v, s, err := r.e.Float32(name)
	if err != nil {
		r.t.Fatal(err)
	}
	return v, s
}

func (r *reference) ints(name string) []int {
	v, _, err := r.e.Ints(name)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

// maxDiff returns max |got − want| over rows [pos][unit] against row-major
// want, divided by max(1, |want|) when rel.
func maxDiff(got [][]float32, want []float32, rel bool) float64 {
	var md float64
	for p, row := range got {
		for j, x := range row {
			w := float64(want[p*len(row)+j])
			d := math.Abs(float64(x) - w)
			if rel {
				d /= math.Max(1, math.Abs(w))
			}
			if math.IsNaN(d) {
				return math.Inf(1)
			}
			md = math.Max(md, d)
		}
	}
	return md
}

// Tolerances (testdata/reference/README.md, "Suggested tolerances"): logits
// 5e-4 absolute, about 2e-5 relative to the largest logit (22.2), since the
// reference's own independent cross-check agrees to 7.4e-5; activations
// 1e-4·max(1, |ref|), float32 rounding through three layers.
const (
	logitsTol = 5e-4
	actTol    = 1e-4
)

// TestReference checks every stored activation, the logits with and
// without the intervention, and the greedy continuations of the three
// reference sequences (T = 5, 12, 20 against a window of 8).
func TestReference(t *testing.T) {
	r := loadReference(t)
	ctx := context.Background()
	for k, ids := range r.seqs {
		t.Run(fmt.Sprintf("seq%d", k), func(t *testing.T) {
			prefix := fmt.Sprintf("act.%d.", k)
			var points []string
			for _, n := range r.e.Names() {
				if strings.HasPrefix(n, prefix) {
					points = append(points, strings.TrimPrefix(n, prefix))
				}
			}
			if len(points) == 0 {
				t.Fatalf("no %s* activations in the reference", prefix)
			}
			out, err := r.m.Forward(ctx, [][]int{ids}, engine.ForwardOptions{Capture: points})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := r.floats(fmt.Sprintf("logits.%d", k))
			d := maxDiff(out.Logits[0], want, false)
			if d > logitsTol {
				t.Errorf("logits: max abs diff %.3g > %g", d, logitsTol)
			}
			var worst float64
			var worstAt string
			for _, p := range points {
				want, _ := r.floats(prefix + p)
				if a := maxDiff(out.Captured[p][0], want, true); a > worst {
					worst, worstAt = a, p
				}
			}
			if worst > actTol {
				t.Errorf("activation %s: max rel diff %.3g > %g", worstAt, worst, actTol)
			}
			t.Logf("T=%d: logits max abs diff %.3g; %d activations, max rel diff %.3g (%s)", len(ids), d, len(points), worst, worstAt)

			sout, err := r.m.Forward(ctx, [][]int{ids}, engine.ForwardOptions{Steering: r.steer})
			if err != nil {
				t.Fatal(err)
			}
			want, _ = r.floats(fmt.Sprintf("intervene.logits.%d", k))
			if d := maxDiff(sout.Logits[0], want, false); d > logitsTol {
				t.Errorf("steered logits: max abs diff %.3g > %g", d, logitsTol)
			} else {
				t.Logf("steered logits max abs diff %.3g", d)
			}

			for _, st := range []*engine.Steering{nil, r.steer} {
				name := "greedy"
				if st != nil {
					name = "intervene.greedy"
				}
				greedy := r.ints(fmt.Sprintf("%s.%d", name, k))
				got, err := r.m.Generate(ctx, [][]int{ids}, engine.GenerateOptions{MaxNewTokens: len(greedy), StopTokens: []int{}, Steering: st})
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got[0]) != fmt.Sprint(greedy) {
					t.Errorf("%s: got %v, want %v", name, got[0], greedy)
				}
			}
		})
	}
}

// TestPaddedBatches runs the reference's right- and left-padded batches and
// compares the real positions only (pad logits are implementation-defined).
func TestPaddedBatches(t *testing.T) {
	r := loadReference(t)
	V := r.m.Info().VocabSize
	for _, tc := range []struct {
		name string
		left bool
	}{{"batch_right", false}, {"batch_left", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ids, shape, err := r.e.Ints(tc.name + ".input_ids")
			if err != nil {
				t.Fatal(err)
			}
			mask := r.ints(tc.name + ".attention_mask")
			want, _ := r.floats(tc.name + ".logits")
			n, T := shape[0], shape[1]
			var batch [][]int
			var rows [][]float32
			for i := range n {
				var s []int
				var w []float32
				for j := range T {
					if mask[i*T+j] == 1 {
						s = append(s, ids[i*T+j])
						w = append(w, want[(i*T+j)*V:(i*T+j+1)*V]...)
					}
				}
				batch, rows = append(batch, s), append(rows, w)
			}
			out, err := r.m.Forward(context.Background(), batch, engine.ForwardOptions{LeftPad: tc.left})
			if err != nil {
				t.Fatal(err)
			}
			for i := range batch {
				if d := maxDiff(out.Logits[i], rows[i], false); d > logitsTol {
					t.Errorf("row %d (T=%d): max abs diff %.3g > %g", i, len(batch[i]), d, logitsTol)
				} else {
					t.Logf("row %d (T=%d): max abs diff %.3g", i, len(batch[i]), d)
				}
			}
		})
	}
}

// TestCachedGeneration decodes well past the sliding window (prompt 20 and
// 24 new tokens against a window of 8, so the cache grows past 32 slots)
// with the KV cache and by full recomputation, alone and in a left-padded
// batch, with and without the intervention: the tokens must be identical.
// Equality of greedy tokens is exact because every step's top-1/top-2 gap
// in these runs is far above the float32 rounding of the two paths.
func TestCachedGeneration(t *testing.T) {
	r := loadReference(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		steer *engine.Steering
	}{{"plain", nil}, {"steered", r.steer}} {
		t.Run(tc.name, func(t *testing.T) {
			opts := engine.GenerateOptions{MaxNewTokens: 24, StopTokens: []int{}, Steering: tc.steer}
			cached, err := r.m.Generate(ctx, r.seqs, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.NoCache = true
			full, err := r.m.Generate(ctx, r.seqs, opts)
			if err != nil {
				t.Fatal(err)
			}
			opts.NoCache = false
			for i, ids := range r.seqs {
				alone, err := r.m.Generate(ctx, [][]int{ids}, opts)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(cached[i]) != fmt.Sprint(full[i]) || fmt.Sprint(cached[i]) != fmt.Sprint(alone[0]) {
					t.Errorf("row %d (T=%d): cached batch %v, full recompute %v, cached alone %v", i, len(ids), cached[i], full[i], alone[0])
				}
			}
		})
	}
}

// TestFeaturesMatter rebuilds the reference model with one Gemma-2 feature
// switched off or moved and checks that the T = 20 logits then leave the
// reference by far more than logitsTol: each config knob reaches the graph,
// and TestReference would catch its loss. The README's sensitivity figures
// are 0.6 (attention softcap) to 17 (window parity); 0.05 is a safe floor.
func TestFeaturesMatter(t *testing.T) {
	dir := fixture.Reference(t, "gemma2")
	cfg, err := os.ReadFile(filepath.Join(dir, "checkpoint", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := readST(filepath.Join(dir, "checkpoint", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := readST(filepath.Join(dir, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	ids, _, err := e.Ints("input_ids.2")
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := e.Float32("logits.2")
	if err != nil {
		t.Fatal(err)
	}
	const floor = 0.05
	tests := []struct{ name, old, new string }{
		{"no window", `"sliding_window": 8`, `"sliding_window": null`},
		{"odd layers slide", `"sliding_window": 8`, `"sliding_window": 8, "layer_types": ["full_attention", "sliding_attention", "full_attention"]`},
		{"no attention softcap", `"attn_logit_softcapping": 50.0`, `"attn_logit_softcapping": null`},
		{"no final softcap", `"final_logit_softcapping": 30.0`, `"final_logit_softcapping": null`},
		{"query scale", `"query_pre_attn_scalar": 16`, `"query_pre_attn_scalar": 64`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(cfg), tc.old) {
				t.Fatalf("config.json has no %s", tc.old)
			}
			arch, err := New([]byte(strings.Replace(string(cfg), tc.old, tc.new, 1)), w)
			if err != nil {
				t.Fatal(err)
			}
			m, err := engine.FromArch(arch)
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Forward(context.Background(), [][]int{ids}, engine.ForwardOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d := maxDiff(out.Logits[0], want, false); d < floor {
				t.Errorf("logits moved by only %.3g (< %g): the feature does not reach the graph", d, floor)
			} else {
				t.Logf("logits moved by %.3g", d)
			}
		})
	}
}

// TestInputPointWidth checks that o_proj's :input point is
// num_attention_heads·head_dim wide when that is not hidden_size (as on
// gemma-2-2b: 8·256 = 2048 against 2304), in the point list, a capture and
// a steering map.
func TestInputPointWidth(t *testing.T) {
	config := strings.NewReplacer(`"num_attention_heads":2`, `"num_attention_heads":4`).Replace(tinyConfig)
	w := tinyWeights(false)
	for i := range 2 {
		l := fmt.Sprintf("model.layers.%d.", i)
		w[l+"self_attn.q_proj.weight"] = []int{16, 8}
		w[l+"self_attn.o_proj.weight"] = []int{8, 16}
	}
	a, err := New([]byte(config), w)
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.FromArch(a)
	if err != nil {
		t.Fatal(err)
	}
	const in = "model.layers.1.self_attn.o_proj:input"
	if got := m.PointWidth(in); got != 16 {
		t.Fatalf("PointWidth(%s) = %d, want 16", in, got)
	}
	if got := m.PointWidth("model.layers.1.self_attn.o_proj"); got != 8 {
		t.Errorf("o_proj output width %d, want 8", got)
	}
	ones := make([]float32, 16)
	for i := range ones {
		ones[i] = 1
	}
	st := &engine.Steering{Maps: map[string]*transport.Map{in: {W: ones, B: ones}}, Strength: 1}
	out, err := m.Forward(context.Background(), [][]int{{2, 5, 6}}, engine.ForwardOptions{Capture: []string{in}, Steering: st})
	if err != nil {
		t.Fatal(err)
	}
	rows := out.Captured[in][0]
	if len(rows) != 3 || len(rows[0]) != 16 {
		t.Fatalf("capture shape [%d][%d], want [3][16]", len(rows), len(rows[0]))
	}
	// Zero weights: the heads output 0, and the map adds 1.
	if rows[2][15] != 1 {
		t.Errorf("steered capture %v, want ones", rows[2])
	}
}
