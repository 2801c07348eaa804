package bpe

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ParseTokenizerJSON reads back a tokenizer.json of the kind
// [Tokenizer.TokenizerJSON] writes: a BPE model whose vocab ids run from 0
// without gaps, merges as "left right" strings or [left, right] pairs, and
// special tokens among the added tokens, all at the end of the vocabulary.
// It checks that every merge's parts and result are in the vocabulary.
func ParseTokenizerJSON(data []byte) (*Tokenizer, error) {
	var j struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		Model struct {
			Type   string            `json:"type"`
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("bpe: parse tokenizer.json: %w", err)
	}
	if j.Model.Type != "BPE" {
		return nil, fmt.Errorf("bpe: model type %q, want BPE", j.Model.Type)
	}
	t := &Tokenizer{Vocab: make([]string, len(j.Model.Vocab))}
	seen := make([]bool, len(t.Vocab))
	for s, id := range j.Model.Vocab {
		if id < 0 || id >= len(t.Vocab) || seen[id] {
			return nil, fmt.Errorf("bpe: vocab id %d of %q: ids must be 0..%d, each once", id, s, len(t.Vocab)-1)
		}
		seen[id] = true
		t.Vocab[id] = s
	}
	for k, a := range j.AddedTokens {
		if !a.Special {
			continue
		}
		if want := len(t.Vocab) - len(j.AddedTokens) + k; want < 0 || a.ID != want || t.Vocab[a.ID] != a.Content {
			return nil, fmt.Errorf("bpe: special token %q has id %d, want it in the vocab at %d", a.Content, a.ID, want)
		}
		t.Special = append(t.Special, a.Content)
	}
	for i, raw := range j.Model.Merges {
		var m [2]string
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			l, r, ok := strings.Cut(s, " ")
			if !ok {
				return nil, fmt.Errorf("bpe: merge %d %q: want \"left right\"", i, s)
			}
			m = [2]string{l, r}
		} else if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("bpe: merge %d: %s is neither \"left right\" nor [left, right]", i, raw)
		}
		for _, p := range []string{m[0], m[1], m[0] + m[1]} {
			if _, ok := j.Model.Vocab[p]; !ok {
				return nil, fmt.Errorf("bpe: merge %d (%q %q): %q is not in the vocab", i, m[0], m[1], p)
			}
		}
		t.Merges = append(t.Merges, m)
	}
	t.index()
	return t, nil
}
