package unet

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified

	"github.com/actsh/actsh/engine"
)

// Fixed epsilons of diffusers' modules (the config's norm_eps is the
// resnets' and conv_norm_out's).
const (
	attnGroupNormEps = 1e-6 // Transformer2DModel.norm
	layerNormEps     = 1e-5 // BasicTransformerBlock's norm1, norm2, norm3
)

// builder builds one graph: the parameters by name, the points, and the
// conditioning every block reads.
type builder struct {
	c   *Config
	w   map[string]*Node
	pts *engine.Points

	temb *Node // silu(emb) [B, temb]: what every resnet's time_emb_proj takes
	enc  *Node // encoder_hidden_states [B, S, cross_attention_dim]
}

func (b *builder) weight(name string) *Node {
	n, ok := b.w[name]
	if !ok {
		panic(fmt.Sprintf("unet: no parameter %s", name)) // cannot happen: New loaded the list the graph reads
	}
	return n
}

// point marks a module's output z as the point name (steering, capture).
func (b *builder) point(name string, z *Node) *Node { return b.pts.Point(name, z) }

// point2 is point for an embedding [B, D], seen by the points as one
// token [B, 1, D].
func (b *builder) point2(name string, z *Node) *Node {
	d := z.Shape().Dimensions
	return Reshape(b.point(name, Reshape(z, d[0], 1, d[1])), d...)
}

func (b *builder) linear(name string, x *Node) *Node {
	return engine.Linear(x, b.weight(name+".weight"), b.weight(name+".bias"))
}

// conv is nn.Conv2d with stride 1 and padding (k−1)/2, which keeps the
// image size: every convolution but the downsamplers'.
func (b *builder) conv(name string, x *Node) *Node {
	w := b.weight(name + ".weight")
	p := (w.Shape().Dimensions[2] - 1) / 2
	return engine.Conv2D(x, w, b.weight(name+".bias"), 1, [2][2]int{{p, p}, {p, p}})
}

func (b *builder) groupNorm(name string, x *Node, eps float64) *Node {
	return engine.GroupNorm(x, b.weight(name+".weight"), b.weight(name+".bias"), b.c.NormNumGroups, eps)
}

// timestepEmbedding is TimestepEmbedding: linear_2(silu(linear_1(x))).
func (b *builder) timestepEmbedding(name string, x *Node) *Node {
	return b.linear(name+".linear_2", engine.SiLU(b.linear(name+".linear_1", x)))
}

// resnet is ResnetBlock2D with the "default" time embedding:
//
//	h   = conv1(silu(norm1(x))) + time_emb_proj(silu(emb))   (per channel)
//	out = (shortcut(x) + conv2(silu(norm2(h)))) / scale
//
// shortcut a 1×1 conv when the channels change; scale is 1 except in the
// mid block (mid_block_scale_factor).
func (b *builder) resnet(r resnetL, x *Node, scale float64) *Node {
	h := b.point(r.name+".norm1", b.groupNorm(r.name+".norm1", x, b.c.NormEps))
	h = b.conv(r.name+".conv1", engine.SiLU(h))
	t := b.linear(r.name+".time_emb_proj", b.temb) // [B, out]
	d := h.Shape().Dimensions
	h = Add(h, BroadcastToDims(Reshape(t, d[0], d[1], 1, 1), d...))
	h = b.point(r.name+".norm2", b.groupNorm(r.name+".norm2", h, b.c.NormEps))
	h = b.conv(r.name+".conv2", engine.SiLU(h))
	if r.in != r.out {
		x = b.conv(r.name+".conv_shortcut", x)
	}
	out := Add(x, h)
	if scale != 1 {
		out = DivScalar(out, scale)
	}
	return b.point(r.name, out)
}

// transformer is Transformer2DModel on continuous input x [B, C, H, W]:
// GroupNorm (ε 1e-6), proj_in, the positions as a sequence [B, H·W, C]
// through the BasicTransformerBlocks, proj_out, plus x. The projections
// are Linear maps on the sequence (use_linear_projection) or 1×1 convs on
// the feature map.
func (b *builder) transformer(a attnL, x *Node) *Node {
	d := x.Shape().Dimensions
	B, C, H, W := d[0], d[1], d[2], d[3]
	toSeq := func(z *Node) *Node { return Reshape(TransposeAllAxes(z, 0, 2, 3, 1), B, H*W, C) }
	toMap := func(z *Node) *Node { return TransposeAllAxes(Reshape(z, B, H, W, C), 0, 3, 1, 2) }
	h := b.point(a.name+".norm", b.groupNorm(a.name+".norm", x, attnGroupNormEps))
	if b.c.UseLinearProjection {
		h = b.linear(a.name+".proj_in", toSeq(h))
	} else {
		h = toSeq(b.conv(a.name+".proj_in", h))
	}
	for k := range a.layers {
		h = b.transformerBlock(fmt.Sprintf("%s.transformer_blocks.%d", a.name, k), h, a.heads)
	}
	if b.c.UseLinearProjection {
		h = toMap(b.linear(a.name+".proj_out", h))
	} else {
		h = b.conv(a.name+".proj_out", toMap(h))
	}
	return b.point(a.name, Add(h, x))
}

