package imagetrain

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified

	"github.com/actsh/actsh/engine"
)

// UNetConfig sizes the denoiser, a diffusers UNet2DConditionModel without
// added embeddings; fields keep the meaning of its config.json.
type UNetConfig struct {
	SampleSize       int    // sample_size: the image side in pixels
	Channels         int    // in_channels = out_channels (3: RGB)
	BlockOutChannels []int  // block_out_channels, finest first
	CrossAttn        []bool // per level: CrossAttnDownBlock2D/CrossAttnUpBlock2D (true) or DownBlock2D/UpBlock2D
	LayersPerBlock   int    // layers_per_block
	Heads            []int  // attention_head_dim (the heads per level, diffusers' naming quirk)
	NormGroups       int    // norm_num_groups
}

// The fixed epsilons of diffusers' modules and the config's norm_eps.
const (
	normEps          = 1e-5 // norm_eps: resnets and conv_norm_out
	attnGroupNormEps = 1e-6 // Transformer2DModel.norm
	lnEps            = 1e-5 // BasicTransformerBlock's LayerNorms
)

// timeEmbedDim is time_embedding_dim's default, 4·block_out_channels[0].
func (c UNetConfig) timeEmbedDim() int { return 4 * c.BlockOutChannels[0] }

func (c UNetConfig) validate(crossDim int) error {
	n := len(c.BlockOutChannels)
	switch {
	case n == 0 || len(c.CrossAttn) != n || len(c.Heads) != n:
		return fmt.Errorf("imagetrain: block_out_channels %v, cross-attention levels %v and heads %v must have one entry per level", c.BlockOutChannels, c.CrossAttn, c.Heads)
	case c.SampleSize <= 0 || c.SampleSize%(1<<(n-1)) != 0:
		return fmt.Errorf("imagetrain: sample_size %d must be a positive multiple of 2^(levels−1) = %d", c.SampleSize, 1<<(n-1))
	case c.Channels <= 0 || c.LayersPerBlock <= 0 || c.NormGroups <= 0 || crossDim <= 0:
		return fmt.Errorf("imagetrain: channels %d, layers_per_block %d, norm_num_groups %d and cross_attention_dim %d must be positive", c.Channels, c.LayersPerBlock, c.NormGroups, crossDim)
	}
	for i, ch := range c.BlockOutChannels {
		if ch <= 0 || ch%c.NormGroups != 0 || c.Heads[i] <= 0 || ch%c.Heads[i] != 0 {
			return fmt.Errorf("imagetrain: block_out_channels[%d] = %d must be a positive multiple of norm_num_groups (%d) and of its heads (%d)", i, ch, c.NormGroups, c.Heads[i])
		}
	}
	return nil
}

// diffusersConfig is the unet/config.json written for c.
func (c UNetConfig) diffusersConfig(crossDim int) map[string]any {
	down, up := []string{}, []string{}
	for i, a := range c.CrossAttn {
		if a {
			down = append(down, "CrossAttnDownBlock2D")
		} else {
			down = append(down, "DownBlock2D")
		}
		if c.CrossAttn[len(c.CrossAttn)-1-i] {
			up = append(up, "CrossAttnUpBlock2D")
		} else {
			up = append(up, "UpBlock2D")
		}
	}
	return map[string]any{
		"_class_name":                  "UNet2DConditionModel",
		"_diffusers_version":           "0.30.0",
		"sample_size":                  c.SampleSize,
		"in_channels":                  c.Channels,
		"out_channels":                 c.Channels,
		"center_input_sample":          false,
		"flip_sin_to_cos":              true,
		"freq_shift":                   0,
		"down_block_types":             down,
		"mid_block_type":               "UNetMidBlock2DCrossAttn",
		"up_block_types":               up,
		"only_cross_attention":         false,
		"block_out_channels":           c.BlockOutChannels,
		"layers_per_block":             c.LayersPerBlock,
		"downsample_padding":           1,
		"mid_block_scale_factor":       1,
		"dropout":                      0.0,
		"act_fn":                       "silu",
		"norm_num_groups":              c.NormGroups,
		"norm_eps":                     normEps,
		"cross_attention_dim":          crossDim,
		"transformer_layers_per_block": 1,
		"attention_head_dim":           c.Heads,
		"num_attention_heads":          nil,
		"dual_cross_attention":         false,
		"use_linear_projection":        true,
		"class_embed_type":             nil,
		"addition_embed_type":          nil,
		"num_class_embeds":             nil,
		"upcast_attention":             false,
		"resnet_time_scale_shift":      "default",
		"time_embedding_type":          "positional",
		"time_embedding_dim":           nil,
		"conv_in_kernel":               3,
		"conv_out_kernel":              3,
	}
}

