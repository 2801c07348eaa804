package clip

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified

	"github.com/actsh/actsh/engine"
)

// layerOps is what one pre-LayerNorm CLIP encoder layer needs from the
// graph around it, so that the text tower (inside the engine's Pass, with
// its points and attention masks) and the vision tower (a standalone
// graph) run the same layer function.
type layerOps struct {
	weight func(name string) *Node          // a parameter by Hugging Face name
	point  func(name string, z *Node) *Node // marks an intervention point; identity where there are none
	heads  int                              // num_attention_heads
	eps    float64                          // layer_norm_eps
	act    func(*Node) *Node                // hidden_act
}

// layer is CLIPEncoderLayer l (its Hugging Face name) on x [B, T, D]:
//
//	x += out_proj(attend(q_proj(h), k_proj(h), v_proj(h))),  h = layer_norm1(x)
//	x += fc2(act(fc1(layer_norm2(x))))
//
// attend takes q, k, v as [B, T, heads, head_dim] and returns the heads
// merged, [B, T, D]: the text tower's is causal, the vision tower's
// bidirectional. Every module's output passes through o.point under its
// name (see the package documentation, section Intervention points).
func (o layerOps) layer(l string, x *Node, attend func(q, k, v *Node) *Node) *Node {
	dims := x.Shape().Dimensions
	B, T, D := dims[0], dims[1], dims[2]
	lin := func(x *Node, name string) *Node {
		return engine.Linear(x, o.weight(name+".weight"), o.weight(name+".bias"))
	}
	ln := func(x *Node, name string) *Node {
		return engine.LayerNorm(x, o.weight(name+".weight"), o.weight(name+".bias"), o.eps)
	}
	heads := func(y *Node) *Node { return Reshape(y, B, T, o.heads, D/o.heads) }
	p := o.point

	h := p(l+".layer_norm1", ln(x, l+".layer_norm1"))
	q := p(l+".self_attn.q_proj", lin(h, l+".self_attn.q_proj"))
	k := p(l+".self_attn.k_proj", lin(h, l+".self_attn.k_proj"))
	v := p(l+".self_attn.v_proj", lin(h, l+".self_attn.v_proj"))
	a := p(engine.InputPoint(l+".self_attn.out_proj"), attend(heads(q), heads(k), heads(v)))
	a = p(l+".self_attn", p(l+".self_attn.out_proj", lin(a, l+".self_attn.out_proj")))
	x = Add(x, a)
	h = p(l+".layer_norm2", ln(x, l+".layer_norm2"))
	f := p(l+".mlp.fc1", lin(h, l+".mlp.fc1"))
	f = p(l+".mlp.activation_fn", o.act(f))
	f = p(l+".mlp", p(l+".mlp.fc2", lin(f, l+".mlp.fc2")))
	return p(l, Add(x, f))
}

// noPoint is layerOps.point for a graph without intervention points.
func noPoint(_ string, z *Node) *Node { return z }
