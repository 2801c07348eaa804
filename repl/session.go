package repl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"reflect"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/stdlib"
	"github.com/traefik/yaegi/interp"
	ystdlib "github.com/traefik/yaegi/stdlib"
)

// ErrInterrupt is what a [LineEditor] returns when the user presses Ctrl-C
// while typing.
var ErrInterrupt = errors.New("repl: interrupt")

// errQuit ends [Session.Run] after :quit.
var errQuit = errors.New("repl: quit")

// LineEditor reads one line of input. Readline shows prompt (when it is a
// terminal), and returns io.EOF at the end of input (Ctrl-D) and
// [ErrInterrupt] on Ctrl-C.
type LineEditor interface {
	Readline(prompt string) (string, error)
}

// historyAdder is implemented by editors that keep their own in-memory
// history (for the up arrow).
type historyAdder interface{ AddHistory(line string) }

// Prompts of the shell.
const (
	Prompt         = "act> "
	ContinuePrompt = "...  "
)

// Imports are the packages every session imports before the first input;
// act is dot-imported so its names need no prefix.
var Imports = []string{
	`. "github.com/actsh/actsh/act"`,
	`"fmt"`, `"math"`, `"os"`, `"sort"`, `"strings"`, `"strconv"`, `"time"`,
}

// Options configure a [Session]. The zero value works: output goes to
// os.Stdout and os.Stderr and no history is kept.
type Options struct {
	// Stdout receives the output of the code and printed results; Stderr
	// receives error lines and timings.
	Stdout, Stderr io.Writer
	// History, when not nil, gets every input line.
	History *History
	// StopOnError makes Run return the first error instead of printing it
	// and going on (for scripts fed on standard input and -e).
	StopOnError bool
	// Args are the command-line arguments scripts see in os.Args.
	Args []string
	// Grace is how long an interrupted computation may take to stop before
	// the session gives up on it and continues in a fresh interpreter with
	// the earlier inputs replayed (default 2s).
	Grace time.Duration
}

// Session is one interpreter and its state: the inputs that succeeded (to
// replay them into a fresh interpreter when needed), the names declared
// and imported, and the :time flag. It is driven by [Session.Run] over a
// [LineEditor], or input by input with [Session.Exec].
type Session struct {
	opt    Options
	in     *interp.Interpreter
	inputs []string          // successful inputs, in order, for replay
	pkgs   map[string]string // package name in scope -> import path
	decls  map[string]bool   // functions, types and constants declared by inputs
	dots   map[string]bool   // dot-imported import paths
	timing bool
	out    *switchWriter // the interpreter's stdout and stderr, muted during replay
	errw   *switchWriter
	mu     sync.Mutex
	cancel context.CancelFunc // of the running input, nil when idle
}

// New returns a session with act dot-imported and the packages of
// [Imports] imported.
func New(opt Options) (*Session, error) {
	if opt.Stdout == nil {
		opt.Stdout = os.Stdout
	}
	if opt.Stderr == nil {
		opt.Stderr = os.Stderr
	}
	if opt.Grace == 0 {
		opt.Grace = 2 * time.Second
	}
	s := &Session{opt: opt, out: &switchWriter{w: opt.Stdout}, errw: &switchWriter{w: opt.Stderr}}
	if err := s.reset(); err != nil {
		return nil, err
	}
	return s, nil
}

// newInterpreter returns an interpreter with the Go standard library, act
// and gonum/plot available, writing to the given streams.
func newInterpreter(stdout, stderr io.Writer, args []string) (*interp.Interpreter, error) {
	if args == nil {
		args = []string{"actsh"}
	}
	in := interp.New(interp.Options{
		Stdout: stdout,
		Stderr: &panicFilter{w: stderr},
		Args:   args,
		// Recipes carry //go:build ignore so `go build ./...` skips them;
		// the interpreter must not.
		BuildTags: []string{"ignore"},
	})
	if err := in.Use(ystdlib.Symbols); err != nil {
		return nil, fmt.Errorf("repl: load standard library symbols: %w", err)
	}
	if err := in.Use(stdlib.Symbols); err != nil {
		return nil, fmt.Errorf("repl: load act symbols: %w", err)
	}
	return in, nil
}

