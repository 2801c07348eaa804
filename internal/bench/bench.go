package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/actsh/actsh/engine"
)

// Workloads lists the workload names in the order they run.
var Workloads = []string{"prefill", "decode", "decode1", "longcache", "train", "fit", "gemma2"}

// DefaultWorkloads are the workloads a run without -workloads selects: all
// but gemma2 (a 2.6B-parameter model: about 8 minutes with PyTorch, and
// 5.4 GB of our process's own memory besides the mapped checkpoint).
var DefaultWorkloads = []string{"prefill", "decode", "decode1", "longcache", "train", "fit"}

// Variants lists the variants of the model workloads.
var Variants = []string{"plain", "steered"}

// DefaultPython is the interpreter the PyTorch side runs with: Debian's,
// where python3-torch installs.
const DefaultPython = "/usr/bin/python3"

// Options configures a run. The zero value runs every workload at full
// size, once after a warm-up, with PyTorch when it is installed.
type Options struct {
	// Workloads picks among [Workloads]; nil means [DefaultWorkloads].
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
	// LlamaCpp is the llama.cpp scratch folder (node_modules with
	// node-llama-cpp, GGUF files, an optional native build); "" means
	// $TMPDIR/llamacpp when it exists, "off" skips llama.cpp.
	LlamaCpp string
	// NoBaseline skips the training row's child process on GoMLX's
	// pure-Go backend.
	NoBaseline bool
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
	// LlamaCpp describes the llama.cpp build that ran ("" when none).
	LlamaCpp string `json:"llamacpp,omitempty"`
	// LlamaCppNote says why llama.cpp did not run, and how to enable it.
	LlamaCppNote string `json:"llamacpp_note,omitempty"`
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
	// TorchBLAS is the BLAS library PyTorch's products ran on.
	TorchBLAS string `json:"torch_blas,omitempty"`
	// OS is GOOS/GOARCH.
	OS string `json:"os"`
	// Go is the Go version of the binary.
	Go string `json:"go"`
	// Backend is the GoMLX backend the model ran on ("go", "xla:cuda").
	Backend string `json:"backend,omitempty"`
	// LoadStart and LoadEnd are the 1-minute load averages
	// (/proc/loadavg) when the run started and ended: above the number of
	// cores, other processes took CPU time from the timings (PyTorch's and
	// llama.cpp's spinning OpenMP threads suffer most).
	LoadStart float64 `json:"load_start,omitempty"`
	LoadEnd   float64 `json:"load_end,omitempty"`
}

// Result is one workload in one variant on both sides.
type Result struct {
	// Workload is one of [Workloads].
	Workload string `json:"workload"`
	// Variant is "plain" or "steered" (prefill, decode, decode1, gemma2),
	// "ml-act" or "one-support" (fit: which PyTorch code ran), "64
	// cached" or "1024 cached" (longcache), the backend (train).
	Variant string `json:"variant"`
	// Shape describes the work ("8×128", "52×2304, 512+512").
	Shape string `json:"shape"`
	// Unit is "tokens/s", "steps/s" (printed as ms/step) or "fits/s".
	Unit string `json:"unit"`
	// Work is the number of units (tokens, steps, fits) one run does.
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
	// Anchor is a second reference timed in the same run: llama.cpp
	// (prefill, decode, decode1) or GoMLX's pure-Go backend (train); nil
	// where the row has none.
	Anchor *Anchor `json:"anchor,omitempty"`
	// Growth is, on a longcache row of the long cache, each side's cost of
	// a step with the long cache over one with the short cache.
	Growth *Growth `json:"growth,omitempty"`

	key   string     // the row's name in the PyTorch script's report
	cache *cacheCase // the longcache row's case
}

// Anchor is the timing of a second reference on one row.
type Anchor struct {
	// Name says what ran ("llama.cpp b6770 prebuilt f32", "simplego").
	Name string `json:"name"`
	// Timing is nil when the anchor did not run.
	Timing *Timing `json:"timing,omitempty"`
	// Ratio is Actsh.Rate / Timing.Rate (above 1: actsh is faster).
	Ratio float64 `json:"ratio,omitempty"`
	// Note says what the anchor measured, or why it did not run.
	Note string `json:"note,omitempty"`
}

// Growth is step@long / step@short on each side (seconds per step over
// seconds per step; 1 means the cache's length costs nothing).
type Growth struct {
	// Short and Long are the numbers of tokens in the cache.
	Short int      `json:"short"`
	Long  int      `json:"long"`
	Actsh float64  `json:"actsh"`
	Torch *float64 `json:"torch,omitempty"`
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
	if opts.Workloads == nil {
		opts.Workloads = DefaultWorkloads
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
			rep.Machine.TorchBLAS = py.blas
			if py.blas == ReferenceBLAS {
				opts.logf("bench: warning: PyTorch runs on the %s, about 10× slower than OpenBLAS: its rows understate PyTorch; install libopenblas0-pthread", py.blas)
			}
		}
	} else {
		rep.TorchNote = "PyTorch side skipped (-no-torch)"
	}
	dir, err := os.MkdirTemp("", "actsh-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	if slices.ContainsFunc(opts.Workloads, isGPT2Workload) {
		res, backend, err := runModel(ctx, &opts, py, dir)
		if err != nil {
			return nil, err
		}
		rep.Machine.Backend = backend
		rep.LlamaCpp, rep.LlamaCppNote = runLlamaCpp(ctx, &opts, dir, res)
		rep.Results = append(rep.Results, res...)
	}
	steps := []struct {
		name string
		run  func(context.Context, *Options, *python, string) ([]Result, error)
	}{{"train", runTrain}, {"fit", runFit}, {"gemma2", runGemma2}}
	for _, st := range steps {
		if !slices.Contains(opts.Workloads, st.name) {
			continue
		}
		res, err := st.run(ctx, &opts, py, dir)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, res...)
	}
	if rep.Machine.Backend == "" && slices.ContainsFunc(opts.Workloads, func(w string) bool { return w != "fit" }) {
		_, rep.Machine.Backend, _ = engine.Backend()
	}
	rep.Machine.LoadEnd = loadAvg()
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Torch != nil && r.Torch.Rate > 0 {
			r.Ratio = r.Actsh.Rate / r.Torch.Rate
		}
		if a := r.Anchor; a != nil && a.Timing != nil && a.Timing.Rate > 0 {
			a.Ratio = r.Actsh.Rate / a.Timing.Rate
		}
	}
	return rep, nil
}

// isGPT2Workload reports whether w runs on the GPT-2-small-shaped model.
func isGPT2Workload(w string) bool {
	return w == "prefill" || w == "decode" || w == "decode1" || w == "longcache"
}

// loadAvg is the 1-minute load average, 0 where /proc/loadavg is missing.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	x, _ := strconv.ParseFloat(f[0], 64)
	return x
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoMaxProcs: runtime.GOMAXPROCS(0),
		OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), LoadStart: loadAvg()}
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
