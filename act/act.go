package act

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Error is the value the script-facing functions of this package panic with.
// The REPL, `actsh run` and notebooks recover it and print Msg as one line.
type Error struct {
	Msg string
	Err error // the underlying error, if any
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// fail panics with an *Error whose message starts with "act: ".
func fail(format string, args ...any) {
	err := fmt.Errorf(format, args...)
	panic(&Error{Msg: "act: " + err.Error(), Err: errors.Unwrap(err)})
}

// must panics with an *Error wrapping err when err is not nil.
func must(err error) {
	if err != nil {
		panic(&Error{Msg: "act: " + err.Error(), Err: err})
	}
}

var (
	ctxMu sync.Mutex
	ctx   = context.Background()
)

// SetContext sets the context that long operations (generation, response
// extraction, fitting) watch: cancelling it interrupts them with an error.
// The shell sets a fresh one for every input and cancels it on Ctrl-C.
func SetContext(c context.Context) {
	ctxMu.Lock()
	defer ctxMu.Unlock()
	if c == nil {
		c = context.Background()
	}
	ctx = c
}

// Context returns the context set by [SetContext] (context.Background by default).
func Context() context.Context {
	ctxMu.Lock()
	defer ctxMu.Unlock()
	return ctx
}