// resnetL, attnL and blockL are the modules of one level, named as
// UNet2DConditionModel names them.
type resnetL struct {
	name    string
	in, out int
}

type attnL struct {
	name      string
	ch, heads int
}

type blockL struct {
	ch      int
	resnets []resnetL
	attns   []attnL // nil, or one per resnet
	sampler string  // "…downsamplers.0", "…upsamplers.0" or ""
}

type unetLayout struct {
	down []blockL
	mid  blockL
	up   []blockL
}

// layout follows UNet2DConditionModel.__init__ for this subset: down
// block i maps block_out_channels[i−1] to [i] with layers_per_block
// resnets; the mid block is resnet, attention, resnet; up block i has
// layers_per_block+1 resnets, each taking the previous output
// concatenated with a skip connection.
func (c UNetConfig) layout() unetLayout {
	boc := c.BlockOutChannels
	n := len(boc)
	var l unetLayout
	out := boc[0]
	for i := range n {
		in := out
		out = boc[i]
		name := fmt.Sprintf("down_blocks.%d", i)
		b := blockL{ch: out}
		for j := range c.LayersPerBlock {
			rin := out
			if j == 0 {
				rin = in
			}
			b.resnets = append(b.resnets, resnetL{fmt.Sprintf("%s.resnets.%d", name, j), rin, out})
			if c.CrossAttn[i] {
				b.attns = append(b.attns, attnL{fmt.Sprintf("%s.attentions.%d", name, j), out, c.Heads[i]})
			}
		}
		if i < n-1 {
			b.sampler = name + ".downsamplers.0"
		}
		l.down = append(l.down, b)
	}
	top := boc[n-1]
	l.mid = blockL{ch: top, resnets: []resnetL{{"mid_block.resnets.0", top, top}, {"mid_block.resnets.1", top, top}},
		attns: []attnL{{"mid_block.attentions.0", top, c.Heads[n-1]}}}
	out = boc[n-1]
	for i := range n {
		prev := out
		k := n - 1 - i
		out = boc[k]
		in := boc[max(k-1, 0)]
		name := fmt.Sprintf("up_blocks.%d", i)
		b := blockL{ch: out}
		layers := c.LayersPerBlock + 1
		for j := range layers {
			skip := out
			if j == layers-1 {
				skip = in
			}
			rin := out
			if j == 0 {
				rin = prev
			}
			b.resnets = append(b.resnets, resnetL{fmt.Sprintf("%s.resnets.%d", name, j), rin + skip, out})
			if c.CrossAttn[k] {
				b.attns = append(b.attns, attnL{fmt.Sprintf("%s.attentions.%d", name, j), out, c.Heads[k]})
			}
		}
		if i < n-1 {
			b.sampler = name + ".upsamplers.0"
		}
		l.up = append(l.up, b)
	}
	return l
}

// param is one weight: its checkpoint name and shape, and how it starts.
type param struct {
	name string
	dims []int
	init initKind
}

type initKind int

const (
	initZero  initKind = iota // biases, and the last layer of residual branches
	initOne                   // norm gains
	initFanIn                 // N(0, 1/fan_in): convolutions and linear maps
	initSmall                 // N(0, 0.02²): embeddings
)

func convP(name string, in, out, k int, zero bool) []param {
	ki := initFanIn
	if zero {
		ki = initZero
	}
	return []param{{name + ".weight", []int{out, in, k, k}, ki}, {name + ".bias", []int{out}, initZero}}
}

func normP(name string, ch int) []param {
	return []param{{name + ".weight", []int{ch}, initOne}, {name + ".bias", []int{ch}, initZero}}
}

func linP(name string, in, out int, bias, zero bool) []param {
	ki := initFanIn
	if zero {
		ki = initZero
	}
	ps := []param{{name + ".weight", []int{out, in}, ki}}
	if bias {
		ps = append(ps, param{name + ".bias", []int{out}, initZero})
	}
	return ps
}