// reset replaces the interpreter with a fresh one and forgets every input.
func (s *Session) reset() error {
	in, err := newInterpreter(s.out, s.errw, s.opt.Args)
	if err != nil {
		return err
	}
	s.in = in
	s.inputs = nil
	s.pkgs = map[string]string{}
	s.decls = map[string]bool{}
	s.dots = map[string]bool{}
	src := "import (\n" + strings.Join(Imports, "\n") + "\n)"
	if _, err := s.in.Eval(src); err != nil {
		return fmt.Errorf("repl: import %s: %w", strings.Join(Imports, ", "), err)
	}
	s.track(src)
	return nil
}

// Run reads inputs from ed until end of input or :quit, evaluating each
// complete input and printing its result or one line of error. It returns
// nil at the end of input, or with StopOnError the first error.
func (s *Session) Run(ed LineEditor) error {
	var buf []string
	for {
		prompt := Prompt
		if len(buf) > 0 {
			prompt = ContinuePrompt
		}
		line, err := ed.Readline(prompt)
		if errors.Is(err, ErrInterrupt) {
			buf = nil // Ctrl-C while typing drops the pending input
			continue
		}
		if err == io.EOF && len(buf) > 0 && line == "" {
			// The input ended in the middle of a construct: let the
			// interpreter report what is missing.
			line, err = "", nil
			if e := s.exec(strings.Join(buf, "\n")); e != nil && s.opt.StopOnError {
				return e
			}
			return nil
		}
		if err != nil && (err != io.EOF || line == "") {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if len(buf) == 0 && IsMeta(line) {
			s.addHistory(ed, line)
			if err := s.meta(line); err != nil {
				if err == errQuit {
					return nil
				}
				if s.opt.StopOnError {
					return lineError(Message(err))
				}
				s.printErr(err)
			}
			continue
		}
		buf = append(buf, line)
		src := strings.Join(buf, "\n")
		if strings.TrimSpace(src) == "" {
			buf = nil
			continue
		}
		if Incomplete(src) {
			continue
		}
		buf = nil
		for _, l := range strings.Split(src, "\n") {
			s.addHistory(ed, l)
		}
		if err := s.exec(src); err != nil && s.opt.StopOnError {
			return err
		}
	}
}

func (s *Session) addHistory(ed LineEditor, line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	if h, ok := ed.(historyAdder); ok {
		h.AddHistory(line)
	}
	if s.opt.History != nil {
		if err := s.opt.History.Add(line); err != nil {
			fmt.Fprintln(s.opt.Stderr, err)
		}
	}
}

// exec evaluates one input, prints its result or its error, and returns
// the error (already printed).
func (s *Session) exec(src string) error {
	start := time.Now()
	// Packages the input uses without importing them are imported first
	// when their name is unambiguous ("json.Marshal").
	for _, path := range s.missingImports(src) {
		if _, err := s.Eval(`import "` + path + `"`); err == nil {
			fmt.Fprintf(s.opt.Stderr, "(imported %q)\n", path)
		}
	}
	v, err := s.Eval(src)
	if s.timing {
		defer func() { fmt.Fprintf(s.opt.Stderr, "(%s)\n", time.Since(start).Round(time.Millisecond)) }()
	}
	if err != nil {
		if s.opt.StopOnError {
			return lineError(Message(err))
		}
		s.printErr(err)
		return err
	}
	if out := Format(v); out != "" && printable(src) {
		fmt.Fprintln(s.opt.Stdout, out)
	}
	return nil
}

func (s *Session) printErr(err error) {
	fmt.Fprintln(s.opt.Stderr, Message(err))
}

// Eval evaluates one complete input and returns the value of its last
// expression. It never panics: panics of the code, of act and of the
// interpreter itself come back as errors (see [Message]). When the input
// is interrupted ([Session.Interrupt]) and does not stop within the grace
// period, the session continues in a fresh interpreter into which the
// successful earlier inputs are replayed.
func (s *Session) Eval(src string) (reflect.Value, error) {
	if stmts := splitStatements(src); len(stmts) > 1 {
		// Yaegi reads an input that starts with var, const or type as
		// declarations only, so "var a []int; a = append(a, 1)" fails:
		// such inputs run statement by statement.
		var v reflect.Value
		var err error
		for _, st := range stmts {
			if v, err = s.Eval(st); err != nil {
				return v, err
			}
		}
		return v, nil
	}
	v, err, internal := s.run(src)
	switch {
	case err == nil:
		s.inputs = append(s.inputs, src)
		s.track(src)
	case internal && (declares(src) || !s.healthy()):
		// A panic inside the interpreter's compiler can leave its scopes
		// half updated (a function declared but not compiled): start over
		// from the inputs that worked.
		if rerr := s.replay(); rerr != nil {
			return reflect.Value{}, errors.Join(err, rerr)
		}
	}
	return v, err
}

// stuckError is returned by [Session.Eval] when an interrupted input did not
// stop within the grace period.
type stuckError struct{}

func (stuckError) Error() string {
	return "interrupted: the computation does not watch for interrupts and goes on in the background; continuing in a fresh interpreter with your earlier inputs replayed"
}

// interruptedError is returned when an input stopped after Ctrl-C.
type interruptedError struct{}

func (interruptedError) Error() string { return "interrupted" }

// run evaluates src in its own goroutine, watching for interrupts. internal
// reports a panic raised while the interpreter compiled the input.
func (s *Session) run(src string) (v reflect.Value, err error, internal bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cancel = nil
		s.mu.Unlock()
	}()
	act.SetContext(ctx)
	defer act.SetContext(nil)

	type result struct {
		v        reflect.Value
		err      error
		internal bool
	}
	done := make(chan result, 1)
	in := s.in
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				stack := debug.Stack()
				r.err = interp.Panic{Value: p, Stack: stack}
				r.internal = compilePanic(stack)
			}
			done <- r
		}()
		r.v, r.err = in.Eval(src)
		if p, ok := r.err.(interp.Panic); ok {
			r.internal = compilePanic(p.Stack)
		}
	}()
	select {
	case r := <-done:
		return r.v, r.err, r.internal
	case <-ctx.Done():
	}
	select {
	case <-done:
		// Whether the input failed on the cancelled context or ended
		// because it watched it, it did not run to completion.
		return reflect.Value{}, interruptedError{}, false
	case <-time.After(s.opt.Grace):
	}
	// The old interpreter still runs the input: leave it to it.
	if err := s.replay(); err != nil {
		return reflect.Value{}, errors.Join(stuckError{}, err), false
	}
	return reflect.Value{}, stuckError{}, false
}

// Interrupt stops the running input, if any: it cancels act's context, which
// long operations watch. It is safe to call from another goroutine (a
// signal handler).
func (s *Session) Interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
}

// compilePanic reports whether a panic stack shows the interpreter's
// compiler (as opposed to running code) at the panic.
func compilePanic(stack []byte) bool {
	for _, f := range []string{"interp.(*Interpreter).cfg", "interp.(*Interpreter).gta", "interp.(*Interpreter).CompileAST", "interp.genRun"} {
		if bytes.Contains(stack, []byte(f)) {
			return true
		}
	}
	return false
}

// declares reports whether src declares top-level names (functions,
// types, variables, constants).
func declares(src string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+src, parser.SkipObjectResolution)
	if err != nil {
		return strings.Contains(src, ":=")
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); !ok || g.Tok != token.IMPORT {
			return true
		}
	}
	return false
}

// healthy checks that every global variable is still readable after an
// interpreter panic.
func (s *Session) healthy() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	for name := range s.in.Globals() {
		if _, err := s.in.Eval(name); err != nil {
			return false
		}
	}
	_, err := s.in.Eval("0")
	return err == nil
}

// replay starts a fresh interpreter and evaluates the successful inputs
// again, with their output discarded.
func (s *Session) replay() error {
	inputs := s.inputs
	s.out.set(io.Discard)
	s.errw.set(io.Discard)
	defer func() {
		s.out.set(s.opt.Stdout)
		s.errw.set(s.opt.Stderr)
	}()
	if err := s.reset(); err != nil {
		return err
	}
	var failed int
	for _, src := range inputs {
		if _, err, _ := s.run(src); err != nil {
			failed++
			continue
		}
		s.inputs = append(s.inputs, src)
		s.track(src)
	}
	if failed > 0 {
		return fmt.Errorf("repl: %d of %d earlier inputs failed when replayed", failed, len(inputs))
	}
	return nil
}

// missingImports returns the import paths of the packages src uses as
// "name.Member" where name is declared nowhere (not a variable, a
// declaration or an imported package) and exactly one available package
// has that name.
func (s *Session) missingImports(src string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p; func _() {\n"+src+"\n}", 0)
	if err != nil {
		f, err = parser.ParseFile(token.NewFileSet(), "", "package p;"+src, 0)
		if err != nil {
			return nil
		}
	}
	unresolved := map[*ast.Ident]bool{}
	for _, id := range f.Unresolved {
		unresolved[id] = true
	}
	globals := s.in.Globals()
	var paths []string
	seen := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok || !unresolved[x] || seen[x.Name] {
			return true
		}
		seen[x.Name] = true
		if _, ok := s.pkgs[x.Name]; ok || s.decls[x.Name] {
			return true
		}
		if _, ok := globals[x.Name]; ok {
			return true
		}
		if _, ok := stdlib.Docs[x.Name]; ok {
			return true
		}
		if path := packageNamed(x.Name); path != "" {
			paths = append(paths, path)
		}
		return true
	})
	return paths
}

var (
	pkgIndexOnce sync.Once
	pkgIndex     map[string]string // package name -> import path, for unambiguous names
)

// packageNamed returns the import path of the one available package named
// name, or "" when there is none or several (rand, template).
func packageNamed(name string) string {
	pkgIndexOnce.Do(func() {
		pkgIndex = map[string]string{}
		seen := map[string]int{}
		for _, syms := range []interp.Exports{ystdlib.Symbols, stdlib.Symbols} {
			for key := range syms {
				i := strings.LastIndexByte(key, '/')
				if i < 0 {
					continue
				}
				path, name := key[:i], key[i+1:]
				if strings.HasPrefix(path, "internal") || strings.Contains(path, "/internal") || name == "main" {
					continue
				}
				seen[name]++
				pkgIndex[name] = path
			}
		}
		for name, n := range seen {
			if n > 1 {
				delete(pkgIndex, name)
			}
		}
	})
	return pkgIndex[name]
}

// splitStatements returns the statements of src when it starts with a
// var, const or type declaration followed by other statements; nil
// otherwise.
func splitStatements(src string) []string {
	trim := strings.TrimSpace(src)
	if !strings.HasPrefix(trim, "var") && !strings.HasPrefix(trim, "const") && !strings.HasPrefix(trim, "type") {
		return nil
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+src, parser.SkipObjectResolution); err == nil {
		return nil // declarations only: Yaegi takes them as they are
	}
	const pre = "package p; func _() {\n"
	full := pre + src + "\n}"
	f, err := parser.ParseFile(token.NewFileSet(), "", full, parser.SkipObjectResolution)
	if err != nil || len(f.Decls) != 1 {
		return nil
	}
	body := f.Decls[0].(*ast.FuncDecl).Body
	if body == nil || len(body.List) < 2 {
		return nil
	}
	var out []string
	for _, st := range body.List {
		// Offsets of a single-file set start at base 1.
		out = append(out, full[st.Pos()-1:st.End()-1])
	}
	return out
}

// track records the packages imported and the names declared by a
// successful input, for completion.
func (s *Session) track(src string) {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+src, parser.SkipObjectResolution)
	if err != nil {
		return // statements: their variables are in Globals
	}
	for _, imp := range f.Imports {
		path := strings.Trim(imp.Path.Value, "`\"")
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "." {
			s.dots[path] = true
		}
		if name == "." || name == "_" {
			continue
		}
		s.pkgs[name] = path
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				s.decls[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					s.decls[sp.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						s.decls[n.Name] = true
					}
				}
			}
		}
	}
}

