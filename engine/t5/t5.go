package t5

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// EncoderModel is the Hugging Face architectures name this family loads:
// T5's encoder alone (FLUX's and SD3's text_encoder_2 / _3).
const EncoderModel = "T5EncoderModel"

func init() {
	engine.Register(EncoderModel, New)
}

// activations maps dense_act_fn to its function.
var activations = map[string]func(*Node) *Node{
	"relu":              relu,
	"gelu":              engine.Gelu,
	"gelu_new":          engine.GeluTanh,
	"gelu_pytorch_tanh": engine.GeluTanh,
	"silu":              engine.SiLU,
	"swish":             engine.SiLU,
}

func relu(x *Node) *Node { return Max(x, ZerosLike(x)) }

func activationNames() string {
	var names []string
	for n := range activations {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// Canonical names of the weights every block shares.
const (
	embedding             = "shared.weight"
	relativeAttentionBias = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"
	finalLayerNormWeight  = "encoder.final_layer_norm.weight"
)

// Model is a loaded T5 encoder (engine.Arch).
type Model struct {
	cfg    *Config
	params map[string]*tensors.Tensor
}

// New builds a T5 encoder from config.json bytes and weights named as
// transformers saves a T5EncoderModel: the token embedding under
// "shared.weight" (or "encoder.embed_tokens.weight", the same tied
// tensor, when only that is stored), "encoder.block.{i}.layer.0.…" (self
// attention; block 0 alone holds relative_attention_bias),
// "encoder.block.{i}.layer.1.…" (feed-forward) and
// "encoder.final_layer_norm.weight". A whole T5 checkpoint's decoder and
// lm_head weights are ignored, as T5EncoderModel.from_pretrained ignores
// them.
func New(config []byte, w engine.Weights) (engine.Arch, error) {
	var head struct {
		Architectures []string `json:"architectures"`
		IsDecoder     bool     `json:"is_decoder"`
	}
	if err := json.Unmarshal(config, &head); err != nil {
		return nil, fmt.Errorf("t5: parse config: %w", err)
	}
	if len(head.Architectures) > 0 && head.Architectures[0] != EncoderModel {
		return nil, fmt.Errorf("t5: architecture %q is not a T5 encoder (want %s)", head.Architectures[0], EncoderModel)
	}
	if head.IsDecoder {
		return nil, fmt.Errorf("t5: is_decoder is true: the family runs T5's encoder only")
	}
	c, err := ParseConfig(config)
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: c, params: map[string]*tensors.Tensor{}}
	D, I, F := c.DModel, c.InnerDim(), c.DFF
	specs := []spec{
		{embedding, []int{c.VocabSize, D}},
		{relativeAttentionBias, []int{c.RelativeAttentionNumBuckets, c.NumHeads}},
	}
	for i := range c.NumLayers {
		b := blockName(i)
		specs = append(specs,
			spec{b + ".layer.0.layer_norm.weight", []int{D}},
			spec{b + ".layer.0.SelfAttention.q.weight", []int{I, D}},
			spec{b + ".layer.0.SelfAttention.k.weight", []int{I, D}},
			spec{b + ".layer.0.SelfAttention.v.weight", []int{I, D}},
			spec{b + ".layer.0.SelfAttention.o.weight", []int{D, I}},
			spec{b + ".layer.1.layer_norm.weight", []int{D}},
		)
		ff := b + ".layer.1.DenseReluDense."
		if c.IsGatedAct {
			specs = append(specs, spec{ff + "wi_0.weight", []int{F, D}}, spec{ff + "wi_1.weight", []int{F, D}})
		} else {
			specs = append(specs, spec{ff + "wi.weight", []int{F, D}})
		}
		specs = append(specs, spec{ff + "wo.weight", []int{D, F}})
	}
	specs = append(specs, spec{finalLayerNormWeight, []int{D}})
	for _, s := range specs {
		src := s.name
		if src == embedding && !engine.HasWeight(w, src) && engine.HasWeight(w, "encoder.embed_tokens.weight") {
			src = "encoder.embed_tokens.weight"
		}
		t, err := engine.LoadParam(w, src, s.dims...)
		if err != nil {
			return nil, fmt.Errorf("t5: %w", err)
		}
		m.params[s.name] = t
	}
	return m, nil
}

// spec is one expected weight: its name and shape.
type spec struct {
	name string
	dims []int
}

func blockName(i int) string { return fmt.Sprintf("encoder.block.%d", i) }

// Config returns the parsed config.
func (m *Model) Config() *Config { return m.cfg }

// Info implements engine.Arch. The encoder has no head: EmbedWidth is
// d_model and the engine's Logits are last_hidden_state. MaxPositions is
// 0: relative positions bound no length.
func (m *Model) Info() engine.Info {
	c := m.cfg
	id := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	return engine.Info{
		Family: "t5", Architecture: EncoderModel,
		NumLayers: c.NumLayers, HiddenSize: c.DModel, VocabSize: c.VocabSize,
		NumKeyValueHeads: c.NumHeads, HeadDim: c.DKV,
		BOS: -1, EOS: id(c.EOSTokenID), Pad: id(c.PadTokenID),
		EmbedWidth: c.DModel,
	}
}

// Points implements engine.Arch, in the order the encoder computes them:
// encoder.embed_tokens (hidden_states[0]); per block i, under
// encoder.block.{i}: layer.0.layer_norm, layer.0.SelfAttention.q, .k and
// .v (num_heads·d_kv wide), layer.0.SelfAttention.o:input (the heads
// concatenated), layer.0.SelfAttention.o, layer.0.SelfAttention (the same
// value), layer.0 (after the residual add), layer.1.layer_norm, then
// under layer.1.DenseReluDense: wi_0, act, wi_1 (wi and act without
// gating), wo:input, wo, and DenseReluDense itself (the same value as wo);
// layer.1 (after the residual add) and the block (the same value:
// hidden_states[i+1] for all but the last); then encoder.final_layer_norm
// (last_hidden_state).
func (m *Model) Points() []engine.Point {
	c := m.cfg
	D, I, F := c.DModel, c.InnerDim(), c.DFF
	pts := []engine.Point{{Name: EmbedTokens, Width: D}}
	for i := range c.NumLayers {
		b := blockName(i)
		a := b + ".layer.0.SelfAttention"
		ff := b + ".layer.1.DenseReluDense"
		pts = append(pts,
			engine.Point{Name: b + ".layer.0.layer_norm", Width: D},
			engine.Point{Name: a + ".q", Width: I},
			engine.Point{Name: a + ".k", Width: I},
			engine.Point{Name: a + ".v", Width: I},
			engine.Point{Name: engine.InputPoint(a + ".o"), Width: I},
			engine.Point{Name: a + ".o", Width: D},
			engine.Point{Name: a, Width: D},
			engine.Point{Name: b + ".layer.0", Width: D},
			engine.Point{Name: b + ".layer.1.layer_norm", Width: D},
		)
		if c.IsGatedAct {
			pts = append(pts, engine.Point{Name: ff + ".wi_0", Width: F}, engine.Point{Name: ff + ".act", Width: F},
				engine.Point{Name: ff + ".wi_1", Width: F})
		} else {
			pts = append(pts, engine.Point{Name: ff + ".wi", Width: F}, engine.Point{Name: ff + ".act", Width: F})
		}
		pts = append(pts,
			engine.Point{Name: engine.InputPoint(ff + ".wo"), Width: F},
			engine.Point{Name: ff + ".wo", Width: D},
			engine.Point{Name: ff, Width: D},
			engine.Point{Name: b + ".layer.1", Width: D},
			engine.Point{Name: b, Width: D},
		)
	}
	return append(pts, engine.Point{Name: FinalLayerNorm, Width: D})
}

// Point names outside the blocks.
const (
	// EmbedTokens is the point of the token embeddings, hidden_states[0]
	// (the module is the model's shared embedding, which T5EncoderModel
	// also lists as "shared").
	EmbedTokens = "encoder.embed_tokens"
	// FinalLayerNorm is the point of last_hidden_state.
	FinalLayerNorm = "encoder.final_layer_norm"
)

// HiddenState returns the point of transformers' hidden_states[k] for an
// encoder of n blocks: encoder.embed_tokens for k = 0, the output of
// block k−1 for 0 < k < n, and encoder.final_layer_norm for k = n (T5Stack
// appends the final-normed state last, not block n−1's output); a
// negative k counts from the end as in Python.
func HiddenState(k, n int) string {
	if k < 0 {
		k += n + 1
	}
	switch {
	case k <= 0:
		return EmbedTokens
	case k >= n:
		return FinalLayerNorm
	}
	return blockName(k - 1)
}

// Params implements engine.Arch, by Hugging Face name.
func (m *Model) Params() map[string]*tensors.Tensor { return m.params }

// Forward implements engine.Arch: the token embeddings, the blocks with
// bidirectional attention over the real slots and block 0's relative
// position bias, the final RMS norm. It returns last_hidden_state
// [B, T, d_model].
func (m *Model) Forward(p *engine.Pass) *Node {
	c := m.cfg
	w := p.Weight
	x := p.Point(EmbedTokens, engine.Embed(w(embedding), p.Tokens))
	bias := m.positionBias(p)
	for i := range c.NumLayers {
		x = m.block(p, i, x, bias)
	}
	return p.Point(FinalLayerNorm, engine.RMSNorm(x, w(finalLayerNormWeight), c.LayerNormEpsilon, false))
}

// block is T5Block i on x [B, T, D]:
//
//	x += o(attend(q(h), k(h), v(h)) + bias),  h = rms(x)   (no 1/√d_kv)
//	x += wo(act(wi_0(h)) · wi_1(h)),          h = rms(x)   (gated)
//	x += wo(act(wi(h))),                      h = rms(x)   (not gated)
//
// Every module's output passes through p.Point under its name.
func (m *Model) block(p *engine.Pass, i int, x, bias *Node) *Node {
	c := m.cfg
	w := p.Weight
	pt := p.Point
	dims := x.Shape().Dimensions
	B, T := dims[0], dims[1]
	b := blockName(i)
	a := b + ".layer.0.SelfAttention"
	lin := func(x *Node, name string) *Node { return engine.Linear(x, w(name+".weight"), nil) }
	rms := func(x *Node, name string) *Node {
		return engine.RMSNorm(x, w(name+".weight"), c.LayerNormEpsilon, false)
	}
	heads := func(y *Node) *Node { return Reshape(y, B, T, c.NumHeads, c.DKV) }

	h := pt(b+".layer.0.layer_norm", rms(x, b+".layer.0.layer_norm"))
	q := pt(a+".q", lin(h, a+".q"))
	k := pt(a+".k", lin(h, a+".k"))
	v := pt(a+".v", lin(h, a+".v"))
	att := pt(engine.InputPoint(a+".o"), p.Attend(i, heads(q), heads(k), heads(v),
		engine.AttnOptions{Scale: 1, Bidirectional: true, Bias: bias}))
	att = pt(a, pt(a+".o", lin(att, a+".o")))
	x = pt(b+".layer.0", Add(x, att))

	ff := b + ".layer.1.DenseReluDense"
	h = pt(b+".layer.1.layer_norm", rms(x, b+".layer.1.layer_norm"))
	act := activations[c.DenseActFn]
	var f *Node
	if c.IsGatedAct {
		f = pt(ff+".act", act(pt(ff+".wi_0", lin(h, ff+".wi_0"))))
		f = Mul(f, pt(ff+".wi_1", lin(h, ff+".wi_1")))
	} else {
		f = pt(ff+".act", act(pt(ff+".wi", lin(h, ff+".wi"))))
	}
	f = pt(engine.InputPoint(ff+".wo"), f)
	f = pt(ff, pt(ff+".wo", lin(f, ff+".wo")))
	return pt(b, pt(b+".layer.1", Add(x, f)))
}

// Logits implements engine.Arch: the encoder has no head, so its output
// embedding at every slot is h (last_hidden_state) itself.
func (m *Model) Logits(_ *engine.Pass, h *Node) *Node { return h }
