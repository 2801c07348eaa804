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
	fs.StringVar(&workloads, "workloads", strings.Join(DefaultWorkloads, ","), "comma-separated workloads: "+strings.Join(Workloads, ", "))
	fs.StringVar(&variants, "variants", strings.Join(Variants, ","), "comma-separated variants of prefill and decode: plain, steered")
	fs.IntVar(&o.Reps, "reps", 1, "timed runs per workload, after one warm-up")
	fs.BoolVar(&o.Quick, "quick", false, "small shapes (seconds), not the published ones")
	fs.StringVar(&o.Python, "python", DefaultPython, "Python interpreter with torch for the PyTorch side")
	fs.IntVar(&o.TorchThreads, "torch-threads", 0, "PyTorch's threads (0: GOMAXPROCS, as actsh)")
	fs.BoolVar(&o.NoTorch, "no-torch", false, "skip the PyTorch side")
	fs.BoolVar(&o.Install, "install", false, "when torch is missing and running as root: apt-get install -y python3-torch")
	fs.StringVar(&o.LlamaCpp, "llamacpp", "", "llama.cpp scratch folder (node-llama-cpp, GGUF files, optional native build); \"\": $TMPDIR/llamacpp if present; \"off\": skip")
	fs.BoolVar(&o.NoBaseline, "no-baseline", false, "skip the train row's child process on GoMLX's pure-Go backend")
	fs.StringVar(&format, "format", "text", "report format: text, markdown or json")
	save := fs.String("save", "", "also write the JSON report to this file")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: actsh bench [flags]

Times actsh and PyTorch on the same machine, in the same run; the ratio is
actsh's rate over the other side's (above 1: actsh is faster). Workloads,
on a GPT-2-small-shaped model with random weights unless noted:

  prefill    one pass over 8×128 tokens up to the final layernorm, no
             logits (both sides; llama.cpp: last-token logits only).
             Target ≥ 1.5× PyTorch.
  decode     greedy, 8 prompts × 16 tokens + 48 new, KV cache, prompt pass
             included (both sides and llama.cpp). Target ≥ 3× PyTorch.
  decode1    the same at batch 1, 1×(16+48): the shell's case.
  longcache  one cached decode step with 1023 vs 63 tokens in the cache,
             batch 1 and 8: the 16 steps after the prompt timed alone on both
             sides; ms/step and step@1024 / step@64. Target ≤ 1.3.
  train      AdamW steps of the embedded model's configuration (2 layers,
             128 wide, batch 8×64) on this process's backend, and in a
             child process with GOMLX_BACKEND=go:ops_sequential (simplego,
             the baseline).
             Target ≥ 5× simplego.
  fit        Linear-AcT, 52 points × 2304 units, 512+512 samples, against
             ml-act's code as written and with only the support used.
  gemma2     not in the default set: a Gemma-2-2B-shaped model with random
             bf16 weights (5.2 GB checkpoint in a temp folder), prefill
             1×128 and decode 1×(16+16), PyTorch in torch.bfloat16 after
             ours is released. About 8 minutes on 2 cores; our process
             peaked at 5.4 GB of its own memory (the bf16 weights) plus
             the 5.2 GB checkpoint mapped from the page cache.

prefill, decode and decode1 also run steered at every layernorm (λ = 0.5);
target: steered within 10% of plain. llama.cpp columns need a scratch
folder from shared/tools/llamacpp/run.sh (-llamacpp DIR, or $TMPDIR/llamacpp).

flags:
`)
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
