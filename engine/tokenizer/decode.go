package tokenizer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decoder turns tokens back into text pieces, which Decode joins.
type decoder interface {
	decodeChain(tokens []string) []string
}

type decoderSeq []decoder

func (q decoderSeq) decodeChain(t []string) []string {
	for _, d := range q {
		t = d.decodeChain(t)
	}
	return t
}

// byteLevelDecoder maps byte-level runes back to bytes (a token with other
// runes keeps its own bytes) and decodes the whole as lossy UTF-8.
type byteLevelDecoder struct{}

func (byteLevelDecoder) decodeChain(tokens []string) []string {
	var buf []byte
	for _, t := range tokens {
		start := len(buf)
		for _, r := range t {
			b, ok := runeToByte[r]
			if !ok {
				buf = append(buf[:start], t...)
				break
			}
			buf = append(buf, b)
		}
	}
	return []string{lossyUTF8(buf)}
}

// lossyUTF8 decodes b, replacing each maximal ill-formed subsequence with
// U+FFFD as Rust's String::from_utf8_lossy and the WHATWG decoder do
// (Go's own conversion would emit one U+FFFD per bad byte).
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			sb.Write(b[i : i+n])
			i += n
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += badPrefix(b[i:])
	}
	return sb.String()
}

// badPrefix returns the length of the maximal prefix of b (which starts an
// invalid sequence) that could begin a valid UTF-8 sequence, at least 1.
func badPrefix(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c >= 0xE0 && c <= 0xEF:
		need = 2
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
	case c >= 0xF0 && c <= 0xF4:
		need = 3
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}

// replaceDecoder rewrites a literal in every token.
type replaceDecoder struct{ from, to string }

func (r replaceDecoder) decodeChain(t []string) []string {
	out := make([]string, len(t))
	for i, s := range t {
		out[i] = strings.ReplaceAll(s, r.from, r.to)
	}
	return out
}

// byteFallbackDecoder turns runs of <0xXX> tokens into the text of their
// bytes, or one U+FFFD per byte when they are not valid UTF-8.
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decodeChain(t []string) []string {
	var out []string
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			out = append(out, strings.Repeat("\uFFFD", len(pending)))
		}
		pending = pending[:0]
	}
	for _, s := range t {
		if len(s) == 6 && strings.HasPrefix(s, "<0x") && s[5] == '>' {
			if b, err := strconv.ParseUint(s[3:5], 16, 8); err == nil {
				pending = append(pending, byte(b))
				continue
			}
		}
		flush()
		out = append(out, s)
	}
	flush()
	return out
}

type fuseDecoder struct{}

func (fuseDecoder) decodeChain(t []string) []string { return []string{strings.Join(t, "")} }

// stripDecoder removes up to start leading and stop trailing copies of
// content (one rune) from every token.
type stripDecoder struct {
	content     rune
	start, stop int
}

func (d stripDecoder) decodeChain(t []string) []string {
	out := make([]string, len(t))
	for i, s := range t {
		r := []rune(s)
		a, b := 0, len(r)
		for a < d.start && a < b && r[a] == d.content {
			a++
		}
		for k := 0; k < d.stop && b > a && r[b-1] == d.content; k++ {
			b--
		}
		out[i] = string(r[a:b])
	}
	return out
}

// metaspaceDecoder turns ▁ back into spaces. Unless the prepend scheme is
// "never", the first token loses every ▁ instead, as in Hugging Face
// tokenizers (not only the one the pre-tokenizer added).
type metaspaceDecoder struct {
	replacement string
	prepend     bool
}

func (d metaspaceDecoder) decodeChain(t []string) []string {
	out := make([]string, len(t))
	for i, s := range t {
		rep := " "
		if i == 0 && d.prepend {
			rep = ""
		}
		out[i] = strings.ReplaceAll(s, d.replacement, rep)
	}
	return out
}

// bpeSuffixDecoder replaces the end-of-word suffix with a space (nothing on the last token).
type bpeSuffixDecoder struct{ suffix string }

func (d bpeSuffixDecoder) decodeChain(t []string) []string {
	out := make([]string, len(t))
	for i, s := range t {
		rep := " "
		if i == len(t)-1 {
			rep = ""
		}
		out[i] = strings.ReplaceAll(s, d.suffix, rep)
	}
	return out
}

func newDecoder(raw json.RawMessage) (decoder, error) {
	if isNull(raw) {
		return nil, nil
	}
	var j struct {
		Type           string            `json:"type"`
		Decoders       []json.RawMessage `json:"decoders"`
		Pattern        pattern           `json:"pattern"`
		Content        string            `json:"content"`
		Start          int               `json:"start"`
		Stop           int               `json:"stop"`
		Replacement    string            `json:"replacement"`
		PrependScheme  string            `json:"prepend_scheme"`
		AddPrefixSpace *bool             `json:"add_prefix_space"`
		Suffix         string            `json:"suffix"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	switch j.Type {
	case "Sequence":
		var q decoderSeq
		for _, r := range j.Decoders {
			d, err := newDecoder(r)
			if err != nil {
				return nil, err
			}
			if d != nil {
				q = append(q, d)
			}
		}
		return q, nil
	case "ByteLevel":
		return byteLevelDecoder{}, nil
	case "Replace":
		if j.Pattern.String == nil {
			return nil, fmt.Errorf("decoder Replace: only String patterns are supported")
		}
		return replaceDecoder{from: *j.Pattern.String, to: j.Content}, nil
	case "ByteFallback":
		return byteFallbackDecoder{}, nil
	case "Fuse":
		return fuseDecoder{}, nil
	case "Strip":
		r := []rune(j.Content)
		if len(r) != 1 {
			return nil, fmt.Errorf("decoder Strip: content %q must be one character", j.Content)
		}
		return stripDecoder{content: r[0], start: j.Start, stop: j.Stop}, nil
	case "Metaspace":
		d := metaspaceDecoder{replacement: j.Replacement, prepend: true}
		if d.replacement == "" {
			d.replacement = "▁"
		}
		switch {
		case j.PrependScheme != "":
			d.prepend = j.PrependScheme != "never"
		case j.AddPrefixSpace != nil:
			d.prepend = *j.AddPrefixSpace
		}
		return d, nil
	case "BPEDecoder":
		if j.Suffix == "" {
			j.Suffix = "</w>"
		}
		return bpeSuffixDecoder{suffix: j.Suffix}, nil
	}
	return nil, fmt.Errorf("decoder type %q is not supported", j.Type)
}
