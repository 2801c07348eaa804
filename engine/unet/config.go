package unet

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUnsupported is wrapped by the errors of a config that asks for what
// the package does not implement; the message names the key and what the
// package supports.
var ErrUnsupported = errors.New("unet: unsupported config")

// ClassName is the _class_name of the configs the package reads.
const ClassName = "UNet2DConditionModel"

// Block type names of diffusers' get_down_block, get_mid_block and
// get_up_block that the package runs.
const (
	DownBlock          = "DownBlock2D"
	CrossAttnDownBlock = "CrossAttnDownBlock2D"
	MidBlockCrossAttn  = "UNetMidBlock2DCrossAttn"
	UpBlock            = "UpBlock2D"
	CrossAttnUpBlock   = "CrossAttnUpBlock2D"
)

// Config is the part of diffusers' UNet2DConditionModel config.json that
// the package reads, with diffusers' defaults filled in and the per-block
// settings that diffusers accepts as an int or a list expanded to one
// value per down block. Fields keep the config's meaning.
type Config struct {
	InChannels                        int      // in_channels: latent channels in (4)
	OutChannels                       int      // out_channels: channels of the prediction (4)
	SampleSize                        int      // sample_size: the latent side the model was trained at (SDXL: 128)
	DownBlockTypes                    []string // down_block_types: DownBlock2D or CrossAttnDownBlock2D
	MidBlockType                      string   // mid_block_type: UNetMidBlock2DCrossAttn
	UpBlockTypes                      []string // up_block_types: UpBlock2D or CrossAttnUpBlock2D
	BlockOutChannels                  []int    // block_out_channels: channels per resolution, finest first
	LayersPerBlock                    []int    // layers_per_block: resnets per down block (up blocks have one more), per down block
	TransformerLayersPerBlock         []int    // transformer_layers_per_block: BasicTransformerBlocks per Transformer2DModel, per down block
	NumHeads                          []int    // attention heads per down block: attention_head_dim when num_attention_heads is null (diffusers' naming quirk)
	CrossAttentionDim                 int      // cross_attention_dim: width of encoder_hidden_states
	UseLinearProjection               bool     // use_linear_projection: proj_in/proj_out are Linear (SDXL) rather than 1×1 convs
	NormNumGroups                     int      // norm_num_groups: groups of every GroupNorm (32)
	NormEps                           float64  // norm_eps: ε of the resnets' GroupNorms and conv_norm_out (1e-5)
	DownsamplePadding                 int      // downsample_padding: padding of the stride-2 downsampling convs (1)
	MidBlockScaleFactor               float64  // mid_block_scale_factor: the mid resnets divide their output by it (1)
	FlipSinToCos                      bool     // flip_sin_to_cos: sinusoidal embeddings are [cos, sin] (true) or [sin, cos]
	FreqShift                         float64  // freq_shift: the embeddings' downscale_freq_shift (0)
	TimeEmbeddingDim                  int      // time_embedding_dim, or 4·block_out_channels[0] when null: the embedding every resnet receives
	AdditionEmbedType                 string   // addition_embed_type: "text_time" (SDXL) or "" (none)
	AdditionTimeEmbedDim              int      // addition_time_embed_dim: sinusoidal width of each time id (SDXL: 256)
	ProjectionClassEmbeddingsInputDim int      // projection_class_embeddings_input_dim: text_embeds width + 6·addition_time_embed_dim (SDXL: 2816)
	ConvInKernel                      int      // conv_in_kernel (3)
	ConvOutKernel                     int      // conv_out_kernel (3)
}

// TextTime is the addition_embed_type of SDXL: pooled text embeddings and
// six micro-conditioning numbers added to the timestep embedding.
const TextTime = "text_time"

