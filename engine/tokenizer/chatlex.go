package tokenizer

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// normalizeTemplate applies jinja2's lexer-level whitespace rules, under
// the settings transformers uses (trim_blocks, lstrip_blocks,
// keep_trailing_newline off, "\n" newlines), and returns an equivalent
// template in which every piece of literal text is a {{ "..." }} output
// tag and no tag carries whitespace control: the engine then has no
// whitespace left to decide. The tags' expressions go through
// [rewriteTag], and every {{ expr }} becomes {{ (expr) | py_str }}, so
// that values print as Python's str() prints them.
//
// The rules, from jinja2's lexer:
//   - \r\n and \r read as \n, and one trailing newline is dropped;
//   - "{%-", "{{-", "{#-" strip all whitespace before the tag, and "-%}",
//     "-}}", "-#}" all whitespace after it;
//   - a block or comment tag first on its line (only whitespace before
//     it, on a line that starts the template, follows a newline, or
//     follows a tag whose trim_blocks took the newline) takes that
//     indentation away, unless it opens with "{%+" / "{#+";
//   - the first newline after a block or comment tag goes, unless it
//     closes with "+%}" / "+#}";
//   - {% raw %} ... {% endraw %} is text.
func normalizeTemplate(src string) (string, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	src = strings.TrimSuffix(src, "\n")
	var out strings.Builder
	lineStarting := true // jinja2 starts the template at the start of a line
	pos := 0
	emitText := func(text string) {
		if text == "" {
			return
		}
		out.WriteString("{{ ")
		writeLiteral(&out, text)
		out.WriteString(" }}")
	}
	for pos < len(src) {
		start, kind := nextTag(src, pos)
		if start < 0 {
			emitText(src[pos:])
			break
		}
		text := src[pos:start]
		open := start + 2
		sign := byte(0)
		if open < len(src) && (src[open] == '-' || src[open] == '+') {
			sign = src[open]
			open++
		}
		raw := kind == '%' && isRawBegin(src[open:])
		switch {
		case sign == '-':
			text = strings.TrimRightFunc(text, pyIsSpace)
		case sign != '+' && kind != '{':
			lstrip := strings.LastIndexByte(text, '\n') + 1
			if (lstrip > 0 || lineStarting) && lstrip < len(text) && isAllSpace(text[lstrip:]) {
				text = text[:lstrip]
			}
		}
		emitText(text)
		var err error
		switch {
		case raw:
			pos, lineStarting, err = normalizeRaw(src, open, emitText)
		case kind == '#':
			pos, lineStarting, err = skipComment(src, open)
		default:
			pos, lineStarting, err = copyTag(src, open, kind, &out)
		}
		if err != nil {
			return "", err
		}
	}
	return out.String(), nil
}

// nextTag finds the next "{{", "{%" or "{#" at or after pos and returns
// its offset and its second byte ('{', '%' or '#'), or -1.
func nextTag(src string, pos int) (int, byte) {
	for i := pos; i+1 < len(src); i++ {
		if src[i] == '{' {
			switch c := src[i+1]; c {
			case '{', '%', '#':
				return i, c
			}
		}
	}
	return -1, 0
}

func isAllSpace(s string) bool {
	for _, r := range s {
		if !pyIsSpace(r) {
			return false
		}
	}
	return true
}

// isRawBegin reports whether s, what follows "{%" and its sign, is
// "raw" closed by "%}" or "-%}".
func isRawBegin(s string) bool {
	s = strings.TrimLeftFunc(s, pyIsSpace)
	if !strings.HasPrefix(s, "raw") {
		return false
	}
	s = strings.TrimLeftFunc(s[3:], pyIsSpace)
	return strings.HasPrefix(s, "%}") || strings.HasPrefix(s, "-%}")
}

// afterClose applies what follows a closing tag: with "-" all whitespace
// goes, with "+" nothing, else (trimBlocks) one newline. It returns the
// position after it and whether the next text starts a line.
func afterClose(src string, pos int, sign byte, trimBlocks bool) (int, bool) {
	start := pos
	switch {
	case sign == '-':
		pos = len(src) - len(strings.TrimLeftFunc(src[pos:], pyIsSpace))
	case sign != '+' && trimBlocks && strings.HasPrefix(src[pos:], "\n"):
		pos++
	}
	return pos, pos > start && src[pos-1] == '\n'
}

// skipComment drops a comment whose text starts at pos.
func skipComment(src string, pos int) (int, bool, error) {
	end := strings.Index(src[pos:], "#}")
	if end < 0 {
		return 0, false, fmt.Errorf("unclosed comment at byte %d", pos)
	}
	end += pos
	sign := byte(0)
	if end > pos && (src[end-1] == '-' || src[end-1] == '+') {
		sign = src[end-1]
	}
	next, starting := afterClose(src, end+2, sign, true)
	return next, starting, nil
}

