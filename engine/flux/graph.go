package flux

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified

	"github.com/actsh/actsh/engine"
)

// Fixed epsilons of diffusers' modules.
const (
	layerNormEps = 1e-6 // every LayerNorm (elementwise_affine=False): AdaLayerNormZero(Single), norm2, norm2_context, norm_out
	rmsNormEps   = 1e-6 // the RMSNorms of q and k (Attention's eps)
)

// builder builds one graph: the parameters by name, the points, and what
// every block reads.
type builder struct {
	c   *Config
	w   map[string]*Node
	pts *engine.Points

	cond     *Node // silu(temb) [B, D]: what every adaptive norm's linear takes
	cos, sin *Node // the rotary table of [text; image] tokens, [B, S, 1, head_dim/2, 1]
}

func (b *builder) weight(name string) *Node {
	n, ok := b.w[name]
	if !ok {
		panic(fmt.Sprintf("flux: no parameter %s", name)) // cannot happen: New loaded the list the graph reads
	}
	return n
}

// point marks a module's output z as the point name (steering, capture).
func (b *builder) point(name string, z *Node) *Node { return b.pts.Point(name, z) }

// point2 is point for an embedding [B, D], seen by the points as one
// token [B, 1, D] (as ml-act's hooks see a 2-D output).
func (b *builder) point2(name string, z *Node) *Node {
	d := z.Shape().Dimensions
	return Reshape(b.point(name, Reshape(z, d[0], 1, d[1])), d...)
}

func (b *builder) linear(name string, x *Node) *Node {
	return engine.Linear(x, b.weight(name+".weight"), b.weight(name+".bias"))
}

// embedding is TimestepEmbedding and PixArtAlphaTextProjection with SiLU:
// linear_2(silu(linear_1(x))).
func (b *builder) embedding(name string, x *Node) *Node {
	return b.linear(name+".linear_2", engine.SiLU(b.linear(name+".linear_1", x)))
}

// layerNorm is LayerNorm without weights over the last axis:
// (x − mean)/√(var + 1e-6), the variance biased.
func layerNorm(x *Node) *Node {
	c := Sub(x, ReduceAndKeep(x, ReduceMean, -1))
	return Mul(c, Rsqrt(AddScalar(ReduceAndKeep(Square(c), ReduceMean, -1), layerNormEps)))
}

// modulation is the adaptive norms' projection of the conditioning,
// linear(silu(temb)) [B, k·D], cut into its k chunks of D, each [B, 1, D]
// to act on every token alike.
func (b *builder) modulation(name string, k int) []*Node {
	e := b.linear(name, b.cond)
	B, D := e.Shape().Dimensions[0], e.Shape().Dimensions[1]/k
	out := make([]*Node, k)
	for i := range out {
		out[i] = Reshape(Slice(e, AxisRange(), AxisRange(i*D, (i+1)*D)), B, 1, D)
	}
	return out
}

// modulate is x·(1 + scale) + shift, with scale and shift [B, 1, D] the
// same for every token.
func modulate(x, scale, shift *Node) *Node {
	d := x.Shape().Dimensions
	return Add(Mul(x, BroadcastToDims(OnePlus(scale), d...)), BroadcastToDims(shift, d...))
}

// gated is x + gate·y, gate [B, 1, D].
func gated(x, gate, y *Node) *Node {
	return Add(x, Mul(BroadcastToDims(gate, y.Shape().Dimensions...), y))
}

// heads projects x [B, L, D] with the Linear name into heads [B, L, H, hd].
func (b *builder) heads(name string, x *Node) *Node {
	d := x.Shape().Dimensions
	return Reshape(b.linear(name, x), d[0], d[1], b.c.NumAttentionHeads, b.c.AttentionHeadDim)
}

// rmsNorm is diffusers' RMSNorm over a head's channels:
// x·rsqrt(mean(x²) + 1e-6)·w.
func (b *builder) rmsNorm(name string, x *Node) *Node {
	return engine.RMSNorm(x, b.weight(name+".weight"), rmsNormEps, false)
}

