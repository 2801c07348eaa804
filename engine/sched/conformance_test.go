package sched_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/flux"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/engine/sched"
	"github.com/actsh/actsh/engine/unet"
	"github.com/actsh/actsh/engine/vae"
	"github.com/actsh/actsh/internal/fixture"
)

// The conformance tests read testdata/reference/diffusion/schedulers
// (testdata/reference/diffusion/README.md): meta.json names each
// scheduler's config ("configs"), its number of steps and extra tables
// (config overrides), and expected.safetensors holds what diffusers v0.30.0
// computed. Tensors are found by name only, so another set in the same
// format runs unchanged:
//
//	<p>.timesteps, <p>.sigmas          the schedule (p: the tensor prefix
//	                                   that starts the config's key: "euler"
//	                                   for euler, "flow" for flow_match)
//	<p>.init_noise_sigma, <p>.alphas_cumprod   when present
//	<p>.sigmas_input                   when present, the sigmas the pipeline
//	                                   passes (set_timesteps(sigmas=…, mu=…))
//	<p>_loop.latents.{i}               the latents before step i, and after
//	                                   the last step
//	<p>_loop.step{i}.model_output      the denoiser's output at step i
//	<p>_loop.step{i}.model_input       when present, its scaled input
//	<p>_loop.step{i}.timestep_in       when present, timestep/1000 (FLUX)
//	<p>_loop.noise                     when present, the latents before
//	                                   scaling by init_noise_sigma
//	<p>_loop.mu                        when present, FluxPipeline's μ

// refSet is one fixture folder.
type refSet struct {
	dir   string
	meta  map[string]json.RawMessage
	f     *safetensors.File
	tol   map[string]float64 // tolerances_float32's numbers
	names []string
}

func openSet(t *testing.T) *refSet {
	t.Helper()
	dir := fixture.Reference(t, "diffusion", "schedulers")
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := &refSet{dir: dir, tol: map[string]float64{}}
	if err := json.Unmarshal(b, &r.meta); err != nil {
		t.Fatalf("meta.json: %v", err)
	}
	var tol map[string]any
	if err := json.Unmarshal(r.meta["tolerances_float32"], &tol); err != nil {
		t.Fatalf("meta.json tolerances_float32: %v", err)
	}
	for k, v := range tol {
		if f, ok := v.(float64); ok {
			r.tol[k] = f
		}
	}
	if r.f, err = safetensors.Open(filepath.Join(dir, "expected.safetensors")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.f.Close() })
	r.names = r.f.Names()
	return r
}

func (r *refSet) has(name string) bool { _, ok := r.f.Info(name); return ok }

