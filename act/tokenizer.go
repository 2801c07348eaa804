package act

import (
	"fmt"

	"github.com/actsh/actsh/engine/tokenizer"
)

// Tokenizer is a Hugging Face tokenizer loaded from tokenizer.json, for
// scripts: its methods take and return plain values and panic with an
// [*Error] on bad input.
type Tokenizer struct {
	t    *tokenizer.Tokenizer
	path string
}

// LoadTokenizer loads a tokenizer.json file, or the one in a folder with the
// tokenizer_config.json beside it. It panics with an [*Error] when the file
// is missing or not a supported tokenizer.
func LoadTokenizer(path string) *Tokenizer {
	t, err := tokenizer.Load(path)
	must(err)
	return &Tokenizer{t: t, path: path}
}

// NewTokenizer wraps an engine tokenizer for scripts.
func NewTokenizer(t *tokenizer.Tokenizer) *Tokenizer {
	if t == nil {
		fail("NewTokenizer: nil tokenizer")
	}
	return &Tokenizer{t: t}
}

// Encode returns the ids of text with the tokenizer's special tokens (BOS,
// ...), as Hugging Face's tokenizer(text)["input_ids"].
func (t *Tokenizer) Encode(text string) []int { return t.t.Encode(text, true) }

// EncodePlain returns the ids of text without special tokens, as
// tokenizer(text, add_special_tokens=False)["input_ids"].
func (t *Tokenizer) EncodePlain(text string) []int { return t.t.Encode(text, false) }

// Decode returns the text of ids, special tokens included, as Hugging Face's
// tokenizer.decode(ids).
func (t *Tokenizer) Decode(ids []int) string { return t.t.Decode(ids, false) }

// DecodeSkip returns the text of ids without the special tokens, as
// tokenizer.decode(ids, skip_special_tokens=True).
func (t *Tokenizer) DecodeSkip(ids []int) string { return t.t.Decode(ids, true) }

// Tokens returns the token string of every id, for inspection; it panics on
// an id outside the vocabulary.
func (t *Tokenizer) Tokens(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		tok, ok := t.t.IDToToken(id)
		if !ok {
			fail("Tokens: id %d is not in the vocabulary of %d tokens", id, t.t.VocabSize())
		}
		out[i] = tok
	}
	return out
}

// VocabSize returns the number of ids the tokenizer knows, added tokens included.
func (t *Tokenizer) VocabSize() int { return t.t.VocabSize() }

// Raw returns the engine tokenizer underneath.
func (t *Tokenizer) Raw() *tokenizer.Tokenizer { return t.t }

// String summarizes the tokenizer: type, vocabulary size, special tokens.
func (t *Tokenizer) String() string {
	if t.path == "" {
		return t.t.String()
	}
	return fmt.Sprintf("%s (%s)", t.t.String(), t.path)
}
