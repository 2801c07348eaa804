package roberta

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// Architecture is the Hugging Face architectures name this family loads.
const Architecture = "RobertaForSequenceClassification"

func init() {
	engine.Register(Architecture, New)
}

// activations maps hidden_act to its function.
var activations = map[string]func(*Node) *Node{
	"gelu":              engine.Gelu,
	"gelu_new":          engine.GeluTanh,
	"gelu_pytorch_tanh": engine.GeluTanh,
	"relu":              relu,
	"silu":              engine.SiLU,
	"swish":             engine.SiLU,
}

func relu(x *Node) *Node { return Max(x, ZerosLike(x)) }

// Model is a loaded RobertaForSequenceClassification (engine.Arch).
type Model struct {
	cfg    *Config
	params map[string]*tensors.Tensor
}

// New builds a RoBERTa sequence classifier from config.json bytes and
// weights named as transformers saves them ("roberta.embeddings.…",
// "roberta.encoder.layer.{i}.…", "classifier.dense", "classifier.out_proj").
// LayerNorm weights saved under their old names (gamma, beta) are accepted;
// buffers (position_ids) and a pooler, which the classifier does not use,
// are ignored.
func New(config []byte, w engine.Weights) (engine.Arch, error) {
	c, err := ParseConfig(config)
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: c, params: map[string]*tensors.Tensor{}}
	names := map[string]bool{}
	for _, n := range w.Names() {
		names[n] = true
	}
	D, F, L := c.HiddenSize, c.IntermediateSize, len(c.Labels)
	add := func(name string, dims ...int) error {
		src := name
		if !names[src] {
			if alt := legacyName(name); alt != "" && names[alt] {
				src = alt
			}
		}
		t, err := engine.LoadParam(w, src, dims...)
		if err != nil {
			if strings.HasPrefix(name, "classifier.") && !names[src] {
				return fmt.Errorf("roberta: %w (is this checkpoint a sequence classifier? its architectures say %s)", err, Architecture)
			}
			return fmt.Errorf("roberta: %w", err)
		}
		m.params[name] = t
		return nil
	}
	e := "roberta.embeddings."
	specs := []spec{
		{e + "word_embeddings.weight", []int{c.VocabSize, D}},
		{e + "position_embeddings.weight", []int{c.MaxPositionEmbeddings, D}},
		{e + "token_type_embeddings.weight", []int{c.TypeVocabSize, D}},
		{e + "LayerNorm.weight", []int{D}},
		{e + "LayerNorm.bias", []int{D}},
	}
	for i := range c.NumHiddenLayers {
		l := layerName(i) + "."
		for _, lin := range []struct {
			name    string
			out, in int
		}{
			{"attention.self.query", D, D}, {"attention.self.key", D, D}, {"attention.self.value", D, D},
			{"attention.output.dense", D, D}, {"intermediate.dense", F, D}, {"output.dense", D, F},
		} {
			specs = append(specs, spec{l + lin.name + ".weight", []int{lin.out, lin.in}}, spec{l + lin.name + ".bias", []int{lin.out}})
		}
		for _, ln := range []string{"attention.output.LayerNorm", "output.LayerNorm"} {
			specs = append(specs, spec{l + ln + ".weight", []int{D}}, spec{l + ln + ".bias", []int{D}})
		}
	}
	specs = append(specs,
		spec{"classifier.dense.weight", []int{D, D}}, spec{"classifier.dense.bias", []int{D}},
		spec{"classifier.out_proj.weight", []int{L, D}}, spec{"classifier.out_proj.bias", []int{L}})
	for _, s := range specs {
		if err := add(s.name, s.dims...); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// legacyName is the pre-2019 name of a LayerNorm parameter (gamma for
// weight, beta for bias), or "".
func legacyName(name string) string {
	switch {
	case strings.HasSuffix(name, "LayerNorm.weight"):
		return strings.TrimSuffix(name, "weight") + "gamma"
	case strings.HasSuffix(name, "LayerNorm.bias"):
		return strings.TrimSuffix(name, "bias") + "beta"
	}
	return ""
}

func layerName(i int) string { return fmt.Sprintf("roberta.encoder.layer.%d", i) }

// Config returns the parsed config.json.
func (m *Model) Config() *Config { return m.cfg }

// ProblemType is config.json's problem_type ("" when unset): it says how
// logits become scores (softmax, sigmoid or none), as transformers'
// text-classification pipeline decides.
func (m *Model) ProblemType() string { return m.cfg.ProblemType }

// Info implements engine.Arch. MaxPositions is [Config.MaxTokens]; Labels
// are the classes in id order.
func (m *Model) Info() engine.Info {
	c := m.cfg
	id := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	return engine.Info{
		Family: "roberta", Architecture: Architecture,
		NumLayers: c.NumHiddenLayers, HiddenSize: c.HiddenSize, VocabSize: c.VocabSize,
		NumKeyValueHeads: c.NumAttentionHeads, HeadDim: c.HiddenSize / c.NumAttentionHeads,
		MaxPositions: c.MaxTokens(),
		BOS:          id(c.BOSTokenID), EOS: id(c.EOSTokenID), Pad: c.Pad(),
		Labels: append([]string(nil), c.Labels...),
	}
}

// Points implements engine.Arch: roberta.embeddings, then per layer i,
// under roberta.encoder.layer.{i}: attention.self (the attention context,
// before its output projection), attention.output.dense,
// attention.output (after the residual add and LayerNorm),
// intermediate.dense (before the activation), intermediate (after it),
// output.dense, output (after the residual add and LayerNorm), and the
// layer itself (the same value as output).
func (m *Model) Points() []engine.Point {
	D, F := m.cfg.HiddenSize, m.cfg.IntermediateSize
	pts := []engine.Point{{Name: "roberta.embeddings", Width: D}}
	for i := range m.cfg.NumHiddenLayers {
		l := layerName(i)
		pts = append(pts,
			engine.Point{Name: l + ".attention.self", Width: D},
			engine.Point{Name: l + ".attention.output.dense", Width: D},
			engine.Point{Name: l + ".attention.output", Width: D},
			engine.Point{Name: l + ".intermediate.dense", Width: F},
			engine.Point{Name: l + ".intermediate", Width: F},
			engine.Point{Name: l + ".output.dense", Width: D},
			engine.Point{Name: l + ".output", Width: D},
			engine.Point{Name: l, Width: D},
		)
	}
	return pts
}

// Params implements engine.Arch, by Hugging Face name.
func (m *Model) Params() map[string]*tensors.Tensor { return m.params }

// Forward implements engine.Arch: the embeddings and the post-LayerNorm
// encoder layers with bidirectional attention over the real tokens. It
// returns the last hidden state [B, T, hidden_size].
func (m *Model) Forward(p *engine.Pass) *Node {
	c := m.cfg
	D, H := c.HiddenSize, c.NumAttentionHeads
	hd := D / H
	B, T := p.Batch, p.Len
	eps := c.LayerNormEps
	w := p.Weight
	lin := func(x *Node, name string) *Node { return engine.Linear(x, w(name+".weight"), w(name+".bias")) }
	ln := func(x *Node, name string) *Node { return engine.LayerNorm(x, w(name+".weight"), w(name+".bias"), eps) }

	e := "roberta.embeddings."
	x := Add(engine.Embed(w(e+"word_embeddings.weight"), p.Tokens),
		engine.Embed(w(e+"token_type_embeddings.weight"), ZerosLike(p.Tokens)))
	x = Add(x, engine.Embed(w(e+"position_embeddings.weight"), m.positions(p)))
	x = p.Point("roberta.embeddings", ln(x, e+"LayerNorm"))

	act := activations[c.HiddenAct]
	heads := func(y *Node) *Node { return Reshape(y, B, T, H, hd) }
	for i := range c.NumHiddenLayers {
		l := layerName(i)
		q, k, v := lin(x, l+".attention.self.query"), lin(x, l+".attention.self.key"), lin(x, l+".attention.self.value")
		a := p.Attend(i, heads(q), heads(k), heads(v), engine.AttnOptions{Scale: 1 / math.Sqrt(float64(hd)), Bidirectional: true})
		a = p.Point(l+".attention.self", a)
		a = p.Point(l+".attention.output.dense", lin(a, l+".attention.output.dense"))
		x = p.Point(l+".attention.output", ln(Add(a, x), l+".attention.output.LayerNorm"))
		f := p.Point(l+".intermediate.dense", lin(x, l+".intermediate.dense"))
		f = p.Point(l+".intermediate", act(f))
		f = p.Point(l+".output.dense", lin(f, l+".output.dense"))
		x = p.Point(l, p.Point(l+".output", ln(Add(f, x), l+".output.LayerNorm")))
	}
	return x
}

// positions computes RoBERTa's position ids from the tokens:
//
//	real = (id ≠ pad_token_id) ∧ valid,  pos = cumsum(real)·real + pad_token_id
//
// so the first real token takes pad_token_id + 1 and padding takes
// pad_token_id, wherever it sits. transformers derives real from the ids
// alone; the engine's own padding slots hold id 0, hence the mask. The
// cumulative sum is a product with a triangular matrix of ones, exact in
// float32 for any sequence length the tables allow.
func (m *Model) positions(p *engine.Pass) *Node {
	g := p.Graph()
	B, T := p.Batch, p.Len
	pad := int32(m.cfg.Pad())
	isReal := LogicalAnd(p.Valid(), NotEqual(p.Tokens, BroadcastToDims(Const(g, pad), B, T)))
	r := ConvertDType(isReal, dtypes.Float32)
	tri := ConvertDType(LessOrEqual(Iota(g, shapes.Make(dtypes.Int32, T, T), 0), Iota(g, shapes.Make(dtypes.Int32, T, T), 1)), dtypes.Float32)
	count := Mul(Einsum("bs,st->bt", r, tri), r) // cumsum(real)·real
	return AddScalar(ConvertDType(count, dtypes.Int32), float64(pad))
}

// Logits implements engine.Arch: the classification head,
// out_proj(tanh(dense(h))), at every position of h. transformers applies it
// to the first token (<s>) only; the engine's callers read position 0.
func (m *Model) Logits(p *engine.Pass, h *Node) *Node {
	y := Tanh(engine.Linear(h, p.Weight("classifier.dense.weight"), p.Weight("classifier.dense.bias")))
	return engine.Linear(y, p.Weight("classifier.out_proj.weight"), p.Weight("classifier.out_proj.bias"))
}

// spec is one expected weight: its name and shape.
type spec struct {
	name string
	dims []int
}
