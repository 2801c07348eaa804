package unet

import (
	"fmt"
	"strings"

	"github.com/actsh/actsh/engine"
)

// pointL is one intervention point: a module's output, of rank 2
// ([B, D]: the embeddings), 3 ([B, T, C]: inside the transformers) or 4
// ([B, C, H, W]), with its width (D or C).
type pointL struct {
	name  string
	width int
	rank  int
}

// points lists the intervention points in ml-act's order for a UNet
// (sort_unet: the modules before the down blocks, the down blocks, the
// mid block, the up blocks, the rest), each part in PyTorch's
// named_modules order: a module before its children, children in the
// order __init__ assigns them (a cross-attention block's attentions before
// its resnets, then its sampler).
func (l layout) points(c *Config) []pointL {
	temb := c.TimeEmbeddingDim
	ps := []pointL{{"conv_in", c.BlockOutChannels[0], 4}, {"time_embedding", temb, 2}}
	if c.AdditionEmbedType == TextTime {
		ps = append(ps, pointL{"add_embedding", temb, 2})
	}
	block := func(b blockL) {
		for _, a := range b.attns {
			ps = append(ps, pointL{a.name, a.ch, 4}, pointL{a.name + ".norm", a.ch, 4})
			for k := range a.layers {
				t := fmt.Sprintf("%s.transformer_blocks.%d", a.name, k)
				ps = append(ps, pointL{t, a.ch, 3})
				for _, m := range []string{"norm1", "attn1", "norm2", "attn2", "norm3", "ff"} {
					ps = append(ps, pointL{t + "." + m, a.ch, 3})
				}
			}
		}
		for _, r := range b.resnets {
			ps = append(ps, pointL{r.name, r.out, 4}, pointL{r.name + ".norm1", r.in, 4}, pointL{r.name + ".norm2", r.out, 4})
		}
		if b.sampler != "" {
			ps = append(ps, pointL{b.sampler, b.ch, 4})
		}
	}
	for _, b := range l.down {
		block(b)
	}
	block(l.mid)
	for _, b := range l.up {
		block(b)
	}
	return append(ps, pointL{"conv_norm_out", c.BlockOutChannels[0], 4})
}

// Points lists the intervention points, named as diffusers' modules
// (down_blocks.1.attentions.0.norm, mid_block.resnets.1, conv_norm_out),
// with their widths: channels for feature maps [B, C, H, W], features for
// the transformers' [B, H·W, C] and the embeddings' [B, D]. The order is
// ml-act's for a UNet: conv_in and the embeddings, the down blocks, the
// mid block, the up blocks, conv_norm_out; within each, PyTorch's module
// order. See the package documentation for which modules are points.
func (m *Model) Points() []engine.Point {
	out := make([]engine.Point, len(m.points))
	for i, p := range m.points {
		out[i] = engine.Point{Name: p.name, Width: p.width}
	}
	return out
}

// checkPoint returns a point's layout, or an error naming it and the
// nearest point name (what was meant, most often: a typo, or the
// pipeline's "unet." prefix).
func (m *Model) checkPoint(what, name string) (pointL, error) {
	if i, ok := m.pointIndex[name]; ok {
		return m.points[i], nil
	}
	names := make([]string, len(m.points))
	for i, p := range m.points {
		names[i] = p.name
	}
	best := engine.Nearest(strings.TrimPrefix(name, "unet."), names) // a pipeline-level name: compare what follows
	return pointL{}, fmt.Errorf("unet: cannot %s %q: not a UNet point (nearest: %s)", what, name, best)
}
