package config

import (
	"fmt"
	"regexp"
	"strings"
)

// hasInterp reports whether s holds an unescaped ${.
func hasInterp(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '$' && s[i+1] == '{' {
			return true
		}
	}
	return false
}

// segment is a piece of a string template: literal text or an
// interpolation ${...}.
type segment struct {
	lit    string
	interp *interp
}

// interp is one ${...}: a node reference (path) or a resolver call.
type interp struct {
	path     string      // "a.b", ".x", "..y.z"
	resolver string      // "oc.env", "dtype", ...
	args     [][]segment // resolver arguments, each a template
	quoted   []bool      // whether each argument was quoted
	src      string      // the text, for messages
}

var resolverRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:`)

// parseTemplate splits s into literal text and interpolations.
func parseTemplate(s string) ([]segment, error) {
	segs, i, err := parseSegments(s, 0, false)
	if err != nil {
		return nil, err
	}
	if i != len(s) {
		return nil, fmt.Errorf("unexpected %q", s[i:])
	}
	return segs, nil
}

// parseSegments reads from s[i:] until the end, or, inArg, until a ',' or
// '}' at this level. It returns the segments and where it stopped.
func parseSegments(s string, i int, inArg bool) ([]segment, int, error) {
	var segs []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{lit: lit.String()})
			lit.Reset()
		}
	}
	depth := 0 // inside [...] or {...} of a list or dict argument
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '\\' || (inArg && (s[i+1] == ',' || s[i+1] == '}'))):
			lit.WriteByte(s[i+1])
			i += 2
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			flush()
			in, next, err := parseInterp(s, i+2)
			if err != nil {
				return nil, 0, err
			}
			segs = append(segs, segment{interp: in})
			i = next
		case inArg && depth == 0 && (c == ',' || c == '}'):
			flush()
			return segs, i, nil
		default:
			if inArg {
				switch c {
				case '[', '{':
					depth++
				case ']', '}':
					depth = max(depth-1, 0)
				}
			}
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return segs, i, nil
}

// parseInterp reads an interpolation's body starting after "${" and
// returns it with the position after its closing '}'.
func parseInterp(s string, i int) (*interp, int, error) {
	start := i - 2
	if m := resolverRE.FindString(s[i:]); m != "" {
		in := &interp{resolver: m[:len(m)-1]}
		i += len(m)
		for {
			for i < len(s) && s[i] == ' ' {
				i++
			}
			var arg []segment
			quoted := false
			if i < len(s) && (s[i] == '\'' || s[i] == '"') {
				q := s[i]
				j := i + 1
				var sb strings.Builder
				for j < len(s) && s[j] != q {
					if s[j] == '\\' && j+1 < len(s) {
						j++
					}
					sb.WriteByte(s[j])
					j++
				}
				if j >= len(s) {
					return nil, 0, fmt.Errorf("%s: string is missing its closing %c", s[start:], q)
				}
				arg, quoted, i = []segment{{lit: sb.String()}}, true, j+1
				for i < len(s) && s[i] == ' ' {
					i++
				}
			} else {
				var err error
				arg, i, err = parseSegments(s, i, true)
				if err != nil {
					return nil, 0, err
				}
				arg = trimSegments(arg)
			}
			if i >= len(s) {
				return nil, 0, fmt.Errorf("%q is missing its closing '}'", s[start:])
			}
			in.args = append(in.args, arg)
			in.quoted = append(in.quoted, quoted)
			if s[i] == '}' {
				in.src = s[start : i+1]
				return in, i + 1, nil
			}
			i++ // ','
		}
	}
	j := i
	for j < len(s) && s[j] != '}' {
		if s[j] == '$' || s[j] == '{' || s[j] == ':' || s[j] == ',' {
			return nil, 0, fmt.Errorf("%q is not a key reference nor a resolver call", s[start:])
		}
		j++
	}
	if j >= len(s) {
		return nil, 0, fmt.Errorf("%q is missing its closing '}'", s[start:])
	}
	path := strings.TrimSpace(s[i:j])
	if path == "" {
		return nil, 0, fmt.Errorf("empty interpolation ${}")
	}
	return &interp{path: path, src: s[start : j+1]}, j + 1, nil
}

func trimSegments(segs []segment) []segment {
	if len(segs) > 0 && segs[0].interp == nil {
		segs[0].lit = strings.TrimLeft(segs[0].lit, " ")
	}
	if n := len(segs); n > 0 && segs[n-1].interp == nil {
		segs[n-1].lit = strings.TrimRight(segs[n-1].lit, " ")
	}
	return segs
}

// resolver resolves interpolations in one config tree.
type resolver struct {
	c        *Config
	visiting map[string]bool // keys being resolved, for cycles
}

// value returns n (found at key path home) with its interpolations
// resolved, and, when it is a node of the tree, its real path (the home
// of relative interpolations inside it).
func (r *resolver) value(n *node, home []string) (*node, []string, error) {
	if !isInterp(n) {
		return n, home, nil
	}
	key := strings.Join(home, ".")
	if r.visiting[key] {
		return nil, nil, errorf(key, "%s: interpolation cycle through %q", key, n.s)
	}
	r.visiting[key] = true
	defer delete(r.visiting, key)
	segs, err := parseTemplate(n.s)
	if err != nil {
		return nil, nil, errorf(key, "%s: bad interpolation: %v", key, err)
	}
	if len(segs) == 1 && segs[0].interp != nil {
		return r.interp(segs[0].interp, home)
	}
	var sb strings.Builder
	for _, s := range segs {
		if s.interp == nil {
			sb.WriteString(s.lit)
			continue
		}
		v, _, err := r.interp(s.interp, home)
		if err != nil {
			return nil, nil, err
		}
		if v.kind == kMap || v.kind == kList {
			return nil, nil, errorf(key, "%s: %s is %s, which cannot be part of a string", key, s.interp.src, v.kind)
		}
		sb.WriteString(v.text())
	}
	return strNode(sb.String()), nil, nil
}

// template resolves a resolver argument to a value: one interpolation
// keeps its type, text with interpolations becomes a string, plain text is
// typed as the override grammar types it (unless quoted).
func (r *resolver) template(segs []segment, quoted bool, home []string) (*node, error) {
	if len(segs) == 1 && segs[0].interp != nil {
		v, _, err := r.interp(segs[0].interp, home)
		return v, err
	}
	var sb strings.Builder
	plain := true
	for _, s := range segs {
		if s.interp == nil {
			sb.WriteString(s.lit)
			continue
		}
		plain = false
		v, _, err := r.interp(s.interp, home)
		if err != nil {
			return nil, err
		}
		sb.WriteString(v.text())
	}
	if plain && !quoted {
		// A list or dict argument, ${oc.select:key,[a, b]}, is one, as
		// OmegaConf's grammar reads it.
		if t := sb.String(); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
			p := &valueParser{s: t}
			if v, err := p.element(true); err == nil {
				if p.space(); p.i == len(p.s) {
					return v, nil
				}
			}
		}
		return typed(sb.String()), nil
	}
	return strNode(sb.String()), nil
}

func (r *resolver) interp(in *interp, home []string) (*node, []string, error) {
	key := strings.Join(home, ".")
	if in.resolver != "" {
		fn, ok := resolvers[in.resolver]
		if !ok {
			return nil, nil, errorf(key, "%s: unknown resolver %q in %s%s", key, in.resolver, in.src, didYouMean(in.resolver, resolverNames()))
		}
		args := make([]*node, len(in.args))
		for i, a := range in.args {
			v, err := r.template(a, in.quoted[i], home)
			if err != nil {
				return nil, nil, err
			}
			args[i] = v
		}
		v, err := fn(r, args)
		if err != nil {
			return nil, nil, errorf(key, "%s: %s: %v", key, in.src, err)
		}
		return v, nil, nil
	}
	// A key reference: absolute, or relative to the map holding home.
	p := in.path
	var base []string
	if strings.HasPrefix(p, ".") {
		dots := len(p) - len(strings.TrimLeft(p, "."))
		up := dots // one dot: the containing map; each more goes up one
		if up > len(home) {
			return nil, nil, errorf(key, "%s: %s goes above the top of the config", key, in.src)
		}
		base = append([]string(nil), home[:len(home)-up]...)
		p = p[dots:]
	}
	path := base
	if p != "" {
		path = append(path, strings.Split(p, ".")...)
	}
	n, real, err := r.lookup(path)
	if err != nil {
		return nil, nil, errorf(key, "%s: %s: %s", key, in.src, err.(*Error).Msg)
	}
	return r.value(n, real)
}

// lookup walks path from the root, resolving interpolations on the way,
// and returns the node there (unresolved) with its real path.
func (r *resolver) lookup(path []string) (*node, []string, error) {
	cur, real := r.c.root, []string{}
	for i, k := range path {
		var err error
		cur, real, err = r.value(cur, real)
		if err != nil {
			return nil, nil, err
		}
		where := strings.Join(path[:i], ".")
		if cur.kind == kList {
			idx := -1
			fmt.Sscanf(k, "%d", &idx)
			if idx < 0 || idx >= len(cur.items) || fmt.Sprint(idx) != k {
				return nil, nil, errorf(where, "%s is a list of %d; %q is not an index", where, len(cur.items), k)
			}
			cur, real = cur.items[idx], append(append([]string(nil), real...), k)
			continue
		}
		if cur.kind != kMap {
			return nil, nil, errorf(where, "%s is %s, not a section with key %q", where, cur.kind, k)
		}
		next, ok := cur.kv[k]
		if !ok {
			full := strings.Join(path[:i+1], ".")
			return nil, nil, errorf(full, "no key %q%s", full, didYouMean(k, keysOf(cur)))
		}
		if real != nil {
			real = append(append([]string(nil), real...), k)
		}
		cur = next
	}
	return cur, real, nil
}

// deep resolves every interpolation in n (found at home) into a copy.
func (r *resolver) deep(n *node, home []string) (*node, error) {
	v, real, err := r.value(n, home)
	if err != nil {
		return nil, err
	}
	switch v.kind {
	case kMap:
		out := newMap()
		for _, k := range v.keys {
			c, err := r.deep(v.kv[k], append(append([]string(nil), real...), k))
			if err != nil {
				return nil, err
			}
			out.set(k, c)
		}
		return out, nil
	case kList:
		out := &node{kind: kList, items: make([]*node, len(v.items))}
		for i, item := range v.items {
			c, err := r.deep(item, append(append([]string(nil), real...), fmt.Sprint(i)))
			if err != nil {
				return nil, err
			}
			out.items[i] = c
		}
		return out, nil
	case kString:
		if v.kind == kString && strings.Contains(v.s, `\${`) {
			return strNode(strings.ReplaceAll(v.s, `\${`, "${")), nil
		}
	}
	return v, nil
}

// resolvers are the ${name:args} functions: OmegaConf's oc.env, oc.select
// and oc.decode, and ml-act's dtype.
var resolvers map[string]func(r *resolver, args []*node) (*node, error)

func init() {
	resolvers = map[string]func(r *resolver, args []*node) (*node, error){
		"oc.env": func(r *resolver, args []*node) (*node, error) {
			if len(args) < 1 || len(args) > 2 || args[0].kind != kString {
				return nil, fmt.Errorf("want ${oc.env:VARIABLE} or ${oc.env:VARIABLE,default}")
			}
			if v, ok := r.c.env(args[0].s); ok {
				return strNode(v), nil
			}
			if len(args) == 1 {
				return nil, fmt.Errorf("environment variable %s is not set and has no default", args[0].s)
			}
			if d := args[1]; d.kind != kNull && d.kind != kString {
				return strNode(d.text()), nil
			}
			return args[1], nil
		},
		"oc.select": func(r *resolver, args []*node) (*node, error) {
			if len(args) < 1 || len(args) > 2 || args[0].kind != kString {
				return nil, fmt.Errorf("want ${oc.select:key} or ${oc.select:key,default}")
			}
			n, real, err := r.lookup(strings.Split(args[0].s, "."))
			if err != nil {
				if len(args) == 2 {
					return args[1], nil
				}
				return &node{kind: kNull}, nil
			}
			v, _, err := r.value(n, real)
			return v, err
		},
		"oc.decode": func(r *resolver, args []*node) (*node, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("want ${oc.decode:string}")
			}
			if args[0].kind != kString {
				return args[0], nil
			}
			p := &valueParser{s: args[0].s}
			v, err := p.element(true)
			if err != nil {
				return nil, err
			}
			return v, nil
		},
		// ml-act registers dtype to turn "torch.float32" into a torch dtype;
		// here it names the dtype: "float32", "bfloat16", "float16".
		"dtype": func(r *resolver, args []*node) (*node, error) {
			if len(args) != 1 || args[0].kind != kString {
				return nil, fmt.Errorf("want ${dtype:torch.float32}")
			}
			name := strings.TrimPrefix(args[0].s, "torch.")
			switch name {
			case "float32", "float", "bfloat16", "float16", "half":
			default:
				return nil, fmt.Errorf("unknown dtype %q (float32, bfloat16, float16)", args[0].s)
			}
			return strNode(name), nil
		},
	}
}

func resolverNames() []string {
	names := make([]string, 0, len(resolvers))
	for k := range resolvers {
		names = append(names, k)
	}
	return names
}