// normalizeRaw emits the text of a raw block; pos is after "{%" and its sign.
func normalizeRaw(src string, pos int, emitText func(string)) (int, bool, error) {
	// {% raw %} or {% raw -%}: no trim_blocks after it, as in jinja2.
	end := strings.Index(src[pos:], "%}") + pos
	sign := src[end-1]
	pos, _ = afterClose(src, end+2, sign, false)
	for i := pos; ; i++ {
		i, _ = nextTag(src, i)
		if i < 0 {
			return 0, false, fmt.Errorf("missing endraw after byte %d", pos)
		}
		j := i + 2
		esign := byte(0)
		if j < len(src) && (src[j] == '-' || src[j] == '+') {
			esign = src[j]
			j++
		}
		rest := strings.TrimLeftFunc(src[j:], pyIsSpace)
		if src[i+1] != '%' || !strings.HasPrefix(rest, "endraw") {
			continue
		}
		rest = strings.TrimLeftFunc(rest[len("endraw"):], pyIsSpace)
		endSign := byte(0)
		if rest != "" && (rest[0] == '-' || rest[0] == '+') {
			endSign, rest = rest[0], rest[1:]
		}
		if !strings.HasPrefix(rest, "%}") {
			continue
		}
		text := src[pos:i]
		switch {
		case esign == '-':
			text = strings.TrimRightFunc(text, pyIsSpace)
		case esign != '+':
			lstrip := strings.LastIndexByte(text, '\n') + 1
			if lstrip > 0 && lstrip < len(text) && isAllSpace(text[lstrip:]) {
				text = text[:lstrip]
			}
		}
		emitText(text)
		next, starting := afterClose(src, len(src)-len(rest)+2, endSign, true)
		return next, starting, nil
	}
}

// copyTag writes a {{ }} or {% %} tag whose contents start at pos without
// its whitespace control and with its expressions rewritten by
// [rewriteTag], and returns the position after it.
func copyTag(src string, pos int, kind byte, out *strings.Builder) (int, bool, error) {
	closer := "}}"
	if kind == '%' {
		closer = "%}"
	}
	for i := pos; i < len(src); i++ {
		if c := src[i]; c == '\'' || c == '"' {
			j, err := skipString(src, i)
			if err != nil {
				return 0, false, err
			}
			i = j - 1
			continue
		}
		sign := byte(0)
		switch {
		case strings.HasPrefix(src[i:], "-"+closer):
			sign = '-'
		case kind == '%' && strings.HasPrefix(src[i:], "+"+closer):
			sign = '+'
		case !strings.HasPrefix(src[i:], closer):
			continue
		}
		body, err := rewriteTag(src[pos:i])
		if err != nil {
			return 0, false, err
		}
		if kind == '{' {
			// Printed through py_str, as Python's str() prints values.
			body = " (" + body + ") | py_str "
		}
		out.WriteString("{" + string(kind) + body + closer)
		end := i + len(closer)
		if sign != 0 {
			end++
		}
		next, starting := afterClose(src, end, sign, kind == '%')
		return next, starting, nil
	}
	return 0, false, fmt.Errorf("unclosed tag at byte %d", pos)
}

// skipString returns the offset after the string literal that starts at i.
func skipString(src string, i int) (int, error) {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("unclosed string at byte %d", i)
}

// stringMethods are the str methods whose calls rewriteTag sends to
// Python's semantics: x.strip(a) becomes ((x) | py_str_strip(a)).
var stringMethods = map[string]bool{
	"strip": true, "lstrip": true, "rstrip": true, "split": true,
	"title": true, "capitalize": true, "upper": true, "lower": true,
	"startswith": true, "endswith": true, "rsplit": true, "splitlines": true,
	"join": true, "removeprefix": true, "removesuffix": true,
}

// operatorNames are the keywords that are not operands.
var operatorNames = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "is": true, "if": true, "else": true,
}