func (r *refSet) tensor(t *testing.T, name string) []float32 {
	t.Helper()
	v, _, err := r.f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (r *refSet) tolerance(t *testing.T, key string) float64 {
	t.Helper()
	v, ok := r.tol[key]
	if !ok {
		t.Fatalf("meta.json tolerances_float32 has no %s", key)
	}
	return v
}

// configs returns meta.json's configs: key → path of scheduler_config.json.
func (r *refSet) configs(t *testing.T) map[string]string {
	t.Helper()
	var c map[string]string
	if err := json.Unmarshal(r.meta["configs"], &c); err != nil || len(c) == 0 {
		t.Fatalf("meta.json configs: %v (%d)", err, len(c))
	}
	for k, p := range c {
		c[k] = filepath.Join(r.dir, p)
	}
	return c
}

// prefix is the longest table prefix (a name with a .timesteps tensor)
// that starts key.
func (r *refSet) prefix(t *testing.T, key string) string {
	t.Helper()
	best := ""
	for _, n := range r.names {
		p, ok := strings.CutSuffix(n, ".timesteps")
		if ok && strings.HasPrefix(key, p) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		t.Fatalf("no <prefix>.timesteps tensor for config %s", key)
	}
	return best
}

// table is one schedule to check: its tensor prefix, its config's JSON
// (overrides applied) and its number of steps.
type table struct {
	name   string
	config []byte
	steps  int
}

// section is a config's entry in meta.json.
type section struct {
	NumInferenceSteps int `json:"num_inference_steps"`
	ExtraTables       map[string]struct {
		ConfigOverrides   map[string]any `json:"config_overrides"`
		NumInferenceSteps int            `json:"num_inference_steps"`
	} `json:"extra_tables"`
}

func (r *refSet) tables(t *testing.T, key, path string) []table {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sec section
	if err := json.Unmarshal(r.meta[key], &sec); err != nil || sec.NumInferenceSteps == 0 {
		t.Fatalf("meta.json %s: %v (num_inference_steps %d)", key, err, sec.NumInferenceSteps)
	}
	out := []table{{r.prefix(t, key), raw, sec.NumInferenceSteps}}
	for name, x := range sec.ExtraTables {
		var cfg map[string]any
		if err := json.Unmarshal(raw, &cfg); err != nil {
			t.Fatal(err)
		}
		for k, v := range x.ConfigOverrides {
			cfg[k] = v
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, table{name, b, x.NumInferenceSteps})
	}
	slices.SortFunc(out, func(a, b table) int { return strings.Compare(a.name, b.name) })
	return out
}

// schedule builds and sets the scheduler of tb as the fixture did: with
// the pipeline's sigmas when it recorded them, else SetTimesteps.
func (r *refSet) schedule(t *testing.T, tb table) sched.Scheduler {
	t.Helper()
	s, err := sched.Parse(tb.config)
	if err != nil {
		t.Fatal(err)
	}
	if r.has(tb.name + ".sigmas_input") {
		fm, ok := s.(*sched.FlowMatch)
		if !ok {
			t.Fatalf("%s.sigmas_input for a %T", tb.name, s)
		}
		var in []float64
		for _, v := range r.tensor(t, tb.name+".sigmas_input") {
			in = append(in, float64(v))
		}
		mu := 0.0
		if r.has(tb.name + "_loop.mu") {
			mu = float64(r.tensor(t, tb.name+"_loop.mu")[0])
		}
		if err := fm.SetSigmas(in, mu); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := s.SetTimesteps(tb.steps); err != nil {
		t.Fatal(err)
	}
	return s
}

// compare checks |got − want| ≤ atol + rtol·|want| elementwise (numpy's
// allclose) and returns the largest |got − want|.
func compare(t *testing.T, what string, got, want []float32, atol, rtol float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst, bad := 0.0, 0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		worst = max(worst, d)
		if !(d <= atol+rtol*math.Abs(float64(want[i]))) {
			if bad++; bad <= 3 {
				t.Errorf("%s[%d] = %v, want %v (|d| %.3g > %.3g + %.3g·|want|)", what, i, got[i], want[i], d, atol, rtol)
			}
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d values out of tolerance", what, bad, len(got))
	}
	t.Logf("%s: max |d| %.3g (atol %.3g, rtol %.3g)", what, worst, atol, rtol)
	return worst
}

// TestTables checks every schedule of the fixture: timesteps, sigmas and,
// where recorded, init_noise_sigma and alphas_cumprod, within tables_atol
// and rtol (float32 tables; diffusers computes them in float32 and float64
// mixed, and the package reproduces its rounding, so the differences are 0).
func TestTables(t *testing.T) {
	r := openSet(t)
	atol, rtol := r.tolerance(t, "tables_atol"), r.tolerance(t, "rtol")
	for key, path := range r.configs(t) {
		for _, tb := range r.tables(t, key, path) {
			t.Run(tb.name, func(t *testing.T) {
				s := r.schedule(t, tb)
				compare(t, "timesteps", s.Timesteps(), r.tensor(t, tb.name+".timesteps"), atol, rtol)
				compare(t, "sigmas", s.Sigmas(), r.tensor(t, tb.name+".sigmas"), atol, rtol)
				if r.has(tb.name + ".init_noise_sigma") {
					compare(t, "init_noise_sigma", []float32{s.InitNoiseSigma()}, r.tensor(t, tb.name+".init_noise_sigma"), atol, rtol)
				}
				if r.has(tb.name + ".alphas_cumprod") {
					e, ok := s.(*sched.Euler)
					if !ok {
						t.Fatalf("%s.alphas_cumprod for a %T", tb.name, s)
					}
					compare(t, "alphas_cumprod", e.AlphasCumprod(), r.tensor(t, tb.name+".alphas_cumprod"), atol, rtol)
				}
			})
		}
	}
}

// loop is a recorded denoising loop: the scheduler as the fixture set it,
// and its tensors' prefix.
type loop struct {
	name string
	s    sched.Scheduler
	atol float64
	rtol float64
}

func (r *refSet) loops(t *testing.T) []loop {
	t.Helper()
	var out []loop
	for key, path := range r.configs(t) {
		tb := r.tables(t, key, path)
		for _, x := range tb {
			if x.name != r.prefix(t, key) {
				continue
			}
			name := x.name + "_loop"
			if !r.has(name + ".step0.model_output") {
				continue
			}
			out = append(out, loop{name, r.schedule(t, x), r.tolerance(t, name+"_atol"), r.tolerance(t, "rtol")})
		}
	}
	if len(out) == 0 {
		t.Fatal("the fixture records no loop (<prefix>_loop.step0.model_output)")
	}
	slices.SortFunc(out, func(a, b loop) int { return strings.Compare(a.name, b.name) })
	return out
}

// TestLoopSteps runs each recorded step on the recorded latents and model
// output: ScaleModelInput against model_input, the timestep against
// timestep_in, Step against the next latents, each step from the
// fixture's own latents so that one step's error does not feed the next.
// Tolerances: the loop's atol and rtol from meta.json (Euler's latents are
// ~14.6 times larger, hence its larger atol).
func TestLoopSteps(t *testing.T) {
	r := openSet(t)
	for _, l := range r.loops(t) {
		t.Run(l.name, func(t *testing.T) {
			n := len(l.s.Timesteps())
			if r.has(l.name + ".noise") {
				noise := r.tensor(t, l.name+".noise")
				for j := range noise {
					noise[j] *= l.s.InitNoiseSigma()
				}
				compare(t, "noise·init_noise_sigma", noise, r.tensor(t, l.name+".latents.0"), l.atol, l.rtol)
			}
			for i := 0; i < n; i++ {
				step := l.name + ".step" + strconv.Itoa(i)
				x := r.tensor(t, l.name+".latents."+strconv.Itoa(i))
				if r.has(step + ".model_input") {
					compare(t, fmt.Sprintf("step %d model_input", i), l.s.ScaleModelInput(nil, x, i), r.tensor(t, step+".model_input"), l.atol, l.rtol)
				}
				if r.has(step + ".timestep_in") {
					// FluxPipeline passes timestep/1000 to the transformer.
					compare(t, fmt.Sprintf("step %d timestep_in", i), []float32{l.s.Timesteps()[i] / 1000}, r.tensor(t, step+".timestep_in"), l.atol, l.rtol)
				}
				got := l.s.Step(nil, r.tensor(t, step+".model_output"), x, i)
				compare(t, fmt.Sprintf("step %d latents", i), got, r.tensor(t, l.name+".latents."+strconv.Itoa(i+1)), l.atol, l.rtol)
			}
			if r.has(l.name + ".step" + strconv.Itoa(n) + ".model_output") {
				t.Errorf("the fixture records more steps than the schedule's %d", n)
			}
		})
	}
}

// TestLoopSample runs the whole loop with Sample, the denoiser replaced by
// the recorded model outputs (checking each input it is given), and
// compares the final latents: the loop as the image pipeline will run it,
// errors carried from step to step.
func TestLoopSample(t *testing.T) {
	r := openSet(t)
	for _, l := range r.loops(t) {
		t.Run(l.name, func(t *testing.T) {
			ts := l.s.Timesteps()
			start := r.tensor(t, l.name+".latents.0")
			if r.has(l.name + ".noise") {
				start = r.tensor(t, l.name+".noise")
			} else if l.s.InitNoiseSigma() != 1 {
				t.Fatalf("no %s.noise and init_noise_sigma %v ≠ 1", l.name, l.s.InitNoiseSigma())
			}
			i := 0
			recorded := func(x []float32, ti float32) ([]float32, error) {
				step := l.name + ".step" + strconv.Itoa(i)
				if ti != ts[i] {
					t.Errorf("step %d: timestep %v, want %v", i, ti, ts[i])
				}
				if r.has(step + ".model_input") {
					compare(t, fmt.Sprintf("step %d model_input", i), x, r.tensor(t, step+".model_input"), l.atol, l.rtol)
				}
				i++
				return r.tensor(t, step+".model_output"), nil
			}
			got, err := sched.Sample(l.s, start, recorded)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "final latents", got, r.tensor(t, l.name+".latents."+strconv.Itoa(len(ts))), l.atol, l.rtol)
		})
	}
}

// TestLoopDenoisers is the loop with the tiny denoisers themselves in
// place of their recorded outputs: meta.json's "denoiser" of each loop
// names the model's folder (relative to the fixture) and the loop records
// its conditioning (<loop>.encoder_hidden_states, .text_embeds,
// .time_ids). Each step's prediction is compared with the recorded
// model_output and the final latents with the recorded ones, errors
// carried from step to step as in a pipeline; when the loop records
// <loop>.decoded and meta.json's "decode" names a VAE folder, the final
// latents are decoded too. Tolerances: the loop's atol and rtol. A
// FLUX's loop runs FluxTransformer2DModel on the packed latents with the
// recorded T5 states, pooled projection and ids, at timestep t/1000.
func TestLoopDenoisers(t *testing.T) {
	r := openSet(t)
	for _, l := range r.loops(t) {
		t.Run(l.name, func(t *testing.T) {
			sec := r.loopSection(t, l.name)
			dir := filepath.Join(r.dir, folder(sec.Denoiser))
			class := className(dir)
			if class == flux.ClassName {
				fluxLoop(t, r, l, dir)
				return
			}
			if class != unet.ClassName {
				t.Skipf("the denoiser %s (%s) is not run by actsh", folder(sec.Denoiser), or(class, "not in testdata"))
			}
			m, err := unet.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			shape := r.shape(t, l.name+".latents.0")
			cond := unet.Inputs{
				EncoderHiddenStates: r.tensorT(t, l.name+".encoder_hidden_states"),
				TextEmbeds:          r.tensorT(t, l.name+".text_embeds"),
				TimeIDs:             r.tensorT(t, l.name+".time_ids"),
			}
			start := r.tensor(t, l.name+".latents.0")
			if r.has(l.name + ".noise") {
				start = r.tensor(t, l.name+".noise")
			}
			i := 0
			denoise := func(x []float32, ts float32) ([]float32, error) {
				in := cond
				in.Sample = tensors.FromFlatDataAndDimensions(slices.Clone(x), shape...)
				in.Timestep = []float32{ts}
				out, err := m.Run(in, unet.Options{})
				if err != nil {
					return nil, err
				}
				eps := tensors.MustCopyFlatData[float32](out.Sample)
				compare(t, fmt.Sprintf("step %d model_output", i), eps, r.tensor(t, l.name+".step"+strconv.Itoa(i)+".model_output"), l.atol, l.rtol)
				i++
				return eps, nil
			}
			final, err := sched.Sample(l.s, start, denoise)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "final latents", final, r.tensor(t, l.name+".latents."+strconv.Itoa(len(l.s.Timesteps()))), l.atol, l.rtol)
			if !r.has(l.name+".decoded") || sec.Decode == "" {
				return
			}
			v, err := vae.Load(filepath.Join(r.dir, folder(sec.Decode)))
			if err != nil {
				t.Fatal(err)
			}
			img, err := v.Decode(tensors.FromFlatDataAndDimensions(final, shape...))
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "decoded", tensors.MustCopyFlatData[float32](img), r.tensor(t, l.name+".decoded"), l.atol, l.rtol)
		})
	}
}

