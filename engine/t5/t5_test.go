package t5_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/engine/t5"
	"github.com/actsh/actsh/internal/fixture"
)

const tinyConfig = `{"architectures":["T5EncoderModel"],"vocab_size":10,"d_model":8,"d_kv":3,"d_ff":12,
"num_layers":2,"num_heads":2,"relative_attention_num_buckets":8,"relative_attention_max_distance":16,
"feed_forward_proj":"gated-gelu","layer_norm_epsilon":1e-6,"eos_token_id":1,"pad_token_id":0}`

// tinyWeights are the tensors of tinyConfig: inner dim 2·3 = 6 differs
// from d_model 8, as in T5-XXL (64·64 over 4096).
func tinyWeights() enginetest.ZeroWeights {
	w := enginetest.ZeroWeights{
		"shared.weight": {10, 8},
		"encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight": {8, 2},
		"encoder.final_layer_norm.weight":                                      {8},
	}
	for i := range 2 {
		b := fmt.Sprintf("encoder.block.%d.layer.", i)
		for n, s := range map[string][]int{
			"0.layer_norm.weight": {8}, "0.SelfAttention.q.weight": {6, 8}, "0.SelfAttention.k.weight": {6, 8},
			"0.SelfAttention.v.weight": {6, 8}, "0.SelfAttention.o.weight": {8, 6}, "1.layer_norm.weight": {8},
			"1.DenseReluDense.wi_0.weight": {12, 8}, "1.DenseReluDense.wi_1.weight": {12, 8}, "1.DenseReluDense.wo.weight": {8, 12},
		} {
			w[b+n] = s
		}
	}
	return w
}

func edit(f func(enginetest.ZeroWeights)) enginetest.ZeroWeights {
	w := tinyWeights()
	f(w)
	return w
}

// ungated turns tinyWeights into a ReLU (T5 v1.0) checkpoint's.
func ungated(w enginetest.ZeroWeights) {
	for i := range 2 {
		ff := fmt.Sprintf("encoder.block.%d.layer.1.DenseReluDense.", i)
		w[ff+"wi.weight"] = w[ff+"wi_0.weight"]
		delete(w, ff+"wi_0.weight")
		delete(w, ff+"wi_1.weight")
	}
}

