package flux

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrUnsupported is wrapped by the errors of a config that asks for what
// the package does not implement; the message names the key and what the
// package supports.
var ErrUnsupported = errors.New("flux: unsupported config")

// ClassName is the _class_name of the configs the package reads.
const ClassName = "FluxTransformer2DModel"

// Config is diffusers' FluxTransformer2DModel config.json, with diffusers'
// defaults (FLUX.1-schnell's) for missing keys. Fields keep the config's
// meaning.
type Config struct {
	PatchSize           int   // patch_size: 1 (the pipeline packs 2×2 latent patches itself)
	InChannels          int   // in_channels: width of the packed latents (FLUX.1: 64 = 16 latent channels × 2×2)
	NumLayers           int   // num_layers: double-stream blocks (transformer_blocks)
	NumSingleLayers     int   // num_single_layers: single-stream blocks (single_transformer_blocks)
	AttentionHeadDim    int   // attention_head_dim: width of a head
	NumAttentionHeads   int   // num_attention_heads
	JointAttentionDim   int   // joint_attention_dim: width of the text states (T5: 4096)
	PooledProjectionDim int   // pooled_projection_dim: width of the pooled text embedding (CLIP: 768)
	GuidanceEmbeds      bool  // guidance_embeds: the guidance scale is embedded like the timestep (FLUX.1-dev; not schnell)
	AxesDimsRope        []int // axes_dims_rope: rotary channels per id axis, summing to attention_head_dim
}

// InnerDim is the model's width D: num_attention_heads × attention_head_dim
// (FLUX.1: 3072). Every point has it.
func (c Config) InnerDim() int { return c.NumAttentionHeads * c.AttentionHeadDim }

// rawConfig mirrors config.json; pointers tell a missing key from a value.
type rawConfig struct {
	ClassName           string          `json:"_class_name"`
	PatchSize           *int            `json:"patch_size"`
	InChannels          *int            `json:"in_channels"`
	OutChannels         json.RawMessage `json:"out_channels"` // later diffusers versions: null or in_channels
	NumLayers           *int            `json:"num_layers"`
	NumSingleLayers     *int            `json:"num_single_layers"`
	AttentionHeadDim    *int            `json:"attention_head_dim"`
	NumAttentionHeads   *int            `json:"num_attention_heads"`
	JointAttentionDim   *int            `json:"joint_attention_dim"`
	PooledProjectionDim *int            `json:"pooled_projection_dim"`
	GuidanceEmbeds      *bool           `json:"guidance_embeds"`
	AxesDimsRope        []int           `json:"axes_dims_rope"`
}

// ParseConfig reads a FluxTransformer2DModel config.json. Missing keys
// take diffusers' defaults, which are FLUX.1-schnell's: patch_size 1,
// in_channels 64, 19 double and 38 single blocks, 24 heads of 128,
// joint_attention_dim 4096, pooled_projection_dim 768, no guidance
// embedding, axes_dims_rope [16, 56, 56]. A setting the package does not
// implement fails with [ErrUnsupported] naming the key; inconsistent
// values fail naming both.
func ParseConfig(b []byte) (*Config, error) {
	var r rawConfig
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("flux: config.json: %w", err)
	}
	if r.ClassName != "" && r.ClassName != ClassName {
		return nil, fmt.Errorf("%w: _class_name %q (want %s)", ErrUnsupported, r.ClassName, ClassName)
	}
	c := &Config{
		PatchSize: 1, InChannels: 64, NumLayers: 19, NumSingleLayers: 38,
		AttentionHeadDim: 128, NumAttentionHeads: 24, JointAttentionDim: 4096, PooledProjectionDim: 768,
		AxesDimsRope: []int{16, 56, 56},
	}
	for _, f := range []struct {
		dst *int
		v   *int
	}{
		{&c.PatchSize, r.PatchSize}, {&c.InChannels, r.InChannels}, {&c.NumLayers, r.NumLayers},
		{&c.NumSingleLayers, r.NumSingleLayers}, {&c.AttentionHeadDim, r.AttentionHeadDim},
		{&c.NumAttentionHeads, r.NumAttentionHeads}, {&c.JointAttentionDim, r.JointAttentionDim},
		{&c.PooledProjectionDim, r.PooledProjectionDim},
	} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if r.GuidanceEmbeds != nil {
		c.GuidanceEmbeds = *r.GuidanceEmbeds
	}
	if r.AxesDimsRope != nil {
		c.AxesDimsRope = r.AxesDimsRope
	}
	if c.PatchSize != 1 {
		return nil, fmt.Errorf("%w: patch_size %d (supported: 1, as FLUX.1's; the pipeline packs 2×2 patches itself)", ErrUnsupported, c.PatchSize)
	}
	if len(r.OutChannels) > 0 && string(r.OutChannels) != "null" {
		var out int
		if json.Unmarshal(r.OutChannels, &out) != nil || out != c.InChannels {
			return nil, fmt.Errorf("%w: out_channels %s (supported: null or in_channels, %d)", ErrUnsupported, r.OutChannels, c.InChannels)
		}
	}
	return c, c.validate()
}

// validate checks the values against each other.
func (c *Config) validate() error {
	for _, v := range []struct {
		key string
		n   int
	}{
		{"in_channels", c.InChannels}, {"attention_head_dim", c.AttentionHeadDim},
		{"num_attention_heads", c.NumAttentionHeads}, {"joint_attention_dim", c.JointAttentionDim},
		{"pooled_projection_dim", c.PooledProjectionDim},
	} {
		if v.n <= 0 {
			return fmt.Errorf("flux: %s (%d) must be positive", v.key, v.n)
		}
	}
	if c.NumLayers < 0 || c.NumSingleLayers < 0 {
		return fmt.Errorf("flux: num_layers (%d) and num_single_layers (%d) must not be negative", c.NumLayers, c.NumSingleLayers)
	}
	if len(c.AxesDimsRope) == 0 {
		return fmt.Errorf("flux: axes_dims_rope is empty (want the rotary channels of each id axis, FLUX.1: [16, 56, 56])")
	}
	sum := 0
	for i, d := range c.AxesDimsRope {
		if d <= 0 || d%2 != 0 {
			return fmt.Errorf("flux: axes_dims_rope %v: each (here [%d] = %d) must be positive and even (rotations act on pairs)", c.AxesDimsRope, i, d)
		}
		sum += d
	}
	if sum != c.AttentionHeadDim {
		return fmt.Errorf("flux: axes_dims_rope %v sums to %d; it must equal attention_head_dim (%d)", c.AxesDimsRope, sum, c.AttentionHeadDim)
	}
	return nil
}
