package repl

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"sort"
	"strings"

	"github.com/actsh/actsh/stdlib"
)

// meta runs one meta-command line.
func (s *Session) meta(line string) error {
	m, err := ParseMeta(line)
	if err != nil {
		return err
	}
	out := s.opt.Stdout
	switch m.Name {
	case "help":
		return Help(out, m.Arg)
	case "load":
		return s.Load(m.Arg)
	case "reset":
		if err := s.reset(); err != nil {
			return err
		}
		fmt.Fprintln(out, "reset: a fresh interpreter, no variables")
	case "vars":
		s.Vars(out)
	case "time":
		s.timing = !s.timing
		if s.timing {
			fmt.Fprintln(out, "timing on")
		} else {
			fmt.Fprintln(out, "timing off")
		}
	case "quit":
		return errQuit
	}
	return nil
}

// Help writes the overview (name == "") or the documentation of one name
// of package act ("Load", "Model", "Model.Generate").
func Help(w interface{ Write([]byte) (int, error) }, name string) error {
	if name == "" {
		fmt.Fprintln(w, "actsh: Go with the act package dot-imported (Load, FitLinearOT, ...) and the standard library.")
		fmt.Fprintln(w, "Type Go statements, expressions or declarations; an incomplete input continues on the next line.")
		fmt.Fprintln(w, "Tab completes names, package members and methods; Ctrl-C interrupts; Ctrl-D exits.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Commands:")
		for _, c := range metaCommands {
			fmt.Fprintf(w, "  %-16s %s\n", strings.TrimSpace(":"+c.name+" "+c.args), c.help)
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "act names (:help Name for details):")
		writeColumns(w, actNames(false), 78)
		fmt.Fprintln(w)
		fmt.Fprintln(w, `The embedded model's demos are package demo (tiny/demo): demo.Sweep(Load("tiny"), demo.Options{Concept: "food"}),`)
		fmt.Fprintln(w, `demo.DefineConcept("royalty", "king", "queen", "throne") for a concept named by its words, demo.Mitigate.`)
		return nil
	}
	name = strings.TrimPrefix(name, "act.")
	d, ok := stdlib.Docs[name]
	if !ok {
		// Methods may be asked for without their type.
		var found []string
		for k := range stdlib.Docs {
			if strings.HasSuffix(k, "."+name) {
				found = append(found, k)
			}
		}
		sort.Strings(found)
		if len(found) == 1 {
			d, ok, name = stdlib.Docs[found[0]], true, found[0]
		} else if len(found) > 1 {
			return fmt.Errorf("repl: %s is a method of several types: %s", name, strings.Join(found, ", "))
		}
	}
	if !ok {
		return fmt.Errorf("repl: no documentation for %q (:help lists the act names)", name)
	}
	fmt.Fprintln(w, d.Sig)
	if d.Text != "" {
		fmt.Fprintln(w)
		for _, l := range strings.Split(d.Text, "\n") {
			fmt.Fprintln(w, strings.TrimRight("    "+l, " "))
		}
	}
	if !strings.Contains(name, ".") {
		var methods []string
		for k := range stdlib.Docs {
			if strings.HasPrefix(k, name+".") {
				methods = append(methods, strings.TrimPrefix(k, name+"."))
			}
		}
		if len(methods) > 0 {
			sort.Strings(methods)
			fmt.Fprintln(w)
			fmt.Fprintln(w, "Methods:")
			writeColumns(w, methods, 78)
		}
	}
	return nil
}

// actNames returns the documented top-level names of act, sorted; with
// methods, "Type.Method" names too.
func actNames(methods bool) []string {
	var names []string
	for k := range stdlib.Docs {
		if k == "" || (!methods && strings.Contains(k, ".")) {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// writeColumns writes words in columns fitting width.
func writeColumns(w interface{ Write([]byte) (int, error) }, words []string, width int) {
	col := 0
	for _, s := range words {
		if len(s) > col {
			col = len(s)
		}
	}
	col += 2
	per := max(1, (width-2)/col)
	for i, s := range words {
		if i%per == 0 {
			fmt.Fprint(w, "  ")
		}
		if i%per == per-1 || i == len(words)-1 {
			fmt.Fprintln(w, s)
		} else {
			fmt.Fprintf(w, "%-*s", col, s)
		}
	}
}

// Load evaluates a Go file in the session. A file with a func main has it
// renamed to main_ (so that the interpreter does not run it after every
// later input) and run once.
func (s *Session) Load(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("repl: load %s: %w", path, err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return fmt.Errorf("repl: load %s: %w", path, err)
	}
	// Imports the session already has would be redeclarations.
	decls := f.Decls[:0]
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			specs := g.Specs[:0]
			for _, sp := range g.Specs {
				if !s.imported(sp.(*ast.ImportSpec)) {
					specs = append(specs, sp)
				}
			}
			if g.Specs = specs; len(specs) == 0 {
				continue
			}
		}
		decls = append(decls, d)
	}
	f.Decls = decls
	f.Imports = nil
	hasMain := false
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			fd.Name.Name = "main_"
			hasMain = true
		}
	}
	var b strings.Builder
	if err := printer.Fprint(&b, fset, f); err != nil {
		return fmt.Errorf("repl: load %s: %w", path, err)
	}
	if _, err := s.Eval(b.String()); err != nil {
		return lineError(fmt.Sprintf("load %s: %s", path, Message(err)))
	}
	if hasMain {
		if _, err := s.Eval("main_()"); err != nil {
			return lineError(fmt.Sprintf("load %s: main: %s", path, Message(err)))
		}
	}
	return nil
}

// imported reports whether the session already imports spec's package
// under the same name.
func (s *Session) imported(spec *ast.ImportSpec) bool {
	path := strings.Trim(spec.Path.Value, "`\"")
	name := path[strings.LastIndex(path, "/")+1:]
	if spec.Name != nil {
		name = spec.Name.Name
	}
	if name == "." {
		return s.dots[path]
	}
	return s.pkgs[name] == path
}
