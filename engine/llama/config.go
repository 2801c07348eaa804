package llama

import (
	"encoding/json"
	"fmt"
	"math"
)

// Config is the part of a Llama, Mistral or Qwen2 config.json the family
// reads, named as in Hugging Face's LlamaConfig.
type Config struct {
	Architecture          string       `json:"-"`
	VocabSize             int          `json:"vocab_size"`
	HiddenSize            int          `json:"hidden_size"`
	IntermediateSize      int          `json:"intermediate_size"`
	NumHiddenLayers       int          `json:"num_hidden_layers"`
	NumAttentionHeads     int          `json:"num_attention_heads"`
	NumKeyValueHeads      int          `json:"num_key_value_heads"`
	HeadDim               int          `json:"head_dim"`
	HiddenAct             string       `json:"hidden_act"`
	RMSNormEps            float64      `json:"rms_norm_eps"`
	RopeTheta             float64      `json:"rope_theta"`
	RopeScaling           *RopeScaling `json:"rope_scaling"`
	MaxPositionEmbeddings int          `json:"max_position_embeddings"`
	TieWordEmbeddings     bool         `json:"tie_word_embeddings"`
	AttentionBias         bool         `json:"attention_bias"`
	MLPBias               bool         `json:"mlp_bias"`
	// SlidingWindow (Mistral; Qwen2 when UseSlidingWindow) limits attention
	// to the most recent keys; null or 0 = none. Mistral reads an absent
	// sliding_window as 4096, MistralConfig's default.
	SlidingWindow *int `json:"sliding_window"`
	// UseSlidingWindow switches Qwen2's window on (default off). Mistral
	// and Llama ignore it, as transformers does.
	UseSlidingWindow *bool `json:"use_sliding_window"`

	BOSTokenID *int            `json:"bos_token_id"`
	EOSTokenID json.RawMessage `json:"eos_token_id"` // an id or a list of ids
	PadTokenID *int            `json:"pad_token_id"`

	// QKVBias is true for Qwen2 (biases on q, k, v but not o) and when
	// attention_bias is set (Llama: biases on all four).
	QKVBias bool `json:"-"`
	// OBias is true when o_proj has a bias (attention_bias).
	OBias bool `json:"-"`
	// Window is the effective sliding window (0 = none): the query in cache
	// slot i sees the keys in slots i−Window+1 … i, as transformers' eager
	// and sdpa attention do (see engine.AttnOptions.Window).
	Window int `json:"-"`
	// EOS lists the end-of-sequence ids.
	EOS []int `json:"-"`
}

// RopeScaling is config.json's rope_scaling (rope_type "llama3",
// "linear" or "default").
type RopeScaling struct {
	RopeType                      string  `json:"rope_type"`
	Type                          string  `json:"type"`
	Factor                        float64 `json:"factor"`
	LowFreqFactor                 float64 `json:"low_freq_factor"`
	HighFreqFactor                float64 `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings"`
}

