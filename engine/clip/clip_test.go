package clip_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/clip"
	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/internal/fixture"
)

const tinyConfig = `{"architectures":["CLIPTextModelWithProjection"],"vocab_size":10,"hidden_size":8,"intermediate_size":12,
"projection_dim":6,"num_hidden_layers":1,"num_attention_heads":2,"max_position_embeddings":5,"hidden_act":"gelu",
"bos_token_id":8,"eos_token_id":9,"pad_token_id":1}`

func tinyWeights() enginetest.ZeroWeights {
	w := enginetest.ZeroWeights{
		"text_model.embeddings.token_embedding.weight":    {10, 8},
		"text_model.embeddings.position_embedding.weight": {5, 8},
		"text_model.embeddings.position_ids":              {1, 5},
		"text_model.final_layer_norm.weight":              {8},
		"text_model.final_layer_norm.bias":                {8},
		"text_projection.weight":                          {6, 8},
	}
	l := "text_model.encoder.layers.0."
	for n, s := range map[string][]int{
		"self_attn.q_proj.weight": {8, 8}, "self_attn.q_proj.bias": {8},
		"self_attn.k_proj.weight": {8, 8}, "self_attn.k_proj.bias": {8},
		"self_attn.v_proj.weight": {8, 8}, "self_attn.v_proj.bias": {8},
		"self_attn.out_proj.weight": {8, 8}, "self_attn.out_proj.bias": {8},
		"layer_norm1.weight": {8}, "layer_norm1.bias": {8}, "layer_norm2.weight": {8}, "layer_norm2.bias": {8},
		"mlp.fc1.weight": {12, 8}, "mlp.fc1.bias": {12}, "mlp.fc2.weight": {8, 12}, "mlp.fc2.bias": {8},
	} {
		w[l+n] = s
	}
	return w
}

func edit(f func(enginetest.ZeroWeights)) enginetest.ZeroWeights {
	w := tinyWeights()
	f(w)
	return w
}