// rawConfig mirrors config.json; pointers and raw messages tell a missing
// key or null from a value.
type rawConfig struct {
	ClassName                         string          `json:"_class_name"`
	InChannels                        *int            `json:"in_channels"`
	OutChannels                       *int            `json:"out_channels"`
	SampleSize                        json.RawMessage `json:"sample_size"`
	CenterInputSample                 *bool           `json:"center_input_sample"`
	FlipSinToCos                      *bool           `json:"flip_sin_to_cos"`
	FreqShift                         *float64        `json:"freq_shift"`
	DownBlockTypes                    []string        `json:"down_block_types"`
	MidBlockType                      json.RawMessage `json:"mid_block_type"`
	UpBlockTypes                      []string        `json:"up_block_types"`
	OnlyCrossAttention                json.RawMessage `json:"only_cross_attention"`
	BlockOutChannels                  []int           `json:"block_out_channels"`
	LayersPerBlock                    json.RawMessage `json:"layers_per_block"`
	DownsamplePadding                 *int            `json:"downsample_padding"`
	MidBlockScaleFactor               *float64        `json:"mid_block_scale_factor"`
	Dropout                           *float64        `json:"dropout"` // read and ignored: inference has none
	ActFn                             *string         `json:"act_fn"`
	NormNumGroups                     json.RawMessage `json:"norm_num_groups"`
	NormEps                           *float64        `json:"norm_eps"`
	CrossAttentionDim                 json.RawMessage `json:"cross_attention_dim"`
	TransformerLayersPerBlock         json.RawMessage `json:"transformer_layers_per_block"`
	ReverseTransformerLayersPerBlock  json.RawMessage `json:"reverse_transformer_layers_per_block"`
	EncoderHidDim                     json.RawMessage `json:"encoder_hid_dim"`
	EncoderHidDimType                 json.RawMessage `json:"encoder_hid_dim_type"`
	AttentionHeadDim                  json.RawMessage `json:"attention_head_dim"`
	NumAttentionHeads                 json.RawMessage `json:"num_attention_heads"`
	DualCrossAttention                *bool           `json:"dual_cross_attention"`
	UseLinearProjection               *bool           `json:"use_linear_projection"`
	ClassEmbedType                    json.RawMessage `json:"class_embed_type"`
	AdditionEmbedType                 json.RawMessage `json:"addition_embed_type"`
	AdditionTimeEmbedDim              json.RawMessage `json:"addition_time_embed_dim"`
	NumClassEmbeds                    json.RawMessage `json:"num_class_embeds"`
	UpcastAttention                   *bool           `json:"upcast_attention"` // read and ignored: everything computes in float32
	ResnetTimeScaleShift              *string         `json:"resnet_time_scale_shift"`
	ResnetSkipTimeAct                 *bool           `json:"resnet_skip_time_act"`
	ResnetOutScaleFactor              *float64        `json:"resnet_out_scale_factor"`
	TimeEmbeddingType                 *string         `json:"time_embedding_type"`
	TimeEmbeddingDim                  json.RawMessage `json:"time_embedding_dim"`
	TimeEmbeddingActFn                json.RawMessage `json:"time_embedding_act_fn"`
	TimestepPostAct                   json.RawMessage `json:"timestep_post_act"`
	TimeCondProjDim                   json.RawMessage `json:"time_cond_proj_dim"`
	ConvInKernel                      *int            `json:"conv_in_kernel"`
	ConvOutKernel                     *int            `json:"conv_out_kernel"`
	ProjectionClassEmbeddingsInputDim json.RawMessage `json:"projection_class_embeddings_input_dim"`
	AttentionType                     *string         `json:"attention_type"`
	ClassEmbeddingsConcat             *bool           `json:"class_embeddings_concat"`
	MidBlockOnlyCrossAttention        json.RawMessage `json:"mid_block_only_cross_attention"`
	CrossAttentionNorm                json.RawMessage `json:"cross_attention_norm"`
}

// null reports whether a raw value is absent or JSON null.
func null(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }

// intOrList reads a setting diffusers takes as an int (the same for every
// block) or a list of ints (one per block), into n values; def is used
// when the key is absent or null.
func intOrList(key string, v json.RawMessage, n, def int) ([]int, error) {
	if null(v) {
		return slices.Repeat([]int{def}, n), nil
	}
	var one int
	if json.Unmarshal(v, &one) == nil {
		return slices.Repeat([]int{one}, n), nil
	}
	var list []int
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, fmt.Errorf("%w: %s %s (want an integer or a list of integers)", ErrUnsupported, key, v)
	}
	if len(list) != n {
		return nil, fmt.Errorf("unet: %s %v has %d values but there are %d down blocks", key, list, len(list), n)
	}
	return list, nil
}

// optInt reads an integer that may be null; def when it is.
func optInt(key string, v json.RawMessage, def int) (int, error) {
	if null(v) {
		return def, nil
	}
	var n int
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, fmt.Errorf("%w: %s %s (want an integer)", ErrUnsupported, key, v)
	}
	return n, nil
}

