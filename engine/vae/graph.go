package vae

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// eps is the epsilon of every GroupNorm in diffusers' Encoder and Decoder.
const eps = 1e-6

// graphKey is one compiled graph: what it computes on which input shape.
type graphKey struct {
	kind string // "decode" or "encode"
	dims [4]int
}

type compiled struct{ g *Graph }

// builder builds one graph: the parameters by name.
type builder struct {
	c *Config
	w map[string]*Node
}

// weight returns a parameter, widened to float32 (half-precision weights
// are kept half in memory and converted inside the graph, exactly).
func (b *builder) weight(name string) *Node {
	n, ok := b.w[name]
	if !ok {
		panic(fmt.Sprintf("vae: no parameter %s", name)) // cannot happen: New loaded the list the graph reads
	}
	if n.DType() != dtypes.Float32 {
		return ConvertDType(n, dtypes.Float32)
	}
	return n
}

// channelBias broadcasts a [C] vector over x [B, C, H, W].
func channelBias(v, x *Node) *Node {
	return BroadcastToDims(Reshape(v, 1, v.Shape().Dimensions[0], 1, 1), x.Shape().Dimensions...)
}

// conv is nn.Conv2d with stride 1 and "same" padding (k−1)/2, as every
// convolution of the decoder: y = W ⋆ x + b.
func (b *builder) conv(name string, x *Node) *Node {
	w := b.weight(name + ".weight")
	p := (w.Shape().Dimensions[2] - 1) / 2
	return engine.Conv2D(x, w, b.weight(name+".bias"), 1, [2][2]int{{p, p}, {p, p}})
}

// downConv is the encoder's Downsample2D: pad (0, 1, 0, 1) with zeros,
// then a 3×3 convolution of stride 2 without padding.
func (b *builder) downConv(name string, x *Node) *Node {
	return engine.Conv2D(x, b.weight(name+".weight"), b.weight(name+".bias"), 2, [2][2]int{{0, 1}, {0, 1}})
}

// groupNorm is nn.GroupNorm(norm_num_groups, C, eps=1e-6) on x [B, C, H, W].
func (b *builder) groupNorm(name string, x *Node) *Node {
	return engine.GroupNorm(x, b.weight(name+".weight"), b.weight(name+".bias"), b.c.NormNumGroups, eps)
}

// resnet is ResnetBlock2D without time embedding:
// x' = shortcut(x) + conv2(silu(norm2(conv1(silu(norm1(x)))))), shortcut a
// 1×1 conv when the channels change.
func (b *builder) resnet(name string, x *Node) *Node {
	h := b.conv(name+".conv1", engine.SiLU(b.groupNorm(name+".norm1", x)))
	h = b.conv(name+".conv2", engine.SiLU(b.groupNorm(name+".norm2", h)))
	if _, ok := b.w[name+".conv_shortcut.weight"]; ok {
		x = b.conv(name+".conv_shortcut", x)
	}
	return Add(x, h)
}

// linear is nn.Linear on x [B, N, C]: x·Wᵀ + b.
func (b *builder) linear(name string, x *Node) *Node {
	return engine.Linear(x, b.weight(name+".weight"), b.weight(name+".bias"))
}

// attention is the mid block's single-head self-attention over the H·W
// positions (diffusers' Attention with the classic processor, one head
// of dim C): h = groupnorm(x) as [B, HW, C]; softmax(q·kᵀ/√C)·v through
// to_out.0, added to x.
func (b *builder) attention(name string, x *Node) *Node {
	dims := x.Shape().Dimensions
	B, C, H, W := dims[0], dims[1], dims[2], dims[3]
	h := Transpose(Reshape(b.groupNorm(name+".group_norm", x), B, C, H*W), 1, 2) // [B, N, C]
	q, k, v := b.linear(name+".to_q", h), b.linear(name+".to_k", h), b.linear(name+".to_v", h)
	scores := MulScalar(DotGeneral(q, []int{2}, []int{0}, k, []int{2}, []int{0}), 1/math.Sqrt(float64(C))) // [B, N, N]
	probs := Softmax(scores, -1)
	o := b.linear(name+".to_out.0", DotGeneral(probs, []int{2}, []int{0}, v, []int{1}, []int{0})) // [B, N, C]
	return Add(x, Reshape(Transpose(o, 1, 2), B, C, H, W))
}

func (b *builder) midBlock(name string, x *Node) *Node {
	x = b.resnet(name+".resnets.0", x)
	if b.c.MidBlockAttn {
		x = b.attention(name+".attentions.0", x)
	}
	return b.resnet(name+".resnets.1", x)
}

