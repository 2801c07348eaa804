package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestMain hands the train row's child process (this test binary run as
// `bench …` with ChildEnv=1) to Main, as the actsh binary does.
func TestMain(m *testing.M) {
	if os.Getenv(ChildEnv) == "1" && len(os.Args) > 1 && os.Args[1] == "bench" {
		os.Exit(Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runMain runs the command and returns its exit status, stdout and stderr.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func decodeReport(t *testing.T, s string) *Report {
	t.Helper()
	var rep Report
	if err := json.Unmarshal([]byte(s), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, s)
	}
	return &rep
}

// TestQuick runs every workload end to end at the quick size, twice after
// the warm-up, and checks the report's structure (never its timings). The
// PyTorch half is skipped, with the reason, when /usr/bin/python3 has no
// torch.
func TestQuick(t *testing.T) {
	save := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := runMain(t, "-quick", "-reps", "2", "-format", "json", "-save", save)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rep := decodeReport(t, stdout)
	saved, err := os.ReadFile(save)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(saved), bytes.TrimSpace([]byte(stdout))) {
		t.Errorf("-save wrote a different report than stdout")
	}
	want := []struct{ workload, variant, unit string }{
		{"prefill", "plain", "tokens/s"}, {"decode", "plain", "tokens/s"}, {"decode1", "plain", "tokens/s"},
		{"prefill", "steered", "tokens/s"}, {"decode", "steered", "tokens/s"}, {"decode1", "steered", "tokens/s"},
		{"longcache", "32 cached", "steps/s"}, {"longcache", "128 cached", "steps/s"},
		{"longcache", "32 cached", "steps/s"}, {"longcache", "128 cached", "steps/s"},
		{"train", rep.Machine.Backend, "tokens/s"},
		{"fit", "ml-act", "fits/s"}, {"fit", "one-support", "fits/s"},
	}
	t.Run("actsh", func(t *testing.T) {
		if rep.Shape != "quick" || rep.Machine.GoMaxProcs < 1 || rep.Machine.Cores < 1 || rep.Machine.Backend == "" {
			t.Errorf("machine/shape: %+v %q", rep.Machine, rep.Shape)
		}
		if len(rep.Results) != len(want) {
			t.Fatalf("%d results, want %d: %+v", len(rep.Results), len(want), rep.Results)
		}
		for i, w := range want {
			r := rep.Results[i]
			if r.Workload != w.workload || r.Variant != w.variant || r.Unit != w.unit || r.Shape == "" {
				t.Errorf("result %d is %s %s %s %q, want %s %s %s", i, r.Workload, r.Variant, r.Unit, r.Shape, w.workload, w.variant, w.unit)
			}
			// A differenced longcache run may come out ≤ 0 on a busy machine.
			if r.Work <= 0 || len(r.Actsh.Secs) != 2 || (r.Workload != "longcache" && r.Actsh.Rate <= 0) || r.Actsh.WarmupSec <= 0 {
				t.Errorf("%s %s: work %g, actsh timing %+v", r.Workload, r.Variant, r.Work, r.Actsh)
			}
			if (r.Variant == "128 cached") != (r.Growth != nil) {
				t.Errorf("%s %s: growth %+v", r.Workload, r.Variant, r.Growth)
			}
		}
	})
	t.Run("anchors", func(t *testing.T) {
		for _, r := range rep.Results {
			switch {
			case r.Workload == "train":
				if a := r.Anchor; a == nil || a.Timing == nil || a.Timing.Rate <= 0 || a.Ratio <= 0 || !r.CheckOK {
					t.Errorf("train: anchor %+v, check %q", a, r.Check)
				}
			case (r.Workload == "prefill" || r.Workload == "decode" || r.Workload == "decode1") && r.Variant == "plain":
				if r.Anchor == nil || r.Anchor.Name == "" || (r.Anchor.Timing == nil) == (rep.LlamaCppNote == "") {
					t.Errorf("%s: the llama.cpp anchor neither ran nor says why: %+v", r.Workload, r.Anchor)
				}
			}
		}
	})
	t.Run("pytorch", func(t *testing.T) {
		if rep.Torch == "" {
			if !strings.Contains(rep.TorchNote, installHint) {
				t.Errorf("the note does not say how to install torch: %q", rep.TorchNote)
			}
			t.Skip(rep.TorchNote)
		}
		if rep.Machine.TorchThreads != rep.Machine.GoMaxProcs {
			t.Errorf("torch ran %d threads, GOMAXPROCS is %d", rep.Machine.TorchThreads, rep.Machine.GoMaxProcs)
		}
		for _, r := range rep.Results {
			if r.Workload == "train" {
				continue // no PyTorch side
			}
			if r.Torch == nil || len(r.Torch.Secs) != 2 || (r.Workload != "longcache" && (r.Torch.Rate <= 0 || r.Ratio <= 0)) {
				t.Errorf("%s %s: torch %+v, ratio %g", r.Workload, r.Variant, r.Torch, r.Ratio)
				continue
			}
			// The check's tolerances are stated where they are defined
			// (lastTolerance, fitTolerance; decode needs equal tokens).
			if !r.CheckOK {
				t.Errorf("%s %s: both sides differ: %s", r.Workload, r.Variant, r.Check)
			}
		}
	})
}

// TestGemma2 runs the gemma2 workload (not in the default set) at the
// quick size: a bf16 checkpoint written, loaded and run on both sides.
func TestGemma2(t *testing.T) {
	code, stdout, stderr := runMain(t, "-quick", "-q", "-workloads", "gemma2", "-format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rep := decodeReport(t, stdout)
	if len(rep.Results) != 2 {
		t.Fatalf("%d results, want prefill and decode: %+v", len(rep.Results), rep.Results)
	}
	for _, r := range rep.Results {
		if r.Workload != "gemma2" || r.Actsh.Rate <= 0 {
			t.Errorf("%s %s: %+v", r.Workload, r.Shape, r.Actsh)
		}
		if rep.Torch != "" && (r.Torch == nil || !r.CheckOK) {
			t.Errorf("%s: torch %+v, check %q", r.Shape, r.Torch, r.Check)
		}
	}
}

// TestWithoutTorch checks that our numbers come without Python, and that
// the report says how to get torch.
func TestWithoutTorch(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		note string
	}{
		{"no python", []string{"-python", filepath.Join(t.TempDir(), "no-python")}, "apt-get install -y python3-torch"},
		{"no-torch flag", []string{"-no-torch"}, "-no-torch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-quick", "-q", "-workloads", "fit", "-format", "json"}, tc.args...)
			code, stdout, stderr := runMain(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			rep := decodeReport(t, stdout)
			if rep.Torch != "" || !strings.Contains(rep.TorchNote, tc.note) {
				t.Errorf("torch %q, note %q; want no torch and a note with %q", rep.Torch, rep.TorchNote, tc.note)
			}
			if len(rep.Results) != 2 || rep.Results[0].Torch != nil || rep.Results[0].Actsh.Rate <= 0 {
				t.Errorf("results: %+v", rep.Results)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"help", []string{"-h"}, 0, "usage: actsh bench"},
		{"unknown flag", []string{"-nope"}, 2, "-nope"},
		{"argument", []string{"prefill"}, 2, `unexpected argument "prefill"`},
		{"format", []string{"-format", "xml"}, 2, `-format "xml"`},
		{"workload", []string{"-workloads", "nope"}, 1, `unknown workload "nope"`},
		{"variant", []string{"-variants", "loud"}, 1, `unknown variant "loud"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runMain(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

// fixedReport is a report with made-up numbers for the golden files.
func fixedReport() *Report {
	torch := func(rate float64) *Timing { return &Timing{WarmupSec: 0.5, Secs: []float64{1 / rate}, Rate: rate} }
	growth := 1.5
	return &Report{
		Shape: "full", Torch: "1.13.0",
		LlamaCpp: "llama.cpp v0.4.0 through node-llama-cpp 3.21.1 (prebuilt libggml-cpu-zen4.so), f32 weights (random, its own), 2 threads",
		Machine: Machine{CPU: "Test CPU", Cores: 2, GoMaxProcs: 2, TorchThreads: 2, OS: "linux/amd64", Go: "go1.26", Backend: "cpu",
			LoadStart: 0.5, LoadEnd: 2.25},
		Results: []Result{
			{Workload: "prefill", Variant: "plain", Shape: "8×128", Unit: "tokens/s", Work: 1024,
				Actsh: newTiming(1024, 3, []float64{64}), Torch: torch(512),
				Ratio: 0.03125, Check: "ln_f max|Δ| 1.0e-06", CheckOK: true,
				Anchor: &Anchor{Name: "llama.cpp f32", Timing: torch(1024), Ratio: 0.015625, Note: "prefill: 8 sequences of 128 tokens"}},
			{Workload: "decode1", Variant: "plain", Shape: "1×(16+48)", Unit: "tokens/s", Work: 48,
				Actsh: newTiming(48, 1, []float64{4}), Torch: torch(24), Ratio: 0.5, Check: "tokens 48/48 equal", CheckOK: true,
				Anchor: &Anchor{Name: "llama.cpp f32", Timing: torch(48), Ratio: 0.25, Note: "decode: greedy, 48 new tokens"}},
			{Workload: "decode1", Variant: "steered", Shape: "1×(16+48)", Unit: "tokens/s", Work: 48,
				Actsh: newTiming(48, 1, []float64{4.8}), Torch: torch(20), Ratio: 0.5, Check: "tokens 48/48 equal", CheckOK: true},
			{Workload: "longcache", Variant: "64 cached", Shape: "batch 1, 47+16", Unit: "steps/s", Work: 16,
				Actsh: newTiming(16, 1, []float64{0.8}), Torch: torch(40), Ratio: 0.5, Check: "tokens 17/17 equal", CheckOK: true},
			{Workload: "longcache", Variant: "1024 cached", Shape: "batch 1, 1007+16", Unit: "steps/s", Work: 16,
				Actsh: newTiming(16, 1, []float64{1.6}), Torch: torch(20), Ratio: 0.5, Check: "tokens 17/17 equal", CheckOK: true,
				Growth: &Growth{Short: 64, Long: 1024, Actsh: 2, Torch: &growth}},
			{Workload: "train", Variant: "cpu", Shape: "2 layers × 128 wide, 8×64, 5 steps", Unit: "tokens/s", Work: 2560,
				Actsh: newTiming(2560, 2, []float64{1}), Check: "loss 8.3178 here, 8.3178 on simplego, |Δ| 1.0e-06", CheckOK: true,
				Anchor: &Anchor{Name: "simplego", Timing: torch(256), Ratio: 10, Note: "the same steps with GOMLX_BACKEND=go"}},
			{Workload: "fit", Variant: "ml-act", Shape: "52×2304, 512+512", Unit: "fits/s", Work: 1,
				Actsh: newTiming(1, 2, []float64{1, 3, 2}), Torch: &Timing{WarmupSec: 20, Secs: []float64{20}, Rate: 0.05,
					Breakdown: map[string]float64{"sort_s": 5, "quantiles_s": 14, "lstsq_s": 1}},
				Ratio: 10, Check: "w, b rel |Δ| 3.0e-08, 2.0e-08", CheckOK: false},
			{Workload: "decode", Variant: "steered", Shape: "8×(16+48)", Unit: "tokens/s", Work: 384,
				Actsh: newTiming(384, 1, []float64{96})},
			{Workload: "gemma2", Variant: "plain", Shape: "prefill 1×128", Unit: "tokens/s", Work: 128,
				Actsh: newTiming(128, 30, []float64{16}), Torch: torch(32), Ratio: 0.25, Check: "model.norm rel |Δ| 1.0e-02", CheckOK: true},
		},
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(*Report, *bytes.Buffer) error
	}{
		{"report.txt", func(r *Report, b *bytes.Buffer) error { return r.WriteText(b) }},
		{"report.md", func(r *Report, b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(fixedReport(), &b); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		want float64
	}{
		{"empty", nil, 0}, {"one", []float64{3}, 3}, {"odd", []float64{5, 1, 3}, 3}, {"even", []float64{4, 1, 3, 2}, 2.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := median(tc.x); got != tc.want { // exact: one comparison or one halving
				t.Errorf("median(%v) = %g, want %g", tc.x, got, tc.want)
			}
		})
	}
}
