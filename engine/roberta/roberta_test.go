package roberta_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/engine/roberta"
	"github.com/actsh/actsh/internal/fixture"
)

const tinyConfig = `{"architectures":["RobertaForSequenceClassification"],"vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
"num_attention_heads":2,"intermediate_size":12,"max_position_embeddings":6,"type_vocab_size":1,"layer_norm_eps":1e-5,
"pad_token_id":1,"id2label":{"1":"toxic","0":"neutral"}}`

func tinyWeights() enginetest.ZeroWeights {
	w := enginetest.ZeroWeights{
		"roberta.embeddings.word_embeddings.weight":       {10, 8},
		"roberta.embeddings.position_embeddings.weight":   {6, 8},
		"roberta.embeddings.token_type_embeddings.weight": {1, 8},
		"roberta.embeddings.LayerNorm.weight":             {8},
		"roberta.embeddings.LayerNorm.bias":               {8},
		"roberta.embeddings.position_ids":                 {1, 6},
		"classifier.dense.weight":                         {8, 8},
		"classifier.dense.bias":                           {8},
		"classifier.out_proj.weight":                      {2, 8},
		"classifier.out_proj.bias":                        {2},
	}
	l := "roberta.encoder.layer.0."
	for n, s := range map[string][]int{
		"attention.self.query.weight": {8, 8}, "attention.self.query.bias": {8},
		"attention.self.key.weight": {8, 8}, "attention.self.key.bias": {8},
		"attention.self.value.weight": {8, 8}, "attention.self.value.bias": {8},
		"attention.output.dense.weight": {8, 8}, "attention.output.dense.bias": {8},
		"attention.output.LayerNorm.weight": {8}, "attention.output.LayerNorm.bias": {8},
		"intermediate.dense.weight": {12, 8}, "intermediate.dense.bias": {12},
		"output.dense.weight": {8, 12}, "output.dense.bias": {8},
		"output.LayerNorm.weight": {8}, "output.LayerNorm.bias": {8},
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
		labels       []string
	}{
		{"ok", tinyConfig, tinyWeights(), "", []string{"neutral", "toxic"}},
		{"legacy layer norm names", tinyConfig, edit(func(w enginetest.ZeroWeights) {
			delete(w, "roberta.embeddings.LayerNorm.weight")
			delete(w, "roberta.embeddings.LayerNorm.bias")
			w["roberta.embeddings.LayerNorm.gamma"] = []int{8}
			w["roberta.embeddings.LayerNorm.beta"] = []int{8}
		}), "", []string{"neutral", "toxic"}},
		{"default labels", strings.Replace(tinyConfig, `"id2label":{"1":"toxic","0":"neutral"}`, `"num_labels":3`, 1),
			edit(func(w enginetest.ZeroWeights) {
				w["classifier.out_proj.weight"] = []int{3, 8}
				w["classifier.out_proj.bias"] = []int{3}
			}), "", []string{"LABEL_0", "LABEL_1", "LABEL_2"}},
		{"heads", strings.Replace(tinyConfig, `"num_attention_heads":2`, `"num_attention_heads":3`, 1), tinyWeights(),
			"hidden_size (8) must be divisible by num_attention_heads (3)", nil},
		{"activation", strings.Replace(tinyConfig, `{`, `{"hidden_act":"mish",`, 1), tinyWeights(), `hidden_act "mish"`, nil},
		{"relative positions", strings.Replace(tinyConfig, `{`, `{"position_embedding_type":"relative_key",`, 1), tinyWeights(),
			`position_embedding_type "relative_key"`, nil},
		{"decoder", strings.Replace(tinyConfig, `{`, `{"is_decoder":true,`, 1), tinyWeights(), "is_decoder", nil},
		{"null pad", strings.Replace(tinyConfig, `"pad_token_id":1`, `"pad_token_id":null`, 1), tinyWeights(), "pad_token_id is null", nil},
		{"positions", strings.Replace(tinyConfig, `"max_position_embeddings":6`, `"max_position_embeddings":2`, 1), tinyWeights(),
			"max_position_embeddings (2) leaves no position after pad_token_id (1)", nil},
		{"label ids", strings.Replace(tinyConfig, `"1":"toxic"`, `"2":"toxic"`, 1), tinyWeights(), "id2label ids must be 0…1", nil},
		{"bad json", `{"hidden_size":`, tinyWeights(), "roberta: parse config", nil},
		{"missing", tinyConfig, edit(func(w enginetest.ZeroWeights) { delete(w, "roberta.encoder.layer.0.output.dense.bias") }),
			"weight roberta.encoder.layer.0.output.dense.bias", nil},
		{"misshapen", tinyConfig, edit(func(w enginetest.ZeroWeights) { w["roberta.encoder.layer.0.intermediate.dense.weight"] = []int{8, 12} }),
			"intermediate.dense.weight has shape [8 12], want [12 8]", nil},
		{"not a classifier", tinyConfig, edit(func(w enginetest.ZeroWeights) {
			delete(w, "classifier.dense.weight")
			delete(w, "classifier.dense.bias")
		}), "is this checkpoint a sequence classifier?", nil},
		{"labels vs head", tinyConfig, edit(func(w enginetest.ZeroWeights) { w["classifier.out_proj.weight"] = []int{3, 8} }),
			"classifier.out_proj.weight has shape [3 8], want [2 8]", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := roberta.New([]byte(tc.config), tc.w)
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
			if !slices.Equal(info.Labels, tc.labels) || info.Pad != 1 || info.MaxPositions != 4 || info.LogitsWidth() != len(tc.labels) {
				t.Errorf("info %+v", info)
			}
			if got := len(a.Points()); got != 9 {
				t.Errorf("%d points, want 9", got)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(tinyConfig))
	f.Add([]byte(`{"id2label":{"0":"a","x":"b"}}`))
	f.Add([]byte(`{"pad_token_id":600,"max_position_embeddings":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := roberta.ParseConfig(data)
		if err == nil && (c.HiddenSize%c.NumAttentionHeads != 0 || c.MaxTokens() <= 0 || len(c.Labels) == 0) {
			t.Errorf("accepted an invalid config: %+v", c)
		}
	})
}

func loadFixture(t *testing.T) *engine.Model {
	t.Helper()
	m, err := engine.Load(context.Background(), fixture.Reference(t, "encoders", "roberta_cls", "checkpoint"), engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPoints captures every point on a short batch: each must come out
// with its declared width, the layer's own point must equal its output,
// and roberta.encoder.layer.{i}.output must match the ".*output" pattern
// the way ml-act's regexes select points.
func TestPoints(t *testing.T) {
	m := loadFixture(t)
	pts := m.Points()
	out, err := m.Forward(context.Background(), [][]int{{0, 5, 6, 2}, {0, 7, 2}}, engine.ForwardOptions{Capture: pts, NoLogits: true})
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
		l := fmt.Sprintf("roberta.encoder.layer.%d", i)
		if !slices.EqualFunc(out.Captured[l][0], out.Captured[l+".output"][0], slices.Equal[[]float32]) {
			t.Errorf("%s differs from %s.output", l, l)
		}
	}
	got, err := m.MatchPoints(`.*\.output`)
	if err != nil || len(got) != 2*m.Info().NumLayers {
		t.Errorf("MatchPoints(.*\\.output) = %v, %v", got, err)
	}
}

// TestGenerateRefused: a classifier has no next-token head.
func TestGenerateRefused(t *testing.T) {
	m := loadFixture(t)
	_, err := m.Generate(context.Background(), [][]int{{0, 5, 2}}, engine.GenerateOptions{})
	if err == nil || !strings.Contains(err.Error(), "sequence classifier") {
		t.Fatalf("Generate: %v, want a sequence-classifier error", err)
	}
}

// TestSteeringZero: λ = 0 leaves the logits bit-identical, and a map at a
// point changes them, so steering reaches the encoder through the same
// mechanism as the language models.
func TestSteeringZero(t *testing.T) {
	m := loadFixture(t)
	ctx := context.Background()
	ids := [][]int{{0, 5, 6, 7, 2}}
	base, err := m.Forward(ctx, ids, engine.ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	D := m.Info().HiddenSize
	w, b := make([]float32, D), make([]float32, D)
	for i := range b {
		b[i] = 3
	}
	point := "roberta.encoder.layer.0.output"
	for _, tc := range []struct {
		lambda float32
		same   bool
	}{{0, true}, {1, false}} {
		st := &engine.Steering{Maps: map[string]*transport.Map{point: {W: w, B: b}}, Strength: tc.lambda}
		out, err := m.Forward(ctx, ids, engine.ForwardOptions{Steering: st})
		if err != nil {
			t.Fatal(err)
		}
		same := slices.Equal(out.Logits[0][0], base.Logits[0][0])
		if same != tc.same {
			t.Errorf("λ = %g: logits unchanged = %v, want %v", tc.lambda, same, tc.same)
		}
	}
}

func TestFixtureLoads(t *testing.T) {
	m := loadFixture(t)
	if !strings.Contains(m.String(), "roberta (RobertaForSequenceClassification)") {
		t.Errorf("String() = %q", m.String())
	}
	if filepath.Base(m.Dir()) != "checkpoint" {
		t.Errorf("Dir() = %q", m.Dir())
	}
}
