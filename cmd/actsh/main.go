// Command actsh is the Activation Transport shell: an interactive Go
// interpreter with package act dot-imported, and a runner of Go scripts.
//
// Usage:
//
//	actsh                   interactive shell (on a terminal)
//	actsh < script          run shell input or a Go program from stdin
//	actsh run file.go [args] run a Go program (package main, func main)
//	actsh -e 'code'         evaluate shell input
//	actsh bench [flags]     time actsh against PyTorch (see internal/bench)
//	actsh download [names]  fetch the paper's data sets (see internal/download)
//	actsh pipeline [flags] override...  ml-act's pipeline on Hydra-style configs
//
// Errors print as one line; the exit status is 1 when a script fails and 2
// for a usage error. See package github.com/actsh/actsh/repl.
package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/actsh/actsh/internal/bench"
	"github.com/actsh/actsh/internal/download"
	"github.com/actsh/actsh/repl"
	"golang.org/x/term"
)

const usage = `usage:
  actsh                    interactive shell (script from stdin when it is not a terminal)
  actsh run file.go [args] run a Go program
  actsh -e 'code' [args]   evaluate shell input
  actsh bench [flags]      time actsh against PyTorch (actsh bench -h)
  actsh download [names]   fetch the paper's data sets into $DATA_DIR (actsh download -h)
  actsh pipeline override... responses, intervention and evaluations from configs (actsh pipeline -h)
`

func main() {
	// Yaegi logs its internal panics with the standard logger before the
	// shell reports them in one line.
	log.SetOutput(io.Discard)
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fail := func(err error) int {
		if err == nil {
			return 0
		}
		var exit repl.ExitCode
		if errors.As(err, &exit) { // the script's os.Exit: it printed its own message
			return int(exit)
		}
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	switch {
	case len(args) == 0:
		if term.IsTerminal(int(os.Stdin.Fd())) {
			return fail(repl.Interactive())
		}
		src, err := io.ReadAll(os.Stdin)
		if err != nil {
			return fail(fmt.Errorf("actsh: read stdin: %w", err))
		}
		return fail(repl.RunSource(string(src), []string{"actsh"}, os.Stdout, os.Stderr))
	case args[0] == "run":
		if len(args) < 2 {
			fmt.Fprint(os.Stderr, usage)
			return 2
		}
		err := repl.RunFile(args[1], args[2:], os.Stdout, os.Stderr)
		if err != nil {
			err = fmt.Errorf("%s: %w", args[1], err)
		}
		return fail(err)
	case args[0] == "bench":
		return bench.Main(args[1:], os.Stdout, os.Stderr)
	case args[0] == "pipeline":
		return repl.Pipeline(args[1:], os.Stdout, os.Stderr)
	case args[0] == "download":
		return download.Main(args[1:], os.Stdout, os.Stderr)
	case args[0] == "-e":
		if len(args) < 2 {
			fmt.Fprint(os.Stderr, usage)
			return 2
		}
		return fail(repl.RunSource(args[1], append([]string{"actsh"}, args[2:]...), os.Stdout, os.Stderr))
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help":
		fmt.Print(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "actsh: unknown argument %q\n%s", args[0], usage)
	return 2
}
