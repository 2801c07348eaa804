package gemma2

import (
	"encoding/json"
	"fmt"
	"math"
)

// Config is the part of a Gemma-2 config.json the family reads, named as in
// Hugging Face's Gemma2Config.
type Config struct {
	// The sizes; head_dim is its own field in Gemma-2 (not hidden_size /
	// num_attention_heads).
	VocabSize         int `json:"vocab_size"`
	HiddenSize        int `json:"hidden_size"`
	IntermediateSize  int `json:"intermediate_size"`
	NumHiddenLayers   int `json:"num_hidden_layers"`
	NumAttentionHeads int `json:"num_attention_heads"`
	NumKeyValueHeads  int `json:"num_key_value_heads"`
	HeadDim           int `json:"head_dim"`
	// QueryPreAttnScalar sets the query scale, QueryPreAttnScalar^(−1/2)
	// (not head_dim^(−1/2): they differ in the 27B model).
	QueryPreAttnScalar float64 `json:"query_pre_attn_scalar"`
	// AttnLogitSoftcapping caps attention scores as c·tanh(s/c) before the
	// mask; nil or 0 = off.
	AttnLogitSoftcapping *float64 `json:"attn_logit_softcapping"`
	// FinalLogitSoftcapping caps the logits as c·tanh(l/c) after the output
	// head; nil or 0 = off.
	FinalLogitSoftcapping *float64 `json:"final_logit_softcapping"`
	// SlidingWindow is the number of most recent keys (the query included)
	// a sliding layer sees; nil or 0 = every layer is global.
	SlidingWindow *int `json:"sliding_window"`
	// LayerTypes, when present, names each layer "sliding_attention" or
	// "full_attention" (newer transformers); otherwise even layers slide.
	LayerTypes []string `json:"layer_types"`
	// HiddenActivation is the MLP activation (hidden_activation, else
	// hidden_act); only the tanh GELU is supported.
	HiddenActivation string `json:"hidden_activation"`
	HiddenAct        string `json:"hidden_act"`
	// RMSNormEps is the eps of every RMSNorm.
	RMSNormEps float64 `json:"rms_norm_eps"`
	// RopeTheta is the rotary base θ.
	RopeTheta float64 `json:"rope_theta"`
	// TieWordEmbeddings uses model.embed_tokens.weight as the output head
	// (the default: Gemma-2 checkpoints store no lm_head.weight).
	TieWordEmbeddings *bool `json:"tie_word_embeddings"`

	// BOSTokenID, EOSTokenID and PadTokenID are the special ids (nil or
	// null when absent).
	BOSTokenID *int            `json:"bos_token_id"`
	EOSTokenID json.RawMessage `json:"eos_token_id"` // an id or a list of ids
	PadTokenID *int            `json:"pad_token_id"`

	// EOS lists the end-of-sequence ids.
	EOS []int `json:"-"`
}

