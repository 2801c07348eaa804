// Package stdlib holds the Yaegi symbol tables that make our packages
// importable from interpreted code (the actsh shell, `actsh run`), and the
// documentation of package act that the shell's :help shows.
//
// # Symbols
//
// [Symbols] is filled by files generated with a pinned `go tool yaegi
// extract` (the tool line in go.mod) from the go:generate lines of
// stdlib.go: act, act/transport, act/responses, act/config, act/view (the
// plots and tables of notebooks, which recipes draw too), tiny/demo (the
// demos of the embedded model), and gonum/plot with plotter, vg and
// vg/draw so that scripts can plot. Use it together with Yaegi's own
// github.com/traefik/yaegi/stdlib, which provides the Go standard library:
//
//	i := interp.New(interp.Options{})
//	i.Use(stdlib.Symbols)      // yaegi's: fmt, strings, encoding/json, ...
//	i.Use(actstdlib.Symbols)   // this package: act, gonum/plot, ...
//	i.Eval(`import . "github.com/actsh/actsh/act"`)
//
// yaegi extract skips generic functions; a generic function of act needs a
// hand-written non-generic wrapper added to Symbols here (act has none
// today; TestSymbolsCoverDocs fails when a documented name has no symbol).
//
// # Docs
//
// [Docs] maps act's exported names ("Load", "Model", "Model.Generate") to
// their declaration and doc comment, extracted by ./internal/gendocs.
//
// # Regenerating
//
// Run `go generate ./stdlib/...` whenever act's exported names or doc
// comments change. The output is deterministic; CI checks that generating
// leaves no diff.
package stdlib
