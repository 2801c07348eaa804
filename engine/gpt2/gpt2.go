package gpt2

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

func init() {
	engine.Register("GPT2LMHeadModel", New)
}

// Config is the part of a GPT-2 config.json the family reads, named as in
// Hugging Face's GPT2Config.
type Config struct {
	VocabSize          int     `json:"vocab_size"`
	NPositions         int     `json:"n_positions"`
	NEmbd              int     `json:"n_embd"`
	NLayer             int     `json:"n_layer"`
	NHead              int     `json:"n_head"`
	NInner             *int    `json:"n_inner"`
	ActivationFunction string  `json:"activation_function"`
	LayerNormEpsilon   float64 `json:"layer_norm_epsilon"`
	BOSTokenID         *int    `json:"bos_token_id"`
	EOSTokenID         *int    `json:"eos_token_id"`
	PadTokenID         *int    `json:"pad_token_id"`
}

// ParseConfig reads and validates a GPT-2 config.json. Missing fields take
// GPT2Config's defaults.
func ParseConfig(data []byte) (*Config, error) {
	c := &Config{VocabSize: 50257, NPositions: 1024, NEmbd: 768, NLayer: 12, NHead: 12,
		ActivationFunction: "gelu_new", LayerNormEpsilon: 1e-5}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("gpt2: parse config: %w", err)
	}
	switch {
	case c.NEmbd <= 0 || c.NLayer <= 0 || c.NHead <= 0 || c.VocabSize <= 0 || c.NPositions <= 0:
		return nil, fmt.Errorf("gpt2: config sizes must be positive (n_embd %d, n_layer %d, n_head %d, vocab_size %d, n_positions %d)",
			c.NEmbd, c.NLayer, c.NHead, c.VocabSize, c.NPositions)
	case c.NEmbd%c.NHead != 0:
		return nil, fmt.Errorf("gpt2: n_embd (%d) must be divisible by n_head (%d)", c.NEmbd, c.NHead)
	case c.ActivationFunction != "gelu_new" && c.ActivationFunction != "gelu_pytorch_tanh":
		return nil, fmt.Errorf("gpt2: activation_function %q is not supported (want gelu_new)", c.ActivationFunction)
	case c.NInner != nil && *c.NInner <= 0:
		return nil, fmt.Errorf("gpt2: n_inner (%d) must be positive", *c.NInner)
	}
	return c, nil
}

// Inner is the MLP width: n_inner, or 4·n_embd when unset.
func (c *Config) Inner() int {
	if c.NInner != nil {
		return *c.NInner
	}
	return 4 * c.NEmbd
}

// Model is a loaded GPT-2 (engine.Arch).
type Model struct {
	cfg    *Config
	params map[string]*tensors.Tensor
}

