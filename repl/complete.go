package repl

import (
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"unicode"
)

// builtins are Go's predeclared identifiers offered by completion.
var builtins = []string{
	"append", "cap", "clear", "close", "complex", "copy", "delete", "false", "imag",
	"len", "make", "max", "min", "new", "nil", "panic", "print", "println", "real",
	"recover", "true", "bool", "byte", "error", "float32", "float64", "int", "int64",
	"string", "uint64", "any",
}

// Complete returns the completions of the word that ends at byte offset pos
// of line, and the offset where that word starts. Words are identifiers in
// scope (variables, declared names, act names, imported packages, keywords),
// members of imported packages ("fmt.Pr"), fields and methods of variables
// ("m.Gen", "t.Meta.Me"), meta-commands (":he") and act names after :help.
// Candidates are whole words, sorted.
func (s *Session) Complete(line string, pos int) (cands []string, start int) {
	if pos > len(line) || pos < 0 {
		pos = len(line)
	}
	head := line[:pos]
	if t := strings.TrimLeft(head, " "); strings.HasPrefix(t, ":load ") {
		// File names: the whole argument is the word.
		arg := strings.TrimLeft(t[len(":load "):], " ")
		return goFiles(arg), len(head) - len(arg)
	}
	start = pos
	for start > 0 {
		c := rune(head[start-1])
		if c == '.' || c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c) || c >= 0x80 {
			start--
			continue
		}
		break
	}
	word := head[start:]
	before := strings.TrimSpace(head[:start])
	switch {
	case before == ":" && strings.TrimSpace(line[:start]) == ":":
		start-- // complete ":he" as a whole
		for _, c := range metaCommands {
			if strings.HasPrefix(c.name, word) {
				cands = append(cands, ":"+c.name)
			}
		}
		return cands, start
	case strings.HasPrefix(before, ":"):
		if m, err := ParseMeta(before + " x"); err == nil && m.Name == "help" {
			return filterPrefix(actNames(true), word), start
		}
		return nil, start
	}
	dot := strings.LastIndexByte(word, '.')
	if dot < 0 {
		return filterPrefix(s.scopeNames(), word), start
	}
	base, partial := word[:dot], word[dot+1:]
	var names []string
	if path, ok := s.pkgs[base]; ok {
		for name := range s.in.Symbols(path)[path] {
			names = append(names, name)
		}
	} else if v, ok := s.lookup(base); ok {
		names = members(v)
	}
	cands = filterPrefix(names, partial)
	for i := range cands {
		cands[i] = base + "." + cands[i]
	}
	return cands, start
}

// scopeNames lists every name an identifier may complete to.
func (s *Session) scopeNames() []string {
	var names []string
	for n := range s.in.Globals() {
		names = append(names, n)
	}
	for n := range s.decls {
		names = append(names, n)
	}
	for n := range s.pkgs {
		names = append(names, n)
	}
	names = append(names, actNames(false)...)
	for k := token.BREAK; k <= token.VAR; k++ {
		if k.IsKeyword() {
			names = append(names, k.String())
		}
	}
	names = append(names, builtins...)
	return names
}

// lookup resolves a chain of identifiers and fields ("m", "t.Meta") to a
// value without calling anything.
func (s *Session) lookup(expr string) (reflect.Value, bool) {
	parts := strings.Split(expr, ".")
	v, ok := s.in.Globals()[parts[0]]
	if !ok || !v.IsValid() {
		return reflect.Value{}, false
	}
	for _, p := range parts[1:] {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, false
		}
		f, ok := v.Type().FieldByName(p)
		if !ok || !f.IsExported() {
			return reflect.Value{}, false
		}
		v = v.FieldByIndex(f.Index)
	}
	return v, true
}

// members lists the exported methods and fields of a value's type.
func members(v reflect.Value) []string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if !seen[n] && token.IsExported(n) {
			seen[n] = true
			names = append(names, n)
		}
	}
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	t := v.Type()
	for _, tt := range []reflect.Type{t, reflect.PointerTo(t)} {
		for i := 0; i < tt.NumMethod(); i++ {
			add(tt.Method(i).Name)
		}
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			add(t.Field(i).Name)
		}
	}
	return names
}

// filterPrefix returns the sorted, distinct names starting with prefix.
func filterPrefix(names []string, prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && !seen[n] && n != "_" {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// goFiles lists the directories and .go files whose path starts with
// prefix, directories with a trailing slash.
func goFiles(prefix string) []string {
	dir, base := filepath.Split(prefix)
	entries, err := os.ReadDir(filepath.Clean(dir + "."))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, base) || (strings.HasPrefix(n, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		switch {
		case e.IsDir():
			out = append(out, dir+n+"/")
		case strings.HasSuffix(n, ".go"):
			out = append(out, dir+n)
		}
	}
	sort.Strings(out)
	return out
}
