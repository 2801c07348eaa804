package clip

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// The Hugging Face architectures names this family loads.
const (
	// TextModel is CLIP's text tower alone (SDXL's text_encoder, CLIP-L;
	// FLUX's CLIP encoder): its embedding is the pooled output.
	TextModel = "CLIPTextModel"
	// TextModelWithProjection adds text_projection (SDXL's text_encoder_2,
	// OpenCLIP-bigG): its embedding is text_embeds.
	TextModelWithProjection = "CLIPTextModelWithProjection"
)

func init() {
	engine.Register(TextModel, New)
	engine.Register(TextModelWithProjection, New)
	engine.Register(FullModel, New)
}

// activations maps hidden_act to its function.
var activations = map[string]func(*Node) *Node{
	"quick_gelu":        quickGelu,
	"gelu":              engine.Gelu,
	"gelu_new":          engine.GeluTanh,
	"gelu_pytorch_tanh": engine.GeluTanh,
}

// quickGelu is OpenAI's approximation of GELU: x·σ(1.702·x).
func quickGelu(x *Node) *Node { return Mul(x, Sigmoid(MulScalar(x, 1.702))) }

// Model is a loaded CLIP text encoder (engine.Arch).
type Model struct {
	cfg     *Config
	arch    string
	project bool // CLIPTextModelWithProjection
	params  map[string]*tensors.Tensor
}

// New builds a CLIP text encoder from config.json bytes and weights named
// as transformers saves them ("text_model.embeddings.…",
// "text_model.encoder.layers.{i}.…", "text_model.final_layer_norm.…", and
// "text_projection.weight" for CLIPTextModelWithProjection). The
// architecture is the config's first "architectures" entry; buffers
// (text_model.embeddings.position_ids) are ignored. A whole CLIPModel
// gives its text tower as a CLIPTextModelWithProjection, as
// transformers' CLIPTextModelWithProjection.from_pretrained reads it
// (see [ParseFullConfig]); its vision weights are left unread
// ([LoadVision] reads them).
func New(config []byte, w engine.Weights) (engine.Arch, error) {
	arch, err := architecture(config)
	if err != nil {
		return nil, err
	}
	var c *Config
	if arch == FullModel {
		c, err = ParseFullConfig(config)
	} else {
		c, err = ParseConfig(config)
	}
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: c, arch: arch, project: arch != TextModel, params: map[string]*tensors.Tensor{}}
	D, F := c.HiddenSize, c.IntermediateSize
	specs := []spec{
		{"text_model.embeddings.token_embedding.weight", []int{c.VocabSize, D}},
		{"text_model.embeddings.position_embedding.weight", []int{c.MaxPositionEmbeddings, D}},
	}
	for i := range c.NumHiddenLayers {
		l := layerName(i) + "."
		for _, n := range []string{"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj"} {
			specs = append(specs, spec{l + n + ".weight", []int{D, D}}, spec{l + n + ".bias", []int{D}})
		}
		specs = append(specs,
			spec{l + "layer_norm1.weight", []int{D}}, spec{l + "layer_norm1.bias", []int{D}},
			spec{l + "layer_norm2.weight", []int{D}}, spec{l + "layer_norm2.bias", []int{D}},
			spec{l + "mlp.fc1.weight", []int{F, D}}, spec{l + "mlp.fc1.bias", []int{F}},
			spec{l + "mlp.fc2.weight", []int{D, F}}, spec{l + "mlp.fc2.bias", []int{D}},
		)
	}
	specs = append(specs, spec{"text_model.final_layer_norm.weight", []int{D}}, spec{"text_model.final_layer_norm.bias", []int{D}})
	if m.project {
		specs = append(specs, spec{"text_projection.weight", []int{c.ProjectionDim, D}})
	}
	for _, s := range specs {
		t, err := engine.LoadParam(w, s.name, s.dims...)
		if err != nil {
			if s.name == "text_projection.weight" && !engine.HasWeight(w, s.name) {
				return nil, fmt.Errorf("clip: %w (is this checkpoint a CLIPTextModel? its architectures say %s)", err, arch)
			}
			return nil, fmt.Errorf("clip: %w", err)
		}
		m.params[s.name] = t
	}
	return m, nil
}

