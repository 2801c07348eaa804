package roberta

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// Config is the part of a RoBERTa config.json the family reads, named as in
// Hugging Face's RobertaConfig. Missing fields take RobertaConfig's
// defaults (which differ from roberta-base's file: layer_norm_eps 1e-12,
// max_position_embeddings 512, type_vocab_size 2).
type Config struct {
	VocabSize             int     `json:"vocab_size"`
	HiddenSize            int     `json:"hidden_size"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	IntermediateSize      int     `json:"intermediate_size"`
	HiddenAct             string  `json:"hidden_act"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	TypeVocabSize         int     `json:"type_vocab_size"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	PositionEmbeddingType string  `json:"position_embedding_type"`
	IsDecoder             bool    `json:"is_decoder"`

	PadTokenID *int `json:"pad_token_id"`
	BOSTokenID *int `json:"bos_token_id"`
	EOSTokenID *int `json:"eos_token_id"`

	// ID2Label names the classes by id ("0": "neutral", ...); NumLabels
	// is used when it is absent (LABEL_0, LABEL_1, ... as transformers
	// names them).
	ID2Label  map[string]string `json:"id2label"`
	NumLabels *int              `json:"num_labels"`
	// ProblemType is "single_label_classification",
	// "multi_label_classification", "regression" or empty.
	ProblemType string `json:"problem_type"`

	// Labels are the class names in id order, from ID2Label or NumLabels.
	Labels []string `json:"-"`
}

// ParseConfig reads and validates a RobertaForSequenceClassification
// config.json.
func ParseConfig(data []byte) (*Config, error) {
	c := &Config{VocabSize: 50265, HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12,
		IntermediateSize: 3072, HiddenAct: "gelu", MaxPositionEmbeddings: 512, TypeVocabSize: 2,
		LayerNormEps: 1e-12, PositionEmbeddingType: "absolute"}
	pad, bos, eos := 1, 0, 2
	c.PadTokenID, c.BOSTokenID, c.EOSTokenID = &pad, &bos, &eos
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("roberta: parse config: %w", err)
	}
	switch {
	case c.HiddenSize <= 0 || c.NumHiddenLayers <= 0 || c.NumAttentionHeads <= 0 || c.VocabSize <= 0 ||
		c.IntermediateSize <= 0 || c.TypeVocabSize <= 0:
		return nil, fmt.Errorf("roberta: config sizes must be positive (hidden_size %d, num_hidden_layers %d, num_attention_heads %d, vocab_size %d, intermediate_size %d, type_vocab_size %d)",
			c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.VocabSize, c.IntermediateSize, c.TypeVocabSize)
	case c.HiddenSize%c.NumAttentionHeads != 0:
		return nil, fmt.Errorf("roberta: hidden_size (%d) must be divisible by num_attention_heads (%d)", c.HiddenSize, c.NumAttentionHeads)
	case c.PositionEmbeddingType != "absolute" && c.PositionEmbeddingType != "":
		return nil, fmt.Errorf("roberta: position_embedding_type %q is not supported (want absolute)", c.PositionEmbeddingType)
	case c.IsDecoder:
		return nil, fmt.Errorf("roberta: is_decoder is set: only the bidirectional encoder is supported")
	case c.PadTokenID == nil:
		return nil, fmt.Errorf("roberta: pad_token_id is null: RoBERTa's position ids start after it")
	case *c.PadTokenID < 0 || *c.PadTokenID >= c.VocabSize:
		return nil, fmt.Errorf("roberta: pad_token_id (%d) is outside the vocabulary (vocab_size %d)", *c.PadTokenID, c.VocabSize)
	case c.MaxPositionEmbeddings <= *c.PadTokenID+1:
		return nil, fmt.Errorf("roberta: max_position_embeddings (%d) leaves no position after pad_token_id (%d): positions start at pad_token_id + 1",
			c.MaxPositionEmbeddings, *c.PadTokenID)
	case c.LayerNormEps <= 0:
		return nil, fmt.Errorf("roberta: layer_norm_eps (%g) must be positive", c.LayerNormEps)
	}
	if _, ok := activations[c.HiddenAct]; !ok {
		return nil, fmt.Errorf("roberta: hidden_act %q is not supported (want gelu, gelu_new, gelu_pytorch_tanh, relu or silu)", c.HiddenAct)
	}
	switch c.ProblemType {
	case "", "single_label_classification", "multi_label_classification", "regression":
	default:
		return nil, fmt.Errorf("roberta: problem_type %q is not one of single_label_classification, multi_label_classification, regression", c.ProblemType)
	}
	labels, err := c.labels()
	if err != nil {
		return nil, err
	}
	c.Labels = labels
	return c, nil
}

// maxLabels bounds num_labels, so that a corrupt config cannot ask for
// billions of names.
const maxLabels = 1 << 20

// labels orders id2label by id; ids must be 0…n−1. Without id2label the
// classes are LABEL_0…LABEL_{num_labels−1}, num_labels defaulting to 2.
func (c *Config) labels() ([]string, error) {
	if len(c.ID2Label) == 0 {
		n := 2
		if c.NumLabels != nil {
			n = *c.NumLabels
		}
		if n <= 0 || n > maxLabels {
			return nil, fmt.Errorf("roberta: num_labels (%d) must be between 1 and %d", n, maxLabels)
		}
		out := make([]string, n)
		for i := range out {
			out[i] = "LABEL_" + strconv.Itoa(i)
		}
		return out, nil
	}
	ids := make([]int, 0, len(c.ID2Label))
	byID := map[int]string{}
	for k, v := range c.ID2Label {
		id, err := strconv.Atoi(k)
		if err != nil {
			return nil, fmt.Errorf("roberta: id2label key %q is not an integer", k)
		}
		ids = append(ids, id)
		byID[id] = v
	}
	sort.Ints(ids)
	out := make([]string, len(ids))
	for i, id := range ids {
		if id != i {
			return nil, fmt.Errorf("roberta: id2label ids must be 0…%d, got %v", len(ids)-1, ids)
		}
		out[i] = byID[id]
	}
	return out, nil
}

// Pad is pad_token_id, RoBERTa's padding_idx.
func (c *Config) Pad() int { return *c.PadTokenID }

// MaxTokens is the longest sequence the position table holds:
// max_position_embeddings − pad_token_id − 1 (512 for roberta-base's 514),
// since the first real token takes position pad_token_id + 1.
func (c *Config) MaxTokens() int { return c.MaxPositionEmbeddings - c.Pad() - 1 }
