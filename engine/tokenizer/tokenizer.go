package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Tokenizer encodes text into token ids and decodes ids back into text with
// the semantics of a Hugging Face fast tokenizer loaded from tokenizer.json.
// It is safe for concurrent use.
type Tokenizer struct {
	normalizer normalizer
	pre        preTokenizer
	model      model
	post       postProcessor
	decoder    decoder

	added      []addedToken
	addedByID  map[int]int    // id -> index into added
	addedByTok map[string]int // content -> index into added
	raw        *trie          // added tokens matched before normalization
	normed     *trie          // added tokens matched after normalization

	bos, eos, pad int // -1 when unknown
	cleanup       bool
	// wordEnd, when not empty, is the BPE end-of-word suffix that Decode
	// turns into a space before stripping the text, as transformers'
	// CLIPTokenizerFast does ("</w>").
	wordEnd   string
	vocabSize int
	modelType string
}

// Config holds the tokenizer_config.json (and special_tokens_map.json)
// settings the Tokenizer uses. Fields left zero keep tokenizer.json's behaviour.
type Config struct {
	// BOSToken, EOSToken, PadToken and UnkToken name the special tokens.
	BOSToken, EOSToken, PadToken, UnkToken string
	// AddBOSToken and AddEOSToken, when set, rebuild the single-sequence
	// template as transformers' Llama and Gemma tokenizers do:
	// [BOS] $A [EOS]. Other tokenizer classes ignore them, like transformers.
	AddBOSToken, AddEOSToken *bool
	// CleanUpTokenizationSpaces makes Decode remove the spaces before
	// punctuation and contractions (" ." → ".", " 's" → "'s", ...).
	CleanUpTokenizationSpaces bool
	// TokenizerClass is transformers' class name, e.g. "GemmaTokenizer".
	TokenizerClass string
}

// configJSON mirrors the keys of tokenizer_config.json we read.
type configJSON struct {
	BOSToken                  tokenName `json:"bos_token"`
	EOSToken                  tokenName `json:"eos_token"`
	PadToken                  tokenName `json:"pad_token"`
	UnkToken                  tokenName `json:"unk_token"`
	AddBOSToken               *bool     `json:"add_bos_token"`
	AddEOSToken               *bool     `json:"add_eos_token"`
	CleanUpTokenizationSpaces *bool     `json:"clean_up_tokenization_spaces"`
	TokenizerClass            string    `json:"tokenizer_class"`
}

// tokenName reads a token given as "text" or as {"content": "text", ...}.
type tokenName string

func (t *tokenName) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = tokenName(s)
		return nil
	}
	var o struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return nil // null or an unexpected shape: no token
	}
	*t = tokenName(o.Content)
	return nil
}

// ParseConfig reads a tokenizer_config.json; extra, when not nil, is a
// special_tokens_map.json whose tokens fill the ones config does not name.
func ParseConfig(config, extra []byte) (Config, error) {
	c, err := parseConfig(config, extra)
	if err != nil {
		return c, fmt.Errorf("tokenizer: %w", err)
	}
	return c, nil
}

func parseConfig(config, extra []byte) (Config, error) {
	var c Config
	var j configJSON
	if len(config) > 0 {
		if err := json.Unmarshal(config, &j); err != nil {
			return c, fmt.Errorf("tokenizer_config.json: %w", err)
		}
	}
	if len(extra) > 0 {
		var m configJSON
		if err := json.Unmarshal(extra, &m); err != nil {
			return c, fmt.Errorf("special_tokens_map.json: %w", err)
		}
		fill := func(dst *tokenName, src tokenName) {
			if *dst == "" {
				*dst = src
			}
		}
		fill(&j.BOSToken, m.BOSToken)
		fill(&j.EOSToken, m.EOSToken)
		fill(&j.PadToken, m.PadToken)
		fill(&j.UnkToken, m.UnkToken)
	}
	c.BOSToken, c.EOSToken, c.PadToken, c.UnkToken = string(j.BOSToken), string(j.EOSToken), string(j.PadToken), string(j.UnkToken)
	c.AddBOSToken, c.AddEOSToken = j.AddBOSToken, j.AddEOSToken
	c.CleanUpTokenizationSpaces = j.CleanUpTokenizationSpaces != nil && *j.CleanUpTokenizationSpaces
	c.TokenizerClass = j.TokenizerClass
	return c, nil
}

