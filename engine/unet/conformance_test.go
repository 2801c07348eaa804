package unet_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/engine/unet"
	"github.com/actsh/actsh/internal/fixture"
)

// fixtureDir is the reference UNet (testdata/reference/diffusion/README.md).
func fixtureDir(t testing.TB) string { return fixture.Reference(t, "diffusion", "sdxl_unet") }

// meta is what the conformance test reads of a fixture's meta.json.
type meta struct {
	Checkpoint string `json:"checkpoint"` // "<dir>/config.json + …"
	Captured   struct {
		Modules []string `json:"modules"`
	} `json:"captured"`
	Steering map[string]json.RawMessage `json:"steering"` // tag → {module, s, …}, and notes
}

// steerCase is one steered run of the fixture: the module steered and the
// strength; the map is <tag>.w, <tag>.b.
type steerCase struct {
	tag    string
	Module string  `json:"module"`
	S      float64 `json:"s"`
}

// reference is an open fixture with its meta.json fields.
type reference struct {
	*enginetest.Fixture
	meta meta
}

func openReference(t testing.TB, dir string) *reference {
	t.Helper()
	r := &reference{Fixture: enginetest.OpenFixture(t, dir)}
	r.Decode(t, &r.meta)
	return r
}

// model loads the checkpoint meta.json names.
func (r *reference) model(t testing.TB) *unet.Model {
	t.Helper()
	cfg, _, _ := strings.Cut(r.meta.Checkpoint, " ")
	m, err := unet.Load(filepath.Join(r.Dir, filepath.Dir(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// inputs reads input.sample, input.timestep, input.encoder_hidden_states
// and, when recorded, input.text_embeds and input.time_ids.
func (r *reference) inputs(t testing.TB) unet.Inputs {
	t.Helper()
	in := unet.Inputs{
		Sample:              r.Tensor(t, "input.sample"),
		Timestep:            r.Values(t, "input.timestep"),
		EncoderHiddenStates: r.Tensor(t, "input.encoder_hidden_states"),
	}
	if r.Has("input.text_embeds") {
		in.TextEmbeds = r.Tensor(t, "input.text_embeds")
		in.TimeIDs = r.Tensor(t, "input.time_ids")
	}
	return in
}

// steerCases are meta.json's steering entries that name a module.
func (r *reference) steerCases(t testing.TB) []steerCase {
	t.Helper()
	var out []steerCase
	for tag, raw := range r.meta.Steering {
		var sc steerCase
		if json.Unmarshal(raw, &sc) != nil || sc.Module == "" {
			continue // "hook", "keys": notes
		}
		sc.tag = tag
		out = append(out, sc)
	}
	slices.SortFunc(out, func(a, b steerCase) int { return strings.Compare(a.tag, b.tag) })
	return out
}

// TestConformanceUNet reads testdata/reference/diffusion/sdxl_unet by its
// files alone: the checkpoint meta.json names, the inputs
// (input.sample, input.timestep, input.encoder_hidden_states and, for
// text_time, input.text_embeds and input.time_ids) and what diffusers
// v0.30.0 computed from them:
//
//	output                      the prediction, within output_atol
//	<module>                    every module of captured.modules (the
//	                            fixture's: all 67 ".*norm.*" modules), within norm_atol
//	extra.<point>               debugging captures of modules that are
//	                            points here (conv_in, the embeddings), within norm_atol
//	<tag>.output                for each steering entry {module, s}: the
//	<tag>.module_output         prediction and the steered module's output
//	                            with ml-act's LinearOTHook (w = <tag>.w,
//	                            b = <tag>.b, strength s) on that module, within steer_atol
//
// A value passes when |got − want| ≤ atol + rtol·|want|; the atols are 10×
// the float32-vs-float64 difference diffusers itself shows on the fixture.
// Another fixture of the format runs unchanged.
func TestConformanceUNet(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	m := r.model(t)
	in := r.inputs(t)
	rtol := r.Tol(t, "rtol")

	t.Run("output and captures", func(t *testing.T) {
		mods := r.meta.Captured.Modules
		if len(mods) == 0 {
			t.Fatal("meta.json captured.modules is empty")
		}
		capture := slices.Clone(mods)
		points := map[string]bool{}
		for _, p := range m.Points() {
			points[p.Name] = true
		}
		var extras []string
		for _, n := range r.F.Names() {
			if p, ok := strings.CutPrefix(n, "extra."); ok && points[p] {
				extras = append(extras, p)
			}
		}
		out, err := m.Run(in, unet.Options{Capture: append(capture, extras...)})
		if err != nil {
			t.Fatal(err)
		}
		compare(t, "output", out.Sample, r.Tensor(t, "output"), r.Tol(t, "output_atol"), rtol)
		worst, natol := 0.0, r.Tol(t, "norm_atol")
		for _, n := range mods {
			worst = max(worst, compareQuiet(t, n, out.Captured[n], r.Tensor(t, n), natol, rtol))
		}
		t.Logf("%d captures: max |Δ| %.3g (atol %.3g, rtol %.3g)", len(mods), worst, natol, rtol)
		for _, p := range extras {
			compare(t, "extra."+p, out.Captured[p], r.Tensor(t, "extra."+p), natol, rtol)
		}
	})

	for _, sc := range r.steerCases(t) {
		t.Run(sc.tag, func(t *testing.T) {
			s := &engine.Steering{
				Maps:     map[string]*transport.Map{sc.Module: {W: r.Values(t, sc.tag+".w"), B: r.Values(t, sc.tag+".b")}},
				Strength: float32(sc.S),
			}
			if r.Has(sc.tag + ".s") {
				if got := r.Values(t, sc.tag+".s")[0]; got != float32(sc.S) {
					t.Fatalf("meta.json s %v, %s.s %v", sc.S, sc.tag, got)
				}
			}
			out, err := m.Run(in, unet.Options{Steering: s, Capture: []string{sc.Module}})
			if err != nil {
				t.Fatal(err)
			}
			atol := r.Tol(t, "steer_atol")
			compare(t, "module_output", out.Captured[sc.Module], r.Tensor(t, sc.tag+".module_output"), atol, rtol)
			compare(t, "output", out.Sample, r.Tensor(t, sc.tag+".output"), atol, rtol)
		})
	}
}

// compare checks got against want elementwise within atol + rtol·|want|
// and logs the largest difference.
func compare(t *testing.T, what string, got, want *tensors.Tensor, atol, rtol float64) {
	t.Helper()
	worst := compareQuiet(t, what, got, want, atol, rtol)
	t.Logf("%s: max |Δ| %.3g (atol %.3g, rtol %.3g)", what, worst, atol, rtol)
}

// compareQuiet is compare without the log line; it returns the largest
// difference.
func compareQuiet(t *testing.T, what string, got, want *tensors.Tensor, atol, rtol float64) float64 {
	t.Helper()
	if got == nil {
		t.Errorf("%s: not returned", what)
		return 0
	}
	if !slices.Equal(got.Shape().Dimensions, want.Shape().Dimensions) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape().Dimensions, want.Shape().Dimensions)
		return 0
	}
	g, w := tensors.MustCopyFlatData[float32](got), tensors.MustCopyFlatData[float32](want)
	worst, bad := 0.0, 0
	for i := range w {
		d := math.Abs(float64(g[i]) - float64(w[i]))
		worst = max(worst, d)
		if !(d <= atol+rtol*math.Abs(float64(w[i]))) {
			if bad < 3 {
				t.Errorf("%s[%d] = %g, want %g (|Δ| %.3g > %.3g + %.3g·|want|)", what, i, g[i], w[i], d, atol, rtol)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values outside the tolerance", what, bad, len(w))
	}
	return worst
}
