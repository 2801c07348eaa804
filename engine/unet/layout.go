package unet

import (
	"fmt"
	"slices"
)

// The layout is the UNet's modules as UNet2DConditionModel.__init__ builds
// them from the config: names, channels, heads. The weights to load, the
// intervention points and the graph all walk it, so the three agree by
// construction.

// resnetL is one ResnetBlock2D.
type resnetL struct {
	name    string
	in, out int
}

// attnL is one Transformer2DModel: ch channels in and out, heads heads of
// ch/heads, layers BasicTransformerBlocks.
type attnL struct {
	name              string
	ch, heads, layers int
}

// blockL is one down, mid or up block. A cross-attention block has one
// attention after each resnet (the mid block: resnet, attention, resnet).
type blockL struct {
	name    string
	ch      int
	resnets []resnetL
	attns   []attnL
	sampler string // "…downsamplers.0" or "…upsamplers.0"; "" for none
}

type layout struct {
	down []blockL
	mid  blockL
	up   []blockL
}

// newLayout follows UNet2DConditionModel: down block i maps
// block_out_channels[i−1] to [i] (conv_in's channels for i = 0) through
// layers_per_block[i] resnets; up block i works on
// reversed(block_out_channels)[i] with layers_per_block[n−1−i]+1 resnets,
// resnet j taking the previous output concatenated with a skip connection
// (the skip of the block's own level, or for the last resnet the level
// below's channels). Per-block settings are reversed for the up blocks.
func newLayout(c *Config) layout {
	boc := c.BlockOutChannels
	n := len(boc)
	var l layout
	out := boc[0]
	for i, t := range c.DownBlockTypes {
		in := out
		out = boc[i]
		b := blockL{name: fmt.Sprintf("down_blocks.%d", i), ch: out}
		for j := range c.LayersPerBlock[i] {
			rin := out
			if j == 0 {
				rin = in
			}
			b.resnets = append(b.resnets, resnetL{fmt.Sprintf("%s.resnets.%d", b.name, j), rin, out})
			if t == CrossAttnDownBlock {
				b.attns = append(b.attns, attnL{fmt.Sprintf("%s.attentions.%d", b.name, j), out, c.NumHeads[i], c.TransformerLayersPerBlock[i]})
			}
		}
		if i < n-1 {
			b.sampler = b.name + ".downsamplers.0"
		}
		l.down = append(l.down, b)
	}

	top := boc[n-1]
	l.mid = blockL{name: "mid_block", ch: top,
		resnets: []resnetL{{"mid_block.resnets.0", top, top}, {"mid_block.resnets.1", top, top}},
		attns:   []attnL{{"mid_block.attentions.0", top, c.NumHeads[n-1], c.TransformerLayersPerBlock[n-1]}},
	}

	rev := slices.Clone(boc)
	slices.Reverse(rev)
	out = rev[0]
	for i, t := range c.UpBlockTypes {
		prev := out
		out = rev[i]
		in := rev[min(i+1, n-1)]
		k := n - 1 - i // the matching down block's settings
		b := blockL{name: fmt.Sprintf("up_blocks.%d", i), ch: out}
		layers := c.LayersPerBlock[k] + 1
		for j := range layers {
			skip := out
			if j == layers-1 {
				skip = in
			}
			rin := out
			if j == 0 {
				rin = prev
			}
			b.resnets = append(b.resnets, resnetL{fmt.Sprintf("%s.resnets.%d", b.name, j), rin + skip, out})
			if t == CrossAttnUpBlock {
				b.attns = append(b.attns, attnL{fmt.Sprintf("%s.attentions.%d", b.name, j), out, c.NumHeads[k], c.TransformerLayersPerBlock[k]})
			}
		}
		if i < n-1 {
			b.sampler = b.name + ".upsamplers.0"
		}
		l.up = append(l.up, b)
	}
	return l
}

// param is one weight: its name and shape.
type param struct {
	name  string
	shape []int
}

func conv(name string, in, out, k int) []param {
	return []param{{name + ".weight", []int{out, in, k, k}}, {name + ".bias", []int{out}}}
}

func norm(name string, ch int) []param {
	return []param{{name + ".weight", []int{ch}}, {name + ".bias", []int{ch}}}
}

func linear(name string, in, out int) []param {
	return []param{{name + ".weight", []int{out, in}}, {name + ".bias", []int{out}}}
}

// linearNoBias is an nn.Linear(bias=False): the attention's q, k, v.
func linearNoBias(name string, in, out int) []param {
	return []param{{name + ".weight", []int{out, in}}}
}

// params lists every weight the layout reads, in module order.
func (l layout) params(c *Config) []param {
	temb := c.TimeEmbeddingDim
	boc := c.BlockOutChannels
	ps := slices.Concat(conv("conv_in", c.InChannels, boc[0], c.ConvInKernel),
		linear("time_embedding.linear_1", boc[0], temb), linear("time_embedding.linear_2", temb, temb))
	if c.AdditionEmbedType == TextTime {
		ps = slices.Concat(ps, linear("add_embedding.linear_1", c.ProjectionClassEmbeddingsInputDim, temb),
			linear("add_embedding.linear_2", temb, temb))
	}
	block := func(b blockL) {
		for _, r := range b.resnets {
			ps = append(ps, r.params(temb)...)
		}
		for _, a := range b.attns {
			ps = append(ps, a.params(c)...)
		}
		if b.sampler != "" {
			ps = append(ps, conv(b.sampler+".conv", b.ch, b.ch, 3)...)
		}
	}
	for _, b := range l.down {
		block(b)
	}
	block(l.mid)
	for _, b := range l.up {
		block(b)
	}
	return slices.Concat(ps, norm("conv_norm_out", boc[0]), conv("conv_out", boc[0], c.OutChannels, c.ConvOutKernel))
}

func (r resnetL) params(temb int) []param {
	ps := slices.Concat(norm(r.name+".norm1", r.in), conv(r.name+".conv1", r.in, r.out, 3),
		linear(r.name+".time_emb_proj", temb, r.out),
		norm(r.name+".norm2", r.out), conv(r.name+".conv2", r.out, r.out, 3))
	if r.in != r.out {
		ps = append(ps, conv(r.name+".conv_shortcut", r.in, r.out, 1)...)
	}
	return ps
}

func (a attnL) params(c *Config) []param {
	ch := a.ch
	proj := func(name string) []param {
		if c.UseLinearProjection {
			return linear(name, ch, ch)
		}
		return conv(name, ch, ch, 1)
	}
	ps := slices.Concat(norm(a.name+".norm", ch), proj(a.name+".proj_in"))
	for k := range a.layers {
		t := fmt.Sprintf("%s.transformer_blocks.%d", a.name, k)
		ps = slices.Concat(ps,
			norm(t+".norm1", ch),
			linearNoBias(t+".attn1.to_q", ch, ch), linearNoBias(t+".attn1.to_k", ch, ch), linearNoBias(t+".attn1.to_v", ch, ch),
			linear(t+".attn1.to_out.0", ch, ch),
			norm(t+".norm2", ch),
			linearNoBias(t+".attn2.to_q", ch, ch),
			linearNoBias(t+".attn2.to_k", c.CrossAttentionDim, ch), linearNoBias(t+".attn2.to_v", c.CrossAttentionDim, ch),
			linear(t+".attn2.to_out.0", ch, ch),
			norm(t+".norm3", ch),
			linear(t+".ff.net.0.proj", ch, 8*ch), linear(t+".ff.net.2", 4*ch, ch))
	}
	return slices.Concat(ps, proj(a.name+".proj_out"))
}
