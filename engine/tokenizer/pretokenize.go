package tokenizer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// preTokenizer cuts a normalized text into the words the model encodes one
// by one. atStart tells whether s begins the original input (Metaspace's
// prepend_scheme "first" needs it).
type preTokenizer interface {
	preTokenize(s string, atStart bool) []string
}

type preTokenizerSeq []preTokenizer

func (q preTokenizerSeq) preTokenize(s string, atStart bool) []string {
	pieces := []string{s}
	for _, p := range q {
		var next []string
		for i, x := range pieces {
			next = append(next, p.preTokenize(x, atStart && i == 0)...)
		}
		pieces = next
	}
	return pieces
}

// matcher finds the next match in s at or after byte offset from, returning
// its bounds or (-1, -1).
type matcher interface {
	find(s string, from int) (int, int)
}

// scanner is a hand-written pattern whose every position starts a match
// (GPT-2's and Llama 3's regexes, which Go's regexp cannot express).
type scanner func(s string, i int) int

func (f scanner) find(s string, from int) (int, int) {
	if from >= len(s) {
		return -1, -1
	}
	return from, f(s, from)
}

type literal string

func (l literal) find(s string, from int) (int, int) {
	if l == "" {
		return -1, -1
	}
	k := strings.Index(s[from:], string(l))
	if k < 0 {
		return -1, -1
	}
	return from + k, from + k + len(l)
}

type regexMatcher struct{ re *regexp.Regexp }

func (r regexMatcher) find(s string, from int) (int, int) {
	loc := r.re.FindStringIndex(s[from:])
	if loc == nil {
		return -1, -1
	}
	return from + loc[0], from + loc[1]
}

// runeClass matches every single rune for which f holds.
type runeClass func(rune) bool

func (f runeClass) find(s string, from int) (int, int) {
	for i, r := range s[from:] {
		if f(r) {
			return from + i, from + i + utf8.RuneLen(r)
		}
	}
	return -1, -1
}

// newMatcher returns the matcher of a Split pattern, recognizing the
// well-known regexes that need look-ahead.
func newMatcher(p pattern) (matcher, error) {
	switch {
	case p.String != nil:
		return literal(*p.String), nil
	case p.Regex == nil:
		return nil, fmt.Errorf("pattern needs String or Regex")
	}
	switch *p.Regex {
	case gpt2Pattern:
		return scanner(gpt2Split), nil
	case llama3Pattern:
		return scanner(func(s string, i int) int { return llama3Split(s, i, 3) }), nil
	case qwen2Pattern:
		return scanner(func(s string, i int) int { return llama3Split(s, i, 1) }), nil
	}
	re, err := compileRegex(*p.Regex)
	if err != nil {
		return nil, err
	}
	return regexMatcher{re}, nil
}

// behavior says what Split does with the matches.
type behavior int

const (
	removed behavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

var behaviors = map[string]behavior{
	"Removed": removed, "Isolated": isolated, "MergedWithPrevious": mergedWithPrevious,
	"MergedWithNext": mergedWithNext, "Contiguous": contiguous,
}

type split struct {
	m        matcher
	behavior behavior
	invert   bool
}

type part struct {
	start, end int
	match      bool
}

func (sp split) preTokenize(s string, _ bool) []string {
	var parts []part
	prev := 0
	for from := 0; from <= len(s); {
		a, b := sp.m.find(s, from)
		if a < 0 {
			break
		}
		if b == a { // empty matches split nothing; step over one rune
			_, n := utf8.DecodeRuneInString(s[a:])
			from = a + max(n, 1)
			continue
		}
		if a > prev {
			parts = append(parts, part{prev, a, false})
		}
		parts = append(parts, part{a, b, true})
		prev, from = b, b
	}
	if prev < len(s) {
		parts = append(parts, part{prev, len(s), false})
	}
	if sp.invert {
		for i := range parts {
			parts[i].match = !parts[i].match
		}
	}
	var out []part
	switch sp.behavior {
	case removed:
		for _, p := range parts {
			if !p.match {
				out = append(out, p)
			}
		}
	case isolated:
		out = parts
	case mergedWithPrevious:
		prevMatch := false
		for _, p := range parts {
			if p.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].end = p.end
			} else {
				out = append(out, p)
			}
			prevMatch = p.match
		}
	case mergedWithNext:
		prevMatch := false
		for i := len(parts) - 1; i >= 0; i-- {
			p := parts[i]
			if p.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].start = p.start
			} else {
				out = append(out, p)
			}
			prevMatch = p.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	case contiguous:
		prevMatch := false
		for _, p := range parts {
			if p.match && prevMatch && len(out) > 0 {
				out[len(out)-1].end = p.end
			} else {
				out = append(out, p)
			}
			prevMatch = p.match
		}
	}
	words := make([]string, 0, len(out))
	for _, p := range out {
		if p.end > p.start {
			words = append(words, s[p.start:p.end])
		}
	}
	return words
}

