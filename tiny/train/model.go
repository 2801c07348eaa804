package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/actsh/actsh/engine"
)

// Config sizes a GPT-2-layout model. Field meanings follow Hugging Face's
// GPT2Config (vocab_size, n_positions, n_embd, n_layer, n_head).
type Config struct {
	Vocab     int // vocab_size
	Positions int // n_positions: the longest sequence the model sees
	Embd      int // n_embd: the residual width
	Layers    int // n_layer
	Heads     int // n_head; must divide Embd
	// EOS is the id of <|endoftext|>, written as bos/eos_token_id.
	EOS int
}

// DefaultConfig is the size of the embedded default model: 4 layers, 256
// wide, 8 heads, 128 positions, the 4096-token tokenizer (about 4.24M
// parameters, 17 MB in float32). It is sized for actsh's CPU backend,
// which trains it at about 2,300 tokens/s on 2 cores, so that the
// recipe's run (3000 steps × 16 × 128 tokens) takes about an hour.
func DefaultConfig() Config {
	return Config{Vocab: 4096, Positions: 128, Embd: 256, Layers: 4, Heads: 8, EOS: 4095}
}

// Validate reports the first size that cannot build a model.
func (c Config) Validate() error {
	switch {
	case c.Vocab <= 0 || c.Positions <= 0 || c.Embd <= 0 || c.Layers <= 0 || c.Heads <= 0:
		return fmt.Errorf("train: model sizes must be positive (vocab %d, positions %d, embd %d, layers %d, heads %d)",
			c.Vocab, c.Positions, c.Embd, c.Layers, c.Heads)
	case c.Embd%c.Heads != 0:
		return fmt.Errorf("train: embd (%d) must be divisible by heads (%d)", c.Embd, c.Heads)
	case c.EOS < 0 || c.EOS >= c.Vocab:
		return fmt.Errorf("train: eos id %d outside the vocabulary [0, %d)", c.EOS, c.Vocab)
	}
	return nil
}

// layerNormEps is GPT-2's layer_norm_epsilon.
const layerNormEps = 1e-5

// param is one parameter: its Hugging Face name and shape (Conv1D weights
// in their checkpoint layout [in, out]).
type param struct {
	name string
	dims []int
}

// params lists the parameters of c in a fixed order, named as in
// GPT2LMHeadModel's state dict (tied head: no lm_head.weight).
func (c Config) params() []param {
	D := c.Embd
	ps := []param{{"transformer.wte.weight", []int{c.Vocab, D}}, {"transformer.wpe.weight", []int{c.Positions, D}}}
	for i := range c.Layers {
		h := fmt.Sprintf("transformer.h.%d.", i)
		ps = append(ps,
			param{h + "ln_1.weight", []int{D}}, param{h + "ln_1.bias", []int{D}},
			param{h + "attn.c_attn.weight", []int{D, 3 * D}}, param{h + "attn.c_attn.bias", []int{3 * D}},
			param{h + "attn.c_proj.weight", []int{D, D}}, param{h + "attn.c_proj.bias", []int{D}},
			param{h + "ln_2.weight", []int{D}}, param{h + "ln_2.bias", []int{D}},
			param{h + "mlp.c_fc.weight", []int{D, 4 * D}}, param{h + "mlp.c_fc.bias", []int{4 * D}},
			param{h + "mlp.c_proj.weight", []int{4 * D, D}}, param{h + "mlp.c_proj.bias", []int{D}},
		)
	}
	return append(ps, param{"transformer.ln_f.weight", []int{D}}, param{"transformer.ln_f.bias", []int{D}})
}

