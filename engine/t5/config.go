package t5

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Config is the part of a T5 config.json the family reads, named as in
// transformers' T5Config. Missing fields take T5Config's defaults
// (t5-small: d_model 512, 6 layers, 8 heads, ReLU feed-forward).
type Config struct {
	VocabSize                    int     `json:"vocab_size"`
	DModel                       int     `json:"d_model"`
	DKV                          int     `json:"d_kv"`
	DFF                          int     `json:"d_ff"`
	NumLayers                    int     `json:"num_layers"`
	NumHeads                     int     `json:"num_heads"`
	RelativeAttentionNumBuckets  int     `json:"relative_attention_num_buckets"`
	RelativeAttentionMaxDistance int     `json:"relative_attention_max_distance"`
	LayerNormEpsilon             float64 `json:"layer_norm_epsilon"`

	// FeedForwardProj is "{gated-}{act}": "relu" (T5 v1.0), "gated-gelu"
	// (T5 v1.1, FLUX's and SD3's T5-XXL).
	FeedForwardProj string `json:"feed_forward_proj"`
	// DenseActFn and IsGatedAct are what FeedForwardProj says
	// ("gated-gelu" means gelu_new, gated), unless config.json states them,
	// in which case its values win, as in transformers.
	DenseActFn string `json:"dense_act_fn"`
	IsGatedAct bool   `json:"is_gated_act"`

	// PadTokenID and EOSTokenID are the tokenizer's ids the config states
	// (0 and 1 in every T5 checkpoint).
	PadTokenID *int `json:"pad_token_id"`
	EOSTokenID *int `json:"eos_token_id"`
}

// InnerDim is the attention's inner width, num_heads·d_kv (it need not
// equal d_model: T5-XXL has 64 heads of 64 over d_model 4096).
func (c *Config) InnerDim() int { return c.NumHeads * c.DKV }

// ParseConfig reads and validates a T5 config.json.
func ParseConfig(data []byte) (*Config, error) {
	c := &Config{VocabSize: 32128, DModel: 512, DKV: 64, DFF: 2048, NumLayers: 6, NumHeads: 8,
		RelativeAttentionNumBuckets: 32, RelativeAttentionMaxDistance: 128, LayerNormEpsilon: 1e-6,
		FeedForwardProj: "relu"}
	pad, eos := 0, 1
	c.PadTokenID, c.EOSTokenID = &pad, &eos
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("t5: parse config: %w", err)
	}
	var stated struct {
		DenseActFn *string `json:"dense_act_fn"`
		IsGatedAct *bool   `json:"is_gated_act"`
	}
	_ = json.Unmarshal(data, &stated) // the same bytes parsed above
	parts := strings.Split(c.FeedForwardProj, "-")
	if len(parts) > 2 || len(parts) == 2 && parts[0] != "gated" || parts[len(parts)-1] == "" {
		return nil, fmt.Errorf("t5: feed_forward_proj %q is not `{ACT_FN}` or `gated-{ACT_FN}`", c.FeedForwardProj)
	}
	if stated.DenseActFn == nil {
		c.DenseActFn = parts[len(parts)-1]
		if c.FeedForwardProj == "gated-gelu" {
			c.DenseActFn = "gelu_new" // transformers' backwards-compatible reading
		}
	}
	if stated.IsGatedAct == nil {
		c.IsGatedAct = parts[0] == "gated"
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) check() error {
	for _, v := range []struct {
		key string
		n   int
	}{{"vocab_size", c.VocabSize}, {"d_model", c.DModel}, {"d_kv", c.DKV}, {"d_ff", c.DFF},
		{"num_layers", c.NumLayers}, {"num_heads", c.NumHeads}} {
		if v.n <= 0 {
			return fmt.Errorf("t5: %s (%d) must be positive", v.key, v.n)
		}
	}
	// The encoder's buckets are bidirectional: half per direction, of which
	// the first half are exact distances; the rest grow logarithmically up
	// to max_distance, which must therefore lie past the exact ones.
	nb, md := c.RelativeAttentionNumBuckets, c.RelativeAttentionMaxDistance
	if nb < 4 {
		return fmt.Errorf("t5: relative_attention_num_buckets (%d) must be at least 4", nb)
	}
	if exact := nb / 4; md <= exact {
		return fmt.Errorf("t5: relative_attention_max_distance (%d) must exceed relative_attention_num_buckets/4 (%d), the largest exact distance", md, exact)
	}
	if !(c.LayerNormEpsilon > 0) {
		return fmt.Errorf("t5: layer_norm_epsilon (%g) must be positive", c.LayerNormEpsilon)
	}
	if _, ok := activations[c.DenseActFn]; !ok {
		return fmt.Errorf("t5: dense_act_fn %q is not supported (want one of %s)", c.DenseActFn, activationNames())
	}
	if c.PadTokenID != nil && (*c.PadTokenID < 0 || *c.PadTokenID >= c.VocabSize) {
		return fmt.Errorf("t5: pad_token_id (%d) is outside the vocabulary (%d)", *c.PadTokenID, c.VocabSize)
	}
	if c.EOSTokenID != nil && (*c.EOSTokenID < 0 || *c.EOSTokenID >= c.VocabSize) {
		return fmt.Errorf("t5: eos_token_id (%d) is outside the vocabulary (%d)", *c.EOSTokenID, c.VocabSize)
	}
	return nil
}
