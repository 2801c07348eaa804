package tokenizer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites the text between the added tokens before pre-tokenization.
type normalizer interface {
	normalize(s string) string
}

type normalizerSeq []normalizer

func (q normalizerSeq) normalize(s string) string {
	for _, n := range q {
		s = n.normalize(s)
	}
	return s
}

// prepend adds its string in front of a non-empty text.
type prepend string

func (p prepend) normalize(s string) string {
	if s == "" {
		return s
	}
	return string(p) + s
}

// replace rewrites every match of a literal or a regex.
type replace struct {
	lit     string
	re      *regexp.Regexp
	content string
}

func (r replace) normalize(s string) string {
	if r.re != nil {
		return r.re.ReplaceAllLiteralString(s, r.content)
	}
	if r.lit == "" {
		return s
	}
	return strings.ReplaceAll(s, r.lit, r.content)
}

type unicodeForm struct{ f norm.Form }

func (u unicodeForm) normalize(s string) string { return u.f.String(s) }

type lowercase struct{}

func (lowercase) normalize(s string) string { return strings.ToLower(s) }

type strip struct{ left, right bool }

func (t strip) normalize(s string) string {
	if t.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if t.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

// pattern is the {"String": ...} or {"Regex": ...} object of Replace and Split.
type pattern struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// compileRegex compiles a tokenizer.json regex with Go's engine, which has
// the same leftmost-first semantics as Oniguruma for patterns without
// look-around or possessive forms; those are rejected with an error.
// Oniguruma's \s is Unicode White_Space where Go's is ASCII: it is rewritten
// first (see onigSpaces).
func compileRegex(expr string) (*regexp.Regexp, error) {
	goExpr, err := onigSpaces(expr)
	if err == nil {
		var re *regexp.Regexp
		if re, err = regexp.Compile(goExpr); err == nil {
			return re, nil
		}
	}
	return nil, fmt.Errorf("regex %q is not supported: %w", expr, err)
}

// whiteSpace lists Unicode's White_Space characters, what \s matches in
// Oniguruma (Hugging Face tokenizers' engine) and unicode.IsSpace reports,
// as the body of a Go character class. CLIP's normalizer (\s+ → " ") and
// word regex ([^\s\p{L}\p{N}]+) depend on it: U+00A0 and U+3000 are spaces
// there.
const whiteSpace = `\t-\r\x20\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`

// onigSpaces rewrites \s and \S of an Oniguruma pattern for Go's regexp:
// \s becomes [whiteSpace] (or its body inside a character class) and \S
// becomes [^whiteSpace]. \S inside a class has no Go spelling and is an
// error. Other escapes and POSIX classes ([:alpha:]) pass through.
func onigSpaces(expr string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c == '\\' && i+1 < len(expr):
			i++
			switch e := expr[i]; {
			case e == 's' && inClass:
				b.WriteString(whiteSpace)
			case e == 's':
				b.WriteString("[" + whiteSpace + "]")
			case e == 'S' && inClass:
				return "", fmt.Errorf(`\S inside a character class has no Go equivalent`)
			case e == 'S':
				b.WriteString("[^" + whiteSpace + "]")
			default:
				b.WriteByte(c)
				b.WriteByte(e)
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal.
			if i+1 < len(expr) && expr[i+1] == '^' {
				i++
				b.WriteByte('^')
			}
			if i+1 < len(expr) && expr[i+1] == ']' {
				i++
				b.WriteByte(']')
			}
		case c == '[' && inClass && strings.HasPrefix(expr[i:], "[:"):
			end := strings.Index(expr[i:], ":]")
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			b.WriteString(expr[i : i+end+2])
			i += end + 1
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func newNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var j struct {
		Type        string            `json:"type"`
		Normalizers []json.RawMessage `json:"normalizers"`
		Prepend     string            `json:"prepend"`
		Pattern     pattern           `json:"pattern"`
		Content     string            `json:"content"`
		StripLeft   *bool             `json:"strip_left"`
		StripRight  *bool             `json:"strip_right"`
		Left        bool              `json:"left"`
		Right       bool              `json:"right"`
		Charsmap    *string           `json:"precompiled_charsmap"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch j.Type {
	case "Sequence":
		var q normalizerSeq
		for _, r := range j.Normalizers {
			n, err := newNormalizer(r)
			if err != nil {
				return nil, err
			}
			if n != nil {
				q = append(q, n)
			}
		}
		return q, nil
	case "Prepend":
		return prepend(j.Prepend), nil
	case "Replace":
		r := replace{content: j.Content}
		switch {
		case j.Pattern.String != nil:
			r.lit = *j.Pattern.String
		case j.Pattern.Regex != nil:
			re, err := compileRegex(*j.Pattern.Regex)
			if err != nil {
				return nil, fmt.Errorf("normalizer Replace: %w", err)
			}
			r.re = re
		default:
			return nil, fmt.Errorf("normalizer Replace: pattern needs String or Regex")
		}
		return r, nil
	case "NFC":
		return unicodeForm{norm.NFC}, nil
	case "NFD":
		return unicodeForm{norm.NFD}, nil
	case "NFKC":
		return unicodeForm{norm.NFKC}, nil
	case "NFKD":
		return unicodeForm{norm.NFKD}, nil
	case "Lowercase":
		return lowercase{}, nil
	case "Strip":
		// Hugging Face writes strip_left and strip_right; left and right
		// are read too, for files written by hand.
		st := strip{left: j.Left, right: j.Right}
		if j.StripLeft != nil {
			st.left = *j.StripLeft
		}
		if j.StripRight != nil {
			st.right = *j.StripRight
		}
		return st, nil
	case "Precompiled":
		if j.Charsmap == nil {
			return nil, fmt.Errorf("normalizer Precompiled: no precompiled_charsmap")
		}
		p, err := newPrecompiled(*j.Charsmap)
		if err != nil {
			return nil, fmt.Errorf("normalizer Precompiled: %w", err)
		}
		return p, nil
	}
	return nil, fmt.Errorf("normalizer type %q is not supported", j.Type)
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}
