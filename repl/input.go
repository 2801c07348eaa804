package repl

import (
	"fmt"
	"go/scanner"
	"go/token"
	"strings"
)

// Incomplete reports whether src is the beginning of a Go input that more
// lines could complete: an unclosed brace, parenthesis or bracket, an
// unterminated raw string or comment, or a last token that needs an
// operand (a binary operator, a comma, a dot, an assignment). Other inputs,
// valid or not, are complete: the interpreter reports their errors.
func Incomplete(src string) bool {
	var sc scanner.Scanner
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	open := false
	sc.Init(file, []byte(src), func(_ token.Position, msg string) {
		if strings.Contains(msg, "not terminated") {
			open = true
		}
	}, scanner.ScanComments)
	depth := 0
	last := token.ILLEGAL
	for {
		_, tok, lit := sc.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			depth--
			if depth < 0 {
				return false // a stray closer: an error, not a continuation
			}
		case token.COMMENT:
			continue
		case token.SEMICOLON:
			if lit == "\n" {
				continue // inserted at a line end
			}
		}
		last = tok
	}
	if open || depth > 0 {
		return true
	}
	switch {
	case last.IsOperator() && last != token.RPAREN && last != token.RBRACE && last != token.RBRACK &&
		last != token.SEMICOLON && last != token.INC && last != token.DEC && last != token.ELLIPSIS:
		return true
	}
	return false
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
