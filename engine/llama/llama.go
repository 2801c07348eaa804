package llama

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

func init() {
	for _, arch := range []string{"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"} {
		engine.Register(arch, func(config []byte, w engine.Weights) (engine.Arch, error) {
			return New(config, arch, w)
		})
	}
}

// Model is a loaded Llama-style model (engine.Arch).
type Model struct {
	cfg     *Config
	invFreq []float32
	params  map[string]*tensors.Tensor
	tied    bool
}

// New builds a model of the given architecture from config.json bytes and
// weights. The output head is lm_head.weight, or the token embeddings when
// tie_word_embeddings is set or the checkpoint has no lm_head.weight.
func New(config []byte, architecture string, w engine.Weights) (*Model, error) {
	c, err := ParseConfig(config, architecture)
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: c, invFreq: c.InvFreq(), params: map[string]*tensors.Tensor{}}
	D, F, V := c.HiddenSize, c.IntermediateSize, c.VocabSize
	q, kv := c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim
	type spec struct {
		name string
		dims []int
	}
	specs := []spec{{"model.embed_tokens.weight", []int{V, D}}, {"model.norm.weight", []int{D}}}
	m.tied = c.TieWordEmbeddings || !engine.HasWeight(w, "lm_head.weight")
	if !m.tied {
		specs = append(specs, spec{"lm_head.weight", []int{V, D}})
	}
	for i := range c.NumHiddenLayers {
		l := fmt.Sprintf("model.layers.%d.", i)
		specs = append(specs,
			spec{l + "input_layernorm.weight", []int{D}},
			spec{l + "post_attention_layernorm.weight", []int{D}},
			spec{l + "self_attn.q_proj.weight", []int{q, D}},
			spec{l + "self_attn.k_proj.weight", []int{kv, D}},
			spec{l + "self_attn.v_proj.weight", []int{kv, D}},
			spec{l + "self_attn.o_proj.weight", []int{D, q}},
			spec{l + "mlp.gate_proj.weight", []int{F, D}},
			spec{l + "mlp.up_proj.weight", []int{F, D}},
			spec{l + "mlp.down_proj.weight", []int{D, F}},
		)
		if c.QKVBias {
			specs = append(specs,
				spec{l + "self_attn.q_proj.bias", []int{q}},
				spec{l + "self_attn.k_proj.bias", []int{kv}},
				spec{l + "self_attn.v_proj.bias", []int{kv}})
		}
		if c.OBias {
			specs = append(specs, spec{l + "self_attn.o_proj.bias", []int{D}})
		}
		if c.MLPBias {
			specs = append(specs,
				spec{l + "mlp.gate_proj.bias", []int{F}},
				spec{l + "mlp.up_proj.bias", []int{F}},
				spec{l + "mlp.down_proj.bias", []int{D}})
		}
	}
	for _, s := range specs {
		t, err := engine.LoadParam(w, s.name, s.dims...)
		if err != nil {
			return nil, fmt.Errorf("llama: %w", err)
		}
		m.params[s.name] = t
	}
	return m, nil
}

// Config returns the parsed configuration.
func (m *Model) Config() *Config { return m.cfg }

// InvFreq returns the rotary inverse frequencies in use (after scaling).
func (m *Model) InvFreq() []float32 { return m.invFreq }

// Info implements engine.Arch.
func (m *Model) Info() engine.Info {
	c := m.cfg
	info := engine.Info{
		Family: "llama", Architecture: c.Architecture,
		NumLayers: c.NumHiddenLayers, HiddenSize: c.HiddenSize, VocabSize: c.VocabSize,
		NumKeyValueHeads: c.NumKeyValueHeads, HeadDim: c.HeadDim,
		BOS: -1, EOS: -1, Pad: -1, StopTokens: c.EOS,
	}
	if c.BOSTokenID != nil {
		info.BOS = *c.BOSTokenID
	}
	if len(c.EOS) > 0 {
		info.EOS = c.EOS[0]
	}
	if c.PadTokenID != nil {
		info.Pad = *c.PadTokenID
	}
	return info
}

