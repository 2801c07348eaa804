package vae

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// Model is a loaded AutoencoderKL: its config and parameters, and the
// graphs compiled for it, one per input shape. Its methods are safe for
// concurrent use (passes run one at a time).
type Model struct {
	cfg     Config
	backend backends.Backend
	params  map[string]*tensors.Tensor
	names   []string // parameter names in graph order (sorted)
	encoder bool     // the checkpoint has the encoder's weights

	mu     sync.Mutex
	graphs map[graphKey]*compiled
}

// Load reads an AutoencoderKL from dir: a diffusers vae/ folder
// (config.json and diffusion_pytorch_model.safetensors, possibly sharded, or its fp16 variant)
// or a pipeline folder holding vae/. Weights stored in float16 or bfloat16
// stay so in memory where the backend runs the dtype (see the engine
// package's Memory section); every operation computes in float32.
func Load(dir string) (*Model, error) {
	m, dir, err := engine.LoadComponent(dir, "vae", New)
	if err != nil {
		return nil, fmt.Errorf("vae: load %s: %w", dir, err)
	}
	return m, nil
}

// New builds a Model from the bytes of config.json and the checkpoint's
// weights, with diffusers' names (decoder.up_blocks.0.resnets.1.conv2.weight,
// …; the mid-block attention's older query/key/value/proj_attn names are
// read too). The decoder's weights are required, each checked for its
// shape; the encoder's are loaded when the checkpoint has them.
func New(config []byte, w engine.Weights) (*Model, error) {
	c, err := ParseConfig(config)
	if err != nil {
		return nil, err
	}
	b, _, err := engine.Backend()
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: *c, backend: b, params: map[string]*tensors.Tensor{}, graphs: map[graphKey]*compiled{}}
	names := map[string]bool{}
	for _, n := range w.Names() {
		names[n] = true
	}
	var errs []error
	for _, p := range decoderParams(c) {
		errs = append(errs, m.load(w, names, p))
	}
	if names["encoder.conv_in.weight"] {
		m.encoder = true
		for _, p := range encoderParams(c) {
			errs = append(errs, m.load(w, names, p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for n := range m.params {
		m.names = append(m.names, n)
	}
	slices.Sort(m.names)
	return m, nil
}

// param is one weight: its canonical name and shape.
type param struct {
	name  string
	shape []int
}

// oldAttn maps the mid-block attention's canonical names to those of
// checkpoints saved before diffusers renamed them.
var oldAttn = map[string]string{"to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"}

func (m *Model) load(w engine.Weights, names map[string]bool, p param) error {
	src := p.name
	if !names[src] {
		for now, old := range oldAttn {
			alt := replaceLayer(src, now, old)
			if alt != src && names[alt] {
				src = alt
				break
			}
		}
	}
	t, err := engine.LoadParam(w, src, p.shape...)
	if err != nil {
		return err
	}
	m.params[p.name] = t
	return nil
}

// replaceLayer swaps the layer name now for old in a weight name
// "…attentions.0.<now>.weight".
func replaceLayer(name, now, old string) string {
	for _, suffix := range []string{".weight", ".bias"} {
		mid := "." + now + suffix
		if len(name) > len(mid) && name[len(name)-len(mid):] == mid {
			return name[:len(name)-len(mid)] + "." + old + suffix
		}
	}
	return name
}

// Config returns the model's config.
func (m *Model) Config() Config { return m.cfg }

// HasEncoder reports whether the checkpoint held the encoder's weights.
func (m *Model) HasEncoder() bool { return m.encoder }

// ParamBytes is the memory the parameters occupy, in bytes, by dtype.
func (m *Model) ParamBytes() map[dtypes.DType]int64 {
	out := map[dtypes.DType]int64{}
	for _, t := range m.params {
		out[t.DType()] += int64(t.Memory())
	}
	return out
}

// conv, norm, linear and resnet list the weights of one layer.
func conv(name string, in, out, k int) []param {
	return []param{{name + ".weight", []int{out, in, k, k}}, {name + ".bias", []int{out}}}
}

func norm(name string, ch int) []param {
	return []param{{name + ".weight", []int{ch}}, {name + ".bias", []int{ch}}}
}

func linear(name string, in, out int) []param {
	return []param{{name + ".weight", []int{out, in}}, {name + ".bias", []int{out}}}
}

func resnet(name string, in, out int) []param {
	ps := slices.Concat(norm(name+".norm1", in), conv(name+".conv1", in, out, 3),
		norm(name+".norm2", out), conv(name+".conv2", out, out, 3))
	if in != out {
		ps = append(ps, conv(name+".conv_shortcut", in, out, 1)...)
	}
	return ps
}

func midBlock(c *Config, name string, ch int) []param {
	ps := slices.Concat(resnet(name+".resnets.0", ch, ch), resnet(name+".resnets.1", ch, ch))
	if c.MidBlockAttn {
		a := name + ".attentions.0"
		ps = slices.Concat(ps, norm(a+".group_norm", ch), linear(a+".to_q", ch, ch),
			linear(a+".to_k", ch, ch), linear(a+".to_v", ch, ch), linear(a+".to_out.0", ch, ch))
	}
	return ps
}

// decoderParams lists the decoder's weights (with post_quant_conv) as
// diffusers' Decoder builds them: up block i runs on
// reversed(block_out_channels)[i] channels with layers_per_block+1
// resnets and, except the last, an upsampler.
func decoderParams(c *Config) []param {
	boc := c.BlockOutChannels
	n := len(boc)
	var ps []param
	if c.UsePostQuantConv {
		ps = conv("post_quant_conv", c.LatentChannels, c.LatentChannels, 1)
	}
	ps = slices.Concat(ps, conv("decoder.conv_in", c.LatentChannels, boc[n-1], 3), midBlock(c, "decoder.mid_block", boc[n-1]))
	prev := boc[n-1]
	for i := range n {
		out := boc[n-1-i]
		for j := range c.LayersPerBlock + 1 {
			in := out
			if j == 0 {
				in = prev
			}
			ps = append(ps, resnet(fmt.Sprintf("decoder.up_blocks.%d.resnets.%d", i, j), in, out)...)
		}
		if i < n-1 {
			ps = append(ps, conv(fmt.Sprintf("decoder.up_blocks.%d.upsamplers.0.conv", i), out, out, 3)...)
		}
		prev = out
	}
	return slices.Concat(ps, norm("decoder.conv_norm_out", boc[0]), conv("decoder.conv_out", boc[0], c.OutChannels, 3))
}

// encoderParams lists the encoder's weights (with quant_conv): down block
// i runs on block_out_channels[i] with layers_per_block resnets and,
// except the last, a stride-2 downsampler; the output has twice
// latent_channels (mean and log-variance).
func encoderParams(c *Config) []param {
	boc := c.BlockOutChannels
	n := len(boc)
	ps := conv("encoder.conv_in", c.InChannels, boc[0], 3)
	prev := boc[0]
	for i, out := range boc {
		for j := range c.LayersPerBlock {
			in := out
			if j == 0 {
				in = prev
			}
			ps = append(ps, resnet(fmt.Sprintf("encoder.down_blocks.%d.resnets.%d", i, j), in, out)...)
		}
		if i < n-1 {
			ps = append(ps, conv(fmt.Sprintf("encoder.down_blocks.%d.downsamplers.0.conv", i), out, out, 3)...)
		}
		prev = out
	}
	ps = slices.Concat(ps, midBlock(c, "encoder.mid_block", boc[n-1]), norm("encoder.conv_norm_out", boc[n-1]),
		conv("encoder.conv_out", boc[n-1], 2*c.LatentChannels, 3))
	if c.UseQuantConv {
		ps = append(ps, conv("quant_conv", 2*c.LatentChannels, 2*c.LatentChannels, 1)...)
	}
	return ps
}