// ParseConfig reads and validates a Gemma2ForCausalLM config.json. Missing
// fields take Gemma2Config's defaults where they have one (head_dim 256,
// query_pre_attn_scalar 256, rms_norm_eps 1e-6, rope_theta 10000,
// gelu_pytorch_tanh, tied embeddings, num_key_value_heads =
// num_attention_heads); sizes have none and must be given.
func ParseConfig(data []byte) (*Config, error) {
	c := &Config{HeadDim: 256, QueryPreAttnScalar: 256, RMSNormEps: 1e-6, RopeTheta: 10000}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("gemma2: parse config: %w", err)
	}
	if c.NumKeyValueHeads == 0 {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	act := c.HiddenActivation
	if act == "" {
		act = c.HiddenAct
	}
	if act == "" {
		act = "gelu_pytorch_tanh"
	}
	c.HiddenActivation = act
	switch {
	case c.HiddenSize <= 0 || c.NumHiddenLayers <= 0 || c.NumAttentionHeads <= 0 || c.VocabSize <= 0 || c.IntermediateSize <= 0:
		return nil, fmt.Errorf("gemma2: config sizes must be positive (hidden_size %d, num_hidden_layers %d, num_attention_heads %d, vocab_size %d, intermediate_size %d)",
			c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.VocabSize, c.IntermediateSize)
	case c.HeadDim <= 0 || c.HeadDim%2 != 0:
		return nil, fmt.Errorf("gemma2: head_dim (%d) must be positive and even for rotary embeddings", c.HeadDim)
	case c.NumKeyValueHeads < 0 || c.NumAttentionHeads%c.NumKeyValueHeads != 0:
		return nil, fmt.Errorf("gemma2: num_attention_heads (%d) must be a multiple of num_key_value_heads (%d)", c.NumAttentionHeads, c.NumKeyValueHeads)
	case !(c.QueryPreAttnScalar > 0) || math.IsInf(c.QueryPreAttnScalar, 0):
		return nil, fmt.Errorf("gemma2: query_pre_attn_scalar (%g) must be positive", c.QueryPreAttnScalar)
	case !(c.RMSNormEps >= 0):
		return nil, fmt.Errorf("gemma2: rms_norm_eps (%g) must not be negative", c.RMSNormEps)
	case !(c.RopeTheta > 0) || math.IsInf(c.RopeTheta, 0):
		return nil, fmt.Errorf("gemma2: rope_theta (%g) must be positive", c.RopeTheta)
	case act != "gelu_pytorch_tanh" && act != "gelu_new":
		return nil, fmt.Errorf("gemma2: hidden_activation %q is not supported (want gelu_pytorch_tanh)", act)
	case c.AttnLogitSoftcapping != nil && (*c.AttnLogitSoftcapping < 0 || math.IsNaN(*c.AttnLogitSoftcapping)):
		return nil, fmt.Errorf("gemma2: attn_logit_softcapping (%g) must not be negative", *c.AttnLogitSoftcapping)
	case c.FinalLogitSoftcapping != nil && (*c.FinalLogitSoftcapping < 0 || math.IsNaN(*c.FinalLogitSoftcapping)):
		return nil, fmt.Errorf("gemma2: final_logit_softcapping (%g) must not be negative", *c.FinalLogitSoftcapping)
	case c.SlidingWindow != nil && *c.SlidingWindow < 0:
		return nil, fmt.Errorf("gemma2: sliding_window (%d) must not be negative", *c.SlidingWindow)
	case c.LayerTypes != nil && len(c.LayerTypes) != c.NumHiddenLayers:
		return nil, fmt.Errorf("gemma2: layer_types has %d entries, want num_hidden_layers (%d)", len(c.LayerTypes), c.NumHiddenLayers)
	}
	for i, lt := range c.LayerTypes {
		if lt != "sliding_attention" && lt != "full_attention" {
			return nil, fmt.Errorf("gemma2: layer_types[%d] is %q (want sliding_attention or full_attention)", i, lt)
		}
	}
	if len(c.EOSTokenID) > 0 && string(c.EOSTokenID) != "null" {
		var one int
		if err := json.Unmarshal(c.EOSTokenID, &one); err == nil {
			c.EOS = []int{one}
		} else if err := json.Unmarshal(c.EOSTokenID, &c.EOS); err != nil {
			return nil, fmt.Errorf("gemma2: eos_token_id %s: want an id or a list of ids", c.EOSTokenID)
		}
	}
	for _, id := range append(append([]int(nil), c.EOS...), deref(c.BOSTokenID), deref(c.PadTokenID)) {
		if id < -1 || id >= c.VocabSize {
			return nil, fmt.Errorf("gemma2: special token id %d is outside the vocabulary (vocab_size %d)", id, c.VocabSize)
		}
	}
	return c, nil
}

func deref(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// Tied reports whether the output head is the token embedding table
// (tie_word_embeddings, true unless the config says false).
func (c *Config) Tied() bool { return c.TieWordEmbeddings == nil || *c.TieWordEmbeddings }

// Window returns the sliding window of layer i, 0 for a global layer.
// Without layer_types, even layers slide (transformers: is_sliding =
// not bool(layer_idx % 2)).
func (c *Config) Window(i int) int {
	if c.SlidingWindow == nil || *c.SlidingWindow <= 0 {
		return 0
	}
	sliding := i%2 == 0
	if c.LayerTypes != nil {
		sliding = c.LayerTypes[i] == "sliding_attention"
	}
	if !sliding {
		return 0
	}
	return *c.SlidingWindow
}

// QueryScale is query_pre_attn_scalar^(−1/2), the factor on q·k.
func (c *Config) QueryScale() float64 { return 1 / math.Sqrt(c.QueryPreAttnScalar) }

// AttnSoftcap is the attention score cap, 0 when off.
func (c *Config) AttnSoftcap() float64 { return derefF(c.AttnLogitSoftcapping) }

// FinalSoftcap is the logit cap, 0 when off.
func (c *Config) FinalSoftcap() float64 { return derefF(c.FinalLogitSoftcapping) }

func derefF(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// EmbedScale is √hidden_size rounded to float32, the factor on the
// embedding lookup (transformers builds it as a tensor in the model dtype;
// weights here are float32).
func (c *Config) EmbedScale() float32 { return float32(math.Sqrt(float64(c.HiddenSize))) }

// InvFreq returns the rotary inverse frequencies rope_theta^(−2i/head_dim)
// for i < head_dim/2, with the exponent in float32 as transformers computes it.
func (c *Config) InvFreq() []float32 {
	half := c.HeadDim / 2
	out := make([]float32, half)
	for i := range half {
		e := float32(2*i) / float32(c.HeadDim)
		out[i] = float32(1 / math.Pow(c.RopeTheta, float64(e)))
	}
	return out
}
