package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kind is the type of a config value.
type kind int

const (
	kNull kind = iota
	kMap
	kList
	kString
	kInt
	kFloat
	kBool
)

func (k kind) String() string {
	return [...]string{"null", "a section", "a list", "a string", "an integer", "a number", "a boolean"}[k]
}

// node is one value of a config tree. Maps keep their keys in order.
// Strings may hold ${...} interpolations, resolved on access.
type node struct {
	kind  kind
	keys  []string
	kv    map[string]*node
	items []*node
	s     string
	i     int64
	f     float64
	b     bool
}

func newMap() *node                { return &node{kind: kMap, kv: map[string]*node{}} }
func strNode(s string) *node       { return &node{kind: kString, s: s} }
func isInterp(n *node) bool        { return n != nil && n.kind == kString && hasInterp(n.s) }
func (n *node) get(k string) *node { return n.kv[k] }

// set puts v at key k of map n, keeping the key's place if it exists.
func (n *node) set(k string, v *node) {
	if _, ok := n.kv[k]; !ok {
		n.keys = append(n.keys, k)
	}
	n.kv[k] = v
}

func (n *node) del(k string) {
	if _, ok := n.kv[k]; !ok {
		return
	}
	delete(n.kv, k)
	for i, key := range n.keys {
		if key == k {
			n.keys = append(n.keys[:i:i], n.keys[i+1:]...)
			break
		}
	}
}

// clone copies a tree deeply.
func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := *n
	switch n.kind {
	case kMap:
		c.keys = append([]string(nil), n.keys...)
		c.kv = make(map[string]*node, len(n.kv))
		for k, v := range n.kv {
			c.kv[k] = v.clone()
		}
	case kList:
		c.items = make([]*node, len(n.items))
		for i, v := range n.items {
			c.items[i] = v.clone()
		}
	}
	return &c
}

// merge merges src into dst as OmegaConf does: maps merge key by key
// (existing keys keep their place, new ones are appended), anything else
// replaces. It returns the merged value.
func merge(dst, src *node) *node {
	if dst == nil || dst.kind != kMap || src.kind != kMap {
		return src.clone()
	}
	for _, k := range src.keys {
		dst.set(k, merge(dst.kv[k], src.kv[k]))
	}
	return dst
}

// equal reports whether two unresolved trees hold the same values.
func equal(a, b *node) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case kMap:
		if len(a.keys) != len(b.keys) {
			return false
		}
		for _, k := range a.keys {
			if bv, ok := b.kv[k]; !ok || !equal(a.kv[k], bv) {
				return false
			}
		}
		return true
	case kList:
		if len(a.items) != len(b.items) {
			return false
		}
		for i := range a.items {
			if !equal(a.items[i], b.items[i]) {
				return false
			}
		}
		return true
	case kString:
		return a.s == b.s
	case kInt:
		return a.i == b.i
	case kFloat:
		return a.f == b.f || (math.IsNaN(a.f) && math.IsNaN(b.f))
	case kBool:
		return a.b == b.b
	}
	return true
}

// text renders a scalar as string interpolation shows it (Python's str for
// OmegaConf compatibility: True, None, 1.0).
func (n *node) text() string {
	switch n.kind {
	case kNull:
		return "None"
	case kString:
		return n.s
	case kInt:
		return strconv.FormatInt(n.i, 10)
	case kFloat:
		return FormatFloat(n.f)
	case kBool:
		if n.b {
			return "True"
		}
		return "False"
	}
	return n.flow()
}

// flow renders a value in the override grammar's flow style: [a, b], {k: v}.
func (n *node) flow() string {
	switch n.kind {
	case kMap:
		parts := make([]string, len(n.keys))
		for i, k := range n.keys {
			parts[i] = k + ": " + n.kv[k].flow()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case kList:
		parts := make([]string, len(n.items))
		for i, v := range n.items {
			parts[i] = v.flow()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case kNull:
		return "null"
	case kBool:
		return strconv.FormatBool(n.b)
	case kString:
		return strconv.Quote(n.s)
	}
	return n.text()
}

// FormatFloat formats f as Python's repr does (0.0, 0.5,
// 0.30000000000000004, inf, nan): how OmegaConf and pandas print floats.
func FormatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

// fromYAML converts a parsed YAML document into a tree.
func fromYAML(y *yaml.Node, file string) (*node, error) {
	bad := func(format string, args ...any) error {
		return errorf("", "%s:%d: %s", file, y.Line, fmt.Sprintf(format, args...))
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return newMap(), nil
		}
		return fromYAML(y.Content[0], file)
	case yaml.AliasNode:
		return fromYAML(y.Alias, file)
	case yaml.MappingNode:
		m := newMap()
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, bad("a key must be a plain name")
			}
			if k.Tag == "!!merge" {
				return nil, bad("YAML merge keys (<<) are not supported")
			}
			if _, dup := m.kv[k.Value]; dup {
				return nil, bad("key %q appears twice", k.Value)
			}
			val, err := fromYAML(v, file)
			if err != nil {
				return nil, err
			}
			m.set(k.Value, val)
		}
		return m, nil
	case yaml.SequenceNode:
		l := &node{kind: kList, items: []*node{}}
		for _, c := range y.Content {
			val, err := fromYAML(c, file)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, val)
		}
		return l, nil
	case yaml.ScalarNode:
		switch y.ShortTag() {
		case "!!null":
			return &node{kind: kNull}, nil
		case "!!bool":
			var b bool
			if err := y.Decode(&b); err != nil {
				return nil, bad("%v", err)
			}
			return &node{kind: kBool, b: b}, nil
		case "!!int":
			var i int64
			if err := y.Decode(&i); err != nil {
				return nil, bad("%v", err)
			}
			return &node{kind: kInt, i: i}, nil
		case "!!float":
			var f float64
			if err := y.Decode(&f); err != nil {
				return nil, bad("%v", err)
			}
			return &node{kind: kFloat, f: f}, nil
		case "!!str", "!!binary", "!!timestamp":
			return strNode(y.Value), nil
		}
		return nil, bad("unsupported YAML tag %s", y.ShortTag())
	}
	return nil, bad("unsupported YAML node")
}

// parseYAML reads one config file's text.
func parseYAML(data []byte, file string) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		msg = strings.TrimPrefix(msg, "yaml: ")
		return nil, errorf("", "%s: not valid YAML: %s", file, msg)
	}
	n, err := fromYAML(&doc, file)
	if err != nil {
		return nil, err
	}
	if n.kind == kNull {
		return newMap(), nil
	}
	if n.kind != kMap {
		return nil, errorf("", "%s: a config file must hold a mapping of keys, not %s", file, n.kind)
	}
	return n, nil
}

// toYAML converts a tree for printing.
func toYAML(n *node) *yaml.Node {
	switch n.kind {
	case kMap:
		y := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range n.keys {
			y.Content = append(y.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, toYAML(n.kv[k]))
		}
		return y
	case kList:
		y := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, v := range n.items {
			y.Content = append(y.Content, toYAML(v))
		}
		return y
	case kNull:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case kString:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: n.s}
	case kInt:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(n.i, 10)}
	case kFloat:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: yamlFloat(n.f)}
	case kBool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(n.b)}
	}
	return nil
}

func yamlFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	return FormatFloat(f)
}

// keysOf returns a map's keys, sorted, for suggestions.
func keysOf(n *node) []string {
	if n == nil || n.kind != kMap {
		return nil
	}
	k := append([]string(nil), n.keys...)
	sort.Strings(k)
	return k
}
