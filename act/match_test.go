package act_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	. "github.com/actsh/actsh/act"
	"github.com/actsh/actsh/internal/fixture"
	"github.com/actsh/actsh/tiny"
)

// refGPT2 is the reference GPT-2 checkpoint (no tokenizer; 64 units per
// point, the same point names as tiny).
const refGPT2 = "../testdata/reference/gpt2/checkpoint"

// catch runs f and returns the message of the *Error it panicked with ("" if
// none).
func catch(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			msg = e.Msg
		}
	}()
	f()
	return ""
}

// fitOnTiny fits Mean-AcT on the ln_2 points of m (the embedded tiny model
// or a copy of it) from a few texts.
func fitOnTiny(t *testing.T, m *Model) *Transport {
	t.Helper()
	ds := Texts("calm", []string{"The cat sat on the mat.", "A quiet day in the park.", "We read a book."}).
		Add("loud", "The storm broke the door!", "Run, the fire is here!", "Shouting in the street!")
	return FitMeanOT(m.Responses(ds, ".*ln_2", Src("calm"), Dst("loud"), Batch(3)))
}

// TestTransportModelMismatch fits a transport on the embedded tiny GPT-2
// (256 units per point) and steers other models with it: the reference
// GPT-2 (same point names, 64 units), the reference Llama (other points),
// and a copy of tiny in a folder (same points and widths, another model).
func TestTransportModelMismatch(t *testing.T) {
	tm := Load("tiny")
	copyDir := filepath.Join(t.TempDir(), "tiny-copy")
	if err := tiny.Export(copyDir); err != nil {
		t.Fatal(err)
	}
	cp := Load(copyDir)
	ref := Load(refGPT2)
	refDir, _ := filepath.Abs(refGPT2)
	llama := Load(fixture.Reference(t, "llama", "checkpoint"))
	llamaDir := fixture.Reference(t, "llama", "checkpoint")

	tr := fitOnTiny(t, tm)
	if tr.Model() != "tiny" || !strings.Contains(tr.String(), "on tiny (gpt2)") {
		t.Fatalf("fitted transport records model %q: %s", tr.Model(), tr)
	}
	path := filepath.Join(t.TempDir(), "tiny.act.safetensors")
	tr.Save(path)
	back := LoadTransport(path)

	ids := tm.Tokenize("Once upon a time")
	want := tm.LogitsWith(ids, tr, 1)
	// Saved, reloaded and applied through the model: bit-identical logits.
	if got := tm.LogitsWith(ids, back, 1); !reflect.DeepEqual(got, want) {
		t.Error("the reloaded transport's logits differ from the fitted one's")
	}
	if got := tm.GenerateIDs(ids, back, 1, MaxTokens(4)); !reflect.DeepEqual(got, tm.GenerateIDs(ids, tr, 1, MaxTokens(4))) {
		t.Error("the reloaded transport generates other tokens")
	}
	// The copy holds the same weights: once allowed, the same logits.
	if got := cp.LogitsWith(ids, tr.ForModel(cp), 1); !reflect.DeepEqual(got, want) {
		t.Error("ForModel(copy) logits differ from the original model's")
	}
	if got := cp.LogitsWith(ids, back.AllowAnyModel(), 1); !reflect.DeepEqual(got, want) {
		t.Error("AllowAnyModel() logits on the copy differ from the original model's")
	}

	tw := tm.Engine().Info().HiddenSize
	widthMsg := fmt.Sprintf(`act: transport fitted on "tiny" (gpt2, transformer.h.0.ln_2: %d units) does not match model "%s" (gpt2, transformer.h.0.ln_2: 64 units)`, tw, refDir)
	refIDs := []int{1, 2, 3}
	for _, tc := range []struct {
		name string
		f    func()
		want string // the whole message, or a part of it after "…"
	}{
		{"width LogitsWith", func() { ref.LogitsWith(refIDs, tr, 0.5) }, widthMsg},
		{"width reloaded", func() { ref.LogitsWith(refIDs, back, 0.5) }, widthMsg},
		{"width GenerateIDs", func() { ref.GenerateIDs(refIDs, back, 0.5, MaxTokens(2)) }, widthMsg},
		{"width at λ=0", func() { ref.LogitsWith(refIDs, tr, 0) }, widthMsg},
		{"width ForModel", func() { tr.ForModel(ref) }, widthMsg},
		{"width AllowAnyModel", func() { ref.LogitsWith(refIDs, tr.AllowAnyModel(), 1) }, widthMsg},
		{"missing point", func() { llama.LogitsWith(refIDs, back, 1) },
			fmt.Sprintf(`act: transport fitted on "tiny" (gpt2, transformer.h.0.ln_2: %d units) does not match model "%s" (llama, no point transformer.h.0.ln_2)`, tw, llamaDir)},
		{"another model", func() { cp.LogitsWith(ids, back, 1) },
			`act: transport fitted on "tiny" (gpt2) does not match model "` + copyDir + `" (gpt2): points and widths agree, but the maps were fitted on another model; use the transport's ForModel(model) or AllowAnyModel() to apply it anyway`},
		{"another model Generate", func() { cp.Generate("Once", tr, 1, MaxTokens(2)) }, "…" + `does not match model "` + copyDir + `" (gpt2): points and widths agree`},
		{"ForModel is for one model", func() { cp.LogitsWith(ids, tr.ForModel(tm), 1) }, "…" + `does not match model "` + copyDir + `"`},
		{"hand-built width", func() {
			h := NewTransport()
			h.Set("transformer.h.1.ln_2", make([]float32, 128), make([]float32, 128), nil, nil)
			ref.LogitsWith(refIDs, h, 1)
		}, `act: transport with no recorded model (transformer.h.1.ln_2: 128 units) does not match model "` + refDir + `" (gpt2, transformer.h.1.ln_2: 64 units)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := catch(tc.f)
			if part, ok := strings.CutPrefix(tc.want, "…"); ok {
				if !strings.Contains(msg, part) {
					t.Errorf("panic %q, want one containing %q", msg, part)
				}
			} else if msg != tc.want {
				t.Errorf("panic\n%q, want\n%q", msg, tc.want)
			}
		})
	}

	// A hand-built transport of the right widths steers any model.
	h := NewTransport()
	h.Set("transformer.h.1.ln_2", make([]float32, 64), make([]float32, 64), nil, nil)
	if msg := catch(func() { ref.LogitsWith(refIDs, h, 1) }); msg != "" {
		t.Errorf("hand-built transport refused: %s", msg)
	}
}

// TestFitIncrementalRecordsModel checks that layer-by-layer fitting
// records the model too, so the check covers its transports.
func TestFitIncrementalRecordsModel(t *testing.T) {
	tm := Load("tiny")
	ds := Texts("calm", []string{"The cat sat on the mat.", "We read a book."}).Add("loud", "The storm broke the door!", "Run, the fire is here!")
	tr := tm.FitIncremental(ds, ".*ln_2", "mean_ot", Src("calm"), Dst("loud"), Batch(2))
	if tr.Model() != "tiny" || !strings.Contains(tr.String(), "on tiny (gpt2)") {
		t.Errorf("FitIncremental records model %q: %s", tr.Model(), tr)
	}
	msg := catch(func() { Load(refGPT2).LogitsWith([]int{1, 2}, tr, 1) })
	if want := fmt.Sprintf(`transport fitted on "tiny" (gpt2, transformer.h.0.ln_2: %d units)`, tm.Engine().Info().HiddenSize); !strings.Contains(msg, want) {
		t.Errorf("panic %q", msg)
	}
}

// TestTransportHubModel checks that a model in the Hugging Face cache is
// the same model whether loaded by id or by its snapshot folder, and
// another model than a plain folder with the same files.
func TestTransportHubModel(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_HUB_OFFLINE", "1")
	const commit = "0123456789abcdef0123456789abcdef01234567"
	repo := filepath.Join(cache, "models--org--ref")
	snap := filepath.Join(repo, "snapshots", commit)
	if err := os.MkdirAll(snap, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(refGPT2, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(snap, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(repo, "refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644); err != nil {
		t.Fatal(err)
	}

	// A transport recorded as fitted on org/ref (edited into the header:
	// the reference checkpoint has no tokenizer to fit through).
	h := NewTransport()
	h.Set("transformer.h.0.ln_2", make([]float32, 64), make([]float32, 64), nil, nil)
	path := filepath.Join(t.TempDir(), "ref.act.safetensors")
	h.Save(path)
	setHeader(t, path, map[string]string{"model": "org/ref", "family": "gpt2", "architecture": "GPT2LMHeadModel"})
	tr := LoadTransport(path)
	if tr.Model() != "org/ref" {
		t.Fatalf("Model() = %q", tr.Model())
	}
	ids := []int{1, 2, 3}
	for _, name := range []string{"org/ref", "org/ref@main", snap} {
		if msg := catch(func() { Load(name).LogitsWith(ids, tr, 1) }); msg != "" {
			t.Errorf("Load(%q): %s", name, msg)
		}
	}
	// A file written before models were recorded by identity names the
	// model as it was loaded (a relative folder) and no family.
	old := filepath.Join(t.TempDir(), "old.act.safetensors")
	h.Save(old)
	setHeader(t, old, map[string]string{"model": refGPT2})
	if msg := catch(func() { Load(refGPT2).LogitsWith(ids, LoadTransport(old), 1) }); msg != "" {
		t.Errorf("old file refused: %s", msg)
	}

	refDir, _ := filepath.Abs(refGPT2)
	msg := catch(func() { Load(refGPT2).LogitsWith(ids, tr, 1) })
	if want := `act: transport fitted on "org/ref" (gpt2) does not match model "` + refDir + `" (gpt2): points and widths agree`; !strings.HasPrefix(msg, want) {
		t.Errorf("panic %q, want it to start with %q", msg, want)
	}
}

// setHeader overwrites keys of a safetensors file's __metadata__.
func setHeader(t *testing.T, path string, kv map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var h map[string]any
	if err := json.Unmarshal(raw[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	md := h["__metadata__"].(map[string]any)
	for k, v := range kv {
		md[k] = v
	}
	nh, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(nh)))
	if err := os.WriteFile(path, append(append(out, nh...), raw[8+n:]...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadTransportErrors checks that LoadTransport refuses damaged files
// with one act: error naming the file and what is wrong.
func TestLoadTransportErrors(t *testing.T) {
	dir := t.TempDir()
	save := func(name string) string {
		tr := NewTransport()
		tr.Set("transformer.h.0.ln_2", []float32{1, 2}, []float32{0, 1}, nil, nil)
		tr.Set("transformer.h.1.ln_2", []float32{1, 2}, []float32{0, 1}, []float32{-1, -1}, nil)
		p := filepath.Join(dir, name)
		tr.Save(p)
		return p
	}
	truncated := save("truncated.safetensors")
	raw, err := os.ReadFile(truncated)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(truncated, raw[:len(raw)-3], 0o644)
	tampered := save("tampered.safetensors")
	raw, _ = os.ReadFile(tampered)
	raw[len(raw)-1] ^= 0x01
	os.WriteFile(tampered, raw, 0o644)
	missing := save("missing.safetensors")
	setHeader(t, missing, map[string]string{"points": `["transformer.h.0.ln_2","transformer.h.1.ln_2","transformer.h.2.ln_2"]`})
	stray := save("stray.safetensors")
	setHeader(t, stray, map[string]string{"points": `["transformer.h.1.ln_2"]`})
	foreign := save("foreign.safetensors")
	setHeader(t, foreign, map[string]string{"format": "pt"})
	for _, tc := range []struct{ name, path, want string }{
		{"absent", filepath.Join(dir, "nope.safetensors"), "nope.safetensors"},
		{"truncated", truncated, "truncated.safetensors"},
		{"tampered value", tampered, "values were changed or damaged after saving"},
		{"missing point", missing, "point transformer.h.2.ln_2: tensor transformer.h.2.ln_2.w is missing"},
		{"stray tensor", stray, "tensor transformer.h.0.ln_2.b belongs to no listed point"},
		{"not a transport", foreign, `format "pt", want "actsh-transport"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := catch(func() { LoadTransport(tc.path) })
			if !strings.HasPrefix(msg, "act: transport: load") || !strings.Contains(msg, tc.want) {
				t.Errorf("panic %q, want an act: transport: load error containing %q", msg, tc.want)
			}
		})
	}
}
