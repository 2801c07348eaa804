package gemma2

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// Architecture is the Hugging Face architectures name this family loads.
const Architecture = "Gemma2ForCausalLM"

func init() {
	engine.Register(Architecture, func(config []byte, w engine.Weights) (engine.Arch, error) {
		return New(config, w)
	})
}

// Model is a loaded Gemma-2 model (an [engine.Arch]).
type Model struct {
	cfg     *Config
	invFreq []float32
	params  map[string]*tensors.Tensor
	tied    bool
}

// New builds a model from config.json bytes and weights. The output head
// is the token embedding table unless tie_word_embeddings is false, in
// which case lm_head.weight is required.
func New(config []byte, w engine.Weights) (*Model, error) {
	c, err := ParseConfig(config)
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: c, invFreq: c.InvFreq(), params: map[string]*tensors.Tensor{}, tied: c.Tied()}
	D, F, V := c.HiddenSize, c.IntermediateSize, c.VocabSize
	q, kv := c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim
	type spec struct {
		name string
		dims []int
	}
	specs := []spec{{"model.embed_tokens.weight", []int{V, D}}, {"model.norm.weight", []int{D}}}
	if !m.tied {
		specs = append(specs, spec{"lm_head.weight", []int{V, D}})
	}
	for i := range c.NumHiddenLayers {
		l := fmt.Sprintf("model.layers.%d.", i)
		specs = append(specs,
			spec{l + "input_layernorm.weight", []int{D}},
			spec{l + "post_attention_layernorm.weight", []int{D}},
			spec{l + "pre_feedforward_layernorm.weight", []int{D}},
			spec{l + "post_feedforward_layernorm.weight", []int{D}},
			spec{l + "self_attn.q_proj.weight", []int{q, D}},
			spec{l + "self_attn.k_proj.weight", []int{kv, D}},
			spec{l + "self_attn.v_proj.weight", []int{kv, D}},
			spec{l + "self_attn.o_proj.weight", []int{D, q}},
			spec{l + "mlp.gate_proj.weight", []int{F, D}},
			spec{l + "mlp.up_proj.weight", []int{F, D}},
			spec{l + "mlp.down_proj.weight", []int{D, F}},
		)
	}
	for _, s := range specs {
		t, err := engine.LoadParam(w, s.name, s.dims...)
		if err != nil {
			return nil, fmt.Errorf("gemma2: %w", err)
		}
		m.params[s.name] = t
	}
	return m, nil
}

// Config returns the parsed configuration.
func (m *Model) Config() *Config { return m.cfg }

// InvFreq returns the rotary inverse frequencies in use.
func (m *Model) InvFreq() []float32 { return m.invFreq }

// Info implements [engine.Arch].
func (m *Model) Info() engine.Info {
	c := m.cfg
	info := engine.Info{
		Family: "gemma2", Architecture: Architecture,
		NumLayers: c.NumHiddenLayers, HiddenSize: c.HiddenSize, VocabSize: c.VocabSize,
		NumKeyValueHeads: c.NumKeyValueHeads, HeadDim: c.HeadDim,
		BOS: deref(c.BOSTokenID), EOS: -1, Pad: deref(c.PadTokenID), StopTokens: c.EOS,
	}
	if len(c.EOS) > 0 {
		info.EOS = c.EOS[0]
	}
	return info
}

// Points implements [engine.Arch]: model.embed_tokens (the lookup, before
// the √hidden_size scaling); per layer i, in module order,
// input_layernorm, self_attn.{q,k,v}_proj, self_attn.o_proj:input (the
// merged heads o_proj receives, num_attention_heads·head_dim wide),
// self_attn.o_proj, self_attn
// (= o_proj's output), post_attention_layernorm, pre_feedforward_layernorm,
// mlp.{gate,up,down}_proj, mlp (= down_proj's output),
// post_feedforward_layernorm and the layer output model.layers.{i}; then
// model.norm.
func (m *Model) Points() []engine.Point {
	c := m.cfg
	D, F := c.HiddenSize, c.IntermediateSize
	q, kv := c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim
	pts := []engine.Point{{Name: "model.embed_tokens", Width: D}}
	for i := range c.NumHiddenLayers {
		l := fmt.Sprintf("model.layers.%d", i)
		pts = append(pts,
			engine.Point{Name: l + ".input_layernorm", Width: D},
			engine.Point{Name: l + ".self_attn.q_proj", Width: q},
			engine.Point{Name: l + ".self_attn.k_proj", Width: kv},
			engine.Point{Name: l + ".self_attn.v_proj", Width: kv},
			engine.Point{Name: engine.InputPoint(l + ".self_attn.o_proj"), Width: q},
			engine.Point{Name: l + ".self_attn.o_proj", Width: D},
			engine.Point{Name: l + ".self_attn", Width: D},
			engine.Point{Name: l + ".post_attention_layernorm", Width: D},
			engine.Point{Name: l + ".pre_feedforward_layernorm", Width: D},
			engine.Point{Name: l + ".mlp.gate_proj", Width: F},
			engine.Point{Name: l + ".mlp.up_proj", Width: F},
			engine.Point{Name: l + ".mlp.down_proj", Width: D},
			engine.Point{Name: l + ".mlp", Width: D},
			engine.Point{Name: l + ".post_feedforward_layernorm", Width: D},
			engine.Point{Name: l, Width: D},
		)
	}
	return append(pts, engine.Point{Name: "model.norm", Width: D})
}