// ParseConfig reads a UNet2DConditionModel config.json. Missing keys take
// diffusers' defaults (SD 1.x's: block_out_channels [320, 640, 1280,
// 1280], layers_per_block 2, attention_head_dim 8, cross_attention_dim
// 1280, norm_num_groups 32, norm_eps 1e-5, flip_sin_to_cos true…). A
// setting the package does not implement fails with [ErrUnsupported]
// naming the key and the supported values; inconsistent values fail naming
// both.
func ParseConfig(b []byte) (*Config, error) {
	var r rawConfig
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("unet: config.json: %w", err)
	}
	if r.ClassName != "" && r.ClassName != ClassName {
		return nil, fmt.Errorf("%w: _class_name %q (want %s)", ErrUnsupported, r.ClassName, ClassName)
	}
	c := &Config{
		InChannels: 4, OutChannels: 4, SampleSize: 64,
		DownBlockTypes:      []string{CrossAttnDownBlock, CrossAttnDownBlock, CrossAttnDownBlock, DownBlock},
		MidBlockType:        MidBlockCrossAttn,
		UpBlockTypes:        []string{UpBlock, CrossAttnUpBlock, CrossAttnUpBlock, CrossAttnUpBlock},
		BlockOutChannels:    []int{320, 640, 1280, 1280},
		CrossAttentionDim:   1280,
		NormNumGroups:       32,
		NormEps:             1e-5,
		DownsamplePadding:   1,
		MidBlockScaleFactor: 1,
		FlipSinToCos:        true,
		ConvInKernel:        3,
		ConvOutKernel:       3,
	}
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setInt(&c.InChannels, r.InChannels)
	setInt(&c.OutChannels, r.OutChannels)
	setInt(&c.DownsamplePadding, r.DownsamplePadding)
	setInt(&c.ConvInKernel, r.ConvInKernel)
	setInt(&c.ConvOutKernel, r.ConvOutKernel)
	if r.FlipSinToCos != nil {
		c.FlipSinToCos = *r.FlipSinToCos
	}
	if r.FreqShift != nil {
		c.FreqShift = *r.FreqShift
	}
	if r.NormEps != nil {
		c.NormEps = *r.NormEps
	}
	if r.MidBlockScaleFactor != nil {
		c.MidBlockScaleFactor = *r.MidBlockScaleFactor
	}
	if r.UseLinearProjection != nil {
		c.UseLinearProjection = *r.UseLinearProjection
	}
	if r.DownBlockTypes != nil {
		c.DownBlockTypes = r.DownBlockTypes
	}
	if r.UpBlockTypes != nil {
		c.UpBlockTypes = r.UpBlockTypes
	}
	if r.BlockOutChannels != nil {
		c.BlockOutChannels = r.BlockOutChannels
	}
	if !null(r.SampleSize) {
		// An int, or a [height, width] list whose first entry stands for both.
		var n int
		var list []int
		switch {
		case json.Unmarshal(r.SampleSize, &n) == nil:
			c.SampleSize = n
		case json.Unmarshal(r.SampleSize, &list) == nil && len(list) > 0:
			c.SampleSize = list[0]
		default:
			return nil, fmt.Errorf("unet: sample_size %s is neither an integer nor a list of them", r.SampleSize)
		}
	}
	if err := r.checkUnsupported(); err != nil {
		return nil, err
	}

	// The blocks.
	n := len(c.BlockOutChannels)
	if n == 0 {
		return nil, fmt.Errorf("unet: block_out_channels is empty")
	}
	for _, bt := range []struct {
		key   string
		types []string
		want  []string
	}{
		{"down_block_types", c.DownBlockTypes, []string{DownBlock, CrossAttnDownBlock}},
		{"up_block_types", c.UpBlockTypes, []string{UpBlock, CrossAttnUpBlock}},
	} {
		if len(bt.types) != n {
			return nil, fmt.Errorf("unet: %s has %d blocks but block_out_channels %v has %d", bt.key, len(bt.types), c.BlockOutChannels, n)
		}
		for i, t := range bt.types {
			if !slices.Contains(bt.want, t) {
				return nil, fmt.Errorf("%w: %s[%d] %q (supported: %s)", ErrUnsupported, bt.key, i, t, strings.Join(bt.want, ", "))
			}
		}
	}
	if !null(r.MidBlockType) {
		if err := json.Unmarshal(r.MidBlockType, &c.MidBlockType); err != nil || c.MidBlockType != MidBlockCrossAttn {
			return nil, fmt.Errorf("%w: mid_block_type %s (supported: %s)", ErrUnsupported, r.MidBlockType, MidBlockCrossAttn)
		}
	} else if len(r.MidBlockType) > 0 {
		return nil, fmt.Errorf("%w: mid_block_type null (supported: %s)", ErrUnsupported, MidBlockCrossAttn)
	}

	// Per-block settings.
	var err error
	if c.LayersPerBlock, err = intOrList("layers_per_block", r.LayersPerBlock, n, 2); err != nil {
		return nil, err
	}
	if c.TransformerLayersPerBlock, err = intOrList("transformer_layers_per_block", r.TransformerLayersPerBlock, n, 1); err != nil {
		return nil, err
	}
	if !null(r.NumAttentionHeads) {
		// diffusers itself refuses it: the name is reserved for the day
		// attention_head_dim means what it says.
		return nil, fmt.Errorf("%w: num_attention_heads %s (supported: null; attention_head_dim gives the heads)", ErrUnsupported, r.NumAttentionHeads)
	}
	if c.NumHeads, err = intOrList("attention_head_dim", r.AttentionHeadDim, n, 8); err != nil {
		return nil, err
	}
	if c.CrossAttentionDim, err = optInt("cross_attention_dim", r.CrossAttentionDim, 1280); err != nil {
		return nil, err
	}
	if len(r.NormNumGroups) > 0 && null(r.NormNumGroups) {
		return nil, fmt.Errorf("%w: norm_num_groups null (supported: an integer; the UNet without GroupNorms is not implemented)", ErrUnsupported)
	}
	if c.NormNumGroups, err = optInt("norm_num_groups", r.NormNumGroups, 32); err != nil {
		return nil, err
	}
	if c.TimeEmbeddingDim, err = optInt("time_embedding_dim", r.TimeEmbeddingDim, 4*c.BlockOutChannels[0]); err != nil {
		return nil, err
	}

	// The added embedding.
	if !null(r.AdditionEmbedType) {
		if err := json.Unmarshal(r.AdditionEmbedType, &c.AdditionEmbedType); err != nil || c.AdditionEmbedType != TextTime {
			return nil, fmt.Errorf("%w: addition_embed_type %s (supported: %q, null)", ErrUnsupported, r.AdditionEmbedType, TextTime)
		}
		if c.AdditionTimeEmbedDim, err = optInt("addition_time_embed_dim", r.AdditionTimeEmbedDim, 0); err != nil {
			return nil, err
		}
		if c.ProjectionClassEmbeddingsInputDim, err = optInt("projection_class_embeddings_input_dim", r.ProjectionClassEmbeddingsInputDim, 0); err != nil {
			return nil, err
		}
		if c.AdditionTimeEmbedDim <= 0 || c.ProjectionClassEmbeddingsInputDim <= 6*c.AdditionTimeEmbedDim {
			return nil, fmt.Errorf("unet: addition_embed_type %q needs addition_time_embed_dim (%d) > 0 and projection_class_embeddings_input_dim (%d) > 6·addition_time_embed_dim, the text embeddings' width plus the six time ids'",
				TextTime, c.AdditionTimeEmbedDim, c.ProjectionClassEmbeddingsInputDim)
		}
	}

	return c, c.validate()
}

