package act

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gpt2WithTokenizer returns a copy of the reference GPT-2 checkpoint with a
// byte-level tokenizer.json whose 256 tokens are the single bytes (ids
// below the model's 320), so texts can be run.
func gpt2WithTokenizer(t *testing.T) *Model {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(gpt2Dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// GPT-2's byte-to-unicode table: printable bytes map to themselves,
	// the others to 256, 257, ... in byte order.
	vocab := map[string]int{}
	next := 256
	for b := range 256 {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE) {
			r = rune(next)
			next++
		}
		vocab[string(r)] = b
	}
	tj, _ := json.Marshal(map[string]any{
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false},
		"decoder":       map[string]any{"type": "ByteLevel"},
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": []string{}},
	})
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(dir)
}

func toyDataset() *Dataset {
	return Texts("toy", []string{"the cat sat", "a dog ran far", "birds sing", "fish swim", "cows moo loudly"}).
		Add("calm", "quiet morning", "soft rain falls", "still water", "slow river", "warm tea")
}

func TestModelResponses(t *testing.T) {
	m := gpt2WithTokenizer(t)
	ds := toyDataset()
	cache := filepath.Join(t.TempDir(), "cache")
	r := m.Responses(ds, `transformer\.h\.[01]\.ln_2`, Src("toy"), Dst("calm"), Limit(4), Seed(3), Batch(3), Cache(cache))
	if got := r.Points(); len(got) != 2 || got[0] != "transformer.h.0.ln_2" {
		t.Fatalf("points %v", got)
	}
	src := r.Source("transformer.h.1.ln_2")
	if len(src) != 4 || len(src[0]) != 64 || len(r.Target("transformer.h.1.ln_2")) != 4 {
		t.Fatalf("source %d×%d, target %d: want 4×64 each", len(src), len(src[0]), len(r.Target("transformer.h.1.ln_2")))
	}
	if _, err := os.Stat(filepath.Join(cache, "manifest.json")); err != nil {
		t.Errorf("no manifest in the cache: %v", err)
	}
	// In memory, the same request gives the same values: the cache stores
	// float32 exactly.
	mem := m.Responses(ds, `transformer\.h\.[01]\.ln_2`, Src("toy"), Dst("calm"), Limit(4), Seed(3), Batch(3))
	for i, row := range mem.Source("transformer.h.1.ln_2") {
		for u, v := range row {
			if v != src[i][u] {
				t.Fatalf("sample %d unit %d: cached %v, in memory %v", i, u, src[i][u], v)
			}
		}
	}
	if err := panics(func() {
		m.Responses(ds, `transformer\.h\.0\.ln_2`, Src("toy"), Dst("calm"), Limit(4), Seed(4), Cache(cache))
	}); err == nil || !strings.Contains(err.Msg, "another request") {
		t.Errorf("mismatched cache: %v", err)
	}
	if err := panics(func() { m.Responses(ds, `transformer\.h\.0\.ln_2`) }); err == nil || !strings.Contains(err.Msg, "Src(...) and Dst(...) (toy has toy, calm)") {
		t.Errorf("no subsets: %v", err)
	}
}

func TestFitIncremental(t *testing.T) {
	m := gpt2WithTokenizer(t)
	ds := toyDataset()
	pattern := `transformer\.h\.[01]\.ln_2`
	opts := []Option{Src("toy"), Dst("calm"), Seed(1)}
	at := Fit(m.Responses(ds, pattern, opts...), "mean_ot", opts...)
	inc := m.FitIncremental(ds, pattern, "mean_ot", opts...)
	if inc.Method() != "mean_ot" || len(inc.Points()) != 2 {
		t.Fatalf("incremental transport: method %q, points %v", inc.Method(), inc.Points())
	}
	diff := func(p string) float64 {
		a, b := at.raw().Maps[p], inc.raw().Maps[p]
		d := 0.0
		for u := range a.B {
			d = max(d, math.Abs(float64(a.B[u]-b.B[u])))
		}
		return d
	}
	// Layer 0 sees unsteered activations either way: equal up to float32
	// rounding between differently batched passes (1e-5).
	if d := diff("transformer.h.0.ln_2"); d > 1e-5 {
		t.Errorf("layer 0 maps differ by %g", d)
	}
	// Layer 1 is fitted on activations already moved by layer 0's map.
	if d := diff("transformer.h.1.ln_2"); d < 1e-3 {
		t.Errorf("layer 1 maps differ by only %g", d)
	}
}
