package vae

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrUnsupported is wrapped by the errors of a config that asks for what
// the package does not implement; the message names the key.
var ErrUnsupported = errors.New("vae: unsupported config")

// Config is the part of diffusers' AutoencoderKL config.json that the
// package reads. Fields keep the config's meaning.
type Config struct {
	InChannels       int       // in_channels: image channels the encoder takes (3)
	OutChannels      int       // out_channels: image channels the decoder gives (3)
	BlockOutChannels []int     // block_out_channels: channels per resolution, finest first
	LayersPerBlock   int       // layers_per_block: resnets per encoder block (the decoder has one more)
	LatentChannels   int       // latent_channels: 4 (SD, SDXL) or 16 (FLUX, SD3)
	NormNumGroups    int       // norm_num_groups: groups of every GroupNorm (32)
	SampleSize       int       // sample_size: the image side diffusers' tiling uses as its tile
	ScalingFactor    float64   // scaling_factor: the pipelines divide latents by it before decoding
	ShiftFactor      float64   // shift_factor: added after the division (FLUX); 0 when null
	LatentsMean      []float64 // latents_mean: per-channel mean (SDXL variants); nil when null
	LatentsStd       []float64 // latents_std: per-channel std; nil when null
	UseQuantConv     bool      // use_quant_conv: a 1×1 conv after the encoder
	UsePostQuantConv bool      // use_post_quant_conv: a 1×1 conv before the decoder
	MidBlockAttn     bool      // mid_block_add_attention: the mid blocks' self-attention
}

// rawConfig mirrors config.json; pointers tell a missing key from a zero.
type rawConfig struct {
	ClassName        string          `json:"_class_name"`
	InChannels       *int            `json:"in_channels"`
	OutChannels      *int            `json:"out_channels"`
	DownBlockTypes   []string        `json:"down_block_types"`
	UpBlockTypes     []string        `json:"up_block_types"`
	BlockOutChannels []int           `json:"block_out_channels"`
	LayersPerBlock   *int            `json:"layers_per_block"`
	ActFn            *string         `json:"act_fn"`
	LatentChannels   *int            `json:"latent_channels"`
	NormNumGroups    *int            `json:"norm_num_groups"`
	SampleSize       json.RawMessage `json:"sample_size"`
	ScalingFactor    *float64        `json:"scaling_factor"`
	ShiftFactor      *float64        `json:"shift_factor"`
	LatentsMean      []float64       `json:"latents_mean"`
	LatentsStd       []float64       `json:"latents_std"`
	UseQuantConv     *bool           `json:"use_quant_conv"`
	UsePostQuantConv *bool           `json:"use_post_quant_conv"`
	MidBlockAddAttn  *bool           `json:"mid_block_add_attention"`
	NormType         *string         `json:"norm_type"`
	ForceUpcast      *bool           `json:"force_upcast"` // read and ignored: the package computes in float32
}

