package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/internal/fixture"
)

// withMemAvailable makes the machine report avail bytes (ok false: unknown)
// for the rest of the test.
func withMemAvailable(t *testing.T, avail int64, ok bool) {
	old := memAvailable
	memAvailable = func() (int64, bool) { return avail, ok }
	t.Cleanup(func() { memAvailable = old })
}

// bf16Checkpoint writes the llama reference checkpoint with its float
// tensors stored as bfloat16 into a temporary folder and returns it.
func bf16Checkpoint(t *testing.T) string {
	t.Helper()
	src := fixture.Reference(t, "llama", "checkpoint")
	set, err := safetensors.OpenDir(src)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var ts []safetensors.Tensor
	for _, n := range set.Names() {
		v, shape, err := set.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, safetensors.BF16(n, shape, v))
	}
	dir := t.TempDir()
	cfg, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestEstimate checks the footprint of the bf16 llama fixture against the
// bytes the loaded model's parameters really take: the estimate counts the
// same tensors in the same dtypes, so it is exact here.
func TestEstimate(t *testing.T) {
	dir := bf16Checkpoint(t)
	set, err := safetensors.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	fp, err := estimate(set)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := m.ParamBytes()
	for _, dt := range []dtypes.DType{dtypes.BFloat16, dtypes.Float32} {
		if fp.bytes[dt] != got[dt] {
			t.Errorf("estimate %s = %d bytes, loaded parameters take %d", dt, fp.bytes[dt], got[dt])
		}
	}
	// The largest matrices are embed_tokens [320, 64] and gate/up [160, 64]: 320·64·4 bytes widened.
	if fp.widened != 320*64*4 {
		t.Errorf("widened = %d, want %d", fp.widened, 320*64*4)
	}
}

// TestCheckFit loads the bf16 fixture on machines of several sizes: too
// small fails before anything is loaded with one line naming the model, the
// bytes per dtype and the memory available; large enough, unknown, or
// skipped by option or environment loads.
func TestCheckFit(t *testing.T) {
	dir := bf16Checkpoint(t)
	set, err := safetensors.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := estimate(set)
	set.Close()
	if err != nil {
		t.Fatal(err)
	}
	need := fp.need()
	tests := []struct {
		name    string
		avail   int64
		known   bool
		opts    LoadOptions
		env     string
		wantErr []string // substrings of the error; nil: loads
	}{
		{name: "fits", avail: need, known: true},
		{name: "too_small", avail: need - 1, known: true, wantErr: []string{
			"engine: load " + dir + ": the weights need ",
			"254 kB in bfloat16 and 1 kB in float32 (537 MB with a working margin of 537 MB for activations",
			"this machine has 537 MB available (MemAvailable)",
			SkipMemoryCheckEnv + "=1",
		}},
		{name: "unknown", avail: 0, known: false},
		{name: "skip_option", avail: 1, known: true, opts: LoadOptions{SkipMemoryCheck: true}},
		{name: "skip_env", avail: 1, known: true, env: "1"},
		{name: "env_zero_checks", avail: 1, known: true, env: "0", wantErr: []string{"available (MemAvailable)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withMemAvailable(t, tt.avail, tt.known)
			t.Setenv(SkipMemoryCheckEnv, tt.env)
			m, err := Load(context.Background(), dir, tt.opts)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if m.ParamBytes()[dtypes.BFloat16] == 0 {
					t.Errorf("no bfloat16 parameters: %v", m.ParamBytes())
				}
				return
			}
			if err == nil {
				t.Fatal("Load succeeded, want a memory error")
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestParseMemAvailable(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   int64
		wantOK bool
	}{
		{name: "linux", in: "MemTotal:       24571212 kB\nMemFree:        23000000 kB\nMemAvailable:   23456789 kB\n", want: 23456789 * 1024, wantOK: true},
		{name: "no_unit", in: "MemAvailable: 42\n", want: 42, wantOK: true},
		{name: "missing", in: "MemTotal: 1 kB\n", wantOK: false},
		{name: "garbage", in: "MemAvailable: lots kB\n", wantOK: false},
		{name: "empty", in: "", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseMemAvailable([]byte(tt.in))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseMemAvailable = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestCheckFitMessage checks the whole message for Gemma-2-2B in bf16
// (hidden 2304, 26 layers, MLP 9216, 8 heads and 4 KV heads of 256, vocab
// 256000) on a machine with 3.1 GB available; the package documentation
// quotes it.
func TestCheckFitMessage(t *testing.T) {
	const D, L, F, V, q, kv = 2304, 26, 9216, 256000, 8 * 256, 4 * 256
	matrices := int64(V*D + L*(2*q*D+2*kv*D+3*F*D))
	f := footprint{
		bytes:   map[dtypes.DType]int64{dtypes.BFloat16: 2 * matrices, dtypes.Float32: 4 * (L*4*D + D)},
		widened: 4 * V * D,
	}
	withMemAvailable(t, 3_100_000_000, true)
	err := checkFit("google/gemma-2-2b", f)
	want := "engine: load google/gemma-2-2b: the weights need 5.2 GB in bfloat16 and 968 kB in float32 (8.1 GB with a working margin of 2.9 GB for activations, cache and one widened matrix), this machine has 3.1 GB available (MemAvailable); free memory, use a smaller model, or set ACTSH_SKIP_MEMORY_CHECK=1 to try anyway"
	if err == nil || err.Error() != want {
		t.Errorf("checkFit:\n got %v\nwant %s", err, want)
	}
}

// TestMemoryLimit: $ACTSH_MEMORY_LIMIT caps what the fit check counts as
// available, in bytes or decimal units; garbage is ignored.
func TestMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want int64
		ok   bool
	}{{"8GB", 8e9, true}, {"512MB", 512e6, true}, {"1.5 GB", 1.5e9, true}, {"1000", 1000, true}, {"", 0, false}, {"lots", 0, false}, {"-1GB", 0, false}} {
		t.Setenv(MemoryLimitEnv, tc.v)
		got, ok := memoryLimit()
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: %d, %v; want %d, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
	t.Setenv(MemoryLimitEnv, "1MB")
	if n, ok := memAvailable(); !ok || n != 1e6 {
		t.Errorf("with a 1 MB limit, available %d, %v", n, ok)
	}
}