// unscale applies [Config.DecoderInput] to the latents z [B, C, h, w].
func (b *builder) unscale(z *Node) *Node {
	c := b.c
	g := z.Graph()
	if c.LatentsMean != nil {
		ch := z.Shape().Dimensions[1]
		std := make([]float32, ch)
		mean := make([]float32, ch)
		for i := range ch {
			std[i], mean[i] = float32(c.LatentsStd[i]), float32(c.LatentsMean[i])
		}
		z = Mul(z, channelBias(Const(g, std), z))
		z = DivScalar(z, float64(float32(c.ScalingFactor)))
		return Add(z, channelBias(Const(g, mean), z))
	}
	z = DivScalar(z, float64(float32(c.ScalingFactor)))
	if c.ShiftFactor != 0 {
		z = AddScalar(z, float64(float32(c.ShiftFactor)))
	}
	return z
}

// decode is AutoencoderKL.decode after the pipeline's unscaling:
// post_quant_conv, conv_in, the mid block, the up blocks (resnets, then
// nearest 2× and a 3×3 conv except in the last), GroupNorm, SiLU, conv_out.
func (b *builder) decode(z *Node) *Node {
	c := b.c
	z = b.unscale(z)
	if c.UsePostQuantConv {
		z = b.conv("post_quant_conv", z)
	}
	x := b.conv("decoder.conv_in", z)
	x = b.midBlock("decoder.mid_block", x)
	n := len(c.BlockOutChannels)
	for i := range n {
		for j := range c.LayersPerBlock + 1 {
			x = b.resnet(fmt.Sprintf("decoder.up_blocks.%d.resnets.%d", i, j), x)
		}
		if i < n-1 {
			x = b.conv(fmt.Sprintf("decoder.up_blocks.%d.upsamplers.0.conv", i), engine.Upsample2x(x))
		}
	}
	x = engine.SiLU(b.groupNorm("decoder.conv_norm_out", x))
	return b.conv("decoder.conv_out", x)
}

// encode is AutoencoderKL.encode up to the latent distribution: conv_in,
// the down blocks, the mid block, GroupNorm, SiLU, conv_out, quant_conv;
// it returns the mean and the log-variance clamped to [−30, 20] as
// DiagonalGaussianDistribution does.
func (b *builder) encode(x *Node) (mean, logvar *Node) {
	c := b.c
	x = b.conv("encoder.conv_in", x)
	n := len(c.BlockOutChannels)
	for i := range n {
		for j := range c.LayersPerBlock {
			x = b.resnet(fmt.Sprintf("encoder.down_blocks.%d.resnets.%d", i, j), x)
		}
		if i < n-1 {
			x = b.downConv(fmt.Sprintf("encoder.down_blocks.%d.downsamplers.0.conv", i), x)
		}
	}
	x = b.midBlock("encoder.mid_block", x)
	x = b.conv("encoder.conv_out", engine.SiLU(b.groupNorm("encoder.conv_norm_out", x)))
	if c.UseQuantConv {
		x = b.conv("quant_conv", x)
	}
	L := c.LatentChannels
	mean = SliceAxis(x, 1, AxisRange(0, L))
	logvar = SliceAxis(x, 1, AxisRange(L, 2*L))
	g := x.Graph()
	logvar = Min(Max(logvar, Scalar(g, dtypes.Float32, -30)), Scalar(g, dtypes.Float32, 20))
	return mean, logvar
}

// run executes the graph of kind on x, compiling it on first use of x's
// shape.
func (m *Model) run(kind string, x *tensors.Tensor) (outs []*tensors.Tensor, err error) {
	dims := x.Shape().Dimensions
	if x.DType() != dtypes.Float32 || len(dims) != 4 {
		return nil, fmt.Errorf("vae: %s takes a float32 tensor [B, C, H, W], not %s", kind, x.Shape())
	}
	key := graphKey{kind, [4]int(dims)}
	m.mu.Lock()
	defer m.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vae: %s %v: %v", kind, dims, r)
		}
	}()
	c, ok := m.graphs[key]
	if !ok {
		g := NewGraph(m.backend, "actsh_vae_"+kind)
		b := &builder{c: &m.cfg, w: map[string]*Node{}}
		for _, n := range m.names {
			b.w[n] = Parameter(g, n, m.params[n].Shape())
		}
		in := Parameter(g, "input", shapes.Make(dtypes.Float32, dims...))
		switch kind {
		case "decode":
			g.Compile(b.decode(in))
		case "encode":
			mean, logvar := b.encode(in)
			g.Compile(mean, logvar)
		}
		c = &compiled{g: g}
		m.graphs[key] = c
	}
	inputs := make([]any, 0, len(m.names)+1)
	for _, n := range m.names {
		inputs = append(inputs, m.params[n])
	}
	return c.g.Run(append(inputs, x)...), nil
}
