package flux

import (
	"fmt"
	"slices"
)

// The layout is FluxTransformer2DModel's modules as its __init__ builds
// them from the config. The weights to load and the intervention points
// walk the config the same way the graph does (builder.forward), block
// by block.

// Widths fixed by diffusers' modules.
const (
	timeProjDim = 256 // Timesteps(num_channels=256): the sinusoids of the timestep and the guidance
	mlpRatio    = 4   // FeedForward's mult and FluxSingleTransformerBlock's mlp_ratio
)

// param is one weight: its name and shape.
type param struct {
	name  string
	shape []int
}

func linear(name string, in, out int) []param {
	return []param{{name + ".weight", []int{out, in}}, {name + ".bias", []int{out}}}
}

// rms is an RMSNorm over a head: the weight of q's or k's normalisation.
func rms(name string, hd int) []param { return []param{{name + ".weight", []int{hd}}} }

// doubleName and singleName are the blocks' module names.
func doubleName(i int) string { return fmt.Sprintf("transformer_blocks.%d", i) }
func singleName(i int) string { return fmt.Sprintf("single_transformer_blocks.%d", i) }

// params lists every weight of the model, in module order.
func params(c *Config) []param {
	D, hd := c.InnerDim(), c.AttentionHeadDim
	emb := func(name string, in int) []param {
		return slices.Concat(linear(name+".linear_1", in, D), linear(name+".linear_2", D, D))
	}
	ps := emb("time_text_embed.timestep_embedder", timeProjDim)
	if c.GuidanceEmbeds {
		ps = append(ps, emb("time_text_embed.guidance_embedder", timeProjDim)...)
	}
	ps = slices.Concat(ps, emb("time_text_embed.text_embedder", c.PooledProjectionDim),
		linear("context_embedder", c.JointAttentionDim, D), linear("x_embedder", c.InChannels, D))
	for i := range c.NumLayers {
		n := doubleName(i)
		a := n + ".attn"
		ps = slices.Concat(ps,
			linear(n+".norm1.linear", D, 6*D), linear(n+".norm1_context.linear", D, 6*D),
			rms(a+".norm_q", hd), rms(a+".norm_k", hd),
			linear(a+".to_q", D, D), linear(a+".to_k", D, D), linear(a+".to_v", D, D),
			linear(a+".add_k_proj", D, D), linear(a+".add_v_proj", D, D), linear(a+".add_q_proj", D, D),
			linear(a+".to_out.0", D, D), linear(a+".to_add_out", D, D),
			rms(a+".norm_added_q", hd), rms(a+".norm_added_k", hd),
			linear(n+".ff.net.0.proj", D, mlpRatio*D), linear(n+".ff.net.2", mlpRatio*D, D),
			linear(n+".ff_context.net.0.proj", D, mlpRatio*D), linear(n+".ff_context.net.2", mlpRatio*D, D))
	}
	for i := range c.NumSingleLayers {
		n := singleName(i)
		a := n + ".attn"
		ps = slices.Concat(ps,
			linear(n+".norm.linear", D, 3*D),
			linear(n+".proj_mlp", D, mlpRatio*D), linear(n+".proj_out", D+mlpRatio*D, D),
			rms(a+".norm_q", hd), rms(a+".norm_k", hd),
			linear(a+".to_q", D, D), linear(a+".to_k", D, D), linear(a+".to_v", D, D))
	}
	return slices.Concat(ps, linear("norm_out.linear", D, 2*D), linear("proj_out", D, c.PatchSize*c.PatchSize*c.InChannels))
}

// pointL is one intervention point: a module's output (or an element of
// its tuple, name ":i"), of rank 2 ([B, D]: time_text_embed) or 3
// ([B, tokens, D]); every point is D wide.
type pointL struct {
	name string
	rank int
}

// points lists the intervention points in PyTorch's named_modules order:
// a module before its children, children in the order __init__ assigns
// them. A module returning a tuple contributes the elements that are
// token states, as name:i.
func points(c *Config) []pointL {
	ps := []pointL{{"time_text_embed", 2}, {"context_embedder", 3}, {"x_embedder", 3}}
	for i := range c.NumLayers {
		n := doubleName(i)
		ps = append(ps, pointL{n + ":0", 3}, pointL{n + ":1", 3})
		for _, m := range []string{"norm1:0", "norm1_context:0", "attn:0", "attn:1", "norm2", "ff", "norm2_context", "ff_context"} {
			ps = append(ps, pointL{n + "." + m, 3})
		}
	}
	for i := range c.NumSingleLayers {
		n := singleName(i)
		ps = append(ps, pointL{n, 3}, pointL{n + ".norm:0", 3}, pointL{n + ".attn", 3})
	}
	return append(ps, pointL{"norm_out", 3})
}
