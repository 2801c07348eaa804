package repl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/actsh/actsh/act"
	"github.com/traefik/yaegi/interp"
)

// RunFile runs a script file: a Go program (package main with func main)
// importing act as `import . "github.com/actsh/actsh/act"`, as `go run`
// would run it. args are what the script sees after os.Args[0]. The error,
// if any, reads as one line (see [Message]).
func RunFile(path string, args []string, stdout, stderr io.Writer) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read script: %w", err)
	}
	return RunProgram(string(src), append([]string{path}, args...), stdout, stderr)
}

// RunProgram runs the source of a Go program; args becomes os.Args.
// The standard library's flag package is compiled code reading the
// process's os.Args and flag.CommandLine, so both are set for the
// program's run (and restored after): a script's flag.Parse sees its own
// arguments, as under go run.
func RunProgram(src string, args []string, stdout, stderr io.Writer) (err error) {
	in, err := newInterpreter(stdout, stderr, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		oldArgs, oldFlags := os.Args, flag.CommandLine
		os.Args = args
		flag.CommandLine = flag.NewFlagSet(args[0], flag.ExitOnError)
		flag.CommandLine.SetOutput(stderr)
		defer func() { os.Args, flag.CommandLine = oldArgs, oldFlags }()
	}
	defer func() {
		if p := recover(); p != nil {
			if code, ok := exitCode(p); ok {
				err = ExitCode(code)
				return
			}
			err = lineError(Message(interp.Panic{Value: p, Stack: debug.Stack()}))
		}
	}()
	act.SetContext(context.Background())
	if _, err := in.Eval(src); err != nil {
		var p interp.Panic
		if errors.As(err, &p) {
			if code, ok := exitCode(p.Value); ok {
				return ExitCode(code)
			}
		}
		return lineError(Message(err))
	}
	return nil
}

// ExitCode is the error RunProgram returns when the program called
// os.Exit(code), which Yaegi's sandbox turns into a panic: the program
// has said what it had to say, so `actsh run` exits with code and prints
// nothing more, as the program would under go run.
type ExitCode int

func (e ExitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// exitCode reads the status of the panic Yaegi's os.Exit raises,
// "os.Exit(<code>)".
func exitCode(v any) (int, bool) {
	if rv, ok := v.(reflect.Value); ok && rv.IsValid() && rv.CanInterface() {
		v = rv.Interface()
	}
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	n, ok := strings.CutPrefix(s, "os.Exit(")
	if !ok || !strings.HasSuffix(n, ")") {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimSuffix(n, ")"))
	return code, err == nil
}

// IsProgram reports whether src is a whole Go file (it has a package clause)
// rather than statements for the shell.
func IsProgram(src string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
	return err == nil && f.Name != nil
}

// RunLines evaluates shell input (statements, expressions, declarations,
// meta-commands) read from r without prompts, printing results as the
// interactive shell does, and stops at the first error.
func RunLines(r io.Reader, stdout, stderr io.Writer, args []string) error {
	s, err := New(Options{Stdout: stdout, Stderr: stderr, StopOnError: true, Args: args})
	if err != nil {
		return err
	}
	return s.Run(NewReader(r))
}

// RunSource runs src as a program when it has a package clause, and as
// shell input otherwise.
func RunSource(src string, args []string, stdout, stderr io.Writer) error {
	if IsProgram(src) {
		return RunProgram(src, args, stdout, stderr)
	}
	return RunLines(strings.NewReader(src), stdout, stderr, args)
}

// Value formats a value as the shell prints results; for tests and tools.
func Value(x any) string { return Format(reflect.ValueOf(x)) }
