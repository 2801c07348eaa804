package transport_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine/safetensors"
)

func sample() *transport.Transport {
	t := transport.New()
	t.Meta = transport.Meta{Method: "exact_ot", Model: "tiny", Family: "gpt2", Architecture: "GPT2LMHeadModel", Pooling: "mean", Support: "q_5_95",
		Dataset: "giraffes.json", Source: "none", Target: "giraffe", Position: "last"}
	t.Set("transformer.h.2.ln_2", &transport.Map{W: []float32{1.5, -0.25, 3}, B: []float32{0.1, 0, -7},
		Lo: []float32{-1, -2, float32(math.Inf(-1))}, Hi: []float32{1, 2, 3},
		Knots: &transport.Knots{X: [][]float32{{0, 1}, {0, 2}, {-1, 1}}, Y: [][]float32{{1, 2}, {0, 0}, {5, 6}}}})
	t.Set("transformer.h.0.ln_2", &transport.Map{W: []float32{1, 1, 1}, B: []float32{float32(math.SmallestNonzeroFloat32), -0, 1e30}})
	return t
}

// TestSaveLoadRoundTrip checks that a saved transport loads back identical
// (bit for bit: reflect.DeepEqual on float32 slices) and applies
// identically.
func TestSaveLoadRoundTrip(t *testing.T) {
	tr := sample()
	path := filepath.Join(t.TempDir(), "t.act.safetensors")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := transport.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, tr) {
		t.Errorf("loaded transport differs:\n%+v\nwant\n%+v", got, tr)
	}
	z := [][]float32{{0.5, 1, -3}, {0.25, -1.5, 2.5}}
	for _, p := range tr.Points {
		a, _ := tr.Apply(p, z, 0.7, false)
		b, _ := got.Apply(p, z, 0.7, false)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: outputs differ after the round trip", p)
		}
	}
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	md := f.Metadata()
	if md["format"] != "actsh-transport" || md["version"] != "1" || md["model"] != "tiny" || md["family"] != "gpt2" || md["architecture"] != "GPT2LMHeadModel" || md["points"] != `["transformer.h.2.ln_2","transformer.h.0.ln_2"]` || !strings.Contains(md["lambda"], "λ") || !strings.HasPrefix(md["checksum"], "sha256:") {
		t.Errorf("metadata %v", md)
	}
}

// rewrite saves tr, then rewrites its header with edit and returns the path.
func rewrite(t *testing.T, tr *transport.Transport, edit func(h map[string]any)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.safetensors")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	n := binary.LittleEndian.Uint64(raw)
	var h map[string]any
	if err := json.Unmarshal(raw[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	edit(h)
	nh, _ := json.Marshal(h)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(nh)))
	out = append(append(out, nh...), raw[8+n:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func meta(h map[string]any) map[string]any { return h["__metadata__"].(map[string]any) }

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := sample().Save(good); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.safetensors")
	os.WriteFile(truncated, raw[:len(raw)-5], 0o644)
	tampered := filepath.Join(dir, "tampered.safetensors")
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-1] ^= 0x01 // the lowest bit of the last value
	os.WriteFile(tampered, flipped, 0o644)
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "nope.safetensors"), "nope.safetensors"},
		{"truncated", truncated, "truncated.safetensors"},
		{"tampered value", tampered, "the maps' values were changed or damaged after saving"},
		{"checksum", rewrite(t, sample(), func(h map[string]any) { meta(h)["checksum"] = "sha256:00" }), "the header says sha256:00"},
		{"format", rewrite(t, sample(), func(h map[string]any) { meta(h)["format"] = "pt" }), `format "pt"`},
		{"version", rewrite(t, sample(), func(h map[string]any) { meta(h)["version"] = "9" }), "version 9 is newer"},
		{"points", rewrite(t, sample(), func(h map[string]any) { meta(h)["points"] = "[" }), "points"},
		{"missing point", rewrite(t, sample(), func(h map[string]any) {
			meta(h)["points"] = `["transformer.h.2.ln_2","transformer.h.0.ln_2","transformer.h.5.ln_2"]`
		}), "tensor transformer.h.5.ln_2.w is missing"},
		{"stray tensor", rewrite(t, sample(), func(h map[string]any) { meta(h)["points"] = `["transformer.h.2.ln_2"]` }), "belongs to no listed point"},
		{"position", rewrite(t, sample(), func(h map[string]any) { meta(h)["position"] = "first" }), `position "first"`},
		{"shape", rewrite(t, sample(), func(h map[string]any) {
			e := h["transformer.h.0.ln_2.b"].(map[string]any)
			e["shape"] = []int{1, 3}
		}), "has shape [1 3], want [3]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := transport.Load(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "transport: load") {
				t.Errorf("error %v, want one starting with \"transport: load\" containing %q", err, tc.want)
			}
		})
	}
}

// TestLoadWithoutChecksum checks that files written before the checksum
// was recorded still load.
func TestLoadWithoutChecksum(t *testing.T) {
	path := rewrite(t, sample(), func(h map[string]any) { delete(meta(h), "checksum") })
	got, err := transport.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sample()) {
		t.Error("loaded transport differs")
	}
}

func TestSaveRefusesInvalid(t *testing.T) {
	tr := transport.New()
	tr.Set("p", &transport.Map{W: []float32{1, 2}, B: []float32{1}})
	err := tr.Save(filepath.Join(t.TempDir(), "x.safetensors"))
	if err == nil || !strings.Contains(err.Error(), "len(b)=1, want len(w)=2") {
		t.Errorf("error %v", err)
	}
}

// FuzzLoad checks that Load never panics on corrupted files.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "seed.safetensors")
	if err := sample().Save(good); err != nil {
		f.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	f.Add(raw)
	f.Add(raw[:20])
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tr, err := transport.Load(path)
		if err == nil {
			for _, p := range tr.Points {
				if err := tr.Maps[p].Validate(); err != nil {
					t.Errorf("loaded an invalid map: %v", err)
				}
			}
		}
	})
}
