package repl

import (
	"errors"
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"
)

// Incomplete reports whether src is the beginning of a Go input that more
// lines could complete: an open brace, parenthesis or raw string, a dangling
// operator. Inputs that parse, and inputs with an error before their end,
// are complete (the interpreter reports the error).
func Incomplete(src string) bool {
	if strings.TrimSpace(src) == "" {
		return false
	}
	// The input is tried both as statements (a function body) and as
	// top-level declarations; it is complete when either parses.
	const stmtPre = "package p; func _() {\n"
	const stmtPost = "\n}"
	const declPre = "package p;"
	atEnd := false
	for _, w := range []struct{ pre, post string }{{stmtPre, stmtPost}, {declPre, ""}} {
		full := w.pre + src + w.post
		fset := token.NewFileSet()
		_, err := parser.ParseFile(fset, "", full, parser.SkipObjectResolution)
		if err == nil {
			return false
		}
		var list scanner.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			continue
		}
		first := list[0]
		if strings.Contains(first.Msg, "not terminated") {
			return true // raw string or comment still open
		}
		// The error lies in the wrapper's closing text or at EOF: the
		// user's part ran out before it was finished.
		if first.Pos.Offset >= len(w.pre)+len(strings.TrimRight(src, " \t\r\n")) {
			atEnd = true
		}
	}
	return atEnd
}

// Meta is a parsed meta-command line such as ":help Load".
type Meta struct {
	// Name is the command without its colon: help, load, reset, vars, time, quit.
	Name string
	// Arg is the rest of the line, trimmed.
	Arg string
}

// String returns the command line that ParseMeta reads back as m.
func (m Meta) String() string {
	if m.Arg == "" {
		return ":" + m.Name
	}
	return ":" + m.Name + " " + m.Arg
}

// metaCommands lists the meta-commands with their one-line help, in the
// order :help shows them.
var metaCommands = []struct{ name, args, help string }{
	{"help", "[name]", "show this overview, or the documentation of an act name (Load, Model.Generate)"},
	{"load", "file.go", "evaluate a Go file in the session (its main, if any, runs once)"},
	{"reset", "", "forget every variable and start a fresh interpreter"},
	{"vars", "", "list the variables in scope with their types"},
	{"time", "", "toggle printing how long each input took"},
	{"quit", "", "leave the shell (Ctrl-D does too)"},
}

// aliases maps short forms to meta-command names.
var aliases = map[string]string{"h": "help", "?": "help", "q": "quit", "exit": "quit"}

// IsMeta reports whether line is a meta-command line (starts with ':').
func IsMeta(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), ":") }

// ParseMeta parses a meta-command line. It returns an error naming the
// command when it is unknown or misses or has a stray argument.
func ParseMeta(line string) (Meta, error) {
	s := strings.TrimSpace(line)
	if !strings.HasPrefix(s, ":") {
		return Meta{}, fmt.Errorf("repl: %q is not a meta-command (they start with ':')", s)
	}
	s = s[1:]
	name, arg, _ := strings.Cut(s, " ")
	if i := strings.IndexAny(name, "\t"); i >= 0 {
		name, arg = name[:i], name[i+1:]+" "+arg
	}
	arg = strings.TrimSpace(arg)
	if a, ok := aliases[name]; ok {
		name = a
	}
	for _, c := range metaCommands {
		if c.name != name {
			continue
		}
		switch {
		case c.args == "file.go" && arg == "":
			return Meta{}, fmt.Errorf("repl: :%s needs a file name", name)
		case c.args == "" && arg != "":
			return Meta{}, fmt.Errorf("repl: :%s takes no argument (got %q)", name, arg)
		}
		return Meta{Name: name, Arg: arg}, nil
	}
	return Meta{}, fmt.Errorf("repl: unknown command :%s (try :help)", name)
}