// ParseConfig reads and validates a config.json for architecture
// (LlamaForCausalLM, MistralForCausalLM or Qwen2ForCausalLM).
func ParseConfig(data []byte, architecture string) (*Config, error) {
	c := &Config{Architecture: architecture, HiddenAct: "silu", RMSNormEps: 1e-6, RopeTheta: 10000,
		MaxPositionEmbeddings: 2048}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("llama: parse config: %w", err)
	}
	if c.NumKeyValueHeads == 0 {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	switch {
	case c.HiddenSize <= 0 || c.NumHiddenLayers <= 0 || c.NumAttentionHeads <= 0 || c.VocabSize <= 0 || c.IntermediateSize <= 0:
		return nil, fmt.Errorf("llama: config sizes must be positive (hidden_size %d, num_hidden_layers %d, num_attention_heads %d, vocab_size %d, intermediate_size %d)",
			c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.VocabSize, c.IntermediateSize)
	case c.HeadDim < 0:
		return nil, fmt.Errorf("llama: head_dim (%d) must be positive", c.HeadDim)
	case c.HeadDim == 0 && c.HiddenSize%c.NumAttentionHeads != 0:
		return nil, fmt.Errorf("llama: hidden_size (%d) must be divisible by num_attention_heads (%d)", c.HiddenSize, c.NumAttentionHeads)
	case c.NumKeyValueHeads < 0 || c.NumAttentionHeads%c.NumKeyValueHeads != 0:
		return nil, fmt.Errorf("llama: num_attention_heads (%d) must be a multiple of num_key_value_heads (%d)", c.NumAttentionHeads, c.NumKeyValueHeads)
	case c.HiddenAct != "silu":
		return nil, fmt.Errorf("llama: hidden_act %q is not supported (want silu)", c.HiddenAct)
	case c.RopeTheta <= 0:
		return nil, fmt.Errorf("llama: rope_theta (%g) must be positive", c.RopeTheta)
	}
	if c.HeadDim == 0 {
		c.HeadDim = c.HiddenSize / c.NumAttentionHeads
	}
	if c.HeadDim%2 != 0 {
		return nil, fmt.Errorf("llama: head_dim (%d) must be even for rotary embeddings", c.HeadDim)
	}
	c.OBias = c.AttentionBias
	c.QKVBias = c.AttentionBias || architecture == "Qwen2ForCausalLM"
	// Which configs slide, as transformers reads them: MistralConfig has
	// sliding_window = 4096 unless config.json says otherwise (null: none)
	// and no use_sliding_window; Qwen2 slides only with use_sliding_window;
	// Llama never does.
	var use bool
	switch architecture {
	case "MistralForCausalLM":
		use = true
		if c.SlidingWindow == nil {
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(data, &keys); err == nil {
				if _, ok := keys["sliding_window"]; !ok {
					w := 4096
					c.SlidingWindow = &w
				}
			}
		}
	case "Qwen2ForCausalLM":
		use = c.UseSlidingWindow != nil && *c.UseSlidingWindow
	}
	if use && c.SlidingWindow != nil && *c.SlidingWindow > 0 {
		c.Window = *c.SlidingWindow
	}
	if len(c.EOSTokenID) > 0 && string(c.EOSTokenID) != "null" {
		var one int
		if err := json.Unmarshal(c.EOSTokenID, &one); err == nil {
			c.EOS = []int{one}
		} else if err := json.Unmarshal(c.EOSTokenID, &c.EOS); err != nil {
			return nil, fmt.Errorf("llama: eos_token_id %s: want an id or a list of ids", c.EOSTokenID)
		}
	}
	if rs := c.RopeScaling; rs != nil {
		kind := rs.RopeType
		if kind == "" {
			kind = rs.Type
		}
		rs.RopeType = kind
		switch kind {
		case "", "default":
		case "linear":
			if rs.Factor <= 0 {
				return nil, fmt.Errorf("llama: rope_scaling factor (%g) must be positive", rs.Factor)
			}
		case "llama3":
			if rs.Factor <= 0 || rs.LowFreqFactor <= 0 || rs.HighFreqFactor <= rs.LowFreqFactor || rs.OriginalMaxPositionEmbeddings <= 0 {
				return nil, fmt.Errorf("llama: llama3 rope_scaling needs factor (%g) > 0, 0 < low_freq_factor (%g) < high_freq_factor (%g), original_max_position_embeddings (%d) > 0",
					rs.Factor, rs.LowFreqFactor, rs.HighFreqFactor, rs.OriginalMaxPositionEmbeddings)
			}
		default:
			return nil, fmt.Errorf("llama: rope_scaling type %q is not supported (want llama3, linear or default)", kind)
		}
	}
	return c, nil
}

// InvFreq returns the rotary inverse frequencies, θ^(−2i/head_dim) for
// i < head_dim/2, after rope_scaling. llama3 scaling, with wavelength
// λ = 2π/f and original context L: λ < L/high keeps f; λ > L/low gives
// f/factor; in between s = (L/λ − low)/(high − low) and
// f' = (1 − s)·f/factor + s·f. linear scaling divides every f by factor.
func (c *Config) InvFreq() []float32 {
	half := c.HeadDim / 2
	out := make([]float32, half)
	for i := range half {
		// As transformers: exponent in float32, then 1/θ^e.
		e := float32(2*i) / float32(c.HeadDim)
		f := float32(1 / math.Pow(c.RopeTheta, float64(e)))
		out[i] = f
	}
	rs := c.RopeScaling
	if rs == nil {
		return out
	}
	switch rs.RopeType {
	case "linear":
		for i := range out {
			out[i] /= float32(rs.Factor)
		}
	case "llama3":
		L := float64(rs.OriginalMaxPositionEmbeddings)
		lowWave, highWave := L/rs.LowFreqFactor, L/rs.HighFreqFactor
		for i, f32 := range out {
			f := float64(f32)
			wave := 2 * math.Pi / f
			switch {
			case wave < highWave:
			case wave > lowWave:
				f /= rs.Factor
			default:
				s := (L/wave - rs.LowFreqFactor) / (rs.HighFreqFactor - rs.LowFreqFactor)
				f = (1-s)*f/rs.Factor + s*f
			}
			out[i] = float32(f)
		}
	}
	return out
}