// checkUnsupported rejects the settings of variants the package does not
// run, naming the key and what it supports.
func (r *rawConfig) checkUnsupported() error {
	bad := func(key string, got any, want string) error {
		if raw, ok := got.(json.RawMessage); ok {
			got = string(raw)
		}
		return fmt.Errorf("%w: %s %v (supported: %s)", ErrUnsupported, key, got, want)
	}
	str := func(p *string, key, want string) error {
		if p != nil && *p != want {
			return bad(key, fmt.Sprintf("%q", *p), fmt.Sprintf("%q", want))
		}
		return nil
	}
	boolFalse := func(p *bool, key string) error {
		if p != nil && *p {
			return bad(key, true, "false")
		}
		return nil
	}
	for _, e := range []error{
		str(r.ActFn, "act_fn", "silu"),
		str(r.ResnetTimeScaleShift, "resnet_time_scale_shift", "default"),
		str(r.TimeEmbeddingType, "time_embedding_type", "positional"),
		str(r.AttentionType, "attention_type", "default"),
		boolFalse(r.CenterInputSample, "center_input_sample"),
		boolFalse(r.DualCrossAttention, "dual_cross_attention"),
		boolFalse(r.ResnetSkipTimeAct, "resnet_skip_time_act"),
		boolFalse(r.ClassEmbeddingsConcat, "class_embeddings_concat"),
	} {
		if e != nil {
			return e
		}
	}
	if r.ResnetOutScaleFactor != nil && *r.ResnetOutScaleFactor != 1 {
		return bad("resnet_out_scale_factor", *r.ResnetOutScaleFactor, "1.0")
	}
	for _, k := range []struct {
		key string
		v   json.RawMessage
	}{
		{"class_embed_type", r.ClassEmbedType}, {"num_class_embeds", r.NumClassEmbeds},
		{"encoder_hid_dim", r.EncoderHidDim}, {"encoder_hid_dim_type", r.EncoderHidDimType},
		{"time_embedding_act_fn", r.TimeEmbeddingActFn}, {"timestep_post_act", r.TimestepPostAct},
		{"time_cond_proj_dim", r.TimeCondProjDim}, {"cross_attention_norm", r.CrossAttentionNorm},
		{"reverse_transformer_layers_per_block", r.ReverseTransformerLayersPerBlock},
	} {
		if !null(k.v) {
			return bad(k.key, k.v, "null")
		}
	}
	// only_cross_attention: false, or a list of falses.
	if !null(r.OnlyCrossAttention) {
		var one bool
		var list []bool
		ok := json.Unmarshal(r.OnlyCrossAttention, &one) == nil && !one ||
			json.Unmarshal(r.OnlyCrossAttention, &list) == nil && !slices.Contains(list, true)
		if !ok {
			return bad("only_cross_attention", r.OnlyCrossAttention, "false")
		}
	}
	if !null(r.MidBlockOnlyCrossAttention) && string(r.MidBlockOnlyCrossAttention) != "false" {
		return bad("mid_block_only_cross_attention", r.MidBlockOnlyCrossAttention, "null, false")
	}
	return nil
}