// NumParams is the number of trained parameters of c.
func (c Config) NumParams() int {
	n := 0
	for _, p := range c.params() {
		n += size(p.dims)
	}
	return n
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// initParams draws GPT-2's initialisation from rng: weights N(0, 0.02²),
// the residual projections (attn.c_proj, mlp.c_proj) N(0, (0.02/√(2L))²),
// biases 0, layer-norm gains 1.
func initParams(c Config, rng *rand.Rand) [][]float32 {
	ps := c.params()
	out := make([][]float32, len(ps))
	for i, p := range ps {
		v := make([]float32, size(p.dims))
		switch {
		case hasSuffix(p.name, "ln_1.weight", "ln_2.weight", "ln_f.weight"):
			for j := range v {
				v[j] = 1
			}
		case len(p.dims) == 2:
			std := 0.02
			if hasSuffix(p.name, "c_proj.weight") {
				std /= math.Sqrt(2 * float64(c.Layers))
			}
			for j := range v {
				v[j] = float32(rng.NormFloat64() * std)
			}
		}
		out[i] = v
	}
	return out
}

func hasSuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if len(s) >= len(x) && s[len(s)-len(x):] == x {
			return true
		}
	}
	return false
}

// conv1d is x·W + b for a GPT-2 Conv1D weight W [in, out].
func conv1d(x, w, b *Node) *Node {
	dims := x.Shape().Dimensions
	n := size(dims[:len(dims)-1])
	out := w.Shape().Dimensions[1]
	y := einsum("ni,io->no", Reshape(x, n, dims[len(dims)-1]), w, "no,io->ni", "no,ni->io")
	y = Add(y, BroadcastToDims(Reshape(b, 1, out), n, out))
	return Reshape(y, append(append([]int(nil), dims[:len(dims)-1]...), out)...)
}

// forward builds GPT-2's logits [B, T, Vocab] for tokens int32 [B, T]
// (T ≤ Positions, no padding) from the parameters w by name. It is the
// same computation as engine/gpt2's Forward and Logits; the equality test
// against engine.Load checks it.
func forward(c Config, w map[string]*Node, tokens *Node) *Node {
	g := tokens.Graph()
	B, T := tokens.Shape().Dimensions[0], tokens.Shape().Dimensions[1]
	D, H := c.Embd, c.Heads
	hd := D / H
	pos := Iota(g, shapes.Make(dtypes.Int32, B, T), 1)
	x := Add(engine.Embed(w["transformer.wte.weight"], tokens), engine.Embed(w["transformer.wpe.weight"], pos))

	// causal[t, s] = s ≤ t, broadcast to [B, H, T, T].
	causal := GreaterOrEqual(Iota(g, shapes.Make(dtypes.Int32, T, T), 0), Iota(g, shapes.Make(dtypes.Int32, T, T), 1))
	causal = BroadcastToDims(Reshape(causal, 1, 1, T, T), B, H, T, T)
	scale := 1 / math.Sqrt(float64(hd))
	for i := range c.Layers {
		p := func(name string) *Node { return w[fmt.Sprintf("transformer.h.%d.%s", i, name)] }
		h := layerNorm(x, p("ln_1.weight"), p("ln_1.bias"), layerNormEps)
		qkv := conv1d(h, p("attn.c_attn.weight"), p("attn.c_attn.bias"))
		// Split q, k, v with a one-hot contraction: GoMLX's simplego has
		// no Pad, which the gradient of Slice needs.
		qkv3 := Reshape(qkv, B, T, 3, D)
		split := func(k int) *Node {
			sel := make([]float32, 3)
			sel[k] = 1
			return Reshape(einsum("btkd,k->btd", qkv3, Const(g, sel), "btd,k->btkd", ""), B, T, H, hd)
		}
		q, k, v := split(0), split(1), split(2)
		scores := MulScalar(einsum("bthd,bshd->bhts", q, k, "bhts,bshd->bthd", "bhts,bthd->bshd"), scale)
		scores = Where(causal, scores, Const(g, float32(-1e9)))
		a := einsum("bhts,bshd->bthd", Softmax(scores, -1), v, "bthd,bshd->bhts", "bthd,bhts->bshd")
		a = conv1d(Reshape(a, B, T, D), p("attn.c_proj.weight"), p("attn.c_proj.bias"))
		x = Add(x, a)
		h = layerNorm(x, p("ln_2.weight"), p("ln_2.bias"), layerNormEps)
		f := conv1d(h, p("mlp.c_fc.weight"), p("mlp.c_fc.bias"))
		f = conv1d(engine.GeluTanh(f), p("mlp.c_proj.weight"), p("mlp.c_proj.bias"))
		x = Add(x, f)
	}
	x = layerNorm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], layerNormEps)
	// Tied head: logits = x·wteᵀ.
	y := einsum("nd,vd->nv", Reshape(x, B*T, D), w["transformer.wte.weight"], "nv,vd->nd", "nv,nd->vd")
	return Reshape(y, B, T, c.Vocab)
}