// rewriteTag rewrites the expressions of a tag for the engine: string
// literals are decoded as Python decodes them and written with the
// engine's escapes; filters transformers replaces (tojson) or that must
// follow Python (trim, title, ...) take the names [compileTemplate] gives
// ours; and calls of str methods on a receiver become filters of ours,
// since the engine's methods are not Python's (str.strip misses
// U+001C..U+001F, str.title does not lowercase, ...).
func rewriteTag(src string) (string, error) {
	type group struct {
		restore int  // the chain start to restore when the group closes
		method  bool // the argument list of a rewritten method call
	}
	var (
		out        []byte
		groups     []group
		chainStart = -1 // where in out the postfix chain ending here starts
		operand    bool // the last token ends an operand
		dot        bool // the last token is "."
		pipe       bool // the last token is "|"
		test       bool // the last token is "is" (or "is not")
	)
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			out = append(out, c)
			i++
			continue
		case c == '\'' || c == '"':
			j, err := skipString(src, i)
			if err != nil {
				return "", err
			}
			var b strings.Builder
			writeLiteral(&b, pyUnescape(src[i+1:j-1]))
			chainStart, operand = len(out), true
			out = append(out, b.String()...)
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (isNamePart(src[j]) || src[j] == '.' && j+1 < len(src) && src[j+1] >= '0' && src[j+1] <= '9') {
				j++
			}
			chainStart, operand = len(out), true
			out = append(out, src[i:j]...)
			i = j
		case isNameStart(c):
			j := i
			for j < len(src) && isNamePart(src[j]) {
				j++
			}
			name := src[i:j]
			k := j
			for k < len(src) && (src[k] == ' ' || src[k] == '\t' || src[k] == '\n') {
				k++
			}
			switch {
			case dot && stringMethods[name] && chainStart >= 0 && k < len(src) && src[k] == '(':
				// x.name( → ((x) | py_str_name(   ... closed by ")" + ")".
				recv := strings.TrimRight(string(out[chainStart:bytes.LastIndexByte(out, '.')]), " \t\n")
				out = append(out[:chainStart], "(("+recv+") | py_str_"+name+"("...)
				groups = append(groups, group{restore: chainStart, method: true})
				chainStart, operand = -1, false
				i = k + 1
				dot, pipe = false, false
				continue
			case dot:
				out = append(out, name...) // an attribute: the chain goes on
				operand = true
			case pipe:
				if renamed, ok := replacedFilters[name]; ok {
					name = renamed
				}
				out = append(out, name...)
				chainStart, operand = -1, true
			case test && name == "not":
				out = append(out, name...)
				i = j
				continue
			case test: // a test's name, never renamed
				out = append(out, name...)
				chainStart, operand, test = -1, true, false
			case name == "is":
				out = append(out, name...)
				chainStart, operand, test = -1, false, true
				dot, pipe = false, false
				i = j
				continue
			case operatorNames[name]:
				out = append(out, name...)
				chainStart, operand = -1, false
			default:
				chainStart, operand = len(out), true
				out = append(out, name...)
			}
			i = j
		case c == '.':
			out = append(out, c) // an attribute or a method: the chain goes on
			operand = false
			i++
		case c == '(' || c == '[' || c == '{':
			if operand && c != '{' { // a call or a subscript: the chain goes on
				groups = append(groups, group{restore: chainStart})
			} else { // a parenthesis, a list or a dict
				groups = append(groups, group{restore: len(out)})
			}
			out = append(out, c)
			chainStart, operand = -1, false
			i++
		case c == ')' || c == ']' || c == '}':
			out = append(out, c)
			if n := len(groups); n > 0 {
				g := groups[n-1]
				groups = groups[:n-1]
				if g.method {
					out = append(out, ')')
				}
				chainStart, operand = g.restore, true
			}
			i++
		default:
			out = append(out, c)
			chainStart, operand = -1, false
			i++
		}
		dot = c == '.'
		pipe = c == '|'
	}
	return string(out), nil
}

// writeLiteral writes s as a string literal of the engine, which knows
// only the escapes \\, \", \n and \t.
func writeLiteral(out *strings.Builder, s string) {
	out.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			out.WriteString(`\\`)
		case '"':
			out.WriteString(`\"`)
		case '\n':
			out.WriteString(`\n`)
		case '\t':
			out.WriteString(`\t`)
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte('"')
}

// pyUnescape decodes the body of a jinja2 string literal as jinja2 does
// (Python's unicode-escape): \\ \' \" \a \b \f \n \r \t \v, octal \ooo,
// \xhh, \uhhhh and \Uhhhhhhhh; any other backslash stays as it is.
func pyUnescape(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '\n': // a backslash at the end of a line joins the lines
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if r, err := strconv.ParseUint(s[i+1:min(i+1+n, len(s))], 16, 32); err == nil && i+n < len(s) && r <= unicode.MaxRune {
				b.WriteRune(rune(r))
				i += n
			} else {
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			if e >= '0' && e <= '7' {
				j := i
				for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
					j++
				}
				r, _ := strconv.ParseUint(s[i:j], 8, 32)
				b.WriteRune(rune(r))
				i = j - 1
				continue
			}
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

func isNameStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isNamePart(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }
