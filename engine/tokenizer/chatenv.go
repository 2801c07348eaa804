package tokenizer

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/ardanlabs/jinja"
)

// This file is the Jinja environment transformers renders chat templates
// in (apply_chat_template → render_jinja_template →
// _compile_jinja_template), on github.com/ardanlabs/jinja. The engine
// parses and runs the template (expressions, if/for/set/macro/call,
// break and continue, {% generation %}, namespace, loop variables, most
// filters and tests); these shims make it behave as jinja2 where its own
// behaviour differs:
//
//   - whitespace: [normalizeTemplate] applies jinja2's rules
//     (trim_blocks, lstrip_blocks, "-" and "+" markers, newlines, raw
//     blocks) before the engine sees the template, and decodes string
//     literals as Python does;
//   - tojson is transformers' json.dumps(x, ensure_ascii=False,
//     indent=indent, separators=separators, sort_keys=sort_keys)
//     ([pyJSON]; the engine's escapes <, >, & and sorts keys with indent);
//   - trim, wordcount, title, capitalize, upper, lower and indent are
//     jinja2's (Python's whitespace and case mappings, \w+ words, jinja2's
//     word starts, blank lines), and so are the str methods of
//     [stringMethods] (strip, split, title, join, ...):
//     normalizeTemplate renames the filters and turns the method calls
//     into filters of ours ([rewriteTag]);
//   - values print as Python's str() prints them (None, True, 1.0, lists
//     and dicts), every {{ }} going through py_str;
//   - the globals raise_exception (a [*TemplateError]) and strftime_now
//     (on [ChatTemplate.Now]), and the variables messages, tools and
//     documents (None), add_generation_prompt and the special tokens.

// replacedFilters are the filters normalizeTemplate renames to ours.
var replacedFilters = map[string]string{
	"tojson":     "hf_tojson",
	"trim":       "py_trim",
	"wordcount":  "py_wordcount",
	"title":      "py_title",
	"capitalize": "py_capitalize",
	"upper":      "py_upper",
	"lower":      "py_lower",
	"indent":     "py_indent",
}

// ourFilters are the filters and str methods (py_str_*) of this file, by
// the names normalizeTemplate gives them.
var ourFilters = map[string]func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error){
	"hf_tojson":     filterToJSON,
	"py_trim":       filterTrim,
	"py_wordcount":  stringFilter("wordcount", func(s string) jinja.Value { return jinja.NewInt(int64(pyWordCount(s))) }),
	"py_title":      stringFilter("title", func(s string) jinja.Value { return jinja.NewString(jinjaTitle(s)) }),
	"py_capitalize": stringFilter("capitalize", func(s string) jinja.Value { return jinja.NewString(pyCapitalize(s)) }),
	"py_upper":      stringFilter("upper", func(s string) jinja.Value { return jinja.NewString(pyUpper(s)) }),
	"py_lower":      stringFilter("lower", func(s string) jinja.Value { return jinja.NewString(pyLower(s)) }),
	"py_indent":     filterIndent,
	"py_str": func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		return jinja.NewString(pyStr(args[0])), nil
	},

	"py_str_strip":  stripMethod("strip", true, true),
	"py_str_lstrip": stripMethod("lstrip", true, false),
	"py_str_rstrip": stripMethod("rstrip", false, true),
	"py_str_split":  splitMethod(false),
	"py_str_rsplit": splitMethod(true),
	"py_str_splitlines": func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
		s, err := receiver("splitlines", args)
		if err == nil {
			_, err = bindArgs("str.splitlines", args, kwargs)
		}
		if err != nil {
			return jinja.Undefined(), err
		}
		return stringList(pySplitLines(s)), nil
	},
	"py_str_join": func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
		s, err := receiver("join", args)
		var arg map[string]jinja.Value
		if err == nil {
			arg, err = bindArgs("str.join", args, kwargs, "iterable")
		}
		if err != nil {
			return jinja.Undefined(), err
		}
		if !arg["iterable"].IsList() {
			return jinja.Undefined(), fmt.Errorf("str.join: can only join a list, not %s", pyRepr(arg["iterable"]))
		}
		parts := make([]string, 0, arg["iterable"].AsList().Len())
		for i, it := range arg["iterable"].AsList().Items {
			if !it.IsString() {
				return jinja.Undefined(), fmt.Errorf("str.join: sequence item %d: expected str instance, %s found", i, pyRepr(it))
			}
			parts = append(parts, it.AsString())
		}
		return jinja.NewString(strings.Join(parts, s)), nil
	},
	"py_str_removeprefix": affixRemover("removeprefix", strings.TrimPrefix),
	"py_str_removesuffix": affixRemover("removesuffix", strings.TrimSuffix),
	"py_str_title":        stringMethod("title", pyTitle),
	"py_str_capitalize":   stringMethod("capitalize", pyCapitalize),
	"py_str_upper":        stringMethod("upper", pyUpper),
	"py_str_lower":        stringMethod("lower", pyLower),
	"py_str_startswith":   affixMethod("startswith", strings.HasPrefix),
	"py_str_endswith":     affixMethod("endswith", strings.HasSuffix),
}

// compiledTemplate is a template ready for the engine.
type compiledTemplate struct {
	t *jinja.Template
}

func compileTemplate(source string) (*compiledTemplate, error) {
	norm, err := normalizeTemplate(source)
	if err != nil {
		return nil, err
	}
	t, err := jinja.Compile(norm)
	if err != nil {
		return nil, err
	}
	return &compiledTemplate{t: t}, nil
}

func (t *compiledTemplate) render(c *ChatTemplate, messages []map[string]any, opts ChatOptions) (string, error) {
	data := make(map[string]jinja.Value, len(c.SpecialTokens)+len(opts.Vars)+10)
	for k, v := range c.SpecialTokens {
		data[k] = toValue(v)
	}
	data["tools"] = jinja.None()
	data["documents"] = jinja.None()
	for k, v := range opts.Vars {
		data[k] = toValue(v)
	}
	msgs := make([]jinja.Value, len(messages))
	for i, m := range messages {
		msgs[i] = toValue(m)
	}
	data["messages"] = jinja.NewList(msgs)
	data["add_generation_prompt"] = jinja.NewBool(opts.AddGenerationPrompt)
	data["raise_exception"] = jinja.NewCallable("raise_exception", raiseException)
	data["strftime_now"] = jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		if len(args) != 1 || !args[0].IsString() {
			return jinja.Undefined(), errors.New("strftime_now takes one format string")
		}
		return jinja.NewString(strftime(c.now(), args[0].AsString())), nil
	})
	for name, f := range ourFilters {
		data[name] = jinja.NewCallable(name, f)
	}
	return t.t.RenderValues(data)
}

func raiseException(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	if len(args) == 0 {
		return jinja.Undefined(), &TemplateError{}
	}
	return jinja.Undefined(), &TemplateError{Message: pyStr(args[0])}
}

// bindArgs binds a call's arguments to the parameters of a Python
// function def f(x, names...): args[0] is x; missing ones are undefined.
func bindArgs(call string, args []jinja.Value, kwargs map[string]jinja.Value, names ...string) (map[string]jinja.Value, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%s: missing its input", call)
	}
	if len(args)-1 > len(names) {
		return nil, fmt.Errorf("%s takes at most %d arguments (%d given)", call, len(names), len(args)-1)
	}
	bound := make(map[string]jinja.Value, len(names))
	for i, a := range args[1:] {
		bound[names[i]] = a
	}
	for k, v := range kwargs {
		if !slices.Contains(names, k) {
			return nil, fmt.Errorf("%s got an unexpected keyword argument %q", call, k)
		}
		bound[k] = v
	}
	return bound, nil
}

// given reports whether an argument was given and is not None.
func given(v jinja.Value) bool { return !v.IsUndefined() && !v.IsNone() }

// filterToJSON is transformers' tojson: json.dumps(x, ensure_ascii=False,
// indent=None, separators=None, sort_keys=False).
func filterToJSON(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
	arg, err := bindArgs("tojson", args, kwargs, "ensure_ascii", "indent", "separators", "sort_keys")
	if err != nil {
		return jinja.Undefined(), err
	}
	var indent *string
	if v := arg["indent"]; given(v) {
		var s string
		switch {
		case v.IsInt():
			s = strings.Repeat(" ", max(0, int(v.AsInt())))
		case v.IsString():
			s = v.AsString()
		default:
			return jinja.Undefined(), fmt.Errorf("tojson: indent must be an int or a string, not %s", v)
		}
		indent = &s
	}
	var separators []string
	if v := arg["separators"]; given(v) {
		if v.IsList() {
			for _, s := range v.AsList().Items {
				separators = append(separators, pyStr(s))
			}
		}
		if len(separators) != 2 {
			return jinja.Undefined(), errors.New("tojson: separators must be (item_separator, key_separator)")
		}
	}
	o := newJSONOptions(arg["ensure_ascii"].IsTruthy(), indent, separators, arg["sort_keys"].IsTruthy())
	x, err := fromValue(args[0])
	if err != nil {
		return jinja.Undefined(), err
	}
	s, err := pyJSON(x, o)
	if err != nil {
		return jinja.Undefined(), err
	}
	return jinja.NewString(s), nil
}

// filterTrim is jinja2's trim: str(value).strip(chars).
func filterTrim(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
	arg, err := bindArgs("trim", args, kwargs, "chars")
	if err != nil {
		return jinja.Undefined(), err
	}
	var chars *string
	if v := arg["chars"]; given(v) {
		s := pyStr(v)
		chars = &s
	}
	return jinja.NewString(pyStrip(pyStr(args[0]), chars, true, true)), nil
}

// filterIndent is jinja2's indent(width=4, first=False, blank=False).
func filterIndent(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
	arg, err := bindArgs("indent", args, kwargs, "width", "first", "blank")
	if err != nil {
		return jinja.Undefined(), err
	}
	indent := "    "
	if v := arg["width"]; given(v) {
		switch {
		case v.IsInt():
			indent = strings.Repeat(" ", max(0, int(v.AsInt())))
		case v.IsString():
			indent = v.AsString()
		default:
			return jinja.Undefined(), fmt.Errorf("indent: width must be an int or a string, not %s", v)
		}
	}
	return jinja.NewString(jinjaIndent(pyStr(args[0]), indent, arg["first"].IsTruthy(), arg["blank"].IsTruthy())), nil
}

// stringFilter is a jinja2 filter of str(value) without arguments.
func stringFilter(name string, f func(string) jinja.Value) func([]jinja.Value, map[string]jinja.Value) (jinja.Value, error) {
	return func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
		if _, err := bindArgs(name, args, kwargs); err != nil {
			return jinja.Undefined(), err
		}
		return f(pyStr(args[0])), nil
	}
}

// receiver returns the str a method is called on.
func receiver(method string, args []jinja.Value) (string, error) {
	if len(args) == 0 || !args[0].IsString() {
		kind := "undefined"
		if len(args) > 0 && !args[0].IsUndefined() {
			kind = pyRepr(args[0])
		}
		return "", fmt.Errorf("%s has no attribute %q (only str has)", kind, method)
	}
	return args[0].AsString(), nil
}

// stringMethod is a str method without arguments.
func stringMethod(name string, f func(string) string) func([]jinja.Value, map[string]jinja.Value) (jinja.Value, error) {
	return func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
		s, err := receiver(name, args)
		if err == nil {
			_, err = bindArgs("str."+name, args, kwargs)
		}
		if err != nil {
			return jinja.Undefined(), err
		}
		return jinja.NewString(f(s)), nil
	}
}

// stripMethod is str.strip, str.lstrip or str.rstrip(chars=None).
func stripMethod(name string, left, right bool) func([]jinja.Value, map[string]jinja.Value) (jinja.Value, error) {
	return func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
		s, err := receiver(name, args)
		var arg map[string]jinja.Value
		if err == nil {
			arg, err = bindArgs("str."+name, args, kwargs, "chars")
		}
		if err != nil {
			return jinja.Undefined(), err
		}
		var chars *string
		if v := arg["chars"]; given(v) {
			if !v.IsString() {
				return jinja.Undefined(), fmt.Errorf("str.%s: chars must be a str, not %s", name, pyRepr(v))
			}
			c := v.AsString()
			chars = &c
		}
		return jinja.NewString(pyStrip(s, chars, left, right)), nil
	}
}

// splitMethod is str.split or str.rsplit(sep=None, maxsplit=-1).
func splitMethod(right bool) func([]jinja.Value, map[string]jinja.Value) (jinja.Value, error) {
	name := "split"
	if right {
		name = "rsplit"
	}
	return func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
		s, err := receiver(name, args)
		var arg map[string]jinja.Value
		if err == nil {
			arg, err = bindArgs("str."+name, args, kwargs, "sep", "maxsplit")
		}
		if err != nil {
			return jinja.Undefined(), err
		}
		var sep *string
		if v := arg["sep"]; given(v) {
			if !v.IsString() {
				return jinja.Undefined(), fmt.Errorf("str.%s: sep must be a str, not %s", name, pyRepr(v))
			}
			if v.AsString() == "" {
				return jinja.Undefined(), fmt.Errorf("str.%s: empty separator", name)
			}
			c := v.AsString()
			sep = &c
		}
		maxsplit := -1
		if v := arg["maxsplit"]; given(v) {
			if !v.IsInt() {
				return jinja.Undefined(), fmt.Errorf("str.%s: maxsplit must be an int, not %s", name, pyRepr(v))
			}
			maxsplit = int(v.AsInt())
		}
		if right {
			return stringList(pyRSplit(s, sep, maxsplit)), nil
		}
		return stringList(pySplit(s, sep, maxsplit)), nil
	}
}

// stringList is a list of strings for the engine.
func stringList(parts []string) jinja.Value {
	items := make([]jinja.Value, len(parts))
	for i, p := range parts {
		items[i] = jinja.NewString(p)
	}
	return jinja.NewList(items)
}

// affixRemover is str.removeprefix or str.removesuffix(affix).
func affixRemover(name string, remove func(s, affix string) string) func([]jinja.Value, map[string]jinja.Value) (jinja.Value, error) {
	return func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
		s, err := receiver(name, args)
		var arg map[string]jinja.Value
		if err == nil {
			arg, err = bindArgs("str."+name, args, kwargs, "affix")
		}
		if err != nil {
			return jinja.Undefined(), err
		}
		if !arg["affix"].IsString() {
			return jinja.Undefined(), fmt.Errorf("str.%s: the argument must be a str, not %s", name, pyRepr(arg["affix"]))
		}
		return jinja.NewString(remove(s, arg["affix"].AsString())), nil
	}
}

// affixMethod is str.startswith or str.endswith(affix, start=None,
// end=None), the affix a str or a list (tuple) of them.
func affixMethod(name string, has func(s, affix string) bool) func([]jinja.Value, map[string]jinja.Value) (jinja.Value, error) {
	return func(args []jinja.Value, kwargs map[string]jinja.Value) (jinja.Value, error) {
		s, err := receiver(name, args)
		var arg map[string]jinja.Value
		if err == nil {
			arg, err = bindArgs("str."+name, args, kwargs, "affix", "start", "end")
		}
		if err != nil {
			return jinja.Undefined(), err
		}
		runes := []rune(s)
		lo, hi := 0, len(runes)
		clamp := func(v jinja.Value, def int) (int, error) {
			if !given(v) {
				return def, nil
			}
			if !v.IsInt() {
				return 0, fmt.Errorf("str.%s: slice indices must be integers, not %s", name, pyRepr(v))
			}
			i := int(v.AsInt())
			if i < 0 {
				i += len(runes)
			}
			return min(max(i, 0), len(runes)), nil
		}
		if lo, err = clamp(arg["start"], lo); err != nil {
			return jinja.Undefined(), err
		}
		if hi, err = clamp(arg["end"], hi); err != nil {
			return jinja.Undefined(), err
		}
		if lo > hi {
			return jinja.NewBool(false), nil
		}
		sub := string(runes[lo:hi])
		affixes := []jinja.Value{arg["affix"]}
		if v := arg["affix"]; v.IsList() {
			affixes = v.AsList().Items
		}
		for _, a := range affixes {
			if !a.IsString() {
				return jinja.Undefined(), fmt.Errorf("str.%s: the affix must be a str or a tuple of str, not %s", name, pyRepr(a))
			}
			if has(sub, a.AsString()) {
				return jinja.NewBool(true), nil
			}
		}
		return jinja.NewBool(false), nil
	}
}