// Params implements [engine.Arch].
func (m *Model) Params() map[string]*tensors.Tensor { return m.params }

// Forward implements [engine.Arch]. With e = embed_tokens(ids)·√D,
// per layer
//
//	x += post_attention_layernorm(o_proj(attn(rope(q), rope(k), v))), q, k, v from input_layernorm(x)
//	x += post_feedforward_layernorm(down_proj(gelu_tanh(gate_proj(h)) ⊙ up_proj(h))), h = pre_feedforward_layernorm(x)
//
// and model.norm(x) at the end. Attention scales q·k by
// query_pre_attn_scalar^(−1/2), soft-caps the scores before the mask and
// slides its window on the layers [Config.Window] names.
func (m *Model) Forward(p *engine.Pass) *Node {
	c := m.cfg
	B, T := p.Batch, p.Len
	H, KV, hd := c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	eps := c.RMSNormEps
	x := p.Point("model.embed_tokens", engine.Embed(p.Weight("model.embed_tokens.weight"), p.Tokens))
	x = Mul(x, Scalar(p.Graph(), x.DType(), c.EmbedScale()))
	for i := range c.NumHiddenLayers {
		l := fmt.Sprintf("model.layers.%d", i)
		lin := func(name string, in *Node) *Node {
			return p.Point(l+"."+name, engine.Linear(in, p.Weight(l+"."+name+".weight"), nil))
		}
		norm := func(name string, in *Node) *Node {
			return p.Point(l+"."+name, engine.RMSNorm(in, p.Weight(l+"."+name+".weight"), eps, true))
		}
		h := norm("input_layernorm", x)
		q := Reshape(lin("self_attn.q_proj", h), B, T, H, hd)
		k := Reshape(lin("self_attn.k_proj", h), B, T, KV, hd)
		v := Reshape(lin("self_attn.v_proj", h), B, T, KV, hd)
		q = engine.RoPE(q, p.Positions, m.invFreq)
		k = engine.RoPE(k, p.Positions, m.invFreq)
		a := p.Attend(i, q, k, v, engine.AttnOptions{Scale: c.QueryScale(), Softcap: c.AttnSoftcap(), Window: c.Window(i)})
		a = p.Point(engine.InputPoint(l+".self_attn.o_proj"), a)
		a = p.Point(l+".self_attn", lin("self_attn.o_proj", a))
		x = Add(x, norm("post_attention_layernorm", a))
		h = norm("pre_feedforward_layernorm", x)
		f := Mul(engine.GeluTanh(lin("mlp.gate_proj", h)), lin("mlp.up_proj", h))
		f = p.Point(l+".mlp", lin("mlp.down_proj", f))
		x = p.Point(l, Add(x, norm("post_feedforward_layernorm", f)))
	}
	return p.Point("model.norm", engine.RMSNorm(x, p.Weight("model.norm.weight"), eps, true))
}

// Logits implements [engine.Arch]: the tied (or separate) output head, then
// the final soft-cap, cap·tanh(logits/cap), when the config sets one.
func (m *Model) Logits(p *engine.Pass, h *Node) *Node {
	head := "model.embed_tokens.weight"
	if !m.tied {
		head = "lm_head.weight"
	}
	logits := engine.Linear(h, p.Weight(head), nil)
	if sc := m.cfg.FinalSoftcap(); sc > 0 {
		logits = MulScalar(Tanh(DivScalar(logits, sc)), sc)
	}
	return logits
}
