package tokenizer

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// This file holds the Python behaviour that chat templates see through
// transformers: json.dumps (its tojson filter), datetime.strftime (its
// strftime_now) and str.isspace (str.strip, str.split, the trim filter).

// pyDict is a Python dict: keys in insertion order.
type pyDict struct {
	keys []string
	vals map[string]any
}

func (d *pyDict) set(k string, v any) {
	if d.vals == nil {
		d.vals = map[string]any{}
	}
	if _, ok := d.vals[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.vals[k] = v
}

// jsonOptions are json.dumps's arguments that transformers' tojson passes on.
type jsonOptions struct {
	ensureASCII     bool
	indent          *string // nil: one line
	itemSep, keySep string
	sortKeys        bool
}

// newJSONOptions fills json.dumps's default separators: (", ", ": ") on
// one line, (",", ": ") with an indent.
func newJSONOptions(ensureASCII bool, indent *string, separators []string, sortKeys bool) jsonOptions {
	o := jsonOptions{ensureASCII: ensureASCII, indent: indent, itemSep: ", ", keySep: ": ", sortKeys: sortKeys}
	if indent != nil {
		o.itemSep = ","
	}
	if len(separators) == 2 {
		o.itemSep, o.keySep = separators[0], separators[1]
	}
	return o
}

// pyJSON returns x as json.dumps(x, ...) writes it. x holds nil, bool,
// ints, float64, string, []any, []string, *pyDict and map[string]any.
func pyJSON(x any, o jsonOptions) (string, error) {
	var b strings.Builder
	if err := o.encode(&b, x, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (o jsonOptions) newline(b *strings.Builder, level int) {
	if o.indent == nil {
		return
	}
	b.WriteByte('\n')
	for range level {
		b.WriteString(*o.indent)
	}
}

func (o jsonOptions) encode(b *strings.Builder, x any, level int) error {
	switch v := x.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		switch {
		case math.IsNaN(v):
			b.WriteString("NaN")
		case math.IsInf(v, 1):
			b.WriteString("Infinity")
		case math.IsInf(v, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloat(v))
		}
	case string:
		o.str(b, v)
	case []string:
		items := make([]any, len(v))
		for i, s := range v {
			items[i] = s
		}
		return o.encode(b, items, level)
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		o.newline(b, level+1)
		for i, item := range v {
			if i > 0 {
				b.WriteString(o.itemSep)
				o.newline(b, level+1)
			}
			if err := o.encode(b, item, level+1); err != nil {
				return err
			}
		}
		o.newline(b, level)
		b.WriteByte(']')
	case map[string]any:
		d := &pyDict{}
		for _, k := range messageKeyOrder(v) {
			d.set(k, v[k])
		}
		return o.encode(b, d, level)
	case *pyDict:
		if len(v.keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := v.keys
		if o.sortKeys {
			keys = slices.Clone(keys)
			slices.Sort(keys)
		}
		b.WriteByte('{')
		o.newline(b, level+1)
		for i, k := range keys {
			if i > 0 {
				b.WriteString(o.itemSep)
				o.newline(b, level+1)
			}
			o.str(b, k)
			b.WriteString(o.keySep)
			if err := o.encode(b, v.vals[k], level+1); err != nil {
				return err
			}
		}
		o.newline(b, level)
		b.WriteByte('}')
	default:
		return fmt.Errorf("Object of type %T is not JSON serializable", x)
	}
	return nil
}

// str writes a JSON string as Python's encoder does: with ensure_ascii
// every character outside ' '..'~' is escaped (as UTF-16), without it only
// the quote, the backslash and the control characters are.
func (o jsonOptions) str(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s { // invalid UTF-8 reads as U+FFFD
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || o.ensureASCII && r > '~' && r <= 0xFFFF:
				fmt.Fprintf(b, `\u%04x`, r)
			case o.ensureASCII && r > 0xFFFF:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// messageKeyOrder orders the keys of a Go map the way a Python dict built
// from a chat message usually is: "role", then "content", then the others
// sorted. (Go maps keep no order; Python dicts keep insertion order.)
func messageKeyOrder(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "role" && k != "content" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range []string{"content", "role"} {
		if _, ok := m[k]; ok {
			keys = slices.Insert(keys, 0, k)
		}
	}
	return keys
}

// pyFloat formats f as Python's repr(float): the shortest digits that
// read back as f, in positional notation when the decimal exponent is in
// [-4, 16) (with at least one digit after the point), else as 1.5e+20.
func pyFloat(f float64) string {
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±dd
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		out := digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, out, es, exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}

// pyIsSpace reports whether Python's str.isspace holds for r: Go's
// unicode.IsSpace plus the separators U+001C..U+001F.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1C && r <= 0x1F
}

// pyStrip is Python's str.strip (both ends), lstrip or rstrip: with
// chars nil it strips whitespace, else the characters of *chars.
func pyStrip(s string, chars *string, left, right bool) string {
	cut := pyIsSpace
	if chars != nil {
		set := *chars
		cut = func(r rune) bool { return strings.ContainsRune(set, r) }
	}
	if left {
		s = strings.TrimLeftFunc(s, cut)
	}
	if right {
		s = strings.TrimRightFunc(s, cut)
	}
	return s
}

// pySplit is Python's str.split(sep, maxsplit): with sep nil runs of
// whitespace separate and leading or trailing whitespace gives no empty
// fields; maxsplit < 0 means no limit.
func pySplit(s string, sep *string, maxsplit int) []string {
	if sep != nil {
		if maxsplit < 0 {
			return strings.Split(s, *sep)
		}
		return strings.SplitN(s, *sep, maxsplit+1)
	}
	var out []string
	for {
		s = strings.TrimLeftFunc(s, pyIsSpace)
		if s == "" {
			return out
		}
		if maxsplit >= 0 && len(out) == maxsplit {
			return append(out, s)
		}
		end := strings.IndexFunc(s, pyIsSpace)
		if end < 0 {
			return append(out, s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}

// pyRSplit is Python's str.rsplit(sep, maxsplit): pySplit from the right.
func pyRSplit(s string, sep *string, maxsplit int) []string {
	if maxsplit < 0 {
		return pySplit(s, sep, maxsplit)
	}
	var out []string
	for len(out) < maxsplit {
		var i, j int
		if sep != nil {
			if i = strings.LastIndex(s, *sep); i < 0 {
				break
			}
			j = i + len(*sep)
		} else {
			s = strings.TrimRightFunc(s, pyIsSpace)
			if i = strings.LastIndexFunc(s, pyIsSpace); i < 0 {
				break
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			j = i + n
		}
		out = append(out, s[j:])
		s = s[:i]
	}
	if sep == nil {
		s = strings.TrimRightFunc(s, pyIsSpace)
		if s == "" {
			slices.Reverse(out)
			return out
		}
	}
	out = append(out, s)
	slices.Reverse(out)
	return out
}

// pyUpper and pyLower are Python's str.upper and str.lower: full Unicode
// case mappings ("ß" upper is "SS"), unlike Go's strings.ToUpper.
func pyUpper(s string) string { return cases.Upper(language.Und).String(s) }

func pyLower(s string) string { return cases.Lower(language.Und).String(s) }

// pyIsCased reports whether r has case (Python's _PyUnicode_IsCased).
func pyIsCased(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) }

// pyTitle is Python's str.title: a character after a cased one is
// lowercased, any other title-cased ("they're" gives "They'Re").
func pyTitle(s string) string {
	runes := []rune(s)
	var b strings.Builder
	prevCased := false
	for i, r := range runes {
		switch {
		case !prevCased:
			b.WriteRune(unicode.ToTitle(r))
		case r == 'Σ':
			b.WriteRune(lowerSigma(runes, i))
		default:
			b.WriteString(pyLower(string(r)))
		}
		prevCased = pyIsCased(r)
	}
	return b.String()
}

// lowerSigma is the lowercase of the capital sigma at runes[i] in context,
// as Python decides it: ς at the end of a word, σ elsewhere.
func lowerSigma(runes []rune, i int) rune {
	ignorable := func(r rune) bool {
		return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk) ||
			strings.ContainsRune("'.:·\u2019", r)
	}
	j := i - 1
	for j >= 0 && ignorable(runes[j]) {
		j--
	}
	if j < 0 || !pyIsCased(runes[j]) {
		return 'σ'
	}
	j = i + 1
	for j < len(runes) && ignorable(runes[j]) {
		j++
	}
	if j < len(runes) && pyIsCased(runes[j]) {
		return 'σ'
	}
	return 'ς'
}

// pyCapitalize is Python's str.capitalize: the first character title-cased,
// the others lowercased.
func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToTitle(r)) + pyLower(s[n:])
}

// jinjaTitle is jinja2's title filter: each word, after the start or a
// run of "-", whitespace, "(", "{", "[" or "<", gets its first character
// upper-cased and the rest lower-cased.
func jinjaTitle(s string) string {
	var b strings.Builder
	start := 0
	flush := func(word string) {
		if word == "" {
			return
		}
		_, n := utf8.DecodeRuneInString(word)
		b.WriteString(pyUpper(word[:n]) + pyLower(word[n:]))
	}
	for i, r := range s {
		if r == '-' || r == '(' || r == '{' || r == '[' || r == '<' || pyIsSpace(r) {
			flush(s[start:i])
			b.WriteRune(r)
			start = i + utf8.RuneLen(r)
		}
	}
	flush(s[start:])
	return b.String()
}

// pySplitLines is Python's str.splitlines() (line ends dropped).
func pySplitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, s[start:i])
			if r == '\r' && strings.HasPrefix(s[i+n:], "\n") {
				n++
			}
			start = i + n
		}
		i += n
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// jinjaIndent is jinja2's indent filter: the lines after the first (and
// the first too with first) prefixed with indent, blank lines only with
// blank.
func jinjaIndent(s, indent string, first, blank bool) string {
	lines := pySplitLines(s + "\n")
	var rv string
	if blank {
		rv = strings.Join(lines, "\n"+indent)
	} else {
		rv = lines[0]
		for _, line := range lines[1:] {
			if line != "" {
				line = indent + line
			}
			rv += "\n" + line
		}
	}
	if first {
		rv = indent + rv
	}
	return rv
}

// pyWordCount counts the words of s as jinja2's wordcount filter does:
// the matches of the regular expression \w+ (letters, digits, _).
func pyWordCount(s string) int {
	n, in := 0, false
	for _, r := range s {
		w := r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
		if w && !in {
			n++
		}
		in = w
	}
	return n
}

// strftime formats t as Python's datetime.strftime does for a naive
// datetime in the C locale (%Z and %z are empty). Directives it does not
// know are written as they are, as glibc does.
func strftime(t time.Time, format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		switch format[i] {
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'b', 'h':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'c':
			b.WriteString(t.Format("Mon Jan _2 15:04:05 2006"))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%02d", h)
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b.WriteString(strconv.Itoa(wd))
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'x':
			b.WriteString(t.Format("01/02/06"))
		case 'X':
			b.WriteString(t.Format("15:04:05"))
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'Z', 'z':
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

// validUTF8 replaces invalid UTF-8 by U+FFFD, as Python strings cannot
// hold it.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