// validate checks the parsed values against each other.
func (c *Config) validate() error {
	for _, v := range []struct {
		key string
		n   int
	}{
		{"in_channels", c.InChannels}, {"out_channels", c.OutChannels}, {"sample_size", c.SampleSize},
		{"cross_attention_dim", c.CrossAttentionDim}, {"norm_num_groups", c.NormNumGroups},
		{"time_embedding_dim", c.TimeEmbeddingDim},
	} {
		if v.n <= 0 {
			return fmt.Errorf("unet: %s (%d) must be positive", v.key, v.n)
		}
	}
	for _, k := range []struct {
		key string
		n   int
	}{{"conv_in_kernel", c.ConvInKernel}, {"conv_out_kernel", c.ConvOutKernel}} {
		if k.n <= 0 || k.n%2 == 0 {
			return fmt.Errorf("%w: %s %d (supported: a positive odd size, padded to keep the image size)", ErrUnsupported, k.key, k.n)
		}
	}
	if c.DownsamplePadding < 0 {
		return fmt.Errorf("unet: downsample_padding (%d) must not be negative", c.DownsamplePadding)
	}
	if c.NormEps <= 0 || c.MidBlockScaleFactor == 0 {
		return fmt.Errorf("unet: norm_eps (%g) must be positive and mid_block_scale_factor (%g) non-zero", c.NormEps, c.MidBlockScaleFactor)
	}
	for i, ch := range c.BlockOutChannels {
		if ch <= 0 || ch%c.NormNumGroups != 0 {
			return fmt.Errorf("unet: block_out_channels %v: each (here [%d] = %d) must be a positive multiple of norm_num_groups (%d)", c.BlockOutChannels, i, ch, c.NormNumGroups)
		}
		if c.LayersPerBlock[i] <= 0 {
			return fmt.Errorf("unet: layers_per_block %v must be positive", c.LayersPerBlock)
		}
		if c.TransformerLayersPerBlock[i] <= 0 {
			return fmt.Errorf("unet: transformer_layers_per_block %v must be positive", c.TransformerLayersPerBlock)
		}
		if h := c.NumHeads[i]; h <= 0 || ch%h != 0 {
			return fmt.Errorf("unet: block_out_channels[%d] (%d) must be a positive multiple of attention_head_dim[%d] (%d), the block's number of heads", i, ch, i, h)
		}
	}
	return nil
}

// TextEmbedsDim is the width of the pooled text embeddings that
// addition_embed_type "text_time" takes (SDXL: 1280), 0 without it.
func (c Config) TextEmbedsDim() int {
	if c.AdditionEmbedType != TextTime {
		return 0
	}
	return c.ProjectionClassEmbeddingsInputDim - 6*c.AdditionTimeEmbedDim
}

// Scale is the side of the latents per side of the deepest features:
// 2^(len(block_out_channels)−1). Inputs whose sides it does not divide
// are run as diffusers runs them, each upsampling resized to its skip
// connection's size.
func (c Config) Scale() int { return 1 << (len(c.BlockOutChannels) - 1) }