// toValue turns a Go value of a message or a variable into the engine's.
func toValue(x any) jinja.Value {
	switch v := x.(type) {
	case nil:
		return jinja.None()
	case jinja.Value:
		return v
	case bool:
		return jinja.NewBool(v)
	case int:
		return jinja.NewInt(int64(v))
	case int64:
		return jinja.NewInt(v)
	case float64:
		return jinja.NewFloat(v)
	case float32:
		return jinja.NewFloat(float64(v))
	case string:
		return jinja.NewString(validUTF8(v))
	case []string:
		items := make([]jinja.Value, len(v))
		for i, s := range v {
			items[i] = jinja.NewString(validUTF8(s))
		}
		return jinja.NewList(items)
	case []any:
		items := make([]jinja.Value, len(v))
		for i, it := range v {
			items[i] = toValue(it)
		}
		return jinja.NewList(items)
	case []map[string]any:
		items := make([]jinja.Value, len(v))
		for i, it := range v {
			items[i] = toValue(it)
		}
		return jinja.NewList(items)
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, s := range v {
			m[k] = s
		}
		return toValue(m)
	case map[string]any:
		d := jinja.NewDict()
		for _, k := range messageKeyOrder(v) {
			d.AsDict().Set(k, toValue(v[k]))
		}
		return d
	}
	return jinja.FromGoValue(x)
}

// fromValue turns an engine value into what pyJSON takes.
func fromValue(v jinja.Value) (any, error) {
	switch {
	case v.IsNone():
		return nil, nil
	case v.IsBool():
		return v.AsBool(), nil
	case v.IsInt():
		return v.AsInt(), nil
	case v.IsFloat():
		return v.AsFloat(), nil
	case v.IsString():
		return v.AsString(), nil
	case v.IsList():
		out := make([]any, 0, v.AsList().Len())
		for _, it := range v.AsList().Items {
			x, err := fromValue(it)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	case v.IsDict():
		d := &pyDict{}
		for _, k := range v.AsDict().OrderedKeys() {
			it, _ := v.AsDict().Get(k)
			x, err := fromValue(it)
			if err != nil {
				return nil, err
			}
			d.set(k, x)
		}
		return d, nil
	case v.IsUndefined():
		return nil, errors.New("Object of type Undefined is not JSON serializable")
	}
	return nil, fmt.Errorf("Object of type %s is not JSON serializable", v)
}

// pyStr is Python's str(v) as jinja2 prints values: Undefined prints
// nothing, None "None", booleans "True"/"False", floats as repr, lists
// and dicts as their repr.
func pyStr(v jinja.Value) string {
	switch {
	case v.IsUndefined():
		return ""
	case v.IsString():
		return v.AsString()
	}
	return pyRepr(v)
}

// pyRepr is Python's repr(v).
func pyRepr(v jinja.Value) string {
	switch {
	case v.IsUndefined():
		return ""
	case v.IsNone():
		return "None"
	case v.IsBool():
		if v.AsBool() {
			return "True"
		}
		return "False"
	case v.IsInt():
		return strconv.FormatInt(v.AsInt(), 10)
	case v.IsFloat():
		f := v.AsFloat()
		switch {
		case math.IsNaN(f):
			return "nan"
		case math.IsInf(f, 1):
			return "inf"
		case math.IsInf(f, -1):
			return "-inf"
		}
		return pyFloat(f)
	case v.IsString():
		return pyStringRepr(v.AsString())
	case v.IsList():
		parts := make([]string, len(v.AsList().Items))
		for i, it := range v.AsList().Items {
			parts[i] = pyRepr(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case v.IsDict():
		var parts []string
		for _, k := range v.AsDict().OrderedKeys() {
			it, _ := v.AsDict().Get(k)
			parts = append(parts, pyStringRepr(k)+": "+pyRepr(it))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.String()
}

// pyStringRepr is Python's repr of a str: single quotes unless the text
// holds ' and no ", with backslash escapes for the characters that are
// not printable.
func pyStringRepr(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x100 && !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000 && !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}
