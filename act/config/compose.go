package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Options says what to compose.
type Options struct {
	// Name is the primary config, e.g. "text_generation" (".yaml" optional).
	Name string
	// Dirs are the user's config folders (--config-dir), searched in order
	// before Base: a file there adds a group option or replaces Base's.
	Dirs []string
	// Base holds the built-in configs (configs.FS); nil for none.
	Base fs.FS
	// Overrides are command-line overrides in Hydra's grammar.
	Overrides []string
	// LookupEnv reads environment variables for ${oc.env:...}; nil is
	// os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Config is a composed config: the primary file, its defaults list with
// the chosen group options merged in, and the overrides applied.
// Interpolations are resolved when values are read.
type Config struct {
	root    *node
	choices []Choice
	env     func(string) (string, bool)
}

// Choice is the option chosen for one config group.
type Choice struct {
	Group, Option string
}

// source is one folder of configs in the search path.
type source struct {
	name string // for messages
	fsys fs.FS
}

type composer struct {
	sources []source
}

// Compose builds a config as Hydra does for `--config-name Name
// overrides...`: it reads the primary file, merges the entries of its
// defaults list in order (_self_, group options, config paths), with the
// group choices the overrides make, then applies the value overrides. Errors
// are *Error with one line each.
func Compose(o Options) (*Config, error) {
	c := &composer{}
	for _, d := range o.Dirs {
		st, err := os.Stat(d)
		if err != nil || !st.IsDir() {
			return nil, errorf("", "config folder %s does not exist", d)
		}
		c.sources = append(c.sources, source{name: d, fsys: os.DirFS(d)})
	}
	if o.Base != nil {
		c.sources = append(c.sources, source{name: "built-in configs", fsys: o.Base})
	}
	env := o.LookupEnv
	if env == nil {
		env = os.LookupEnv
	}
	name := strings.TrimSuffix(o.Name, ".yaml")
	if name == "" {
		return nil, errorf("", "no config name (--config-name)")
	}
	primary, _, err := c.read(name + ".yaml")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errorf("", "no config %q%s", name, didYouMean(name, c.options("")))
		}
		return nil, err
	}
	defaults, err := parseDefaults(primary, name+".yaml")
	if err != nil {
		return nil, err
	}

	// Overrides: group choices first, values after composition.
	var values []override
	for _, raw := range o.Overrides {
		ov, err := parseOverride(raw)
		if err != nil {
			return nil, err
		}
		if !strings.Contains(ov.key, ".") && c.isGroup(ov.key) {
			if defaults, err = c.overrideGroup(defaults, ov); err != nil {
				return nil, err
			}
			continue
		}
		values = append(values, ov)
	}

	cfg := &Config{root: newMap(), env: env}
	for _, d := range defaults {
		if d.self {
			cfg.root = merge(cfg.root, primary)
			continue
		}
		if d.option == "" { // null: nothing chosen
			cfg.choices = append(cfg.choices, Choice{Group: d.group})
			continue
		}
		file := d.group + "/" + d.option + ".yaml"
		n, pkg, err := c.read(file)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, errorf(d.group, "no option %q in config group %q%s", d.option, d.group, didYouMean(d.option, c.options(d.group)))
			}
			return nil, err
		}
		if _, ok := n.kv["defaults"]; ok {
			return nil, errorf(d.group, "%s: a defaults list inside a group option is not supported; list its configs in %s.yaml", file, name)
		}
		target := strings.ReplaceAll(d.group, "/", ".")
		switch pkg {
		case "", "_group_":
		case "_global_":
			target = ""
		default:
			target = pkg
		}
		cfg.root = mergeAt(cfg.root, target, n)
		cfg.choices = append(cfg.choices, Choice{Group: d.group, Option: d.option})
	}
	for _, ov := range values {
		if err := cfg.apply(ov); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// mergeAt merges n into root at the dotted path at ("" is the root).
func mergeAt(root *node, at string, n *node) *node {
	if at == "" {
		return merge(root, n)
	}
	keys := strings.Split(at, ".")
	cur := root
	for _, k := range keys[:len(keys)-1] {
		next := cur.kv[k]
		if next == nil || next.kind != kMap {
			next = newMap()
			cur.set(k, next)
		}
		cur = next
	}
	last := keys[len(keys)-1]
	cur.set(last, merge(cur.kv[last], n))
	return root
}

// read reads a config file from the first source that has it, with its
// "# @package" directive.
func (c *composer) read(file string) (*node, string, error) {
	for _, s := range c.sources {
		data, err := fs.ReadFile(s.fsys, file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", errorf("", "%s: %v", file, err)
		}
		n, err := parseYAML(data, file)
		if err != nil {
			return nil, "", err
		}
		return n, packageDirective(data), nil
	}
	return nil, "", fs.ErrNotExist
}

// packageDirective returns the "# @package X" of a file's header, or "".
func packageDirective(data []byte) string {
	for _, line := range bytes.Split(data, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "#") {
			break
		}
		if rest, ok := strings.CutPrefix(strings.TrimSpace(strings.TrimPrefix(l, "#")), "@package"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// isGroup reports whether some source has a folder of configs named g.
func (c *composer) isGroup(g string) bool {
	for _, s := range c.sources {
		if st, err := fs.Stat(s.fsys, g); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}

// options lists the configs of a group ("" for primary configs).
func (c *composer) options(group string) []string {
	seen := map[string]bool{}
	dir := group
	if dir == "" {
		dir = "."
	}
	for _, s := range c.sources {
		entries, _ := fs.ReadDir(s.fsys, dir)
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
				seen[strings.TrimSuffix(e.Name(), ".yaml")] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// groups lists the config groups in the search path (for messages).
func (c *composer) groups() []string {
	seen := map[string]bool{}
	for _, s := range c.sources {
		entries, _ := fs.ReadDir(s.fsys, ".")
		for _, e := range entries {
			if e.IsDir() {
				seen[e.Name()] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// defaultEntry is one entry of a defaults list.
type defaultEntry struct {
	self          bool
	group, option string // option "" when null
}

// parseDefaults takes the defaults list out of a primary config.
func parseDefaults(primary *node, file string) ([]defaultEntry, error) {
	d, ok := primary.kv["defaults"]
	if !ok {
		return []defaultEntry{{self: true}}, nil
	}
	primary.del("defaults")
	if d.kind != kList {
		return nil, errorf("defaults", "%s: defaults must be a list", file)
	}
	var out []defaultEntry
	hasSelf := false
	for _, e := range d.items {
		switch e.kind {
		case kString:
			if e.s == "_self_" {
				out, hasSelf = append(out, defaultEntry{self: true}), true
				continue
			}
			p := strings.TrimSuffix(e.s, ".yaml")
			g, opt := path.Split(p)
			if g == "" {
				return nil, errorf("defaults", "%s: defaults entry %q: a config outside a group is not supported", file, e.s)
			}
			out = append(out, defaultEntry{group: strings.TrimSuffix(g, "/"), option: opt})
		case kMap:
			if len(e.keys) != 1 {
				return nil, errorf("defaults", "%s: a defaults entry is group: option", file)
			}
			k, v := e.keys[0], e.kv[e.keys[0]]
			k = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(k, "override "), "optional "))
			if strings.Contains(k, "@") {
				return nil, errorf("defaults", "%s: package overrides (%s) are not supported", file, k)
			}
			entry := defaultEntry{group: k}
			switch v.kind {
			case kNull:
			case kString:
				entry.option = strings.TrimSuffix(v.s, ".yaml")
			default:
				return nil, errorf("defaults", "%s: defaults entry %s: the option must be one name", file, k)
			}
			out = append(out, entry)
		default:
			return nil, errorf("defaults", "%s: bad defaults entry", file)
		}
	}
	if !hasSelf {
		// Hydra 1.1+: the primary config comes after its defaults.
		out = append(out, defaultEntry{self: true})
	}
	return out, nil
}

// overrideGroup applies a group override (model=gpt2, +group=x, ~group)
// to the defaults list.
func (c *composer) overrideGroup(defaults []defaultEntry, ov override) ([]defaultEntry, error) {
	g := ov.key
	idx := -1
	for i, d := range defaults {
		if !d.self && d.group == g {
			idx = i
		}
	}
	option := ""
	if ov.hasValue {
		switch ov.value.kind {
		case kNull:
		case kString:
			option = strings.TrimSuffix(ov.value.s, ".yaml")
		default:
			return nil, errorf(g, "%s: %s is a config group; choose one of its options: %s", ov.raw, g, strings.Join(c.options(g), ", "))
		}
		if option != "" {
			if opts := c.options(g); !slices.Contains(opts, option) {
				return nil, errorf(g, "%s: no option %q in config group %q%s", ov.raw, option, g, didYouMean(option, opts))
			}
		}
	}
	switch ov.op {
	case opSet:
		if idx < 0 {
			return nil, errorf(g, "%s: group %q is not in the defaults list; add it with +%s=%s", ov.raw, g, g, option)
		}
		defaults[idx].option = option
	case opAdd:
		if idx >= 0 {
			return nil, errorf(g, "%s: group %q is already in the defaults list; change it with %s=%s", ov.raw, g, g, option)
		}
		defaults = append(defaults, defaultEntry{group: g, option: option})
	case opForceAdd:
		if idx >= 0 {
			defaults[idx].option = option
		} else {
			defaults = append(defaults, defaultEntry{group: g, option: option})
		}
	case opDelete:
		if idx < 0 {
			return nil, errorf(g, "%s: group %q is not in the defaults list", ov.raw, g)
		}
		if ov.hasValue && defaults[idx].option != option {
			return nil, errorf(g, "%s: group %q has option %q, not %q", ov.raw, g, defaults[idx].option, option)
		}
		defaults = append(defaults[:idx:idx], defaults[idx+1:]...)
	}
	return defaults, nil
}

// apply applies one value override.
func (c *Config) apply(ov override) error {
	keys := strings.Split(ov.key, ".")
	parent := c.root
	for i, k := range keys[:len(keys)-1] {
		where := strings.Join(keys[:i+1], ".")
		next, ok := parent.kv[k]
		if !ok {
			if ov.op == opAdd || ov.op == opForceAdd {
				next = newMap()
				parent.set(k, next)
			} else {
				return errorf(ov.key, "%s: no key %q%s (to add one: +%s)", ov.raw, where, didYouMean(k, keysOf(parent)), ov.raw)
			}
		}
		switch {
		case isInterp(next):
			return errorf(ov.key, "%s: %s is a reference (%s); override what it points to", ov.raw, where, next.s)
		case next.kind == kNull && (ov.op == opAdd || ov.op == opForceAdd):
			next = newMap()
			parent.set(k, next)
		case next.kind != kMap:
			return errorf(ov.key, "%s: %s is %s, not a section", ov.raw, where, next.kind)
		}
		parent = next
	}
	last := keys[len(keys)-1]
	old, exists := parent.kv[last]
	switch ov.op {
	case opSet:
		if !exists {
			return errorf(ov.key, "%s: no key %q%s (to add one: +%s)", ov.raw, ov.key, didYouMean(last, keysOf(parent)), ov.raw)
		}
		v, err := c.checkType(ov, old, keys)
		if err != nil {
			return err
		}
		parent.set(last, v)
	case opAdd:
		if exists {
			return errorf(ov.key, "%s: %s already exists; change it with %s", ov.raw, ov.key, strings.TrimPrefix(ov.raw, "+"))
		}
		parent.set(last, ov.value)
	case opForceAdd:
		parent.set(last, ov.value)
	case opDelete:
		if !exists {
			return errorf(ov.key, "%s: no key %q to remove%s", ov.raw, ov.key, didYouMean(last, keysOf(parent)))
		}
		if ov.hasValue && !equal(old, ov.value) {
			return errorf(ov.key, "%s: %s is %s, not %s", ov.raw, ov.key, old.flow(), ov.value.flow())
		}
		parent.del(last)
	}
	return nil
}

// checkType checks a new value against the type of the one it replaces
// (resolved, when it is a reference) and converts scalars given for a
// string.
func (c *Config) checkType(ov override, old *node, keys []string) (*node, error) {
	v := ov.value
	if isInterp(v) || v.kind == kNull {
		return v, nil
	}
	r := &resolver{c: c, visiting: map[string]bool{}}
	cur, _, err := r.value(old, keys)
	if err != nil {
		return v, nil // a broken reference is replaced; nothing to compare with
	}
	want := cur.kind
	bad := func(extra string) (*node, error) {
		return nil, errorf(ov.key, "%s: %s expects %s, got %s%s", ov.raw, ov.key, want, v.flow(), extra)
	}
	switch want {
	case kNull:
		return v, nil
	case kInt:
		// A float may replace an int, as in Hydra's untyped configs
		// (max_strength=1.5 where the default is 1); a key that needs an
		// integer says so when it is read.
		if v.kind != kInt && v.kind != kFloat {
			return bad("")
		}
	case kFloat:
		if v.kind == kInt {
			return &node{kind: kFloat, f: float64(v.i)}, nil
		}
		if v.kind != kFloat {
			return bad("")
		}
	case kBool:
		if v.kind != kBool {
			return bad(" (true or false)")
		}
	case kString:
		switch v.kind {
		case kMap, kList:
			return bad("")
		case kString:
		default:
			return strNode(v.flow()), nil
		}
	case kList:
		if v.kind != kList {
			return bad(fmt.Sprintf(" (write a list: %s=[...])", ov.key))
		}
	case kMap:
		if v.kind != kMap {
			return bad(fmt.Sprintf(" (set its keys: %s)", strings.Join(prefixed(ov.key, keysOf(cur)), ", ")))
		}
	}
	return v, nil
}

func prefixed(p string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = p + "." + k
	}
	if len(out) > 4 {
		out = append(out[:4], "…")
	}
	return out
}

// Choices returns the option chosen for each config group, in defaults
// order ("" when a group is set to null).
func (c *Config) Choices() []Choice { return append([]Choice(nil), c.choices...) }

// YAML returns the config as YAML text: as composed (interpolations kept,
// as `--cfg job` prints it) or with every interpolation resolved.
func (c *Config) YAML(resolve bool) (string, error) {
	n := c.root
	if resolve {
		var err error
		if n, err = (&resolver{c: c, visiting: map[string]bool{}}).deep(c.root, []string{}); err != nil {
			return "", err
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(toYAML(n)); err != nil {
		return "", errorf("", "config: %v", err)
	}
	enc.Close()
	return buf.String(), nil
}

// Check resolves every value once, so that a broken reference or a
// missing environment variable is reported before anything runs.
func (c *Config) Check() error {
	_, err := (&resolver{c: c, visiting: map[string]bool{}}).deep(c.root, []string{})
	return err
}

// Group is a config group and its options.
type Group struct {
	Name    string
	Options []string
}

// Groups lists the config groups found in dirs and base, with their
// options, and the primary configs under the name "".
func Groups(dirs []string, base fs.FS) []Group {
	c := &composer{}
	for _, d := range dirs {
		c.sources = append(c.sources, source{name: d, fsys: os.DirFS(d)})
	}
	if base != nil {
		c.sources = append(c.sources, source{name: "built-in configs", fsys: base})
	}
	out := []Group{{Name: "", Options: c.options("")}}
	for _, g := range c.groups() {
		if opts := c.options(g); len(opts) > 0 {
			out = append(out, Group{Name: g, Options: opts})
		}
	}
	return out
}