func TestNew(t *testing.T) {
	tests := []struct {
		name, config string
		w            enginetest.ZeroWeights
		err          string
		width        int
	}{
		{"with projection", tinyConfig, tinyWeights(), "", 6},
		{"text model", strings.Replace(tinyConfig, "CLIPTextModelWithProjection", "CLIPTextModel", 1),
			edit(func(w enginetest.ZeroWeights) { delete(w, "text_projection.weight") }), "", 8},
		{"defaults", `{"architectures":["CLIPTextModel"],"hidden_size":8,"intermediate_size":12,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":10,"max_position_embeddings":5}`,
			edit(func(w enginetest.ZeroWeights) { delete(w, "text_projection.weight") }), "", 8},
		{"heads", strings.Replace(tinyConfig, `"num_attention_heads":2`, `"num_attention_heads":3`, 1), tinyWeights(),
			"hidden_size (8) must be divisible by num_attention_heads (3)", 0},
		{"activation", strings.Replace(tinyConfig, `"gelu"`, `"mish"`, 1), tinyWeights(), `hidden_act "mish"`, 0},
		{"eps", strings.Replace(tinyConfig, `{`, `{"layer_norm_eps":0,`, 1), tinyWeights(), "layer_norm_eps (0)", 0},
		{"null eos", strings.Replace(tinyConfig, `"eos_token_id":9`, `"eos_token_id":null`, 1), tinyWeights(), "eos_token_id is null", 0},
		{"whole CLIPModel", strings.Replace(tinyConfig, `{`, `{"text_config":{"hidden_size":8},`, 1), tinyWeights(), "text_config", 0},
		{"other architecture", strings.Replace(tinyConfig, "CLIPTextModelWithProjection", "CLIPVisionModel", 1), tinyWeights(),
			`"CLIPVisionModel" is not a CLIP text encoder`, 0},
		{"bad json", `{"hidden_size":`, tinyWeights(), "clip: parse config", 0},
		{"missing", tinyConfig, edit(func(w enginetest.ZeroWeights) { delete(w, "text_model.encoder.layers.0.mlp.fc2.bias") }),
			"weight text_model.encoder.layers.0.mlp.fc2.bias", 0},
		{"misshapen", tinyConfig, edit(func(w enginetest.ZeroWeights) { w["text_model.encoder.layers.0.mlp.fc1.weight"] = []int{8, 12} }),
			"mlp.fc1.weight has shape [8 12], want [12 8]", 0},
		{"no projection", tinyConfig, edit(func(w enginetest.ZeroWeights) { delete(w, "text_projection.weight") }),
			"is this checkpoint a CLIPTextModel?", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := clip.New([]byte(tc.config), tc.w)
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
			if info.EmbedWidth != tc.width || info.LogitsWidth() != tc.width || info.MaxPositions != 5 || info.Family != "clip" {
				t.Errorf("info %+v", info)
			}
			if got := len(a.Points()); got != 15 {
				t.Errorf("%d points, want 15", got)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(tinyConfig))
	f.Add([]byte(`{"hidden_size":7,"num_attention_heads":0}`))
	f.Add([]byte(`{"eos_token_id":2,"hidden_act":"quick_gelu"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := clip.ParseConfig(data)
		if err == nil && (c.HiddenSize%c.NumAttentionHeads != 0 || c.MaxPositionEmbeddings <= 0 || c.EOSTokenID == nil) {
			t.Errorf("accepted an invalid config: %+v", c)
		}
	})
}

// TestPoolIndex pins transformers' two pooling rules: with eos_token_id 2
// (OpenAI's converted configs, SDXL's) the first maximum of the ids, else
// the first end-of-text id (slot 0 when there is none).
func TestPoolIndex(t *testing.T) {
	legacy, err := clip.ParseConfig([]byte(`{"eos_token_id":2}`))
	if err != nil {
		t.Fatal(err)
	}
	current, err := clip.ParseConfig([]byte(`{"eos_token_id":49407}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  *clip.Config
		ids  []int
		want int
	}{
		{"legacy, eos padding", legacy, []int{49406, 320, 49407, 49407, 49407}, 2},
		{"legacy, ! padding", legacy, []int{49406, 320, 2368, 49407, 0, 0}, 3},
		{"legacy, added token above eos", legacy, []int{49406, 49408, 49407}, 1},
		{"current, eos padding", current, []int{49406, 320, 49407, 49407}, 2},
		{"current, added token above eos", current, []int{49406, 49408, 49407}, 2},
		{"current, no eos", current, []int{49406, 320}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.PoolIndex(tc.ids); got != tc.want {
				t.Errorf("PoolIndex(%v) = %d, want %d", tc.ids, got, tc.want)
			}
		})
	}
}

func TestHiddenState(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		want string
	}{
		{0, 12, "text_model.embeddings"},
		{1, 12, "text_model.encoder.layers.0"},
		{12, 12, "text_model.encoder.layers.11"},
		{-1, 12, "text_model.encoder.layers.11"},
		{-2, 12, "text_model.encoder.layers.10"},
		{-2, 32, "text_model.encoder.layers.30"},
	} {
		if got := clip.HiddenState(tc.k, tc.n); got != tc.want {
			t.Errorf("HiddenState(%d, %d) = %q, want %q", tc.k, tc.n, got, tc.want)
		}
	}
}

func loadFixture(t *testing.T, name string) *engine.Model {
	t.Helper()
	m, err := engine.Load(context.Background(), fixture.Reference(t, "encoders", "clip_text", name), engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPoints captures every point on a short batch: each comes out with
// its declared width; self_attn equals self_attn.out_proj, mlp equals
// mlp.fc2; the penultimate point is hidden_states[-2]; and ml-act-style
// patterns select points by transformers' module names.
func TestPoints(t *testing.T) {
	m := loadFixture(t, "text_encoder_2")
	pts := m.Points()
	out, err := m.Forward(context.Background(), [][]int{{62, 5, 6, 63}, {62, 7, 63}}, engine.ForwardOptions{Capture: pts, NoLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		rows := out.Captured[p]
		if len(rows) != 2 || len(rows[0]) != 4 || len(rows[1]) != 3 || len(rows[0][0]) != m.PointWidth(p) {
			t.Errorf("%s: captured %d sequences, want 2 of 4 and 3 positions × %d units", p, len(rows), m.PointWidth(p))
		}
	}
	for i := range m.Info().NumLayers {
		l := fmt.Sprintf("text_model.encoder.layers.%d", i)
		for a, b := range map[string]string{l + ".self_attn": l + ".self_attn.out_proj", l + ".mlp": l + ".mlp.fc2"} {
			if !slices.EqualFunc(out.Captured[a][0], out.Captured[b][0], slices.Equal[[]float32]) {
				t.Errorf("%s differs from %s", a, b)
			}
		}
	}
	if pen := m.Arch().(*clip.Model).Penultimate(); pen != fmt.Sprintf("text_model.encoder.layers.%d", m.Info().NumLayers-2) {
		t.Errorf("Penultimate() = %s", pen)
	}
	for pattern, n := range map[string]int{
		`.*layer_norm1`:                    m.Info().NumLayers,
		`.*self_attn\.out_proj`:            m.Info().NumLayers,
		`.*self_attn\.out_proj:input`:      m.Info().NumLayers,
		`text_model\.encoder\.layers\.\d+`: m.Info().NumLayers,
		`text_model\.final_layer_norm`:     1,
	} {
		if got, err := m.MatchPoints(pattern); err != nil || len(got) != n {
			t.Errorf("MatchPoints(%s) = %v, %v; want %d points", pattern, got, err, n)
		}
	}
}

// TestRefused: a text encoder neither generates nor scores tokens.
func TestRefused(t *testing.T) {
	m := loadFixture(t, "text_encoder")
	ctx := context.Background()
	if _, err := m.Generate(ctx, [][]int{{62, 5, 63}}, engine.GenerateOptions{}); err == nil || !strings.Contains(err.Error(), "text encoder") {
		t.Errorf("Generate: %v, want a text-encoder error", err)
	}
	if _, err := m.ScoreTokens(ctx, [][]int{{62, 5}}, [][]int{{5, 63}}, engine.ForwardOptions{}); err == nil || !strings.Contains(err.Error(), "text encoder") {
		t.Errorf("ScoreTokens: %v, want a text-encoder error", err)
	}
	if _, err := clip.Encode(ctx, m, [][]int{make([]int, 13)}, clip.EncodeOptions{}); err == nil {
		t.Errorf("Encode of 13 tokens on 12 positions: no error")
	}
}

// TestSteering: λ = 0 leaves SDXL's conditioning bit-identical, a map on
// the penultimate layer moves it, and steering a point after the
// penultimate one leaves the penultimate state alone (the layers are
// causal in depth as in time).
func TestSteering(t *testing.T) {
	ctx := context.Background()
	m := loadFixture(t, "text_encoder_2")
	a := m.Arch().(*clip.Model)
	ids := [][]int{{62, 5, 6, 7, 63, 0, 0}}
	base, err := clip.Encode(ctx, m, ids, clip.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	D := m.Info().HiddenSize
	w, b := make([]float32, D), make([]float32, D)
	for i := range b {
		b[i] = 3
	}
	last := fmt.Sprintf("text_model.encoder.layers.%d", m.Info().NumLayers-1)
	for _, tc := range []struct {
		name       string
		point      string
		lambda     float32
		penChanges bool
		embChanges bool
	}{
		{"λ=0", a.Penultimate(), 0, false, false},
		{"penultimate", a.Penultimate(), 1, true, true},
		{"last layer", last, 1, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &engine.Steering{Maps: map[string]*transport.Map{tc.point: {W: w, B: b}}, Strength: tc.lambda}
			out, err := clip.Encode(ctx, m, ids, clip.EncodeOptions{Steering: st})
			if err != nil {
				t.Fatal(err)
			}
			pen := !slices.EqualFunc(out.Penultimate[0], base.Penultimate[0], slices.Equal[[]float32])
			emb := !slices.Equal(out.TextEmbeds[0], base.TextEmbeds[0])
			if pen != tc.penChanges || emb != tc.embChanges {
				t.Errorf("penultimate changed %v (want %v), text_embeds changed %v (want %v)", pen, tc.penChanges, emb, tc.embChanges)
			}
		})
	}
}

// TestTokenize pads and truncates as transformers' CLIP tokenizers with
// padding="max_length", truncation=True: <|startoftext|> … <|endoftext|>,
// then the pad token (<|endoftext|> for SDXL's tokenizer, "!" for its
// tokenizer_2).
func TestTokenize(t *testing.T) {
	gz := func(name string) []byte {
		f, err := os.Open(filepath.Join(fixture.Path(t, "engine", "tokenizer", "testdata"), name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name, pad string
		padID     int
	}{{"tokenizer", "<|endoftext|>", 49407}, {"tokenizer_2", "!", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tokenizer.Parse(gz("clip.tokenizer.json.gz"), []byte(`{"tokenizer_class":"CLIPTokenizer","bos_token":"<|startoftext|>","eos_token":"<|endoftext|>","pad_token":"`+tc.pad+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			ids, mask, err := clip.Tokenize(tok, []string{"a photo of a cat", strings.Repeat("cat ", 100)}, 8)
			if err != nil {
				t.Fatal(err)
			}
			p := tc.padID
			want := [][]int{{49406, 320, 1125, 539, 320, 2368, 49407, p}, {49406, 2368, 2368, 2368, 2368, 2368, 2368, 49407}}
			wantMask := [][]int{{1, 1, 1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1, 1, 1}}
			if !slices.EqualFunc(ids, want, slices.Equal[[]int]) || !slices.EqualFunc(mask, wantMask, slices.Equal[[]int]) {
				t.Errorf("Tokenize = %v, %v; want %v, %v", ids, mask, want, wantMask)
			}
		})
	}
}