// params lists the UNet's weights in module order. Following ADM, the
// last layer of every residual branch (resnets' conv2, the transformers'
// proj_out) and conv_out start at zero, so the network starts as near
// identities plus a zero prediction.
func (c UNetConfig) params(crossDim int) []param {
	temb := c.timeEmbedDim()
	boc := c.BlockOutChannels
	l := c.layout()
	ps := append(convP("conv_in", c.Channels, boc[0], 3, false),
		append(linP("time_embedding.linear_1", boc[0], temb, true, false), linP("time_embedding.linear_2", temb, temb, true, false)...)...)
	block := func(b blockL) {
		for _, r := range b.resnets {
			ps = append(ps, normP(r.name+".norm1", r.in)...)
			ps = append(ps, convP(r.name+".conv1", r.in, r.out, 3, false)...)
			ps = append(ps, linP(r.name+".time_emb_proj", temb, r.out, true, false)...)
			ps = append(ps, normP(r.name+".norm2", r.out)...)
			ps = append(ps, convP(r.name+".conv2", r.out, r.out, 3, true)...)
			if r.in != r.out {
				ps = append(ps, convP(r.name+".conv_shortcut", r.in, r.out, 1, false)...)
			}
		}
		for _, a := range b.attns {
			ch := a.ch
			t := a.name + ".transformer_blocks.0"
			ps = append(ps, normP(a.name+".norm", ch)...)
			ps = append(ps, linP(a.name+".proj_in", ch, ch, true, false)...)
			ps = append(ps, normP(t+".norm1", ch)...)
			for _, q := range []string{"to_q", "to_k", "to_v"} {
				ps = append(ps, linP(t+".attn1."+q, ch, ch, false, false)...)
			}
			ps = append(ps, linP(t+".attn1.to_out.0", ch, ch, true, false)...)
			ps = append(ps, normP(t+".norm2", ch)...)
			ps = append(ps, linP(t+".attn2.to_q", ch, ch, false, false)...)
			ps = append(ps, linP(t+".attn2.to_k", crossDim, ch, false, false)...)
			ps = append(ps, linP(t+".attn2.to_v", crossDim, ch, false, false)...)
			ps = append(ps, linP(t+".attn2.to_out.0", ch, ch, true, false)...)
			ps = append(ps, normP(t+".norm3", ch)...)
			ps = append(ps, linP(t+".ff.net.0.proj", ch, 8*ch, true, false)...)
			ps = append(ps, linP(t+".ff.net.2", 4*ch, ch, true, false)...)
			ps = append(ps, linP(a.name+".proj_out", ch, ch, true, true)...)
		}
		if b.sampler != "" {
			ps = append(ps, convP(b.sampler+".conv", b.ch, b.ch, 3, false)...)
		}
	}
	for _, b := range l.down {
		block(b)
	}
	block(l.mid)
	for _, b := range l.up {
		block(b)
	}
	ps = append(ps, normP("conv_norm_out", boc[0])...)
	return append(ps, convP("conv_out", boc[0], c.Channels, 3, true)...)
}

// unetBuilder builds the differentiable UNet forward from weights by name.
type unetBuilder struct {
	c    UNetConfig
	w    map[string]*Node
	temb *Node // silu(emb) [B, temb]
	enc  *Node // encoder_hidden_states [B, S, cross_attention_dim]
}

func (b *unetBuilder) p(name string) *Node {
	n, ok := b.w[name]
	if !ok {
		panic(fmt.Sprintf("imagetrain: no parameter %s", name)) // cannot happen: the list and the forward walk one layout
	}
	return n
}

func (b *unetBuilder) lin(name string, x *Node, bias bool) *Node {
	var bn *Node
	if bias {
		bn = b.p(name + ".bias")
	}
	return linear(x, b.p(name+".weight"), bn)
}

func (b *unetBuilder) conv(name string, x *Node, stride int) *Node {
	return conv2d(x, b.p(name+".weight"), b.p(name+".bias"), stride)
}

func (b *unetBuilder) gn(name string, x *Node, eps float64) *Node {
	return groupNorm(x, b.p(name+".weight"), b.p(name+".bias"), b.c.NormGroups, eps)
}

// resnet is ResnetBlock2D (engine/unet's resnet).
func (b *unetBuilder) resnet(r resnetL, x *Node) *Node {
	h := b.conv(r.name+".conv1", engine.SiLU(b.gn(r.name+".norm1", x, normEps)), 1)
	t := b.lin(r.name+".time_emb_proj", b.temb, true)
	d := h.Shape().Dimensions
	h = Add(h, BroadcastToDims(Reshape(t, d[0], d[1], 1, 1), d...))
	h = b.conv(r.name+".conv2", engine.SiLU(b.gn(r.name+".norm2", h, normEps)), 1)
	if r.in != r.out {
		x = b.conv(r.name+".conv_shortcut", x, 1)
	}
	return Add(x, h)
}