// fluxLoop is TestLoopDenoisers for a FluxPipeline loop.
func fluxLoop(t *testing.T, r *refSet, l loop, dir string) {
	m, err := flux.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	shape := r.shape(t, l.name+".latents.0")
	cond := flux.Inputs{
		EncoderHiddenStates: r.tensorT(t, l.name+".encoder_hidden_states"),
		PooledProjections:   r.tensorT(t, l.name+".pooled_projections"),
		ImgIDs:              r.tensorT(t, l.name+".img_ids"),
		TxtIDs:              r.tensorT(t, l.name+".txt_ids"),
	}
	i := 0
	denoise := func(x []float32, ts float32) ([]float32, error) {
		in := cond
		in.HiddenStates = tensors.FromFlatDataAndDimensions(slices.Clone(x), shape...)
		in.Timestep = []float32{ts / 1000}
		out, err := m.Run(in, flux.Options{})
		if err != nil {
			return nil, err
		}
		v := tensors.MustCopyFlatData[float32](out.Sample)
		compare(t, fmt.Sprintf("step %d model_output", i), v, r.tensor(t, l.name+".step"+strconv.Itoa(i)+".model_output"), l.atol, l.rtol)
		i++
		return v, nil
	}
	final, err := sched.Sample(l.s, r.tensor(t, l.name+".latents.0"), denoise)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "final latents", final, r.tensor(t, l.name+".latents."+strconv.Itoa(len(l.s.Timesteps()))), l.atol, l.rtol)
	if r.has(l.name + ".final_unpacked") {
		want := r.shape(t, l.name+".final_unpacked")
		got, err := flux.Unpack(tensors.FromFlatDataAndDimensions(final, shape...), want[2], want[3])
		if err != nil {
			t.Fatal(err)
		}
		compare(t, "final unpacked", tensors.MustCopyFlatData[float32](got), r.tensor(t, l.name+".final_unpacked"), l.atol, l.rtol)
	}
}

