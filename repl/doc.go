// Package repl is the actsh shell: an interactive Go interpreter (Yaegi)
// with package act dot-imported, and the runner of Go scripts behind
// `actsh run` and `actsh -e`. Command actsh is a thin main over it.
//
// # Sessions
//
// A [Session] holds one interpreter. [Session.Run] reads lines from a
// [LineEditor] — a [Terminal] (chzyer/readline: editing, history, tab
// completion) or a [Reader] over any io.Reader — so the terminal shell and
// the transcript tests run the same code. An input continues on the next
// line while it is [Incomplete] (an open brace, a raw string, a trailing
// operator), judged from its tokens (go/scanner). Each complete input is evaluated with
// [Session.Eval]; the value of an expression is printed with [Format]:
// Go syntax for basic values, String() when the value has one, matrices as
// compact tables with their shape, structs as a one-line summary. A
// package the input uses without importing it ("json.Marshal") is imported
// first when exactly one available package has that name.
//
//	act> m := Load("testdata/reference/gpt2/checkpoint")
//	act> m.Logits([]int{5, 17, 42, 3})
//	[4][320]float32
//	  -0.5768  -1.725 -0.2001 1.485 -2.369   2.159 …  2.08 -4.715
//	   0.7032 -0.1625 0.02484   1.8 -4.804  0.8152 … 1.952 -2.964
//	   …
//
// # Errors
//
// Every error prints as one line ([Message]) and the session goes on:
// compile errors, runtime panics, the *act.Error panics of the act API, and
// panics inside the interpreter itself (Yaegi v0.16.1 panics compiling
// `for i := range 3` on Go 1.26). Such a panic can leave the interpreter
// half updated, so when the input declared names, or when a variable no
// longer reads, the session replays the inputs that succeeded into a fresh
// interpreter (their output discarded; their side effects, such as loading a
// model, happen again).
//
// # Interrupts
//
// Each input runs with a fresh context set with act.SetContext;
// [Session.Interrupt] (Ctrl-C) cancels it, which stops generation, response
// extraction and fitting. Code that does not watch the context gets a grace
// period; after it the session leaves it running in the background and
// continues in a fresh interpreter with the earlier inputs replayed.
//
// # Meta-commands
//
// Lines starting with ':' are commands ([ParseMeta]): :help [name] (act's
// doc comments, extracted at generate time into package stdlib), :load
// file.go, :reset, :vars, :time, :quit.
//
// # Completion
//
// [Session.Complete] completes identifiers in scope, act names, package
// members ("fmt.Pr"), fields and methods of variables ("m.Gen", found by
// reflection on the interpreter's values, nothing is called), meta-commands,
// act names after :help and Go files after :load.
//
// # Scripts
//
// [RunFile] runs a Go program (package main, func main, importing act as
// `import . "github.com/actsh/actsh/act"`) as `go run` would; [RunSource]
// runs a program or, without a package clause, shell input stopping at
// the first error. Recipes carry `//go:build ignore`; the interpreter is
// given the ignore tag so they run.
//
// # History
//
// [History] keeps input lines in $XDG_STATE_HOME/actsh/history, or
// ~/.actsh_history ([DefaultHistoryPath]), one line each, appended as they
// are typed.
package repl