// Load reads a tokenizer from a tokenizer.json file or from a folder holding
// one, with the tokenizer_config.json and special_tokens_map.json beside it
// when present. A folder without tokenizer.json gives an error wrapping
// fs.ErrNotExist.
func Load(path string) (*Tokenizer, error) {
	file := path
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", path, err)
	} else if st.IsDir() {
		file = filepath.Join(path, "tokenizer.json")
		if _, err := os.Stat(file); err != nil {
			return nil, fmt.Errorf("tokenizer: load %s: no tokenizer.json in the folder (LoadVocabMerges reads vocab.json and merges.txt, LoadSentencePiece T5's spiece.model): %w", path, fs.ErrNotExist)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", path, err)
	}
	dir := filepath.Dir(file)
	config, err := readOptional(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", path, err)
	}
	extra, err := readOptional(filepath.Join(dir, "special_tokens_map.json"))
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", path, err)
	}
	cfg, err := parseConfig(config, extra)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", path, err)
	}
	t, err := parse(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: load %s: %w", file, err)
	}
	return t, nil
}

func readOptional(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Parse builds a tokenizer from the bytes of a tokenizer.json and,
// optionally (nil), of a tokenizer_config.json.
func Parse(data []byte, config []byte) (*Tokenizer, error) {
	cfg, err := parseConfig(config, nil)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return ParseWithConfig(data, cfg)
}

type fileJSON struct {
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         json.RawMessage `json:"model"`
}

// ParseWithConfig builds a tokenizer from the bytes of a tokenizer.json and
// the settings of its tokenizer_config.json.
func ParseWithConfig(data []byte, cfg Config) (*Tokenizer, error) {
	t, err := parse(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return t, nil
}

func parse(data []byte, cfg Config) (*Tokenizer, error) {
	var j fileJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	if isNull(j.Model) {
		return nil, fmt.Errorf("tokenizer.json has no model")
	}
	var mt struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(j.Model, &mt); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if mt.Type == "" && strings.Contains(string(j.Model), `"merges"`) {
		mt.Type = "BPE" // old files leave the type out
	}
	t := &Tokenizer{modelType: mt.Type, bos: -1, eos: -1, pad: -1, cleanup: cfg.CleanUpTokenizationSpaces}
	var suffix string // BPE's end_of_word_suffix
	switch mt.Type {
	case "BPE":
		m, err := newBPE(j.Model)
		if err != nil {
			return nil, err
		}
		t.model, suffix = m, m.suffix
	case "Unigram":
		m, err := newUnigram(j.Model)
		if err != nil {
			return nil, err
		}
		t.model = m
	default:
		return nil, fmt.Errorf("model type %q is not supported (only BPE and Unigram)", mt.Type)
	}
	var err error
	if t.normalizer, err = newNormalizer(j.Normalizer); err != nil {
		return nil, err
	}
	if t.pre, err = newPreTokenizer(j.PreTokenizer); err != nil {
		return nil, err
	}
	if t.post, err = newPostProcessor(j.PostProcessor); err != nil {
		return nil, err
	}
	if t.decoder, err = newDecoder(j.Decoder); err != nil {
		return nil, err
	}
	if err := t.setAdded(j.AddedTokens); err != nil {
		return nil, err
	}
	if err := t.setSpecials(cfg); err != nil {
		return nil, err
	}
	t.wordEnd = clipWordEnd(cfg.TokenizerClass, suffix, t.decoder)
	return t, nil
}

// clipWordEnd returns the suffix CLIPTokenizerFast's decode turns into a
// space: the model's end_of_word_suffix, for the CLIP tokenizer class or,
// without a class, for CLIP's layout (an end-of-word suffix under a
// ByteLevel decoder, which leaves the suffix in the text). Other tokenizers
// decode as their decoder says.
func clipWordEnd(class, suffix string, d decoder) string {
	if suffix == "" {
		return ""
	}
	if strings.TrimSuffix(class, "Fast") == "CLIPTokenizer" {
		return suffix
	}
	if _, byteLevel := d.(byteLevelDecoder); class == "" && byteLevel {
		return suffix
	}
	return ""
}

func (t *Tokenizer) setAdded(added []addedToken) error {
	t.added = added
	t.addedByID = make(map[int]int, len(added))
	t.addedByTok = make(map[string]int, len(added))
	t.raw, t.normed = &trie{}, &trie{}
	t.vocabSize = t.model.size()
	for i, a := range added {
		if a.ID < 0 || a.ID > 1<<30 {
			return fmt.Errorf("added token %q has id %d out of range", a.Content, a.ID)
		}
		if a.Content == "" {
			return fmt.Errorf("added token %d has empty content", a.ID)
		}
		if _, dup := t.addedByID[a.ID]; dup {
			return fmt.Errorf("added tokens repeat id %d (%q)", a.ID, a.Content)
		}
		t.addedByID[a.ID] = i
		t.addedByTok[a.Content] = i
		if _, ok := t.model.idToken(a.ID); !ok {
			t.vocabSize++
		}
		if a.Normalized && t.normalizer != nil {
			t.normed.add(t.normalizer.normalize(a.Content), i)
		} else if a.Normalized {
			t.normed.add(a.Content, i)
		} else {
			t.raw.add(a.Content, i)
		}
	}
	return nil
}

// setSpecials resolves BOS, EOS and pad, and applies add_bos_token and
// add_eos_token for the tokenizer classes of transformers that honour them.
func (t *Tokenizer) setSpecials(cfg Config) error {
	resolve := func(name, what string) (int, error) {
		if name == "" {
			return -1, nil
		}
		id, ok := t.TokenToID(name)
		if !ok {
			return -1, fmt.Errorf("%s %q is not in the vocabulary", what, name)
		}
		return id, nil
	}
	var err error
	if t.bos, err = resolve(cfg.BOSToken, "bos_token"); err != nil {
		return err
	}
	if t.eos, err = resolve(cfg.EOSToken, "eos_token"); err != nil {
		return err
	}
	if t.pad, err = resolve(cfg.PadToken, "pad_token"); err != nil {
		return err
	}
	// Without a config, fall back on the template's leading special token
	// for BOS and on the well-known names, as transformers' classes default them.
	if t.bos < 0 {
		if tp, ok := t.post.(template); ok && len(tp) > 1 && tp[0] != nil && len(tp[0]) == 1 {
			t.bos = tp[0][0]
		}
	}
	for _, name := range []string{"<|begin_of_text|>", "<bos>", "<s>", "<|endoftext|>"} {
		if t.bos >= 0 {
			break
		}
		if i, ok := t.addedByTok[name]; ok && t.added[i].Special {
			t.bos = t.added[i].ID
		}
	}
	for _, name := range []string{"<|end_of_text|>", "<eos>", "</s>", "<|endoftext|>"} {
		if t.eos >= 0 {
			break
		}
		if i, ok := t.addedByTok[name]; ok && t.added[i].Special {
			t.eos = t.added[i].ID
		}
	}
	switch strings.TrimSuffix(cfg.TokenizerClass, "Fast") {
	case "LlamaTokenizer", "CodeLlamaTokenizer", "GemmaTokenizer":
		addBOS, addEOS := true, false
		if cfg.AddBOSToken != nil {
			addBOS = *cfg.AddBOSToken
		}
		if cfg.AddEOSToken != nil {
			addEOS = *cfg.AddEOSToken
		}
		var tp template
		if addBOS && t.bos >= 0 {
			tp = append(tp, []int{t.bos})
		}
		tp = append(tp, nil)
		if addEOS && t.eos >= 0 {
			tp = append(tp, []int{t.eos})
		}
		t.post = tp
	}
	return nil
}

// model encodes one pre-tokenized word into ids: BPE or Unigram.
type model interface {
	tokenize(word string, dst []int) []int
	idToken(id int) (string, bool)
	tokenID(tok string) (int, bool)
	// size is the vocabulary's size as Hugging Face counts it.
	size() int
}

func (m *bpe) tokenID(tok string) (int, bool) {
	id, ok := m.vocab[tok]
	return id, ok
}

func (m *bpe) size() int { return len(m.vocab) }

func (m *bpe) idToken(id int) (string, bool) {
	if m.sparse != nil {
		tok, ok := m.sparse[id]
		return tok, ok
	}
	if id < 0 || id >= len(m.tokens) || m.tokens[id] == "" {
		return "", false
	}
	return m.tokens[id], true
}

// Encode returns the ids of text. With addSpecial it adds the special
// tokens of the post-processor template (BOS, ...), like transformers'
// tokenizer(text)["input_ids"]; without, it equals
// tokenizer(text, add_special_tokens=False). Invalid UTF-8 in text reads as U+FFFD.
func (t *Tokenizer) Encode(text string, addSpecial bool) []int {
	text = strings.ToValidUTF8(text, "\uFFFD")
	var ids []int
	for _, seg := range splitAdded(text, true, t.raw, t.added) {
		if seg.token >= 0 {
			ids = append(ids, t.added[seg.token].ID)
			continue
		}
		s := seg.text
		if t.normalizer != nil {
			s = t.normalizer.normalize(s)
		}
		for _, sub := range splitAdded(s, seg.atStart, t.normed, t.added) {
			if sub.token >= 0 {
				ids = append(ids, t.added[sub.token].ID)
				continue
			}
			words := []string{sub.text}
			if t.pre != nil {
				words = t.pre.preTokenize(sub.text, sub.atStart)
			}
			for _, w := range words {
				ids = t.model.tokenize(w, ids)
			}
		}
	}
	if addSpecial && t.post != nil {
		ids = t.post.process(ids)
	}
	if ids == nil {
		ids = []int{}
	}
	return ids
}

// Decode returns the text of ids like transformers' tokenizer.decode(ids,
// skip_special_tokens=skipSpecial): the decoder's output, cleaned up when
// clean_up_tokenization_spaces is set. Unknown ids are left out.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	tokens := make([]string, 0, len(ids))
	for _, id := range ids {
		tok, ok := t.IDToToken(id)
		if !ok || skipSpecial && t.Special(id) {
			continue
		}
		tokens = append(tokens, tok)
	}
	var s string
	if t.decoder != nil {
		s = strings.Join(t.decoder.decodeChain(tokens), "")
	} else {
		s = strings.Join(tokens, " ")
	}
	if t.wordEnd != "" {
		s = pyStrip(strings.ReplaceAll(s, t.wordEnd, " "), nil, true, true)
	}
	if t.cleanup {
		s = cleanUp(s)
	}
	return s
}

// cleanUp is transformers' clean_up_tokenization.
func cleanUp(s string) string {
	// The replacements apply one after another in transformers; applying
	// them in sequence keeps overlapping cases (" ' s") identical.
	for _, p := range [][2]string{{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
		{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// VocabSize returns the number of distinct ids: the model's vocabulary and
// the added tokens outside it, like len(tokenizer) in transformers.
func (t *Tokenizer) VocabSize() int { return t.vocabSize }

// TokenToID returns the id of a token (an added token or a vocabulary entry).
func (t *Tokenizer) TokenToID(tok string) (int, bool) {
	if i, ok := t.addedByTok[tok]; ok {
		return t.added[i].ID, true
	}
	return t.model.tokenID(tok)
}

// IDToToken returns the token of an id.
func (t *Tokenizer) IDToToken(id int) (string, bool) {
	if i, ok := t.addedByID[id]; ok {
		return t.added[i].Content, true
	}
	return t.model.idToken(id)
}

// BOS returns the beginning-of-sequence id, from the config or else the
// template's leading special token or a well-known name.
func (t *Tokenizer) BOS() (int, bool) { return t.bos, t.bos >= 0 }

// EOS returns the end-of-sequence id, from the config or else a well-known name.
func (t *Tokenizer) EOS() (int, bool) { return t.eos, t.eos >= 0 }

// Pad returns the padding id named by the config.
func (t *Tokenizer) Pad() (int, bool) { return t.pad, t.pad >= 0 }

// Special reports whether id is an added token marked special, the tokens
// Decode skips with skipSpecial.
func (t *Tokenizer) Special(id int) bool {
	i, ok := t.addedByID[id]
	return ok && t.added[i].Special
}

// AddsSpecial returns the ids Encode puts before and after the text when
// asked for special tokens.
func (t *Tokenizer) AddsSpecial() (before, after []int) {
	if t.post == nil {
		return nil, nil
	}
	marker := -1
	ids := t.post.process([]int{marker})
	for i, id := range ids {
		if id == marker {
			return ids[:i:i], ids[i+1:]
		}
	}
	return nil, nil
}

// String summarizes the tokenizer: model type, vocabulary size, special tokens.
func (t *Tokenizer) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s tokenizer, %d tokens", t.modelType, t.vocabSize)
	for _, s := range []struct {
		name string
		id   int
	}{{"bos", t.bos}, {"eos", t.eos}, {"pad", t.pad}} {
		if s.id >= 0 {
			tok, _ := t.IDToToken(s.id)
			fmt.Fprintf(&b, ", %s %q (%d)", s.name, tok, s.id)
		}
	}
	return b.String()
}