// byteLevel maps bytes to GPT-2's printable runes, after splitting with
// GPT-2's regex when useRegex is set and adding a space in front when
// addPrefixSpace is set and the text does not start with one.
type byteLevel struct {
	addPrefixSpace, useRegex bool
}

func (b byteLevel) preTokenize(s string, _ bool) []string {
	if b.addPrefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	words := []string{s}
	if b.useRegex {
		words = split{m: scanner(gpt2Split), behavior: isolated}.preTokenize(s, false)
	}
	for i, w := range words {
		words[i] = byteLevelString(w)
	}
	return words
}

// metaspace replaces spaces with its replacement rune (▁), prepends one
// following prepend_scheme, and splits in front of each when split is set.
type metaspace struct {
	replacement string
	scheme      string // "always", "first" or "never"
	split       bool
}

func (m metaspace) preTokenize(s string, atStart bool) []string {
	s = strings.ReplaceAll(s, " ", m.replacement)
	if !strings.HasPrefix(s, m.replacement) && (m.scheme == "always" || m.scheme == "first" && atStart) {
		s = m.replacement + s
	}
	if !m.split {
		return []string{s}
	}
	return split{m: literal(m.replacement), behavior: mergedWithNext}.preTokenize(s, atStart)
}

func newPreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var j struct {
		Type             string            `json:"type"`
		PreTokenizers    []json.RawMessage `json:"pretokenizers"`
		Pattern          pattern           `json:"pattern"`
		Behavior         string            `json:"behavior"`
		Invert           bool              `json:"invert"`
		AddPrefixSpace   *bool             `json:"add_prefix_space"`
		UseRegex         *bool             `json:"use_regex"`
		Replacement      string            `json:"replacement"`
		PrependScheme    string            `json:"prepend_scheme"`
		Split            *bool             `json:"split"`
		IndividualDigits bool              `json:"individual_digits"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	switch j.Type {
	case "Sequence":
		var q preTokenizerSeq
		for _, r := range j.PreTokenizers {
			p, err := newPreTokenizer(r)
			if err != nil {
				return nil, err
			}
			if p != nil {
				q = append(q, p)
			}
		}
		return q, nil
	case "ByteLevel":
		b := byteLevel{addPrefixSpace: true, useRegex: true}
		if j.AddPrefixSpace != nil {
			b.addPrefixSpace = *j.AddPrefixSpace
		}
		if j.UseRegex != nil {
			b.useRegex = *j.UseRegex
		}
		return b, nil
	case "Split":
		m, err := newMatcher(j.Pattern)
		if err != nil {
			return nil, fmt.Errorf("pre_tokenizer Split: %w", err)
		}
		bh, ok := behaviors[j.Behavior]
		if !ok {
			return nil, fmt.Errorf("pre_tokenizer Split: behavior %q is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous", j.Behavior)
		}
		return split{m: m, behavior: bh, invert: j.Invert}, nil
	case "Metaspace":
		m := metaspace{replacement: j.Replacement, scheme: j.PrependScheme, split: true}
		if m.replacement == "" {
			m.replacement = "▁"
		}
		if j.Split != nil {
			m.split = *j.Split
		}
		if m.scheme == "" { // files older than prepend_scheme use add_prefix_space
			m.scheme = "always"
			if j.AddPrefixSpace != nil && !*j.AddPrefixSpace {
				m.scheme = "never"
			}
		}
		if m.scheme != "always" && m.scheme != "first" && m.scheme != "never" {
			return nil, fmt.Errorf("pre_tokenizer Metaspace: prepend_scheme %q is not always, first or never", m.scheme)
		}
		return m, nil
	case "Digits":
		if j.IndividualDigits {
			return split{m: runeClass(isNumber), behavior: isolated}, nil
		}
		return split{m: runeClass(isNumber), behavior: contiguous}, nil
	case "WhitespaceSplit":
		return split{m: runeClass(isSpace), behavior: removed}, nil
	}
	return nil, fmt.Errorf("pre_tokenizer type %q is not supported", j.Type)
}