// transformerBlock is BasicTransformerBlock with layer norms: self-
// attention, cross-attention on encoder_hidden_states, GEGLU
// feed-forward, each on a LayerNorm of h and added to it.
func (b *builder) transformerBlock(name string, h *Node, heads int) *Node {
	ln := func(n string, x *Node) *Node {
		return b.point(name+"."+n, engine.LayerNorm(x, b.weight(name+"."+n+".weight"), b.weight(name+"."+n+".bias"), layerNormEps))
	}
	n := ln("norm1", h)
	h = Add(b.point(name+".attn1", b.attention(name+".attn1", n, n, heads)), h)
	n = ln("norm2", h)
	h = Add(b.point(name+".attn2", b.attention(name+".attn2", n, b.enc, heads)), h)
	n = ln("norm3", h)
	h = Add(b.point(name+".ff", b.feedForward(name+".ff", n)), h)
	return b.point(name, h)
}

// attention is diffusers' Attention with the classic processor: queries
// from x [B, T, C], keys and values from ctx [B, S, ·] (x itself for
// self-attention), heads of d = C/heads:
//
//	out = to_out.0(concat_h softmax(q_h·k_hᵀ/√d)·v_h)
//
// to_q, to_k and to_v have no bias. The T×S scores of each head are
// materialised: 2·heads·4096² floats per batch item for SDXL's 1024²
// images.
func (b *builder) attention(name string, x, ctx *Node, heads int) *Node {
	d := x.Shape().Dimensions
	B, T, C := d[0], d[1], d[2]
	S := ctx.Shape().Dimensions[1]
	hd := C / heads
	proj := func(n string, z *Node, tokens int) *Node {
		return Reshape(engine.Linear(z, b.weight(name+"."+n+".weight"), nil), B, tokens, heads, hd)
	}
	q, k, v := proj("to_q", x, T), proj("to_k", ctx, S), proj("to_v", ctx, S)
	scores := MulScalar(Einsum("bthd,bshd->bhts", q, k), 1/math.Sqrt(float64(hd)))
	o := Reshape(Einsum("bhts,bshd->bthd", Softmax(scores, -1), v), B, T, C)
	return b.linear(name+".to_out.0", o)
}

// feedForward is FeedForward with GEGLU: net.0.proj maps to twice the
// inner width; the first half times GELU (exact, erf) of the second half
// goes through net.2.
func (b *builder) feedForward(name string, x *Node) *Node {
	y := b.linear(name+".net.0.proj", x)
	inner := y.Shape().Dimensions[2] / 2
	hidden := Slice(y, AxisRange(), AxisRange(), AxisRange(0, inner))
	gate := Slice(y, AxisRange(), AxisRange(), AxisRange(inner, 2*inner))
	return b.linear(name+".net.2", Mul(hidden, engine.Gelu(gate)))
}

// downsample is Downsample2D with a conv: 3×3, stride 2, padding
// downsample_padding on every side, or with 0 one row and column of zeros
// on the bottom and right.
func (b *builder) downsample(name string, x *Node) *Node {
	p := b.c.DownsamplePadding
	pad := [2][2]int{{p, p}, {p, p}}
	if p == 0 {
		pad = [2][2]int{{0, 1}, {0, 1}}
	}
	return b.point(name, engine.Conv2D(x, b.weight(name+".conv.weight"), b.weight(name+".conv.bias"), 2, pad))
}

// upsample is Upsample2D with a conv: nearest resizing to h×w (twice the
// size, unless the latents' sides are not multiples of [Config.Scale]:
// diffusers then resizes to the skip connection's size), then a 3×3 conv.
func (b *builder) upsample(name string, x *Node, h, w int) *Node {
	return b.point(name, b.conv(name+".conv", engine.ResizeNearest(x, h, w)))
}

// forward is UNet2DConditionModel.forward from the sinusoidal embeddings
// on: sample [B, in, h, w]; tProj [B, block_out_channels[0]], the
// timesteps' sinusoids; addProj [B, projection_class_embeddings_input_dim],
// text_embeds followed by the time ids' sinusoids (nil without text_time).
func (b *builder) forward(l layout, sample, tProj, addProj *Node) *Node {
	c := b.c
	emb := b.point2("time_embedding", b.timestepEmbedding("time_embedding", tProj))
	if addProj != nil {
		emb = Add(emb, b.point2("add_embedding", b.timestepEmbedding("add_embedding", addProj)))
	}
	b.temb = engine.SiLU(emb)

	x := b.point("conv_in", b.conv("conv_in", sample))
	skips := []*Node{x}
	for _, blk := range l.down {
		for j, r := range blk.resnets {
			x = b.resnet(r, x, 1)
			if blk.attns != nil {
				x = b.transformer(blk.attns[j], x)
			}
			skips = append(skips, x)
		}
		if blk.sampler != "" {
			x = b.downsample(blk.sampler, x)
			skips = append(skips, x)
		}
	}

	x = b.resnet(l.mid.resnets[0], x, c.MidBlockScaleFactor)
	x = b.transformer(l.mid.attns[0], x)
	x = b.resnet(l.mid.resnets[1], x, c.MidBlockScaleFactor)

	for _, blk := range l.up {
		for j, r := range blk.resnets {
			skip := skips[len(skips)-1]
			skips = skips[:len(skips)-1]
			x = b.resnet(r, Concatenate([]*Node{x, skip}, 1), 1)
			if blk.attns != nil {
				x = b.transformer(blk.attns[j], x)
			}
		}
		if blk.sampler != "" {
			next := skips[len(skips)-1].Shape().Dimensions
			x = b.upsample(blk.sampler, x, next[2], next[3])
		}
	}

	x = b.point("conv_norm_out", b.groupNorm("conv_norm_out", x, c.NormEps))
	return b.conv("conv_out", engine.SiLU(x))
}
