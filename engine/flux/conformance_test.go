package flux_test

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
	"github.com/actsh/actsh/engine/flux"
	"github.com/actsh/actsh/internal/fixture"
)

// fixtureDir is the reference transformer (testdata/reference/diffusion/README.md).
func fixtureDir(t testing.TB) string { return fixture.Reference(t, "diffusion", "flux") }

// meta is what the tests read of a fixture's meta.json.
type meta struct {
	Checkpoint string                     `json:"checkpoint"` // "<dir>/config.json + …"
	Steering   map[string]json.RawMessage `json:"steering"`   // {module, s, …} or tag → {module, s, …}, and notes
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
func (r *reference) model(t testing.TB) *flux.Model {
	t.Helper()
	cfg, _, _ := strings.Cut(r.meta.Checkpoint, " ")
	m, err := flux.Load(filepath.Join(r.Dir, filepath.Dir(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// inputs reads the forward's arguments recorded under prefix ("input."):
// hidden_states, encoder_hidden_states, pooled_projections, timestep,
// img_ids, txt_ids and, when recorded, guidance.
func (r *reference) inputs(t testing.TB, prefix string) flux.Inputs {
	t.Helper()
	in := flux.Inputs{
		HiddenStates:        r.Tensor(t, prefix+"hidden_states"),
		EncoderHiddenStates: r.Tensor(t, prefix+"encoder_hidden_states"),
		PooledProjections:   r.Tensor(t, prefix+"pooled_projections"),
		Timestep:            r.Values(t, prefix+"timestep"),
		ImgIDs:              r.Tensor(t, prefix+"img_ids"),
		TxtIDs:              r.Tensor(t, prefix+"txt_ids"),
	}
	if r.Has(prefix + "guidance") {
		in.Guidance = r.Values(t, prefix+"guidance")
	}
	return in
}

// calls are the further calls the fixture records: for each K ≥ 2 with
// an outputK, the inputs of the first call with those of inputK. put in
// their place.
func (r *reference) calls(t testing.TB) map[string]flux.Inputs {
	t.Helper()
	out := map[string]flux.Inputs{}
	for _, n := range r.F.Names() {
		k, ok := strings.CutPrefix(n, "output")
		if !ok || k == "" || strings.ContainsAny(k, "._") {
			continue
		}
		in := r.inputs(t, "input.")
		for _, f := range []struct {
			key string
			dst **tensors.Tensor
		}{
			{"hidden_states", &in.HiddenStates}, {"encoder_hidden_states", &in.EncoderHiddenStates},
			{"pooled_projections", &in.PooledProjections}, {"img_ids", &in.ImgIDs}, {"txt_ids", &in.TxtIDs},
		} {
			if name := "input" + k + "." + f.key; r.Has(name) {
				*f.dst = r.Tensor(t, name)
			}
		}
		if name := "input" + k + ".timestep"; r.Has(name) {
			in.Timestep = r.Values(t, name)
		}
		out[n] = in
	}
	return out
}

// steerCase is one steered run of the fixture: the module steered and the
// strength; the map is <tag>.w, <tag>.b.
type steerCase struct {
	tag    string
	Module string  `json:"module"`
	S      float64 `json:"s"`
}

// steerCases are the steered runs the fixture records: each tag with a
// <tag>.module_output, its module and strength from meta.json's steering
// (steering.<tag>, or steering itself when it describes the one case).
func (r *reference) steerCases(t testing.TB) []steerCase {
	t.Helper()
	var tags []string
	for _, n := range r.F.Names() {
		if tag, ok := strings.CutSuffix(n, ".module_output"); ok {
			tags = append(tags, tag)
		}
	}
	slices.Sort(tags)
	var out []steerCase
	for _, tag := range tags {
		var sc steerCase
		if raw, ok := r.meta.Steering[tag]; ok {
			if err := json.Unmarshal(raw, &sc); err != nil {
				t.Fatalf("meta.json steering.%s: %v", tag, err)
			}
		} else if len(tags) == 1 {
			if err := json.Unmarshal(r.meta.Steering["module"], &sc.Module); err != nil {
				t.Fatalf("meta.json steering.module: %v", err)
			}
			if err := json.Unmarshal(r.meta.Steering["s"], &sc.S); err != nil {
				t.Fatalf("meta.json steering.s: %v", err)
			}
		}
		if sc.Module == "" {
			t.Fatalf("meta.json names no module for the steered run %s", tag)
		}
		sc.tag = tag
		out = append(out, sc)
	}
	return out
}

// TestConformanceFlux reads testdata/reference/diffusion/flux by its
// files alone: the checkpoint meta.json names, the inputs (input.*) and
// what diffusers v0.30.0 computed from them:
//
//	output             the prediction, within output_atol
//	outputK            the prediction with the inputs inputK.* in place
//	                   of input.* (output2: non-zero ids on every RoPE
//	                   axis), within output_atol
//	<point>            every recorded tensor named as a point (block
//	                   outputs transformer_blocks.N:0 (text), :1 (image),
//	                   single_transformer_blocks.N), within block_atol
//	extra.<point>      debugging captures of modules that are points
//	                   (x_embedder, context_embedder, time_text_embed,
//	                   norm_out), within block_atol
//	<tag>.output       for each steered run: the prediction and the
//	<tag>.module_output  steered module's output with ml-act's
//	                   LinearOTHook (w = <tag>.w, b = <tag>.b, strength s)
//	                   on that module, within steer_atol, or output_atol
//	                   and block_atol when the fixture has none
//
// A value passes when |got − want| ≤ atol + rtol·|want|; the atols are
// 10× the float32-vs-float64 difference diffusers itself shows on the
// fixture. Another fixture of the format runs unchanged.
func TestConformanceFlux(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	m := r.model(t)
	in := r.inputs(t, "input.")
	rtol, oatol, batol := r.Tol(t, "rtol"), r.Tol(t, "output_atol"), r.Tol(t, "block_atol")

	t.Run("output and blocks", func(t *testing.T) {
		var blocks, extras []string
		for _, n := range r.F.Names() {
			p, extra := strings.CutPrefix(n, "extra.")
			if _, err := m.Point(p); err != nil {
				continue
			}
			if extra {
				extras = append(extras, p)
			} else {
				blocks = append(blocks, p)
			}
		}
		if len(blocks) == 0 {
			t.Fatal("the fixture records no point's output")
		}
		out, err := m.Run(in, flux.Options{Capture: slices.Concat(blocks, extras)})
		if err != nil {
			t.Fatal(err)
		}
		compare(t, "output", out.Sample, r.Tensor(t, "output"), oatol, rtol)
		for _, p := range blocks {
			compare(t, p, out.Captured[p], r.Tensor(t, p), batol, rtol)
		}
		for _, p := range extras {
			compare(t, "extra."+p, out.Captured[p], r.Tensor(t, "extra."+p), batol, rtol)
		}
	})

	for name, in := range r.calls(t) {
		t.Run(name, func(t *testing.T) {
			out, err := m.Run(in, flux.Options{})
			if err != nil {
				t.Fatal(err)
			}
			compare(t, name, out.Sample, r.Tensor(t, name), oatol, rtol)
		})
	}

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
			out, err := m.Run(in, flux.Options{Steering: s, Capture: []string{sc.Module}})
			if err != nil {
				t.Fatal(err)
			}
			matol, satol := batol, oatol
			if v, ok := r.OptTol("steer_atol"); ok {
				matol, satol = v, v
			}
			compare(t, "module_output", out.Captured[sc.Module], r.Tensor(t, sc.tag+".module_output"), matol, rtol)
			compare(t, "output", out.Sample, r.Tensor(t, sc.tag+".output"), satol, rtol)
		})
	}
}

// compare checks got against want elementwise within atol + rtol·|want|
// and logs the largest difference.
func compare(t *testing.T, what string, got, want *tensors.Tensor, atol, rtol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: not returned", what)
		return
	}
	if !slices.Equal(got.Shape().Dimensions, want.Shape().Dimensions) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape().Dimensions, want.Shape().Dimensions)
		return
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
	t.Logf("%s: max |Δ| %.3g (atol %.3g, rtol %.3g)", what, worst, atol, rtol)
}