// New builds a GPT-2 from config.json bytes and weights. It accepts both
// checkpoint namings: with the "transformer." prefix (GPT2LMHeadModel) and
// without it (the bare GPT2Model the Hub's gpt2 ships); the attention mask
// buffers attn.bias and attn.masked_bias are ignored. The output head is
// tied to the token embeddings.
func New(config []byte, w engine.Weights) (engine.Arch, error) {
	c, err := ParseConfig(config)
	if err != nil {
		return nil, err
	}
	prefix := "transformer."
	if !engine.HasWeight(w, "transformer.wte.weight") && engine.HasWeight(w, "wte.weight") {
		prefix = ""
	}
	m := &Model{cfg: c, params: map[string]*tensors.Tensor{}}
	D, F := c.NEmbd, c.Inner()
	add := func(name string, dims ...int) error {
		var t *tensors.Tensor
		var err error
		if strings.HasPrefix(name, "h.") && len(dims) == 2 {
			// Conv1D [in, out], kept as [out, in] for engine.Linear.
			t, err = engine.LoadParamT(w, prefix+name, dims[0], dims[1])
		} else {
			t, err = engine.LoadParam(w, prefix+name, dims...)
		}
		if err != nil {
			return fmt.Errorf("gpt2: %w", err)
		}
		m.params["transformer."+name] = t
		return nil
	}
	specs := []spec{{"wte.weight", []int{c.VocabSize, D}}, {"wpe.weight", []int{c.NPositions, D}},
		{"ln_f.weight", []int{D}}, {"ln_f.bias", []int{D}}}
	for i := range c.NLayer {
		h := fmt.Sprintf("h.%d.", i)
		specs = append(specs,
			spec{h + "ln_1.weight", []int{D}},
			spec{h + "ln_1.bias", []int{D}},
			spec{h + "attn.c_attn.weight", []int{D, 3 * D}},
			spec{h + "attn.c_attn.bias", []int{3 * D}},
			spec{h + "attn.c_proj.weight", []int{D, D}},
			spec{h + "attn.c_proj.bias", []int{D}},
			spec{h + "ln_2.weight", []int{D}},
			spec{h + "ln_2.bias", []int{D}},
			spec{h + "mlp.c_fc.weight", []int{D, F}},
			spec{h + "mlp.c_fc.bias", []int{F}},
			spec{h + "mlp.c_proj.weight", []int{F, D}},
			spec{h + "mlp.c_proj.bias", []int{D}},
		)
	}
	for _, s := range specs {
		if err := add(s.name, s.dims...); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Info implements engine.Arch.
func (m *Model) Info() engine.Info {
	c := m.cfg
	id := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	info := engine.Info{
		Family: "gpt2", Architecture: "GPT2LMHeadModel",
		NumLayers: c.NLayer, HiddenSize: c.NEmbd, VocabSize: c.VocabSize,
		NumKeyValueHeads: c.NHead, HeadDim: c.NEmbd / c.NHead,
		MaxPositions: c.NPositions,
		BOS:          id(c.BOSTokenID), EOS: id(c.EOSTokenID), Pad: id(c.PadTokenID),
	}
	if c.EOSTokenID != nil {
		info.StopTokens = []int{*c.EOSTokenID}
	}
	return info
}

// Points implements engine.Arch: per block ln_1, attn.c_proj:input (the
// merged heads c_proj receives), attn.c_proj, ln_2, mlp.c_fc (before the
// GELU), mlp.c_proj and the block output transformer.h.{i}; then ln_f.
func (m *Model) Points() []engine.Point {
	D, F := m.cfg.NEmbd, m.cfg.Inner()
	var pts []engine.Point
	for i := range m.cfg.NLayer {
		h := fmt.Sprintf("transformer.h.%d", i)
		pts = append(pts,
			engine.Point{Name: h + ".ln_1", Width: D},
			engine.Point{Name: engine.InputPoint(h + ".attn.c_proj"), Width: D},
			engine.Point{Name: h + ".attn.c_proj", Width: D},
			engine.Point{Name: h + ".ln_2", Width: D},
			engine.Point{Name: h + ".mlp.c_fc", Width: F},
			engine.Point{Name: h + ".mlp.c_proj", Width: D},
			engine.Point{Name: h, Width: D},
		)
	}
	return append(pts, engine.Point{Name: "transformer.ln_f", Width: D})
}

// Params implements engine.Arch; names always carry the "transformer."
// prefix, and the Conv1D weights are stored transposed, [out, in].
func (m *Model) Params() map[string]*tensors.Tensor { return m.params }

// Forward implements engine.Arch.
func (m *Model) Forward(p *engine.Pass) *Node {
	c := m.cfg
	D, H := c.NEmbd, c.NHead
	hd := D / H
	B, T := p.Batch, p.Len
	eps := c.LayerNormEpsilon
	w := func(name string) *Node { return p.Weight("transformer." + name) }
	x := Add(engine.Embed(w("wte.weight"), p.Tokens), engine.Embed(w("wpe.weight"), p.Positions))
	for i := range c.NLayer {
		pre := fmt.Sprintf("h.%d.", i)
		pt := "transformer." + pre
		h := p.Point(pt+"ln_1", engine.LayerNorm(x, w(pre+"ln_1.weight"), w(pre+"ln_1.bias"), eps))
		qkv := engine.Linear(h, w(pre+"attn.c_attn.weight"), w(pre+"attn.c_attn.bias"))
		split := func(k int) *Node {
			return Reshape(Slice(qkv, AxisRange(), AxisRange(), AxisRange(k*D, (k+1)*D)), B, T, H, hd)
		}
		a := p.Attend(i, split(0), split(1), split(2), engine.AttnOptions{Scale: 1 / math.Sqrt(float64(hd))})
		a = p.Point(engine.InputPoint(pt+"attn.c_proj"), a)
		a = p.Point(pt+"attn.c_proj", engine.Linear(a, w(pre+"attn.c_proj.weight"), w(pre+"attn.c_proj.bias")))
		x = Add(x, a)
		h = p.Point(pt+"ln_2", engine.LayerNorm(x, w(pre+"ln_2.weight"), w(pre+"ln_2.bias"), eps))
		f := p.Point(pt+"mlp.c_fc", engine.Linear(h, w(pre+"mlp.c_fc.weight"), w(pre+"mlp.c_fc.bias")))
		f = p.Point(pt+"mlp.c_proj", engine.Linear(engine.GeluTanh(f), w(pre+"mlp.c_proj.weight"), w(pre+"mlp.c_proj.bias")))
		x = p.Point(strings.TrimSuffix(pt, "."), Add(x, f))
	}
	return p.Point("transformer.ln_f", engine.LayerNorm(x, w("ln_f.weight"), w("ln_f.bias"), eps))
}

// Logits implements engine.Arch: h·wteᵀ (tied head).
func (m *Model) Logits(p *engine.Pass, h *Node) *Node {
	return engine.Linear(h, p.Weight("transformer.wte.weight"), nil)
}

// spec is one expected weight: its name without prefix and its shape.
type spec struct {
	name string
	dims []int
}
