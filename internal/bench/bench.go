package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// Workloads lists the workload names in the order they run.
var Workloads = []string{"prefill", "decode", "fit"}

// Variants lists the variants of the model workloads.
var Variants = []string{"plain", "steered"}

// DefaultPython is the interpreter the PyTorch side runs with: Debian's,
// where python3-torch installs.
const DefaultPython = "/usr/bin/python3"

// Options configures a run. The zero value runs every workload at full
// size, once after a warm-up, with PyTorch when it is installed.
type Options struct {
	// Workloads picks among "prefill", "decode" and "fit"; nil means all.
	Workloads []string
	// Variants picks among "plain" and "steered" for prefill and decode;
	// nil means both.
	Variants []string
	// Reps is the number of timed runs after the warm-up; 0 means 1.
	Reps int
	// Quick uses small shapes (for tests), not the published ones.
	Quick bool
	// Python is the interpreter for the PyTorch side; "" means
	// DefaultPython.
	Python string
	// TorchThreads is PyTorch's thread count; 0 means GOMAXPROCS, the
	// number of threads our side runs on.
	TorchThreads int
	// NoTorch skips the PyTorch side.
	NoTorch bool
	// Install runs `apt-get install -y python3-torch` when torch is
	// missing and the process is root.
	Install bool
	// Log receives one line per step (warm-ups, timings); nil is silent.
	Log io.Writer
}

// Report is the outcome of a run.
type Report struct {
	// Shape is "full" or "quick".
	Shape string `json:"shape"`
	// Machine describes where it ran.
	Machine Machine `json:"machine"`
	// Torch is the PyTorch version, "" when its side did not run.
	Torch string `json:"torch,omitempty"`
	// TorchNote says why the PyTorch side did not run, and how to fix it.
	TorchNote string `json:"torch_note,omitempty"`
	// Results has one entry per workload and variant, in run order.
	Results []Result `json:"results"`
}

// Machine describes the machine and the settings of both sides.
type Machine struct {
	// CPU is the model name from /proc/cpuinfo.
	CPU string `json:"cpu"`
	// Cores is runtime.NumCPU.
	Cores int `json:"cores"`
	// GoMaxProcs is the number of threads our side runs on.
	GoMaxProcs int `json:"gomaxprocs"`
	// TorchThreads is torch.get_num_threads after the bench set it.
	TorchThreads int `json:"torch_threads,omitempty"`
	// OS is GOOS/GOARCH.
	OS string `json:"os"`
	// Go is the Go version of the binary.
	Go string `json:"go"`
	// Backend is the GoMLX backend the model ran on ("go", "xla:cuda").
	Backend string `json:"backend,omitempty"`
}

// Result is one workload in one variant on both sides.
type Result struct {
	// Workload is "prefill", "decode" or "fit".
	Workload string `json:"workload"`
	// Variant is "plain" or "steered" (prefill, decode), "ml-act" or
	// "one-support" (fit: which PyTorch code ran).
	Variant string `json:"variant"`
	// Shape describes the work ("8×128", "52×2304, 512+512").
	Shape string `json:"shape"`
	// Unit is "tokens/s" or "fits/s".
	Unit string `json:"unit"`
	// Work is the number of units (tokens, fits) one run does.
	Work float64 `json:"work"`
	// Actsh is our side.
	Actsh Timing `json:"actsh"`
	// Torch is PyTorch's side; nil when it did not run.
	Torch *Timing `json:"torch,omitempty"`
	// Ratio is Actsh.Rate / Torch.Rate (above 1: actsh is faster); 0
	// without PyTorch.
	Ratio float64 `json:"ratio,omitempty"`
	// Check says whether both sides computed the same thing, in words.
	Check string `json:"check,omitempty"`
	// CheckOK is whether the check passed its tolerance.
	CheckOK bool `json:"check_ok,omitempty"`
}

// Timing is the timing of one side.
type Timing struct {
	// WarmupSec is the untimed first run, compilation included.
	WarmupSec float64 `json:"warmup_s"`
	// Secs are the timed runs.
	Secs []float64 `json:"secs"`
	// Rate is Work / median(Secs).
	Rate float64 `json:"rate"`
	// Breakdown splits the last timed run into steps (seconds), where the
	// side reports it (PyTorch's fit: sort_s, quantiles_s, lstsq_s).
	Breakdown map[string]float64 `json:"breakdown,omitempty"`
}

func newTiming(work, warm float64, secs []float64) Timing {
	return Timing{WarmupSec: warm, Secs: secs, Rate: work / median(secs)}
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// measure runs f once as a warm-up and reps more times, timing each.
func measure(reps int, f func() error) (warm float64, secs []float64, err error) {
	for i := range reps + 1 {
		t0 := time.Now()
		if err := f(); err != nil {
			return 0, nil, err
		}
		d := time.Since(t0).Seconds()
		if i == 0 {
			warm = d
		} else {
			secs = append(secs, d)
		}
	}
	return warm, secs, nil
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "bench: "+format+"\n", args...)
	}
}

func (o *Options) wants(list []string, name string) bool {
	return len(list) == 0 || slices.Contains(list, name)
}

// Run runs the selected workloads on both sides and returns the report.
// PyTorch being absent is not an error: the report says so in TorchNote.
func Run(ctx context.Context, opts Options) (*Report, error) {
	for _, w := range opts.Workloads {
		if !slices.Contains(Workloads, w) {
			return nil, fmt.Errorf("bench: unknown workload %q (have %s)", w, strings.Join(Workloads, ", "))
		}
	}
	for _, v := range opts.Variants {
		if !slices.Contains(Variants, v) {
			return nil, fmt.Errorf("bench: unknown variant %q (have %s)", v, strings.Join(Variants, ", "))
		}
	}
	if opts.Reps <= 0 {
		opts.Reps = 1
	}
	if opts.Python == "" {
		opts.Python = DefaultPython
	}
	rep := &Report{Shape: "full", Machine: machine()}
	if opts.Quick {
		rep.Shape = "quick"
	}
	var py *python
	if !opts.NoTorch {
		var note string
		py, note = findTorch(ctx, &opts)
		if py == nil {
			rep.TorchNote = note
			opts.logf("%s", note)
		} else {
			rep.Torch = py.version
			rep.Machine.TorchThreads = py.threads
		}
	} else {
		rep.TorchNote = "PyTorch side skipped (-no-torch)"
	}
	dir, err := os.MkdirTemp("", "actsh-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	if opts.wants(opts.Workloads, "prefill") || opts.wants(opts.Workloads, "decode") {
		res, backend, err := runModel(ctx, &opts, py, dir)
		if err != nil {
			return nil, err
		}
		rep.Machine.Backend = backend
		rep.Results = append(rep.Results, res...)
	}
	if opts.wants(opts.Workloads, "fit") {
		res, err := runFit(ctx, &opts, py, dir)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, res...)
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Torch != nil && r.Torch.Rate > 0 {
			r.Ratio = r.Actsh.Rate / r.Torch.Rate
		}
	}
	return rep, nil
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoMaxProcs: runtime.GOMAXPROCS(0),
		OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if m.CPU == "" {
		m.CPU = "unknown CPU"
	}
	return m
}