// Points implements engine.Arch: model.embed_tokens; per layer i
// input_layernorm, self_attn.{q,k,v}_proj, self_attn.o_proj:input (the
// merged heads o_proj receives, num_attention_heads·head_dim wide),
// self_attn.o_proj, self_attn (= o_proj's output),
// post_attention_layernorm, mlp.{gate,up,down}_proj, mlp (= down_proj's
// output) and the layer output model.layers.{i}; then model.norm.
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
			engine.Point{Name: l + ".mlp.gate_proj", Width: F},
			engine.Point{Name: l + ".mlp.up_proj", Width: F},
			engine.Point{Name: l + ".mlp.down_proj", Width: D},
			engine.Point{Name: l + ".mlp", Width: D},
			engine.Point{Name: l, Width: D},
		)
	}
	return append(pts, engine.Point{Name: "model.norm", Width: D})
}

// Params implements engine.Arch.
func (m *Model) Params() map[string]*tensors.Tensor { return m.params }

// Forward implements engine.Arch:
//
//	x += o_proj(attn(rope(q), rope(k), v)) on input_layernorm(x)
//	x += down_proj(silu(gate_proj(h)) ⊙ up_proj(h)), h = post_attention_layernorm(x)
func (m *Model) Forward(p *engine.Pass) *Node {
	c := m.cfg
	B, T := p.Batch, p.Len
	H, KV, hd := c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	eps := c.RMSNormEps
	opt := func(name string) *Node {
		if _, ok := m.params[name]; ok {
			return p.Weight(name)
		}
		return nil
	}
	x := p.Point("model.embed_tokens", engine.Embed(p.Weight("model.embed_tokens.weight"), p.Tokens))
	for i := range c.NumHiddenLayers {
		l := fmt.Sprintf("model.layers.%d", i)
		lin := func(name string, in *Node) *Node {
			return p.Point(l+"."+name, engine.Linear(in, p.Weight(l+"."+name+".weight"), opt(l+"."+name+".bias")))
		}
		h := p.Point(l+".input_layernorm", engine.RMSNorm(x, p.Weight(l+".input_layernorm.weight"), eps, false))
		q := Reshape(lin("self_attn.q_proj", h), B, T, H, hd)
		k := Reshape(lin("self_attn.k_proj", h), B, T, KV, hd)
		v := Reshape(lin("self_attn.v_proj", h), B, T, KV, hd)
		q = engine.RoPE(q, p.Positions, m.invFreq)
		k = engine.RoPE(k, p.Positions, m.invFreq)
		a := p.Attend(i, q, k, v, engine.AttnOptions{Scale: 1 / math.Sqrt(float64(hd)), Window: c.Window})
		a = p.Point(engine.InputPoint(l+".self_attn.o_proj"), a)
		a = p.Point(l+".self_attn", lin("self_attn.o_proj", a))
		x = Add(x, a)
		h = p.Point(l+".post_attention_layernorm", engine.RMSNorm(x, p.Weight(l+".post_attention_layernorm.weight"), eps, false))
		f := Mul(engine.SiLU(lin("mlp.gate_proj", h)), lin("mlp.up_proj", h))
		f = p.Point(l+".mlp", lin("mlp.down_proj", f))
		x = p.Point(l, Add(x, f))
	}
	return p.Point("model.norm", engine.RMSNorm(x, p.Weight("model.norm.weight"), eps, false))
}

// Logits implements engine.Arch: lm_head, or the tied embeddings.
func (m *Model) Logits(p *engine.Pass, h *Node) *Node {
	if m.tied {
		return engine.Linear(h, p.Weight("model.embed_tokens.weight"), nil)
	}
	return engine.Linear(h, p.Weight("lm_head.weight"), nil)
}