// loopMeta is what meta.json says of a loop's models: "<folder> (notes)".
type loopMeta struct {
	Denoiser string `json:"denoiser"`
	Decode   string `json:"decode"` // "<loop>.decoded = <vae folder> decode(…)"; "" (null) when not decoded
}

// loopSection returns the meta.json section of the scheduler whose loop
// is name (<prefix>_loop).
func (r *refSet) loopSection(t *testing.T, name string) loopMeta {
	t.Helper()
	for key := range r.configs(t) {
		if r.prefix(t, key)+"_loop" != name {
			continue
		}
		var sec loopMeta
		if err := json.Unmarshal(r.meta[key], &sec); err != nil || sec.Denoiser == "" {
			t.Fatalf("meta.json %s: denoiser: %v", key, err)
		}
		return sec
	}
	t.Fatalf("meta.json has no section for %s", name)
	return loopMeta{}
}

// className is the _class_name of the config.json in dir, "" when there
// is none.
func className(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return ""
	}
	var c struct {
		ClassName string `json:"_class_name"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.ClassName
}

// folder is the first path (a word with a slash) of a meta.json note
// such as "euler_loop.decoded = ../vae/vae decode(…)".
func folder(s string) string {
	for _, f := range strings.Fields(s) {
		if strings.Contains(f, "/") {
			return strings.TrimRight(f, ";,")
		}
	}
	return ""
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (r *refSet) shape(t *testing.T, name string) []int {
	t.Helper()
	_, shape, err := r.f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return shape
}

func (r *refSet) tensorT(t *testing.T, name string) *tensors.Tensor {
	t.Helper()
	return tensors.FromFlatDataAndDimensions(r.tensor(t, name), r.shape(t, name)...)
}