// architecture returns the config's first architectures entry; without
// one, a config with a text_config is a CLIPModel and any other a
// CLIPTextModel.
func architecture(config []byte) (string, error) {
	var head struct {
		Architectures []string        `json:"architectures"`
		TextConfig    json.RawMessage `json:"text_config"`
	}
	if err := json.Unmarshal(config, &head); err != nil {
		return "", fmt.Errorf("clip: parse config: %w", err)
	}
	if len(head.Architectures) == 0 {
		if present(head.TextConfig) {
			return FullModel, nil
		}
		return TextModel, nil
	}
	switch a := head.Architectures[0]; a {
	case TextModel, TextModelWithProjection, FullModel:
		return a, nil
	default:
		return "", fmt.Errorf("clip: architecture %q is not a CLIP text encoder (want %s, %s or %s)", a, TextModel, TextModelWithProjection, FullModel)
	}
}

// spec is one expected weight: its name and shape.
type spec struct {
	name string
	dims []int
}

func layerName(i int) string { return fmt.Sprintf("text_model.encoder.layers.%d", i) }

// Config returns the parsed config.
func (m *Model) Config() *Config { return m.cfg }

// Projected reports whether the model is a CLIPTextModelWithProjection
// (or a CLIPModel's text tower), whose embedding is text_embeds rather
// than the pooled output.
func (m *Model) Projected() bool { return m.project }

// Info implements engine.Arch. MaxPositions is max_position_embeddings;
// EmbedWidth is projection_dim with a projection, hidden_size without.
func (m *Model) Info() engine.Info {
	c := m.cfg
	width := c.HiddenSize
	if m.project {
		width = c.ProjectionDim
	}
	return engine.Info{
		Family: "clip", Architecture: m.arch,
		NumLayers: c.NumHiddenLayers, HiddenSize: c.HiddenSize, VocabSize: c.VocabSize,
		NumKeyValueHeads: c.NumAttentionHeads, HeadDim: c.HiddenSize / c.NumAttentionHeads,
		MaxPositions: c.MaxPositionEmbeddings,
		BOS:          optID(c.BOSTokenID), EOS: optID(c.EOSTokenID), Pad: optID(c.PadTokenID),
		EmbedWidth: width,
	}
}

// Points implements engine.Arch: text_model.embeddings (token plus
// position embeddings, transformers' hidden_states[0]); per layer i, under
// text_model.encoder.layers.{i}: layer_norm1, self_attn.q_proj, k_proj and
// v_proj, self_attn.out_proj:input (the heads concatenated), out_proj,
// self_attn (the same value as out_proj), layer_norm2, mlp.fc1,
// mlp.activation_fn, mlp.fc2, mlp (the same value as fc2), and the layer
// itself (after both residual adds: hidden_states[i+1]); then
// text_model.final_layer_norm (last_hidden_state).
func (m *Model) Points() []engine.Point {
	D, F := m.cfg.HiddenSize, m.cfg.IntermediateSize
	pts := []engine.Point{{Name: "text_model.embeddings", Width: D}}
	for i := range m.cfg.NumHiddenLayers {
		l := layerName(i)
		pts = append(pts,
			engine.Point{Name: l + ".layer_norm1", Width: D},
			engine.Point{Name: l + ".self_attn.q_proj", Width: D},
			engine.Point{Name: l + ".self_attn.k_proj", Width: D},
			engine.Point{Name: l + ".self_attn.v_proj", Width: D},
			engine.Point{Name: engine.InputPoint(l + ".self_attn.out_proj"), Width: D},
			engine.Point{Name: l + ".self_attn.out_proj", Width: D},
			engine.Point{Name: l + ".self_attn", Width: D},
			engine.Point{Name: l + ".layer_norm2", Width: D},
			engine.Point{Name: l + ".mlp.fc1", Width: F},
			engine.Point{Name: l + ".mlp.activation_fn", Width: F},
			engine.Point{Name: l + ".mlp.fc2", Width: D},
			engine.Point{Name: l + ".mlp", Width: D},
			engine.Point{Name: l, Width: D},
		)
	}
	return append(pts, engine.Point{Name: FinalLayerNorm, Width: D})
}

