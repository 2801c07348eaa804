package imagetrain

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/actsh/actsh/engine"
)

// TextConfig sizes the text encoder, a transformers CLIPTextModel; fields
// keep CLIPTextConfig's meanings.
type TextConfig struct {
	Vocab        int // vocab_size: the tokenizer's
	Hidden       int // hidden_size: also the UNet's cross_attention_dim
	Layers       int // num_hidden_layers
	Heads        int // num_attention_heads
	Intermediate int // intermediate_size
	Positions    int // max_position_embeddings: every prompt is padded to it
	EOS          int // eos_token_id (and the padding): <|endoftext|>
}

// textLNEps is CLIPTextConfig's layer_norm_eps.
const textLNEps = 1e-5

func (c TextConfig) validate() error {
	switch {
	case c.Vocab <= 0 || c.Hidden <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.Intermediate <= 0 || c.Positions <= 1:
		return fmt.Errorf("imagetrain: text encoder sizes must be positive (vocab %d, hidden %d, layers %d, heads %d, intermediate %d, positions %d)",
			c.Vocab, c.Hidden, c.Layers, c.Heads, c.Intermediate, c.Positions)
	case c.Hidden%c.Heads != 0:
		return fmt.Errorf("imagetrain: text hidden size (%d) must be divisible by its heads (%d)", c.Hidden, c.Heads)
	case c.EOS < 0 || c.EOS >= c.Vocab:
		return fmt.Errorf("imagetrain: eos id %d outside the vocabulary [0, %d)", c.EOS, c.Vocab)
	}
	return nil
}

// transformersConfig is the text_encoder/config.json written for c.
func (c TextConfig) transformersConfig() map[string]any {
	return map[string]any{
		"architectures":           []string{"CLIPTextModel"},
		"model_type":              "clip_text_model",
		"vocab_size":              c.Vocab,
		"hidden_size":             c.Hidden,
		"intermediate_size":       c.Intermediate,
		"projection_dim":          c.Hidden,
		"num_hidden_layers":       c.Layers,
		"num_attention_heads":     c.Heads,
		"max_position_embeddings": c.Positions,
		"hidden_act":              "quick_gelu",
		"layer_norm_eps":          textLNEps,
		"attention_dropout":       0.0,
		"dropout":                 0.0,
		"initializer_range":       0.02,
		"initializer_factor":      1.0,
		"pad_token_id":            c.EOS,
		"bos_token_id":            c.EOS,
		"eos_token_id":            c.EOS,
		"torch_dtype":             "float32",
	}
}

func textLayer(i int) string { return fmt.Sprintf("text_model.encoder.layers.%d.", i) }

// params lists CLIPTextModel's weights in module order.
func (c TextConfig) params() []param {
	D, F := c.Hidden, c.Intermediate
	ps := []param{
		{"text_model.embeddings.token_embedding.weight", []int{c.Vocab, D}, initSmall},
		{"text_model.embeddings.position_embedding.weight", []int{c.Positions, D}, initSmall},
	}
	for i := range c.Layers {
		l := textLayer(i)
		for _, n := range []string{"self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj", "self_attn.out_proj"} {
			ps = append(ps, linP(l+n, D, D, true, false)...)
		}
		ps = append(ps, normP(l+"layer_norm1", D)...)
		ps = append(ps, linP(l+"mlp.fc1", D, F, true, false)...)
		ps = append(ps, linP(l+"mlp.fc2", F, D, true, false)...)
		ps = append(ps, normP(l+"layer_norm2", D)...)
	}
	return append(ps, normP("text_model.final_layer_norm", D)...)
}

// textForward is CLIPTextModel's last_hidden_state [B, T, D] for ids
// int32 [B, T] laid out from slot 0 (positions 0…T−1), without an
// attention mask (as diffusers' pipelines call it): pre-LayerNorm layers
// with causal attention and quick_gelu, then final_layer_norm — the
// engine's clip family.
func textForward(c TextConfig, w map[string]*Node, ids *Node) *Node {
	g := ids.Graph()
	B, T := ids.Shape().Dimensions[0], ids.Shape().Dimensions[1]
	D, H := c.Hidden, c.Heads
	hd := D / H
	pos := Iota(g, shapes.Make(dtypes.Int32, B, T), 1)
	x := Add(engine.Embed(w["text_model.embeddings.token_embedding.weight"], ids),
		engine.Embed(w["text_model.embeddings.position_embedding.weight"], pos))
	causal := GreaterOrEqual(Iota(g, shapes.Make(dtypes.Int32, T, T), 0), Iota(g, shapes.Make(dtypes.Int32, T, T), 1))
	causal = BroadcastToDims(Reshape(causal, 1, 1, T, T), B, H, T, T)
	for i := range c.Layers {
		p := func(n string) *Node { return w[textLayer(i)+n] }
		h := layerNorm(x, p("layer_norm1.weight"), p("layer_norm1.bias"), textLNEps)
		q := Reshape(linear(h, p("self_attn.q_proj.weight"), p("self_attn.q_proj.bias")), B, T, H, hd)
		k := Reshape(linear(h, p("self_attn.k_proj.weight"), p("self_attn.k_proj.bias")), B, T, H, hd)
		v := Reshape(linear(h, p("self_attn.v_proj.weight"), p("self_attn.v_proj.bias")), B, T, H, hd)
		s := MulScalar(contract("bthd,bshd->bhts", q, k, "bhts,bshd->bthd", "bhts,bthd->bshd"), 1/math.Sqrt(float64(hd)))
		s = Where(causal, s, Const(g, float32(-1e9)))
		a := contract("bhts,bshd->bthd", Softmax(s, -1), v, "bthd,bshd->bhts", "bthd,bhts->bshd")
		x = Add(x, linear(Reshape(a, B, T, D), p("self_attn.out_proj.weight"), p("self_attn.out_proj.bias")))
		h = layerNorm(x, p("layer_norm2.weight"), p("layer_norm2.bias"), textLNEps)
		f := linear(h, p("mlp.fc1.weight"), p("mlp.fc1.bias"))
		f = Mul(f, Sigmoid(MulScalar(f, 1.702))) // quick_gelu
		x = Add(x, linear(f, p("mlp.fc2.weight"), p("mlp.fc2.bias")))
	}
	return layerNorm(x, w["text_model.final_layer_norm.weight"], w["text_model.final_layer_norm.bias"], textLNEps)
}
