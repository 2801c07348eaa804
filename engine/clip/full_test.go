package clip_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/clip"
	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/internal/fixture"
)

// The tiny CLIPModel of testdata/clip/model (testdata/clip/make.go) is the
// text_encoder_2 and clip_vision reference fixtures side by side.
func fullModelDir(t *testing.T) string { return fixture.Path(t, "testdata", "clip", "model") }

// TestFullModelFixture checks that the shipped CLIPModel holds the
// reference fixtures' tensors byte for byte, so that their conformance
// tests vouch for its numerics (rerun make.go when a fixture changes).
func TestFullModelFixture(t *testing.T) {
	full, err := safetensors.OpenDir(fullModelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	n := 0
	for _, dir := range []string{
		fixture.Reference(t, "encoders", "clip_text", "text_encoder_2"),
		fixture.Reference(t, "encoders", "clip_vision", "checkpoint"),
	} {
		part, err := safetensors.OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range part.Names() {
			_, _, want, err := part.Raw(name)
			if err != nil {
				t.Fatal(err)
			}
			_, _, got, err := full.Raw(name)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s's (%v)", name, dir, err)
			}
			n++
		}
		part.Close()
	}
	if extra := len(full.Names()) - n; extra != 1 || !slices.Contains(full.Names(), "logit_scale") {
		t.Errorf("%d tensors beyond the fixtures', want logit_scale alone", extra)
	}
}

// TestFullModelTextTower loads a CLIPModel folder through engine.Load: its
// text tower is a CLIPTextModelWithProjection, with outputs bit-identical
// to the text_encoder_2 fixture's (the same weights and graph); its vision
// tower through LoadVision equals the clip_vision fixture's.
func TestFullModelTextTower(t *testing.T) {
	ctx := context.Background()
	m, err := engine.Load(ctx, fullModelDir(t), engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	if info.Architecture != clip.FullModel || info.EmbedWidth != 24 || !m.Arch().(*clip.Model).Projected() || m.Tokenizer() == nil {
		t.Fatalf("info %+v, tokenizer %v", info, m.Tokenizer())
	}
	ref := loadFixture(t, "text_encoder_2")
	ids, mask, err := clip.Tokenize(m.Tokenizer(), []string{"a picture of a red dog.", "something"}, info.MaxPositions)
	if err != nil {
		t.Fatal(err)
	}
	got, err := clip.Encode(ctx, m, ids, clip.EncodeOptions{Mask: mask})
	if err != nil {
		t.Fatal(err)
	}
	want, err := clip.Encode(ctx, ref, ids, clip.EncodeOptions{Mask: mask})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got.TextEmbeds, want.TextEmbeds, slices.Equal[[]float32]) || !slices.EqualFunc(got.Pooled, want.Pooled, slices.Equal[[]float32]) {
		t.Errorf("text_embeds differ from the text_encoder_2 fixture's")
	}

	v, err := clip.LoadVision(fullModelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	vref, err := clip.LoadVision(fixture.Reference(t, "encoders", "clip_vision", "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	px := make([]float32, 2*3*32*32)
	for i := range px {
		px[i] = float32(i%97)/48 - 1
	}
	a, err := v.Forward(tensors.FromFlatDataAndDimensions(px, 2, 3, 32, 32), clip.VisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := vref.Forward(tensors.FromFlatDataAndDimensions(px, 2, 3, 32, 32), clip.VisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Architecture() != clip.FullModel || !slices.EqualFunc(a.ImageEmbeds, b.ImageEmbeds, slices.Equal[[]float32]) {
		t.Errorf("vision tower (%s): image_embeds differ from the clip_vision fixture's", v.Architecture())
	}
}

// TestParseFullConfig: the text tower of a CLIPModel config is text_config
// with CLIPTextConfig's defaults, projected to the top-level projection_dim
// (CLIPConfig's 512 when absent).
func TestParseFullConfig(t *testing.T) {
	for _, tc := range []struct {
		name, config      string
		hidden, proj, pos int
		err               string
	}{
		{name: "defaults", config: `{"text_config":{}}`, hidden: 512, proj: 512, pos: 77},
		{name: "top-level projection", config: `{"projection_dim":768,"text_config":{"hidden_size":768,"num_attention_heads":12,"projection_dim":768}}`, hidden: 768, proj: 768, pos: 77},
		{name: "text_config's projection ignored", config: `{"projection_dim":24,"text_config":{"hidden_size":16,"num_attention_heads":4,"projection_dim":512}}`, hidden: 16, proj: 24, pos: 77},
		{name: "no text_config", config: `{"vision_config":{}}`, err: "a CLIPModel config.json needs a text_config"},
		{name: "null text_config", config: `{"text_config":null}`, err: "needs a text_config"},
		{name: "bad text_config", config: `{"text_config":{"hidden_size":10,"num_attention_heads":4}}`, err: "hidden_size (10) must be divisible by num_attention_heads (4) (in text_config)"},
		{name: "bad projection", config: `{"projection_dim":0,"text_config":{}}`, err: "projection_dim 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := clip.ParseFullConfig([]byte(tc.config))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.HiddenSize != tc.hidden || c.ProjectionDim != tc.proj || c.MaxPositionEmbeddings != tc.pos {
				t.Errorf("hidden_size %d, projection_dim %d, positions %d; want %d, %d, %d", c.HiddenSize, c.ProjectionDim, c.MaxPositionEmbeddings, tc.hidden, tc.proj, tc.pos)
			}
		})
	}
}

// TestNewFullModel: New reads a CLIPModel's text tower from its weights,
// with or without architectures, and names what is missing.
func TestNewFullModel(t *testing.T) {
	text := `{"vocab_size":10,"hidden_size":8,"intermediate_size":12,"num_hidden_layers":1,"num_attention_heads":2,"max_position_embeddings":5,"eos_token_id":9}`
	full := `{"architectures":["CLIPModel"],"projection_dim":6,"text_config":` + text + `,"vision_config":{}}`
	for _, tc := range []struct {
		name, config string
		w            enginetest.ZeroWeights
		err          string
	}{
		{"CLIPModel", full, tinyWeights(), ""},
		{"no architectures", strings.Replace(full, `"architectures":["CLIPModel"],`, "", 1), tinyWeights(), ""},
		{"no text_projection", full, edit(func(w enginetest.ZeroWeights) { delete(w, "text_projection.weight") }), "weight text_projection.weight"},
		{"projection size", strings.Replace(full, `"projection_dim":6`, `"projection_dim":7`, 1), tinyWeights(), "text_projection.weight has shape [6 8], want [7 8]"},
		{"vision model", `{"architectures":["CLIPVisionModel"]}`, tinyWeights(), `"CLIPVisionModel" is not a CLIP text encoder`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := clip.New([]byte(tc.config), tc.w)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info := a.Info(); info.Architecture != clip.FullModel || info.EmbedWidth != 6 {
				t.Errorf("info %+v, want a CLIPModel text tower embedding 6 units", info)
			}
		})
	}
}

// A CLIPVisionModel folder is not a text encoder: engine.Load says so by
// its architecture.
func TestLoadVisionFolderAsText(t *testing.T) {
	_, err := engine.Load(context.Background(), fixture.Reference(t, "encoders", "clip_vision", "checkpoint"), engine.LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), `"CLIPVisionModelWithProjection"`) {
		t.Errorf("err = %v, want the architecture named", err)
	}
}