// FinalLayerNorm is the point of last_hidden_state.
const FinalLayerNorm = "text_model.final_layer_norm"

// HiddenState returns the point of transformers' hidden_states[k] for a
// model of n layers: text_model.embeddings for k = 0, the output of layer
// k−1 otherwise; a negative k counts from the end as in Python, so
// HiddenState(-2, n) is the output of layer n−2, the penultimate hidden
// state SDXL conditions on. These states are not final-layer-normed.
func HiddenState(k, n int) string {
	if k < 0 {
		k += n + 1
	}
	if k <= 0 {
		return "text_model.embeddings"
	}
	return layerName(k - 1)
}

// Penultimate is the point of hidden_states[-2] of m: the output of layer
// num_hidden_layers − 2, before the final layer norm.
func (m *Model) Penultimate() string { return HiddenState(-2, m.cfg.NumHiddenLayers) }

// Params implements engine.Arch, by Hugging Face name.
func (m *Model) Params() map[string]*tensors.Tensor { return m.params }

// Forward implements engine.Arch: embeddings, the pre-LayerNorm layers
// with causal attention over the real tokens, the final layer norm. It
// returns last_hidden_state [B, T, hidden_size].
func (m *Model) Forward(p *engine.Pass) *Node {
	c := m.cfg
	hd := c.HiddenSize / c.NumAttentionHeads
	w := p.Weight
	e := "text_model.embeddings."
	x := Add(engine.Embed(w(e+"token_embedding.weight"), p.Tokens), engine.Embed(w(e+"position_embedding.weight"), m.positions(p)))
	x = p.Point("text_model.embeddings", x)

	ops := layerOps{weight: w, point: p.Point, heads: c.NumAttentionHeads, eps: c.LayerNormEps, act: activations[c.HiddenAct]}
	for i := range c.NumHiddenLayers {
		x = ops.layer(layerName(i), x, func(q, k, v *Node) *Node {
			return p.Attend(i, q, k, v, engine.AttnOptions{Scale: 1 / math.Sqrt(float64(hd))})
		})
	}
	return p.Point(FinalLayerNorm, engine.LayerNorm(x, w("text_model.final_layer_norm.weight"), w("text_model.final_layer_norm.bias"), c.LayerNormEps))
}

// positions are the position ids: each slot's distance from the row's
// first real token,
//
//	pos[t] = clamp(t − first, 0, max_position_embeddings − 1)
//
// transformers uses the slot index (position_ids = arange(T)) whatever the
// mask, and this is the same for rows without left padding, padding slots
// included; a left-padded row gets the positions it has alone, as the
// engine's other families do. Slots past the table (bucket padding) take
// its last row; causal attention keeps them from every earlier slot.
func (m *Model) positions(p *engine.Pass) *Node {
	g := p.Graph()
	B, T := p.Batch, p.Len
	slot := Iota(g, shapes.Make(dtypes.Int32, B, T), 1)
	first := ReduceAndKeep(Where(p.Valid(), slot, BroadcastToDims(Const(g, int32(T)), B, T)), ReduceMin, 1) // [B, 1]
	pos := Sub(slot, BroadcastToDims(first, B, T))
	return ClipScalar(pos, 0, float64(m.cfg.MaxPositionEmbeddings-1))
}

// Logits implements engine.Arch: the model's output embedding at every
// position of h (last_hidden_state): h itself for CLIPTextModel (its
// pooled output is h at the end-of-text token), text_projection(h) for
// CLIPTextModelWithProjection (text_embeds there). Callers read it at
// [Config.PoolIndex]; [Encode] does.
func (m *Model) Logits(p *engine.Pass, h *Node) *Node {
	if !m.project {
		return h
	}
	return engine.Linear(h, p.Weight("text_projection.weight"), nil)
}
