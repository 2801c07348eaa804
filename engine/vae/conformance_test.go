package vae_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/engine/vae"
	"github.com/actsh/actsh/internal/fixture"
)

// TestConformanceVAE runs every AutoencoderKL fixture under
// testdata/reference/diffusion (testdata/reference/diffusion/README.md):
// vae/ (SDXL-like, 4 latent channels) and vae16/ (FLUX-like: 16 latent
// channels, a shift_factor, no quant convs), each read by its files
// alone. meta.json's "models" name each model's key, its checkpoint
// ("<dir>/config.json + …") and its tolerances_float32; a folder is a VAE
// fixture when such a checkpoint's config.json is an AutoencoderKL's.
// expected.safetensors holds, per key k, what diffusers v0.30.0 computed:
//
//	k.latents, k.decoded          Decode's input (the denoiser's latents) and output
//	k.decoder_input               when present: latents after the pipeline's unscaling
//	k.image, k.encode_mean,       when present: Encode's input and outputs
//	k.encode_logvar
//
// A value passes when |got − want| ≤ atol + rtol·|want| (decoded_atol,
// encode_atol, rtol: about 10× the float32-vs-float64 difference diffusers
// itself shows on the fixture), so another fixture of the format runs
// unchanged.
func TestConformanceVAE(t *testing.T) {
	metas, err := filepath.Glob(fixture.Reference(t, "diffusion", "*", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, meta := range metas {
		dir := filepath.Dir(meta)
		if models := vaeModels(t, dir); len(models) > 0 {
			n++
			t.Run(filepath.Base(dir), func(t *testing.T) { conformVAE(t, dir, models) })
		}
	}
	if n == 0 {
		t.Fatalf("no AutoencoderKL fixture under %s", fixture.Reference(t, "diffusion"))
	}
}

// vaeModel is one entry of a fixture's meta.json "models".
type vaeModel struct {
	Checkpoint string             `json:"checkpoint"`
	Tol        map[string]float64 `json:"tolerances_float32"`
}

// vaeModels returns the models of a fixture folder whose checkpoint is an
// AutoencoderKL, or none.
func vaeModels(t *testing.T, dir string) map[string]vaeModel {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Models map[string]json.RawMessage `json:"models"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatalf("%s/meta.json: %v", dir, err)
	}
	out := map[string]vaeModel{}
	for k, raw := range meta.Models {
		var m vaeModel
		if json.Unmarshal(raw, &m) != nil || m.Checkpoint == "" {
			continue
		}
		cfgPath, _, _ := strings.Cut(m.Checkpoint, " ")
		cfg, err := os.ReadFile(filepath.Join(dir, cfgPath))
		if err != nil {
			continue
		}
		var head struct {
			ClassName string `json:"_class_name"`
		}
		if json.Unmarshal(cfg, &head) == nil && head.ClassName == "AutoencoderKL" {
			out[k] = m
		}
	}
	return out
}

// conformVAE checks every model of one fixture folder.
func conformVAE(t *testing.T, dir string, models map[string]vaeModel) {
	want, err := safetensors.Open(filepath.Join(dir, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	tensor := func(t *testing.T, name string) *tensors.Tensor {
		t.Helper()
		v, shape, err := want.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		return tensors.FromFlatDataAndDimensions(v, shape...)
	}
	has := func(name string) bool { _, ok := want.Info(name); return ok }
	keys := make([]string, 0, len(models))
	for k := range models {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		mm := models[k]
		t.Run(k, func(t *testing.T) {
			cfgPath, _, _ := strings.Cut(mm.Checkpoint, " ")
			m, err := vae.Load(filepath.Join(dir, filepath.Dir(cfgPath)))
			if err != nil {
				t.Fatal(err)
			}
			tol := func(key string) float64 {
				v, ok := mm.Tol[key]
				if !ok {
					t.Fatalf("meta.json %s tolerances_float32 has no %s", k, key)
				}
				return v
			}
			rtol := tol("rtol")
			latents := tensor(t, k+".latents")
			if has(k + ".decoder_input") {
				cfg := m.Config()
				d := latents.Shape().Dimensions
				got := cfg.DecoderInput(nil, tensors.MustCopyFlatData[float32](latents), d[2]*d[3])
				// The unscaling is one division (and addition) in float32, as in the pipelines: exact.
				compare(t, "decoder_input", got, tensor(t, k+".decoder_input"), 0, 0)
			}
			out, err := m.Decode(latents)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "decoded", tensors.MustCopyFlatData[float32](out), tensor(t, k+".decoded"), tol("decoded_atol"), rtol)
			if !has(k + ".encode_mean") {
				return
			}
			mean, logvar, err := m.Encode(tensor(t, k+".image"))
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "encode_mean", tensors.MustCopyFlatData[float32](mean), tensor(t, k+".encode_mean"), tol("encode_atol"), rtol)
			compare(t, "encode_logvar", tensors.MustCopyFlatData[float32](logvar), tensor(t, k+".encode_logvar"), tol("encode_atol"), rtol)
		})
	}
}

// compare checks got against want elementwise within atol + rtol·|want|
// and logs the largest difference.
func compare(t *testing.T, what string, got []float32, want *tensors.Tensor, atol, rtol float64) {
	t.Helper()
	w := tensors.MustCopyFlatData[float32](want)
	if len(got) != len(w) {
		t.Fatalf("%s: %d values, want %d (shape %s)", what, len(got), len(w), want.Shape())
	}
	worst, bad := 0.0, 0
	for i := range w {
		d := math.Abs(float64(got[i]) - float64(w[i]))
		worst = max(worst, d)
		if !(d <= atol+rtol*math.Abs(float64(w[i]))) {
			if bad < 3 {
				t.Errorf("%s[%d] = %g, want %g (|Δ| %.3g > %.3g + %.3g·|want|)", what, i, got[i], w[i], d, atol, rtol)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values outside the tolerance", what, bad, len(w))
	}
	t.Logf("%s: max |Δ| %.3g (atol %.3g, rtol %.3g)", what, worst, atol, rtol)
}