// rope rotates x [B, S, H, hd] by the rotary table, the channels in
// interleaved pairs (2j, 2j+1) (not rotate_half):
//
//	out_2j   = cos_j·x_2j − sin_j·x_2j+1
//	out_2j+1 = sin_j·x_2j + cos_j·x_2j+1
func (b *builder) rope(x *Node) *Node {
	d := x.Shape().Dimensions
	B, S, H, hd := d[0], d[1], d[2], d[3]
	p := Reshape(x, B, S, H, hd/2, 2)
	all := AxisRange()
	x0 := Slice(p, all, all, all, all, AxisRange(0, 1))
	x1 := Slice(p, all, all, all, all, AxisRange(1, 2))
	cos := BroadcastToDims(b.cos, B, S, H, hd/2, 1)
	sin := BroadcastToDims(b.sin, B, S, H, hd/2, 1)
	out := Concatenate([]*Node{Sub(Mul(cos, x0), Mul(sin, x1)), Add(Mul(sin, x0), Mul(cos, x1))}, -1)
	return Reshape(out, B, S, H, hd)
}

// attend is scaled dot-product attention over every token:
// softmax(q·kᵀ/√hd)·v per head, q, k, v [B, S, H, hd], returned as
// [B, S, H·hd]. The S×S scores of every head are materialised.
func attend(q, k, v *Node) *Node {
	d := q.Shape().Dimensions
	scores := MulScalar(Einsum("bshd,bthd->bhst", q, k), 1/math.Sqrt(float64(d[3])))
	return Reshape(Einsum("bhst,bthd->bshd", Softmax(scores, -1), v), d[0], d[1], d[2]*d[3])
}

// feedForward is FeedForward with "gelu-approximate":
// net.2(gelu_tanh(net.0.proj(x))).
func (b *builder) feedForward(name string, x *Node) *Node {
	return b.linear(name+".net.2", engine.GeluTanh(b.linear(name+".net.0.proj", x)))
}

// jointAttention is Attention with FluxAttnProcessor2_0: q, k, v of the
// image tokens x (to_q, to_k, to_v) and of the text tokens ctx
// (add_q_proj, add_k_proj, add_v_proj), q and k RMS-normalised per head,
// concatenated [text; image], rotated, attended together and split again:
// (to_out.0(image part), to_add_out(text part)), in that order.
func (b *builder) jointAttention(name string, x, ctx *Node) (img, txt *Node) {
	T := ctx.Shape().Dimensions[1]
	q := b.rmsNorm(name+".norm_q", b.heads(name+".to_q", x))
	k := b.rmsNorm(name+".norm_k", b.heads(name+".to_k", x))
	v := b.heads(name+".to_v", x)
	cq := b.rmsNorm(name+".norm_added_q", b.heads(name+".add_q_proj", ctx))
	ck := b.rmsNorm(name+".norm_added_k", b.heads(name+".add_k_proj", ctx))
	cv := b.heads(name+".add_v_proj", ctx)
	cat := func(c, i *Node) *Node { return Concatenate([]*Node{c, i}, 1) }
	o := attend(b.rope(cat(cq, q)), b.rope(cat(ck, k)), cat(cv, v))
	all := AxisRange()
	img = b.linear(name+".to_out.0", Slice(o, all, AxisRange(T), all))
	txt = b.linear(name+".to_add_out", Slice(o, all, AxisRange(0, T), all))
	return img, txt
}

