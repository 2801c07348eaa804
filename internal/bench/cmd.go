package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/actsh/actsh/engine/safetensors"
)

// Main is `actsh bench`: it parses args (the arguments after "bench"),
// runs the benchmark and prints the report on stdout, progress on stderr.
// It returns the exit status: 0, 1 on failure, 2 on a usage error.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("actsh bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	var workloads, variants, format string
	fs.StringVar(&workloads, "workloads", strings.Join(Workloads, ","), "comma-separated workloads: prefill, decode, fit")
	fs.StringVar(&variants, "variants", strings.Join(Variants, ","), "comma-separated variants of prefill and decode: plain, steered")
	fs.IntVar(&o.Reps, "reps", 1, "timed runs per workload, after one warm-up")
	fs.BoolVar(&o.Quick, "quick", false, "small shapes (seconds), not the published ones")
	fs.StringVar(&o.Python, "python", DefaultPython, "Python interpreter with torch for the PyTorch side")
	fs.IntVar(&o.TorchThreads, "torch-threads", 0, "PyTorch's threads (0: GOMAXPROCS, as actsh)")
	fs.BoolVar(&o.NoTorch, "no-torch", false, "skip the PyTorch side")
	fs.BoolVar(&o.Install, "install", false, "when torch is missing and running as root: apt-get install -y python3-torch")
	fs.StringVar(&format, "format", "text", "report format: text, markdown or json")
	save := fs.String("save", "", "also write the JSON report to this file")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: actsh bench [flags]\n\n"+
			"Times actsh and PyTorch on the same machine: GPT-2-small prefill (8×128) and cached decode\n"+
			"(8 prompts, 48 new tokens), plain and steered at every layernorm, and Linear-AcT fitting\n"+
			"(52 points × 2304 units, 512+512 samples). The ratio is actsh's rate over PyTorch's.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "actsh bench: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if format != "text" && format != "markdown" && format != "json" {
		fmt.Fprintf(stderr, "actsh bench: -format %q: want text, markdown or json\n", format)
		return 2
	}
	o.Workloads, o.Variants = split(workloads), split(variants)
	if !*quiet {
		o.Log = stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "actsh bench: %v\n", err)
		return 1
	}
	if *save != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = safetensors.WriteFileAtomic(*save, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "actsh bench: save %s: %v\n", *save, err)
			return 1
		}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case "markdown":
		err = rep.WriteMarkdown(stdout)
	default:
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "actsh bench: %v\n", err)
		return 1
	}
	return 0
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