// einsum is Einsum(eq, a, b) with its gradients given as Einsums: the
// gradient for a is Einsum(gradA, v, b) and for b Einsum(gradB, v, a),
// where v is the gradient of the result ("" when that operand needs no
// gradient, e.g. a constant). GoMLX's own gradient of a contraction
// materialises the broadcast product of both operands (n·i·o floats for a
// matmul: 8 GB for the tied head at batch 16), which the pure-Go backend
// runs slowly and which does not fit in memory at our sizes.
//
// How: the contraction runs on stopped-gradient operands; a and b enter
// the result through identities with custom gradients, added with weight
// 0, and a custom identity on the result records v. GoMLX builds the
// reverse pass in decreasing node order, so the result's identity
// (created last) sees v before the operands' identities (created first)
// are asked for their gradients.
func einsum(eq string, a, b *Node, gradA, gradB string) *Node {
	var v *Node
	var zero *Node
	hook := func(x, other *Node, eqGrad string) {
		if eqGrad == "" {
			return
		}
		h := IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
			return Einsum(eqGrad, v, StopGradient(other))
		})
		s := ReduceAllSum(h)
		if zero == nil {
			zero = s
		} else {
			zero = Add(zero, s)
		}
	}
	hook(a, b, gradA)
	hook(b, a, gradB)
	y := Einsum(eq, StopGradient(a), StopGradient(b))
	if zero == nil {
		return y
	}
	dims := y.Shape().Dimensions
	ones := make([]int, len(dims))
	for i := range ones {
		ones[i] = 1
	}
	y = Add(y, BroadcastToDims(Reshape(MulScalar(zero, 0), ones...), dims...))
	return IdentityWithCustomGradient(y, func(_, vy *Node) *Node {
		v = vy
		return vy
	})
}

// layerNorm is engine.LayerNorm written with Sqrt and Div, which GoMLX
// can differentiate (it has no gradient for Rsqrt).
func layerNorm(x, w, b *Node, eps float64) *Node {
	D := x.Shape().Dimensions[len(x.Shape().Dimensions)-1]
	dims := x.Shape().Dimensions
	mean := ReduceAndKeep(x, ReduceMean, -1)
	c := Sub(x, mean)
	v := ReduceAndKeep(Square(c), ReduceMean, -1)
	y := Div(c, Sqrt(AddScalar(v, eps)))
	shape := make([]int, len(dims))
	for i := range shape {
		shape[i] = 1
	}
	shape[len(shape)-1] = D
	return Add(Mul(y, BroadcastToDims(Reshape(w, shape...), dims...)), BroadcastToDims(Reshape(b, shape...), dims...))
}

// crossEntropy is the mean over [B, T] of −log softmax(logits)[target].
func crossEntropy(logits, targets *Node) *Node {
	V := logits.Shape().Dimensions[2]
	mx := StopGradient(ReduceAndKeep(logits, ReduceMax, -1))
	lse := Add(Log(ReduceAndKeep(Exp(Sub(logits, mx)), ReduceSum, -1)), mx) // [B,T,1]
	picked := ReduceAndKeep(Mul(logits, OneHot(targets, V, dtypes.Float32)), ReduceSum, -1)
	return ReduceAllMean(Sub(lse, picked))
}