// double is FluxTransformerBlock, on the image tokens x and the text
// tokens ctx; it returns (text, image), the module's tuple order. With
// AdaLayerNormZero's chunks (shift, scale, gate) for the attention and
// the feed-forward, per stream:
//
//	a      = attention(norm(x)·(1 + scale_msa) + shift_msa, …)
//	x     += gate_msa·a
//	x     += gate_mlp·ff(norm(x)·(1 + scale_mlp) + shift_mlp)
func (b *builder) double(i int, x, ctx *Node) (*Node, *Node) {
	n := doubleName(i)
	m := b.modulation(n+".norm1.linear", 6) // shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp
	cm := b.modulation(n+".norm1_context.linear", 6)
	nx := b.point(n+".norm1:0", modulate(layerNorm(x), m[1], m[0]))
	nc := b.point(n+".norm1_context:0", modulate(layerNorm(ctx), cm[1], cm[0]))
	ax, ac := b.jointAttention(n+".attn", nx, nc)
	ax, ac = b.point(n+".attn:0", ax), b.point(n+".attn:1", ac)

	x = gated(x, m[2], ax)
	h := b.point(n+".norm2", layerNorm(x))
	x = gated(x, m[5], b.point(n+".ff", b.feedForward(n+".ff", modulate(h, m[4], m[3]))))

	ctx = gated(ctx, cm[2], ac)
	h = b.point(n+".norm2_context", layerNorm(ctx))
	ctx = gated(ctx, cm[5], b.point(n+".ff_context", b.feedForward(n+".ff_context", modulate(h, cm[4], cm[3]))))
	return b.point(n+":0", ctx), b.point(n+":1", x)
}

// single is FluxSingleTransformerBlock on h [B, T+N, D], text tokens
// first. With AdaLayerNormZeroSingle's chunks (shift, scale, gate):
//
//	n = norm(h)·(1 + scale) + shift
//	h = h + gate·proj_out([attention(n), gelu_tanh(proj_mlp(n))])
//
// the attention (FluxSingleAttnProcessor2_0) without an output
// projection: q, k, v by to_q, to_k, to_v, q and k RMS-normalised and
// rotated.
func (b *builder) single(i int, h *Node) *Node {
	n := singleName(i)
	m := b.modulation(n+".norm.linear", 3) // shift, scale, gate
	nh := b.point(n+".norm:0", modulate(layerNorm(h), m[1], m[0]))
	mlp := engine.GeluTanh(b.linear(n+".proj_mlp", nh))
	a := n + ".attn"
	q := b.rope(b.rmsNorm(a+".norm_q", b.heads(a+".to_q", nh)))
	k := b.rope(b.rmsNorm(a+".norm_k", b.heads(a+".to_k", nh)))
	att := b.point(a, attend(q, k, b.heads(a+".to_v", nh)))
	return b.point(n, gated(h, m[2], b.linear(n+".proj_out", Concatenate([]*Node{att, mlp}, -1))))
}

// forward is FluxTransformer2DModel.forward from the sinusoids on: hidden
// [B, N, in_channels], enc [B, T, joint_attention_dim], pooled
// [B, pooled_projection_dim], tProj and gProj [B, 256] the sinusoids of
// 1000·timestep and 1000·guidance (gProj nil without guidance_embeds).
func (b *builder) forward(hidden, enc, pooled, tProj, gProj *Node) *Node {
	temb := b.embedding("time_text_embed.timestep_embedder", tProj)
	if gProj != nil {
		temb = Add(temb, b.embedding("time_text_embed.guidance_embedder", gProj))
	}
	temb = b.point2("time_text_embed", Add(temb, b.embedding("time_text_embed.text_embedder", pooled)))
	b.cond = engine.SiLU(temb)

	ctx := b.point("context_embedder", b.linear("context_embedder", enc))
	x := b.point("x_embedder", b.linear("x_embedder", hidden))
	for i := range b.c.NumLayers {
		ctx, x = b.double(i, x, ctx)
	}
	T := ctx.Shape().Dimensions[1]
	h := Concatenate([]*Node{ctx, x}, 1)
	for i := range b.c.NumSingleLayers {
		h = b.single(i, h)
	}
	x = Slice(h, AxisRange(), AxisRange(T), AxisRange())

	m := b.modulation("norm_out.linear", 2) // AdaLayerNormContinuous: scale, then shift
	x = b.point("norm_out", modulate(layerNorm(x), m[0], m[1]))
	return b.linear("proj_out", x)
}
