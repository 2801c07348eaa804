package tokenizer

import (
	"encoding/json"
	"fmt"
)

// postProcessor adds the special tokens around an encoded text (when Encode
// is asked for them); Hugging Face's ByteLevel processor only trims offsets
// and so is absent here.
type postProcessor interface {
	process(ids []int) []int
}

type postSeq []postProcessor

func (q postSeq) process(ids []int) []int {
	for _, p := range q {
		ids = p.process(ids)
	}
	return ids
}

// template is TemplateProcessing's single-sequence template: runs of
// special-token ids with a nil entry where the text goes.
type template [][]int

func (t template) process(ids []int) []int {
	var out []int
	for _, part := range t {
		if part == nil {
			out = append(out, ids...)
		} else {
			out = append(out, part...)
		}
	}
	return out
}

func newPostProcessor(raw json.RawMessage) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	var j struct {
		Type       string            `json:"type"`
		Processors []json.RawMessage `json:"processors"`
		Single     []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID string `json:"id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int `json:"ids"`
		} `json:"special_tokens"`
		Cls []json.RawMessage `json:"cls"`
		Sep []json.RawMessage `json:"sep"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("post_processor: %w", err)
	}
	switch j.Type {
	case "Sequence":
		var q postSeq
		for _, r := range j.Processors {
			p, err := newPostProcessor(r)
			if err != nil {
				return nil, err
			}
			if p != nil {
				q = append(q, p)
			}
		}
		return q, nil
	case "ByteLevel":
		return nil, nil
	case "TemplateProcessing":
		var t template
		for _, it := range j.Single {
			switch {
			case it.SpecialToken != nil:
				st, ok := j.SpecialTokens[it.SpecialToken.ID]
				if !ok {
					return nil, fmt.Errorf("post_processor TemplateProcessing: special token %q has no entry in special_tokens", it.SpecialToken.ID)
				}
				t = append(t, append([]int{}, st.IDs...))
			case it.Sequence != nil:
				t = append(t, nil)
			default:
				return nil, fmt.Errorf("post_processor TemplateProcessing: single item is neither SpecialToken nor Sequence")
			}
		}
		return t, nil
	case "BertProcessing", "RobertaProcessing":
		cls, err := pairID(j.Cls)
		if err != nil {
			return nil, fmt.Errorf("post_processor %s: cls: %w", j.Type, err)
		}
		sep, err := pairID(j.Sep)
		if err != nil {
			return nil, fmt.Errorf("post_processor %s: sep: %w", j.Type, err)
		}
		return template{{cls}, nil, {sep}}, nil
	}
	return nil, fmt.Errorf("post_processor type %q is not supported", j.Type)
}

// pairID reads the id of a ["token", id] pair.
func pairID(p []json.RawMessage) (int, error) {
	var id int
	if len(p) != 2 {
		return 0, fmt.Errorf("want [token, id], got %d items", len(p))
	}
	if err := json.Unmarshal(p[1], &id); err != nil {
		return 0, err
	}
	return id, nil
}