// printable reports whether the value of src should be printed: src is one
// expression that is not a call of a fmt or log print function.
func printable(src string) bool {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return false
	}
	if c, ok := e.(*ast.CallExpr); ok {
		if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "fmt" || x.Name == "log") &&
				(strings.Contains(sel.Sel.Name, "Print") || strings.HasPrefix(sel.Sel.Name, "Fatal") || strings.HasPrefix(sel.Sel.Name, "Panic")) {
				return false
			}
		}
	}
	return true
}

var posPrefix = regexp.MustCompile(`^(?:[^\s:]*\.go:)?(\d+):(\d+): `)

// Message turns any error of an evaluation into one readable line: the
// message of an act error, "panic: ..." for panics, the first compile
// error without the interpreter's positions, "interpreter error: ..." for
// panics inside Yaegi itself.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var le lineError
	if errors.As(err, &le) {
		return string(le)
	}
	var ae *act.Error
	if errors.As(err, &ae) {
		return oneLine(ae.Msg)
	}
	var p interp.Panic
	if errors.As(err, &p) {
		v := p.Value
		if rv, ok := v.(reflect.Value); ok && rv.IsValid() && rv.CanInterface() {
			v = rv.Interface()
		}
		switch v := v.(type) {
		case *act.Error:
			return oneLine(v.Msg)
		case error:
			if errors.As(v, &ae) {
				return oneLine(ae.Msg)
			}
			if compilePanic(p.Stack) {
				return oneLine("interpreter error: " + v.Error() + " (Yaegi could not compile this input; e.g. range over an int needs a three-clause loop)")
			}
			return oneLine("panic: " + strings.Replace(v.Error(), "reflect: slice index out of range", "runtime error: index out of range", 1))
		default:
			if compilePanic(p.Stack) {
				return oneLine(fmt.Sprintf("interpreter error: %v (Yaegi could not compile this input; e.g. range over an int needs a three-clause loop)", v))
			}
			return oneLine(strings.Replace(fmt.Sprintf("panic: %v", v), "reflect: slice index out of range", "runtime error: index out of range", 1))
		}
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = posPrefix.ReplaceAllString(msg, "")
	var ie interruptedError
	var se stuckError
	if errors.As(err, &ie) || errors.As(err, &se) || errors.Is(err, context.Canceled) {
		return oneLine(msg)
	}
	if m, ok := strings.CutPrefix(msg, "repl: "); ok {
		return oneLine(m) // the shell's own messages
	}
	return oneLine("error: " + msg)
}

// oneLine keeps the first line of s.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}

// panicFilter drops the "1:28: panic: ..." lines Yaegi writes to the
// interpreter's stderr when interpreted code panics: the shell prints its
// own line.
type panicFilter struct {
	w   io.Writer
	buf []byte
}

var yaegiPanicLine = regexp.MustCompile(`^(?:[^\s:]*\.go:)?\d+:\d+: panic`)

func (f *panicFilter) Write(p []byte) (int, error) {
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			break
		}
		line := f.buf[:i+1]
		if !yaegiPanicLine.Match(line) {
			if _, err := f.w.Write(line); err != nil {
				return len(p), err
			}
		}
		f.buf = f.buf[i+1:]
	}
	// Output without a newline goes through at once unless it may be the
	// start of a panic line.
	if len(f.buf) > 0 && !(f.buf[0] >= '0' && f.buf[0] <= '9') && f.buf[0] != '_' {
		if _, err := f.w.Write(f.buf); err != nil {
			return len(p), err
		}
		f.buf = f.buf[:0]
	}
	return len(p), nil
}

// Vars writes the global variables of the session, sorted, one per line:
// name, type and a short value.
func (s *Session) Vars(w io.Writer) {
	g := s.in.Globals()
	names := make([]string, 0, len(g))
	for n := range g {
		if n != "_" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		fmt.Fprintln(w, "no variables")
		return
	}
	tw := bufio.NewWriter(w)
	for _, n := range names {
		v := g[n]
		typ := "?"
		if v.IsValid() {
			typ = typeName(v.Type())
		}
		fmt.Fprintf(tw, "%s %s = %s\n", n, typ, shortValue(v, 60))
	}
	tw.Flush()
}

// switchWriter is a writer whose destination can be changed while
// interpreters hold it.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// lineError is an error already turned into its one line.
type lineError string

func (e lineError) Error() string { return string(e) }
