package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LoadVocabMerges builds a byte-level BPE tokenizer from the vocab.json and
// merges.txt of transformers' GPT2Tokenizer or RobertaTokenizer, for
// checkpoints that ship no tokenizer.json (older ones such as
// s-nlp/roberta_toxicity_classifier may not). It builds what transformers'
// converter to the fast tokenizer builds: the BPE model, a ByteLevel
// pre-tokenizer (add_prefix_space from tokenizer_config.json, default
// false) and decoder, RoBERTa's special tokens as added tokens (<mask>
// with lstrip) and its RobertaProcessing post-processor (<s> … </s>).
//
// The class comes from tokenizer_config.json's tokenizer_class, else from
// config.json's model_type ("roberta", "gpt2"); other classes are errors.
func LoadVocabMerges(dir string) (*Tokenizer, error) {
	t, err := loadVocabMerges(dir)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", dir, err)
	}
	return t, nil
}

// slowConfig is the part of tokenizer_config.json (or
// special_tokens_map.json) the conversion reads.
type slowConfig struct {
	TokenizerClass string      `json:"tokenizer_class"`
	AddPrefixSpace *bool       `json:"add_prefix_space"`
	BOS            slowToken   `json:"bos_token"`
	EOS            slowToken   `json:"eos_token"`
	Sep            slowToken   `json:"sep_token"`
	Cls            slowToken   `json:"cls_token"`
	Unk            slowToken   `json:"unk_token"`
	Pad            slowToken   `json:"pad_token"`
	Mask           slowToken   `json:"mask_token"`
	Cleanup        *bool       `json:"clean_up_tokenization_spaces"`
	ModelType      string      `json:"model_type"` // config.json's
	Extra          []slowToken `json:"additional_special_tokens"`
}

// slowToken is a special token given as "text" or as an AddedToken object.
type slowToken struct {
	Content string
	LStrip  *bool
}

func (s *slowToken) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &s.Content); err == nil {
		return nil
	}
	var o struct {
		Content string `json:"content"`
		LStrip  *bool  `json:"lstrip"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return nil // null or an unexpected shape: no token
	}
	s.Content, s.LStrip = o.Content, o.LStrip
	return nil
}

func loadVocabMerges(dir string) (*Tokenizer, error) {
	vocabBytes, err := os.ReadFile(filepath.Join(dir, "vocab.json"))
	if err != nil {
		return nil, err
	}
	mergesBytes, err := os.ReadFile(filepath.Join(dir, "merges.txt"))
	if err != nil {
		return nil, err
	}
	var cfg slowConfig
	for _, f := range []string{"config.json", "special_tokens_map.json", "tokenizer_config.json"} {
		b, err := readOptional(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		if len(b) > 0 {
			// Later files override earlier ones, key by key.
			if err := json.Unmarshal(b, &cfg); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
		}
	}
	class := strings.TrimSuffix(cfg.TokenizerClass, "Fast")
	if class == "" {
		switch cfg.ModelType {
		case "roberta":
			class = "RobertaTokenizer"
		case "gpt2":
			class = "GPT2Tokenizer"
		}
	}
	var vocab map[string]int
	if err := json.Unmarshal(vocabBytes, &vocab); err != nil {
		return nil, fmt.Errorf("vocab.json: %w", err)
	}
	var merges []string
	for i, line := range strings.Split(strings.ReplaceAll(string(mergesBytes), "\r\n", "\n"), "\n") {
		if line == "" || i == 0 && strings.HasPrefix(line, "#version") {
			continue
		}
		if len(strings.Fields(line)) != 2 {
			return nil, fmt.Errorf("merges.txt line %d: %q is not a pair", i+1, line)
		}
		merges = append(merges, line)
	}
	prefix := cfg.AddPrefixSpace != nil && *cfg.AddPrefixSpace
	j := map[string]any{
		"version":       "1.0",
		"normalizer":    nil,
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": true, "use_regex": true},
		"decoder":       map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": "",
			"end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "vocab": vocab, "merges": merges},
	}
	var added []map[string]any
	seen := map[string]bool{}
	addSpecial := func(tok slowToken, lstrip bool) error {
		if tok.Content == "" || seen[tok.Content] {
			return nil
		}
		id, ok := vocab[tok.Content]
		if !ok {
			return fmt.Errorf("special token %q is not in vocab.json", tok.Content)
		}
		if tok.LStrip != nil {
			lstrip = *tok.LStrip
		}
		seen[tok.Content] = true
		added = append(added, map[string]any{"id": id, "content": tok.Content, "single_word": false, "lstrip": lstrip,
			"rstrip": false, "normalized": false, "special": true})
		return nil
	}
	def := func(t slowToken, name string) slowToken {
		if t.Content == "" {
			t.Content = name
		}
		return t
	}
	switch class {
	case "RobertaTokenizer":
		// RobertaTokenizer's defaults; the mask token strips the space
		// before it.
		bos, eos, sep, cls := def(cfg.BOS, "<s>"), def(cfg.EOS, "</s>"), def(cfg.Sep, "</s>"), def(cfg.Cls, "<s>")
		for _, s := range []slowToken{bos, eos, sep, cls, def(cfg.Unk, "<unk>"), def(cfg.Pad, "<pad>")} {
			if err := addSpecial(s, false); err != nil {
				return nil, err
			}
		}
		if err := addSpecial(def(cfg.Mask, "<mask>"), true); err != nil {
			return nil, err
		}
		sepID, clsID := vocab[sep.Content], vocab[cls.Content]
		j["post_processor"] = map[string]any{"type": "RobertaProcessing", "sep": []any{sep.Content, sepID},
			"cls": []any{cls.Content, clsID}, "trim_offsets": true, "add_prefix_space": prefix}
	case "GPT2Tokenizer":
		for _, s := range []slowToken{def(cfg.BOS, "<|endoftext|>"), def(cfg.EOS, "<|endoftext|>"), cfg.Unk, cfg.Pad} {
			if err := addSpecial(s, false); err != nil {
				return nil, err
			}
		}
		j["post_processor"] = map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}
	default:
		return nil, fmt.Errorf("no tokenizer.json, and vocab.json with merges.txt is read for GPT2Tokenizer and RobertaTokenizer only (tokenizer_class %q, model_type %q)",
			cfg.TokenizerClass, cfg.ModelType)
	}
	for _, s := range cfg.Extra {
		if err := addSpecial(s, false); err != nil {
			return nil, err
		}
	}
	j["added_tokens"] = added
	data, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	c := Config{BOSToken: cfg.BOS.Content, EOSToken: cfg.EOS.Content, PadToken: cfg.Pad.Content,
		UnkToken: cfg.Unk.Content, TokenizerClass: cfg.TokenizerClass}
	if class == "RobertaTokenizer" {
		c.BOSToken, c.EOSToken = def(cfg.BOS, "<s>").Content, def(cfg.EOS, "</s>").Content
		c.PadToken, c.UnkToken = def(cfg.Pad, "<pad>").Content, def(cfg.Unk, "<unk>").Content
	}
	c.CleanUpTokenizationSpaces = cfg.Cleanup != nil && *cfg.Cleanup
	return parse(data, c)
}
