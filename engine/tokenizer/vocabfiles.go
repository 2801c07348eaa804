package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// LoadVocabMerges builds a byte-level BPE tokenizer from the vocab.json and
// merges.txt of transformers' GPT2Tokenizer, RobertaTokenizer or
// CLIPTokenizer, for checkpoints that ship no tokenizer.json (older ones
// such as s-nlp/roberta_toxicity_classifier, and SDXL's tokenizer and
// tokenizer_2 folders). It builds what transformers' converter to the fast
// tokenizer builds: the BPE model, a ByteLevel pre-tokenizer
// (add_prefix_space from tokenizer_config.json, default false) and
// decoder, RoBERTa's special tokens as added tokens (<mask> with lstrip)
// and its RobertaProcessing post-processor (<s> … </s>).
//
// For CLIPTokenizer it is CLIPConverter's layout: BPE with the end-of-word
// suffix "</w>", the NFC, whitespace-run and lowercase normalizer, CLIP's
// word regex before the ByteLevel step, <|startoftext|> … <|endoftext|>.
// The added tokens are tokenizer_config.json's added_tokens_decoder when it
// has one, else the special tokens (normalized unless the file says
// otherwise). A pad_token that is an ordinary vocabulary entry, like the "!"
// (id 0) of SDXL's tokenizer_2, becomes a special added token as in
// transformers: every "!" of a text is then that token.
//
// The class comes from tokenizer_config.json's tokenizer_class, else from
// config.json's model_type ("roberta", "gpt2", "clip", "clip_text_model");
// other classes are errors.
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
	ExtraIDs       *int        `json:"extra_ids"` // T5Tokenizer's
	Legacy         *bool       `json:"legacy"`
	// Decoder is tokenizer_config.json's added_tokens_decoder, by id.
	Decoder map[string]addedDecoder `json:"added_tokens_decoder"`
}

// addedDecoder is one entry of added_tokens_decoder.
type addedDecoder struct {
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// slowToken is a special token given as "text" or as an AddedToken object.
type slowToken struct {
	Content    string
	LStrip     *bool
	Normalized *bool
}

func (s *slowToken) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &s.Content); err == nil {
		return nil
	}
	var o struct {
		Content    string `json:"content"`
		LStrip     *bool  `json:"lstrip"`
		Normalized *bool  `json:"normalized"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return nil // null or an unexpected shape: no token
	}
	s.Content, s.LStrip, s.Normalized = o.Content, o.LStrip, o.Normalized
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
		case "clip", "clip_text_model":
			class = "CLIPTokenizer"
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
	normalized := false // the added tokens' default, CLIP's differs
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
		norm := normalized
		if tok.Normalized != nil {
			norm = *tok.Normalized
		}
		seen[tok.Content] = true
		added = append(added, map[string]any{"id": id, "content": tok.Content, "single_word": false, "lstrip": lstrip,
			"rstrip": false, "normalized": norm, "special": true})
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
	case "CLIPTokenizer":
		bos, eos := def(cfg.BOS, "<|startoftext|>"), def(cfg.EOS, "<|endoftext|>")
		cfg.BOS, cfg.EOS = bos, eos
		cfg.Unk, cfg.Pad = def(cfg.Unk, "<|endoftext|>"), def(cfg.Pad, "<|endoftext|>")
		clipLayout(j, cfg.Unk.Content)
		if len(cfg.Decoder) > 0 {
			var err error
			if added, err = decoderTokens(cfg.Decoder, vocab); err != nil {
				return nil, err
			}
			for _, a := range added {
				seen[a["content"].(string)] = true
			}
		}
		normalized = true // CLIPTokenizer wraps its special tokens in AddedToken(normalized=True)
		for _, s := range []slowToken{bos, eos, cfg.Unk, cfg.Pad} {
			if err := addSpecial(s, false); err != nil {
				return nil, err
			}
		}
		j["post_processor"] = map[string]any{"type": "RobertaProcessing", "sep": []any{eos.Content, vocab[eos.Content]},
			"cls": []any{bos.Content, vocab[bos.Content]}, "trim_offsets": false, "add_prefix_space": false}
	default:
		return nil, fmt.Errorf("no tokenizer.json, and vocab.json with merges.txt is read for GPT2Tokenizer, RobertaTokenizer and CLIPTokenizer only (tokenizer_class %q, model_type %q)",
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

// clipLayout turns the byte-level layout j into CLIPConverter's: BPE with
// "</w>" ending each word and unk as its unknown token, the NFC +
// whitespace-run + lowercase normalizer, CLIP's word regex (Split, the
// matches kept) before the ByteLevel step.
func clipLayout(j map[string]any, unk string) {
	j["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{
		map[string]any{"type": "NFC"},
		map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": `\s+`}, "content": " "},
		map[string]any{"type": "Lowercase"}}}
	j["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`},
			"behavior": "Removed", "invert": true},
		map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}}}
	m := j["model"].(map[string]any)
	m["end_of_word_suffix"] = "</w>"
	m["unk_token"] = unk
}

// decoderTokens lists added_tokens_decoder as tokenizer.json's added_tokens,
// by id; every id must be the vocabulary's id of its content.
func decoderTokens(d map[string]addedDecoder, vocab map[string]int) ([]map[string]any, error) {
	ids := make([]int, 0, len(d))
	byID := map[int]addedDecoder{}
	for k, a := range d {
		id, err := strconv.Atoi(k)
		if err != nil {
			return nil, fmt.Errorf("added_tokens_decoder key %q is not an id", k)
		}
		if v, ok := vocab[a.Content]; !ok || v != id {
			return nil, fmt.Errorf("added_tokens_decoder gives %q id %d, vocab.json does not", a.Content, id)
		}
		ids = append(ids, id)
		byID[id] = a
	}
	sort.Ints(ids)
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		a := byID[id]
		out = append(out, map[string]any{"id": id, "content": a.Content, "single_word": a.SingleWord, "lstrip": a.LStrip,
			"rstrip": a.RStrip, "normalized": a.Normalized, "special": a.Special})
	}
	return out, nil
}