// transformer is Transformer2DModel with linear projections and one
// BasicTransformerBlock (engine/unet's transformer).
func (b *unetBuilder) transformer(a attnL, x *Node) *Node {
	d := x.Shape().Dimensions
	B, C, H, W := d[0], d[1], d[2], d[3]
	h := b.gn(a.name+".norm", x, attnGroupNormEps)
	h = b.lin(a.name+".proj_in", Reshape(TransposeAllAxes(h, 0, 2, 3, 1), B, H*W, C), true)
	t := a.name + ".transformer_blocks.0"
	ln := func(n string, z *Node) *Node {
		return layerNorm(z, b.p(t+"."+n+".weight"), b.p(t+"."+n+".bias"), lnEps)
	}
	n := ln("norm1", h)
	h = Add(b.attention(t+".attn1", n, n, a.heads), h)
	n = ln("norm2", h)
	h = Add(b.attention(t+".attn2", n, b.enc, a.heads), h)
	n = ln("norm3", h)
	y := b.lin(t+".ff.net.0.proj", n, true)
	inner := 4 * C
	h = Add(b.lin(t+".ff.net.2", Mul(sliceLast(y, 0, inner), engine.Gelu(sliceLast(y, inner, 2*inner))), true), h)
	h = b.lin(a.name+".proj_out", h, true)
	return Add(TransposeAllAxes(Reshape(h, B, H, W, C), 0, 3, 1, 2), x)
}

// attention is diffusers' Attention: softmax(q·kᵀ/√d)·v over heads, q
// from x, k and v from ctx, then to_out.0.
func (b *unetBuilder) attention(name string, x, ctx *Node, heads int) *Node {
	d := x.Shape().Dimensions
	B, T, C := d[0], d[1], d[2]
	S := ctx.Shape().Dimensions[1]
	hd := C / heads
	q := Reshape(b.lin(name+".to_q", x, false), B, T, heads, hd)
	k := Reshape(b.lin(name+".to_k", ctx, false), B, S, heads, hd)
	v := Reshape(b.lin(name+".to_v", ctx, false), B, S, heads, hd)
	scores := MulScalar(contract("bthd,bshd->bhts", q, k, "bhts,bshd->bthd", "bhts,bthd->bshd"), 1/math.Sqrt(float64(hd)))
	o := contract("bhts,bshd->bthd", Softmax(scores, -1), v, "bthd,bshd->bhts", "bthd,bhts->bshd")
	return b.lin(name+".to_out.0", Reshape(o, B, T, C), true)
}

// forward is UNet2DConditionModel.forward (engine/unet's builder.forward
// for this subset): sample [B, C, S, S], tProj [B, block_out_channels[0]]
// the timesteps' sinusoids, enc [B, T, cross_attention_dim].
func (b *unetBuilder) forward(sample, tProj, enc *Node) *Node {
	l := b.c.layout()
	b.enc = enc
	emb := b.lin("time_embedding.linear_2", engine.SiLU(b.lin("time_embedding.linear_1", tProj, true)), true)
	b.temb = engine.SiLU(emb)
	x := b.conv("conv_in", sample, 1)
	skips := []*Node{x}
	for _, blk := range l.down {
		for j, r := range blk.resnets {
			x = b.resnet(r, x)
			if blk.attns != nil {
				x = b.transformer(blk.attns[j], x)
			}
			skips = append(skips, x)
		}
		if blk.sampler != "" {
			x = b.conv(blk.sampler+".conv", x, 2)
			skips = append(skips, x)
		}
	}
	x = b.resnet(l.mid.resnets[0], x)
	x = b.transformer(l.mid.attns[0], x)
	x = b.resnet(l.mid.resnets[1], x)
	for _, blk := range l.up {
		for j, r := range blk.resnets {
			skip := skips[len(skips)-1]
			skips = skips[:len(skips)-1]
			x = b.resnet(r, Concatenate([]*Node{x, skip}, 1))
			if blk.attns != nil {
				x = b.transformer(blk.attns[j], x)
			}
		}
		if blk.sampler != "" {
			x = b.conv(blk.sampler+".conv", engine.Upsample2x(x), 1)
		}
	}
	x = engine.SiLU(b.gn("conv_norm_out", x, normEps))
	return b.conv("conv_out", x, 1)
}