// ParseConfig reads an AutoencoderKL config.json. Missing keys take
// diffusers' defaults (block_out_channels [64], layers_per_block 1,
// latent_channels 4, norm_num_groups 32, sample_size 32, scaling_factor
// 0.18215, both quant convs and the mid-block attention on). A setting the
// package does not implement fails with [ErrUnsupported] naming the key;
// inconsistent values fail naming both.
func ParseConfig(b []byte) (*Config, error) {
	var r rawConfig
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("vae: config.json: %w", err)
	}
	if r.ClassName != "" && r.ClassName != "AutoencoderKL" {
		return nil, fmt.Errorf("%w: _class_name %q (want AutoencoderKL)", ErrUnsupported, r.ClassName)
	}
	c := &Config{
		InChannels: 3, OutChannels: 3, BlockOutChannels: []int{64}, LayersPerBlock: 1,
		LatentChannels: 4, NormNumGroups: 32, SampleSize: 32, ScalingFactor: 0.18215,
		UseQuantConv: true, UsePostQuantConv: true, MidBlockAttn: true,
	}
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setBool := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	setInt(&c.InChannels, r.InChannels)
	setInt(&c.OutChannels, r.OutChannels)
	setInt(&c.LayersPerBlock, r.LayersPerBlock)
	setInt(&c.LatentChannels, r.LatentChannels)
	setInt(&c.NormNumGroups, r.NormNumGroups)
	setBool(&c.UseQuantConv, r.UseQuantConv)
	setBool(&c.UsePostQuantConv, r.UsePostQuantConv)
	setBool(&c.MidBlockAttn, r.MidBlockAddAttn)
	if r.BlockOutChannels != nil {
		c.BlockOutChannels = r.BlockOutChannels
	}
	if r.ScalingFactor != nil {
		c.ScalingFactor = *r.ScalingFactor
	}
	if r.ShiftFactor != nil {
		c.ShiftFactor = *r.ShiftFactor
	}
	c.LatentsMean, c.LatentsStd = r.LatentsMean, r.LatentsStd
	if len(r.SampleSize) > 0 && string(r.SampleSize) != "null" {
		// An int, or a list whose first entry diffusers' tiling uses.
		var n int
		var list []int
		switch {
		case json.Unmarshal(r.SampleSize, &n) == nil:
			c.SampleSize = n
		case json.Unmarshal(r.SampleSize, &list) == nil && len(list) > 0:
			c.SampleSize = list[0]
		default:
			return nil, fmt.Errorf("vae: sample_size %s is neither an integer nor a list of them", r.SampleSize)
		}
	}

	if r.ActFn != nil && *r.ActFn != "silu" {
		return nil, fmt.Errorf("%w: act_fn %q (want silu)", ErrUnsupported, *r.ActFn)
	}
	if r.NormType != nil && *r.NormType != "group" {
		return nil, fmt.Errorf("%w: norm_type %q (want group)", ErrUnsupported, *r.NormType)
	}
	n := len(c.BlockOutChannels)
	if n == 0 {
		return nil, fmt.Errorf("vae: block_out_channels is empty")
	}
	for _, bt := range []struct {
		key, want string
		types     []string
	}{{"down_block_types", "DownEncoderBlock2D", r.DownBlockTypes}, {"up_block_types", "UpDecoderBlock2D", r.UpBlockTypes}} {
		if bt.types == nil {
			continue
		}
		if len(bt.types) != n {
			return nil, fmt.Errorf("vae: %s has %d blocks but block_out_channels %v has %d", bt.key, len(bt.types), c.BlockOutChannels, n)
		}
		for i, t := range bt.types {
			if t != bt.want {
				return nil, fmt.Errorf("%w: %s[%d] %q (want %s)", ErrUnsupported, bt.key, i, t, bt.want)
			}
		}
	}
	for _, v := range []struct {
		key string
		n   int
	}{{"in_channels", c.InChannels}, {"out_channels", c.OutChannels}, {"layers_per_block", c.LayersPerBlock},
		{"latent_channels", c.LatentChannels}, {"norm_num_groups", c.NormNumGroups}, {"sample_size", c.SampleSize}} {
		if v.n <= 0 {
			return nil, fmt.Errorf("vae: %s (%d) must be positive", v.key, v.n)
		}
	}
	for _, ch := range c.BlockOutChannels {
		if ch <= 0 || ch%c.NormNumGroups != 0 {
			return nil, fmt.Errorf("vae: block_out_channels %v: each (here %d) must be a positive multiple of norm_num_groups (%d)", c.BlockOutChannels, ch, c.NormNumGroups)
		}
	}
	if c.ScalingFactor == 0 {
		return nil, fmt.Errorf("vae: scaling_factor is 0")
	}
	if (c.LatentsMean == nil) != (c.LatentsStd == nil) {
		return nil, fmt.Errorf("vae: latents_mean and latents_std must both be set or both be null")
	}
	if c.LatentsMean != nil && (len(c.LatentsMean) != c.LatentChannels || len(c.LatentsStd) != c.LatentChannels) {
		return nil, fmt.Errorf("vae: latents_mean (%d values) and latents_std (%d) must have latent_channels (%d) values", len(c.LatentsMean), len(c.LatentsStd), c.LatentChannels)
	}
	return c, nil
}

// Scale is the image side per latent side: 2^(len(block_out_channels)−1),
// 8 for SD, SDXL and FLUX.
func (c Config) Scale() int { return 1 << (len(c.BlockOutChannels) - 1) }

// DecoderInput maps the denoiser's latents to what vae.decode takes, as
// the pipelines do before calling it, per channel ch:
//
//	z/scaling_factor + shift_factor                      (SD, SDXL: shift 0; FLUX)
//	z·latents_std[ch]/scaling_factor + latents_mean[ch]  (when the config has them)
//
// StableDiffusionXLPipeline divides by scaling_factor (or applies the mean
// and std when the config lists them); FluxPipeline divides and then adds
// shift_factor. [Model.Decode] applies it itself; DecoderInput is the same
// rule on the host. z is [B, latent_channels, h, w] flattened and hw = h·w;
// dst receives the result (allocated when nil; z itself allowed). Each
// operation is rounded to float32 in the pipelines' order.
func (c Config) DecoderInput(dst, z []float32, hw int) []float32 {
	if dst == nil {
		dst = make([]float32, len(z))
	}
	sf := float32(c.ScalingFactor)
	for i, v := range z {
		if c.LatentsMean != nil {
			ch := (i / hw) % c.LatentChannels
			dst[i] = v*float32(c.LatentsStd[ch])/sf + float32(c.LatentsMean[ch])
			continue
		}
		x := v / sf
		if c.ShiftFactor != 0 {
			x += float32(c.ShiftFactor)
		}
		dst[i] = x
	}
	return dst
}
