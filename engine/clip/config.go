package clip

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Config is the part of a CLIP text config.json the family reads, named as
// in transformers' CLIPTextConfig. Missing fields take CLIPTextConfig's
// defaults (openai/clip-vit-base-patch32's text tower: hidden_size 512,
// 12 layers, 8 heads, quick_gelu, 77 positions).
type Config struct {
	VocabSize             int     `json:"vocab_size"`
	HiddenSize            int     `json:"hidden_size"`
	IntermediateSize      int     `json:"intermediate_size"`
	ProjectionDim         int     `json:"projection_dim"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	HiddenAct             string  `json:"hidden_act"`
	LayerNormEps          float64 `json:"layer_norm_eps"`

	// PadTokenID, BOSTokenID and EOSTokenID are the config's ids. The
	// checkpoints converted from OpenAI's (SDXL's text encoders among them)
	// say 1, 0 and 2, which are not their tokenizer's ids; EOSTokenID 2
	// selects the legacy pooling rule (see [Config.PoolIndex]).
	PadTokenID *int `json:"pad_token_id"`
	BOSTokenID *int `json:"bos_token_id"`
	EOSTokenID *int `json:"eos_token_id"`

	// TextConfig is set in a whole CLIPModel's config (text and vision
	// towers), which ParseConfig refuses: [ParseFullConfig] reads it.
	TextConfig json.RawMessage `json:"text_config"`
}

// ParseConfig reads and validates a CLIPTextModel or
// CLIPTextModelWithProjection config.json.
func ParseConfig(data []byte) (*Config, error) {
	c := &Config{VocabSize: 49408, HiddenSize: 512, IntermediateSize: 2048, ProjectionDim: 512,
		NumHiddenLayers: 12, NumAttentionHeads: 8, MaxPositionEmbeddings: 77, HiddenAct: "quick_gelu", LayerNormEps: 1e-5}
	pad, bos, eos := 1, 49406, 49407
	c.PadTokenID, c.BOSTokenID, c.EOSTokenID = &pad, &bos, &eos
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("clip: parse config: %w", err)
	}
	if present(c.TextConfig) {
		return nil, fmt.Errorf("clip: config.json has a text_config: it describes a whole CLIPModel, not a text encoder (want CLIPTextModel or CLIPTextModelWithProjection, or architectures [\"CLIPModel\"])")
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseFullConfig reads a whole CLIPModel's config.json (text_config,
// vision_config and a top-level projection_dim) and returns its text
// tower's config, as transformers' CLIPTextModelWithProjection.from_pretrained
// of a CLIPModel checkpoint reads it: text_config with CLIPTextConfig's
// defaults for what it leaves out, projected to the top-level
// projection_dim (CLIPConfig's default 512 when absent), the size CLIPModel
// gave text_projection. (transformers takes text_config's own
// projection_dim, which must then agree with the weights; OpenAI's
// checkpoints state the same value in both places.)
func ParseFullConfig(data []byte) (*Config, error) {
	var head struct {
		TextConfig    json.RawMessage `json:"text_config"`
		ProjectionDim *int            `json:"projection_dim"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("clip: parse config: %w", err)
	}
	if !present(head.TextConfig) {
		return nil, fmt.Errorf("clip: a CLIPModel config.json needs a text_config")
	}
	c, err := ParseConfig(head.TextConfig)
	if err != nil {
		return nil, fmt.Errorf("%w (in text_config)", err)
	}
	c.ProjectionDim = 512
	if head.ProjectionDim != nil {
		c.ProjectionDim = *head.ProjectionDim
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// present reports whether a JSON value was given and is not null.
func present(v json.RawMessage) bool { return len(v) > 0 && string(v) != "null" }

// check validates the sizes, the activation and the end-of-text id.
func (c *Config) check() error {
	switch {
	case c.HiddenSize <= 0 || c.NumHiddenLayers <= 0 || c.NumAttentionHeads <= 0 || c.VocabSize <= 0 ||
		c.IntermediateSize <= 0 || c.MaxPositionEmbeddings <= 0 || c.ProjectionDim <= 0:
		return fmt.Errorf("clip: config sizes must be positive (hidden_size %d, num_hidden_layers %d, num_attention_heads %d, vocab_size %d, intermediate_size %d, max_position_embeddings %d, projection_dim %d)",
			c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.VocabSize, c.IntermediateSize, c.MaxPositionEmbeddings, c.ProjectionDim)
	case c.HiddenSize%c.NumAttentionHeads != 0:
		return fmt.Errorf("clip: hidden_size (%d) must be divisible by num_attention_heads (%d)", c.HiddenSize, c.NumAttentionHeads)
	case c.LayerNormEps <= 0:
		return fmt.Errorf("clip: layer_norm_eps (%g) must be positive", c.LayerNormEps)
	case c.EOSTokenID == nil:
		return fmt.Errorf("clip: eos_token_id is null: the pooled output is read at the end-of-text token")
	}
	if _, ok := activations[c.HiddenAct]; !ok {
		names := make([]string, 0, len(activations))
		for n := range activations {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("clip: hidden_act %q is not supported (want %s)", c.HiddenAct, strings.Join(names, ", "))
	}
	return nil
}

// PoolIndex returns the slot of ids whose last hidden state is the pooled
// output, as transformers' CLIPTextTransformer picks it:
//
//	eos_token_id == 2: argmax(ids)            (the legacy rule, first maximum)
//	otherwise:         first t with ids[t] == eos_token_id (0 when none)
//
// OpenAI's end-of-text token is the largest id of its vocabulary, so both
// rules find it in a tokenizer's output, whether the padding is
// <|endoftext|> (CLIP-L) or "!" (id 0, OpenCLIP-bigG in SDXL).
func (c *Config) PoolIndex(ids []int) int {
	eos := *c.EOSTokenID
	best := 0
	for t, id := range ids {
		if eos == 2 {
			if id > ids[best] {
				best = t
			}
		} else if id == eos {
			return t
		}
	}
	return best
}

func optID(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}
