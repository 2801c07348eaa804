package config

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// op is what an override does.
type op int

const (
	opSet      op = iota // key=value: change an existing key
	opAdd                // +key=value: add a key that does not exist
	opForceAdd           // ++key=value: add or change
	opDelete             // ~key or ~key=value: remove
)

// override is one parsed command-line override.
type override struct {
	raw      string
	op       op
	key      string // dotted key, or a config group (which may contain '/')
	value    *node  // nil for ~key without a value
	hasValue bool
}

var keyRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_\-$/]*(\.[A-Za-z0-9_\-$/]+)*$`)

// parseOverride parses one override as Hydra's grammar has it:
// [+|++|~]key[=value], where value is null, a boolean, a number, a quoted
// or unquoted string (${...} interpolations included), a [list] or a
// {dict}, nested.
func parseOverride(s string) (override, error) {
	o := override{raw: s}
	bad := func(format string, args ...any) (override, error) {
		return o, errorf(o.key, "bad override %q: "+format, append([]any{s}, args...)...)
	}
	rest := s
	switch {
	case strings.HasPrefix(rest, "++"):
		o.op, rest = opForceAdd, rest[2:]
	case strings.HasPrefix(rest, "+"):
		o.op, rest = opAdd, rest[1:]
	case strings.HasPrefix(rest, "~"):
		o.op, rest = opDelete, rest[1:]
	}
	eq := strings.IndexByte(rest, '=')
	key, val := rest, ""
	if eq >= 0 {
		key, val = rest[:eq], rest[eq+1:]
		o.hasValue = true
	}
	key = strings.TrimSpace(key)
	o.key = key
	switch {
	case strings.HasPrefix(s, "-"):
		return bad("an override is key=value; options such as --config-name come before the overrides")
	case key == "":
		return bad("missing key before '='")
	case strings.Contains(key, "@"):
		return bad("package overrides (key@package) are not supported")
	case !keyRE.MatchString(key):
		return bad("%q is not a key (letters, digits, _ and -, joined by '.')", key)
	case !o.hasValue && o.op != opDelete:
		return bad("missing '=value' (to remove a key write ~%s)", key)
	}
	if !o.hasValue {
		return o, nil
	}
	p := &valueParser{s: val}
	v, err := p.element(true)
	if err != nil {
		return bad("%s", err.Msg)
	}
	p.space()
	if p.i < len(p.s) {
		if p.s[p.i] == ',' {
			return bad("a comma-separated value is a sweep, which needs --multirun (not supported); write a list as [a,b] or quote the string")
		}
		return bad("unexpected %q at position %d of the value", p.s[p.i:], p.i+1)
	}
	o.value = v
	return o, nil
}

// valueParser reads an override's value.
type valueParser struct {
	s string
	i int
}

func (p *valueParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *valueParser) fail(format string, args ...any) (*node, *Error) {
	return nil, errorf("", format, args...)
}

var sweepFuncRE = regexp.MustCompile(`^(choice|range|interval|glob|shuffle|sort|tag|extend_list|str|int|float|bool|json_str)\(`)

// element reads one value. top: the whole value (an empty one is "").
func (p *valueParser) element(top bool) (*node, *Error) {
	p.space()
	if p.i >= len(p.s) {
		if top {
			return strNode(""), nil
		}
		return p.fail("missing value")
	}
	switch c := p.s[p.i]; c {
	case '[':
		return p.list()
	case '{':
		return p.dict()
	case '\'', '"':
		s, err := p.quoted()
		if err != nil {
			return nil, err
		}
		return strNode(s), nil
	}
	if m := sweepFuncRE.FindString(p.s[p.i:]); m != "" {
		return p.fail("functions such as %s...) are not supported; write the value itself", m)
	}
	return p.primitive(top)
}

func (p *valueParser) list() (*node, *Error) {
	p.i++ // [
	l := &node{kind: kList, items: []*node{}}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return l, nil
	}
	for {
		v, err := p.element(false)
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, v)
		p.space()
		if p.i >= len(p.s) {
			return p.fail("list is missing its closing ']'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return l, nil
		default:
			return p.fail("expected ',' or ']' in a list at %q", p.s[p.i:])
		}
	}
}

func (p *valueParser) dict() (*node, *Error) {
	p.i++ // {
	m := newMap()
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return m, nil
	}
	for {
		p.space()
		start := p.i
		for p.i < len(p.s) && (isIDChar(p.s[p.i])) {
			p.i++
		}
		key := p.s[start:p.i]
		p.space()
		if key == "" || p.i >= len(p.s) || p.s[p.i] != ':' {
			return p.fail("expected key: value in a dict")
		}
		p.i++
		v, err := p.element(false)
		if err != nil {
			return nil, err
		}
		if _, dup := m.kv[key]; dup {
			return p.fail("key %q appears twice in a dict", key)
		}
		m.set(key, v)
		p.space()
		if p.i >= len(p.s) {
			return p.fail("dict is missing its closing '}'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return m, nil
		default:
			return p.fail("expected ',' or '}' in a dict at %q", p.s[p.i:])
		}
	}
}

func isIDChar(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// quoted reads a '...' or "..." string; \\ and \<quote> are escapes.
func (p *valueParser) quoted() (string, *Error) {
	q := p.s[p.i]
	p.i++
	var sb strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s) && (p.s[p.i+1] == q || p.s[p.i+1] == '\\'):
			sb.WriteByte(p.s[p.i+1])
			p.i += 2
		case c == q:
			p.i++
			return sb.String(), nil
		default:
			sb.WriteByte(c)
			p.i++
		}
	}
	return "", errorf("", "string is missing its closing %c", q)
}

// primitive reads an unquoted value up to a delimiter (',' ']' '}' inside
// lists and dicts, ',' at the top level) and types it: null, true/false,
// integers, floats, else a string. ${...} interpolations may contain any
// of the delimiters; \ escapes the next character.
func (p *valueParser) primitive(top bool) (*node, *Error) {
	var sb strings.Builder
	depth := 0
	escaped := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '\\' && p.i+1 < len(p.s) {
			sb.WriteByte(c)
			sb.WriteByte(p.s[p.i+1])
			p.i += 2
			escaped = true
			continue
		}
		if c == '$' && p.i+1 < len(p.s) && p.s[p.i+1] == '{' {
			depth++
			sb.WriteString("${")
			p.i += 2
			continue
		}
		if depth > 0 {
			if c == '}' {
				depth--
			}
			sb.WriteByte(c)
			p.i++
			continue
		}
		if c == ',' || (!top && (c == ']' || c == '}')) {
			break
		}
		switch c {
		case '[', ']', '{', '}', '(', ')', '\'', '"':
			return p.fail("unexpected %q in an unquoted value; quote the value (key='...')", string(c))
		}
		sb.WriteByte(c)
		p.i++
	}
	if depth > 0 {
		return p.fail("interpolation is missing its closing '}'")
	}
	raw := strings.TrimRight(sb.String(), " \t")
	if escaped {
		// Escapes keep a string a string: \, \[ ... become the character itself;
		// "\${" stays escaped for the resolver.
		var out strings.Builder
		for i := 0; i < len(raw); i++ {
			if raw[i] == '\\' && i+1 < len(raw) && raw[i+1] != '$' {
				i++
			}
			out.WriteByte(raw[i])
		}
		return strNode(out.String()), nil
	}
	return typed(raw), nil
}

var intRE = regexp.MustCompile(`^[+-]?(0|[1-9][0-9_]*)$`)
var floatRE = regexp.MustCompile(`^[+-]?(([0-9][0-9_]*)?\.[0-9_]*([eE][+-]?[0-9]+)?|[0-9][0-9_]*[eE][+-]?[0-9]+|inf|nan)$`)

// typed gives an unquoted token its type as Hydra's grammar does.
func typed(s string) *node {
	l := strings.ToLower(s)
	switch {
	case l == "null":
		return &node{kind: kNull}
	case l == "true":
		return &node{kind: kBool, b: true}
	case l == "false":
		return &node{kind: kBool, b: false}
	case intRE.MatchString(s):
		if i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64); err == nil {
			return &node{kind: kInt, i: i}
		}
	case floatRE.MatchString(l) && l != "." && l != "+." && l != "-.":
		switch strings.TrimLeft(l, "+-") {
		case "inf":
			if strings.HasPrefix(l, "-") {
				return &node{kind: kFloat, f: math.Inf(-1)}
			}
			return &node{kind: kFloat, f: math.Inf(1)}
		case "nan":
			return &node{kind: kFloat, f: math.NaN()}
		}
		if f, err := strconv.ParseFloat(strings.ReplaceAll(l, "_", ""), 64); err == nil {
			return &node{kind: kFloat, f: f}
		}
	}
	return strNode(s)
}