func TestNew(t *testing.T) {
	with := func(kv string) string { return strings.Replace(tinyConfig, `{`, `{`+kv+`,`, 1) }
	tests := []struct {
		name, config string
		w            enginetest.ZeroWeights
		err          string
		points       int // 0: not checked
	}{
		{"gated", tinyConfig, tinyWeights(), "", 1 + 2*17 + 1},
		{"tied name only", tinyConfig, edit(func(w enginetest.ZeroWeights) {
			w["encoder.embed_tokens.weight"] = w["shared.weight"]
			delete(w, "shared.weight")
		}), "", 0},
		{"relu", strings.Replace(tinyConfig, `"gated-gelu"`, `"relu"`, 1), edit(ungated), "", 1 + 2*16 + 1},
		{"stated activation", with(`"dense_act_fn":"gelu_pytorch_tanh"`), tinyWeights(), "", 0},
		{"stated gating", with(`"is_gated_act":false`), edit(ungated), "", 0},
		{"decoder weights ignored", tinyConfig, edit(func(w enginetest.ZeroWeights) { w["decoder.block.0.layer.0.SelfAttention.q.weight"] = []int{6, 8} }), "", 0},
		{"no architectures", strings.Replace(tinyConfig, `"architectures":["T5EncoderModel"],`, ``, 1), tinyWeights(), "", 0},
		{"seq2seq", strings.Replace(tinyConfig, "T5EncoderModel", "T5ForConditionalGeneration", 1), tinyWeights(),
			`"T5ForConditionalGeneration" is not a T5 encoder`, 0},
		{"decoder", with(`"is_decoder":true`), tinyWeights(), "is_decoder", 0},
		{"bad json", `{"d_model":`, tinyWeights(), "t5: parse config", 0},
		{"zero heads", strings.Replace(tinyConfig, `"num_heads":2`, `"num_heads":0`, 1), tinyWeights(), "num_heads (0) must be positive", 0},
		{"few buckets", strings.Replace(tinyConfig, `"relative_attention_num_buckets":8`, `"relative_attention_num_buckets":2`, 1), tinyWeights(),
			"relative_attention_num_buckets (2) must be at least 4", 0},
		{"short distance", strings.Replace(tinyConfig, `"relative_attention_max_distance":16`, `"relative_attention_max_distance":2`, 1), tinyWeights(),
			"relative_attention_max_distance (2) must exceed relative_attention_num_buckets/4 (2)", 0},
		{"eps", strings.Replace(tinyConfig, `"layer_norm_epsilon":1e-6`, `"layer_norm_epsilon":0`, 1), tinyWeights(), "layer_norm_epsilon (0)", 0},
		{"projection", strings.Replace(tinyConfig, `"gated-gelu"`, `"gated-gelu-x"`, 1), tinyWeights(), `feed_forward_proj "gated-gelu-x"`, 0},
		{"activation", strings.Replace(tinyConfig, `"gated-gelu"`, `"gated-mish"`, 1), tinyWeights(), `dense_act_fn "mish" is not supported`, 0},
		{"eos", strings.Replace(tinyConfig, `"eos_token_id":1`, `"eos_token_id":10`, 1), tinyWeights(), "eos_token_id (10) is outside the vocabulary (10)", 0},
		{"missing", tinyConfig, edit(func(w enginetest.ZeroWeights) { delete(w, "encoder.block.1.layer.1.DenseReluDense.wi_1.weight") }),
			"weight encoder.block.1.layer.1.DenseReluDense.wi_1.weight", 0},
		{"missing bias", tinyConfig, edit(func(w enginetest.ZeroWeights) {
			delete(w, "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")
		}), "weight encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", 0},
		{"no embedding", tinyConfig, edit(func(w enginetest.ZeroWeights) { delete(w, "shared.weight") }), "weight shared.weight", 0},
		{"inner dim", tinyConfig, edit(func(w enginetest.ZeroWeights) { w["encoder.block.0.layer.0.SelfAttention.q.weight"] = []int{8, 8} }),
			"SelfAttention.q.weight has shape [8 8], want [6 8]", 0},
		{"bias heads", tinyConfig, edit(func(w enginetest.ZeroWeights) {
			w["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"] = []int{32, 2}
		}), "relative_attention_bias.weight has shape [32 2], want [8 2]", 0},
		{"ungated weights", tinyConfig, edit(ungated), "DenseReluDense.wi_0.weight", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := t5.New([]byte(tc.config), tc.w)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			info := a.Info()
			if info.Family != "t5" || info.EmbedWidth != 8 || info.LogitsWidth() != 8 || info.MaxPositions != 0 ||
				info.HeadDim != 3 || info.NumKeyValueHeads != 2 || info.EOS != 1 || info.Pad != 0 {
				t.Errorf("info %+v", info)
			}
			if tc.points > 0 && len(a.Points()) != tc.points {
				t.Errorf("%d points, want %d", len(a.Points()), tc.points)
			}
		})
	}
}

// TestParseConfig: missing keys take T5Config's defaults, and
// feed_forward_proj "gated-gelu" means gelu_new, as transformers reads it.
func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		config, act string
		gated       bool
	}{
		{`{}`, "relu", false},
		{`{"feed_forward_proj":"gated-gelu"}`, "gelu_new", true},
		{`{"feed_forward_proj":"gated-silu"}`, "silu", true},
		{`{"feed_forward_proj":"gelu"}`, "gelu", false},
		{`{"feed_forward_proj":"gated-gelu","dense_act_fn":"gelu"}`, "gelu", true},
	} {
		c, err := t5.ParseConfig([]byte(tc.config))
		if err != nil {
			t.Fatalf("%s: %v", tc.config, err)
		}
		if c.DenseActFn != tc.act || c.IsGatedAct != tc.gated {
			t.Errorf("%s: dense_act_fn %q, gated %v; want %q, %v", tc.config, c.DenseActFn, c.IsGatedAct, tc.act, tc.gated)
		}
	}
	c, _ := t5.ParseConfig([]byte(`{}`))
	if c.DModel != 512 || c.InnerDim() != 512 || c.NumLayers != 6 || c.RelativeAttentionNumBuckets != 32 || *c.EOSTokenID != 1 {
		t.Errorf("defaults %+v", c)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(tinyConfig))
	f.Add([]byte(`{"relative_attention_num_buckets":5,"relative_attention_max_distance":1}`))
	f.Add([]byte(`{"feed_forward_proj":"gated-"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := t5.ParseConfig(data)
		if err == nil && (c.NumHeads <= 0 || c.RelativeAttentionMaxDistance <= c.RelativeAttentionNumBuckets/4 || c.DenseActFn == "") {
			t.Errorf("accepted an invalid config: %+v", c)
		}
	})
}

// TestBucket pins buckets that torch 1.13 computes for FLUX's T5-XXL (32
// buckets, max distance 128) and a small config: the distances where the
// logarithm lands on an integer (16, 32, 64) must not fall to the bucket
// below, and distances past max_distance share the last bucket.
func TestBucket(t *testing.T) {
	for _, tc := range []struct {
		nb, md int
		pairs  [][2]int // distance, torch's bucket
	}{
		{32, 128, [][2]int{{0, 0}, {1, 17}, {-1, 1}, {7, 23}, {-7, 7}, {8, 24}, {-8, 8}, {15, 25}, {16, 26}, {-16, 10},
			{31, 27}, {32, 28}, {-32, 12}, {63, 29}, {64, 30}, {-64, 14}, {127, 31}, {128, 31}, {-128, 15}, {511, 31}, {-511, 15}}},
		{8, 20, [][2]int{{0, 0}, {1, 5}, {-1, 1}, {2, 6}, {3, 6}, {-3, 2}, {5, 6}, {10, 7}, {19, 7}, {20, 7}, {-20, 3}}},
	} {
		for _, p := range tc.pairs {
			if got := t5.Bucket(p[0], tc.nb, tc.md); got != p[1] {
				t.Errorf("Bucket(%d, %d, %d) = %d, want %d", p[0], tc.nb, tc.md, got, p[1])
			}
		}
	}
}

func TestHiddenState(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		want string
	}{
		{0, 24, "encoder.embed_tokens"},
		{1, 24, "encoder.block.0"},
		{23, 24, "encoder.block.22"},
		{24, 24, "encoder.final_layer_norm"},
		{-1, 24, "encoder.final_layer_norm"},
		{-2, 24, "encoder.block.22"},
		{-25, 24, "encoder.embed_tokens"},
	} {
		if got := t5.HiddenState(tc.k, tc.n); got != tc.want {
			t.Errorf("HiddenState(%d, %d) = %q, want %q", tc.k, tc.n, got, tc.want)
		}
	}
}

func TestPadIDs(t *testing.T) {
	ids, mask, err := t5.PadIDs([][]int{{5, 6}, {7, 8, 9, 10, 11}, {}}, 4, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{5, 6, 1, 0}, {7, 8, 9, 1}, {1, 0, 0, 0}}
	wantMask := [][]int{{1, 1, 1, 0}, {1, 1, 1, 1}, {1, 0, 0, 0}}
	if !slices.EqualFunc(ids, want, slices.Equal[[]int]) || !slices.EqualFunc(mask, wantMask, slices.Equal[[]int]) {
		t.Errorf("PadIDs = %v, %v; want %v, %v", ids, mask, want, wantMask)
	}
	if _, _, err := t5.PadIDs([][]int{{5}}, 0, 1, 0); err == nil {
		t.Error("length 0: no error")
	}
}

func loadFixture(t *testing.T) *engine.Model {
	t.Helper()
	m, err := engine.Load(context.Background(), fixture.Reference(t, "encoders", "t5", "checkpoint"), engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPoints captures every point on a short batch: each comes out with
// its declared width; SelfAttention equals SelfAttention.o,
// DenseReluDense equals wo, the block equals its layer.1; and ml-act-style
// patterns select points by transformers' module names.
func TestPoints(t *testing.T) {
	m := loadFixture(t)
	pts := m.Points()
	out, err := m.Forward(context.Background(), [][]int{{5, 6, 7, 1}, {8, 1}}, engine.ForwardOptions{Capture: pts, NoLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		rows := out.Captured[p]
		if len(rows) != 2 || len(rows[0]) != 4 || len(rows[1]) != 2 || len(rows[0][0]) != m.PointWidth(p) {
			t.Errorf("%s: captured %d sequences, want 2 of 4 and 2 positions × %d units", p, len(rows), m.PointWidth(p))
		}
	}
	L := m.Info().NumLayers
	for i := range L {
		b := fmt.Sprintf("encoder.block.%d", i)
		for x, y := range map[string]string{
			b + ".layer.0.SelfAttention":  b + ".layer.0.SelfAttention.o",
			b + ".layer.1.DenseReluDense": b + ".layer.1.DenseReluDense.wo",
			b:                             b + ".layer.1",
		} {
			if !slices.EqualFunc(out.Captured[x][0], out.Captured[y][0], slices.Equal[[]float32]) {
				t.Errorf("%s differs from %s", x, y)
			}
		}
	}
	for pattern, n := range map[string]int{
		`.*layer\.0\.layer_norm`:              L,
		`.*SelfAttention\.o:input`:            L,
		`.*DenseReluDense\.(wi_0|wi_1|act)`:   3 * L,
		`encoder\.block\.\d+`:                 L,
		`encoder\.(embed_tokens|final_.*)`:    2,
		`encoder\.block\.\d+\.layer\.\d+`:     2 * L,
		`encoder\.block\.0\.layer\.1\..*\.wo`: 1,
	} {
		if got, err := m.MatchPoints(pattern); err != nil || len(got) != n {
			t.Errorf("MatchPoints(%s) = %v, %v; want %d points", pattern, got, err, n)
		}
	}
}

// TestRefused: a text encoder neither generates nor scores tokens, and
// Encode takes only this family's models.
func TestRefused(t *testing.T) {
	m := loadFixture(t)
	ctx := context.Background()
	if _, err := m.Generate(ctx, [][]int{{5, 1}}, engine.GenerateOptions{}); err == nil || !strings.Contains(err.Error(), "text encoder") {
		t.Errorf("Generate: %v, want a text-encoder error", err)
	}
	if _, err := m.ScoreTokens(ctx, [][]int{{5}}, [][]int{{1}}, engine.ForwardOptions{}); err == nil || !strings.Contains(err.Error(), "text encoder") {
		t.Errorf("ScoreTokens: %v, want a text-encoder error", err)
	}
	if _, err := t5.Encode(ctx, m, [][]int{{5, 96}}, t5.EncodeOptions{}); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("Encode of id 96 in a vocabulary of 96: %v", err)
	}
	clip, err := engine.Load(ctx, fixture.Reference(t, "encoders", "clip_text", "text_encoder"), engine.LoadOptions{})
	if err == nil {
		if _, err := t5.Encode(ctx, clip, [][]int{{1}}, t5.EncodeOptions{}); err == nil || !strings.Contains(err.Error(), "needs a T5 encoder") {
			t.Errorf("Encode on a CLIP model: %v", err)
		}
	}
}

// TestSteering: λ = 0 leaves the prompt embedding bit-identical; a map on
// a block's output moves last_hidden_state and leaves the earlier blocks
// alone.
func TestSteering(t *testing.T) {
	ctx := context.Background()
	m := loadFixture(t)
	ids := [][]int{{5, 6, 7, 1, 0, 0}}
	first := t5.HiddenState(1, m.Info().NumLayers)
	base, err := t5.Encode(ctx, m, ids, t5.EncodeOptions{Capture: []string{first}})
	if err != nil {
		t.Fatal(err)
	}
	D := m.Info().HiddenSize
	w, b := make([]float32, D), make([]float32, D)
	for i := range b {
		b[i] = 3
	}
	for _, tc := range []struct {
		name          string
		lambda        float32
		firstChanges  bool
		outputChanges bool
	}{{"λ=0", 0, false, false}, {"λ=1", 1, false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			st := &engine.Steering{Maps: map[string]*transport.Map{"encoder.block.1": {W: w, B: b}}, Strength: tc.lambda}
			out, err := t5.Encode(ctx, m, ids, t5.EncodeOptions{Steering: st, Capture: []string{first}})
			if err != nil {
				t.Fatal(err)
			}
			f := !slices.EqualFunc(out.Captured[first][0], base.Captured[first][0], slices.Equal[[]float32])
			o := !slices.EqualFunc(out.LastHiddenState[0], base.LastHiddenState[0], slices.Equal[[]float32])
			if f != tc.firstChanges || o != tc.outputChanges {
				t.Errorf("block 0 changed %v (want %v), last_hidden_state changed %v (want %v)", f, tc.firstChanges, o, tc.outputChanges)
			}
		})
	}
}
