package sched_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine/sched"
	"github.com/actsh/actsh/internal/fixture"
)

// The values below were printed (%.9g, so float32 round-trips) by
// diffusers v0.30.0's own scheduler classes (git show v0.30.0, imported
// as they are) on Debian's torch 1.13, for the cases the fixture does not
// cover. The package reproduces diffusers' float32 rounding, so the
// comparisons are exact.

// sdxlConfig returns the fixture's SDXL-Lightning Euler config with
// overrides.
func sdxlConfig(t *testing.T, over map[string]any) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture.Reference(t, "diffusion", "schedulers", "euler", sched.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	return override(t, b, over)
}

func override(t *testing.T, b []byte, over map[string]any) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	for k, v := range over {
		c[k] = v
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustParse(t *testing.T, b []byte) sched.Scheduler {
	t.Helper()
	s, err := sched.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEulerSchedules(t *testing.T) {
	tests := []struct {
		name      string
		over      map[string]any
		n         int
		timesteps []float32
		sigmas    []float32
		init      float32
	}{
		{"trailing 1", nil, 1, []float32{999}, []float32{14.614645, 0}, 14.614645},
		{"trailing 3", nil, 3, []float32{999, 666, 332}, []float32{14.614645, 2.91830826, 0.929214716, 0}, 14.614645},
		{"trailing 7", nil, 7, []float32{999, 856, 713, 570, 428, 285, 142},
			[]float32{14.614645, 6.66857243, 3.51387906, 2.0544765, 1.2762357, 0.790061533, 0.43806231, 0}, 14.614645},
		{"leading 3", map[string]any{"timestep_spacing": "leading"}, 3, []float32{667, 334, 1},
			[]float32{2.92954969, 0.935510159, 0.041314479, 0}, 3.09552264},
		{"linspace 4", map[string]any{"timestep_spacing": "linspace"}, 4, []float32{999, 666, 333, 0},
			[]float32{14.614645, 2.91830826, 0.932358325, 0.0291675329, 0}, 14.614645},
		// Half-integer timesteps: sigmas interpolated between neighbours.
		{"linspace 7", map[string]any{"timestep_spacing": "linspace"}, 7, []float32{999, 832.5, 666, 499.5, 333, 166.5, 0},
			[]float32{14.614645, 5.94891787, 2.91830826, 1.6155833, 0.932358325, 0.493553519, 0.0291675329, 0}, 14.614645},
		{"sigma_min", map[string]any{"final_sigmas_type": "sigma_min"}, 2, []float32{999, 499},
			[]float32{14.614645, 1.61288702, 0.0291675329}, 14.614645},
		{"linear betas", map[string]any{"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}, 4,
			[]float32{999, 749, 499, 249}, []float32{157.407257, 17.2469807, 3.42413664, 0.952935457, 0}, 157.407257},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, sdxlConfig(t, tc.over))
			if err := s.SetTimesteps(tc.n); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Timesteps(), tc.timesteps) {
				t.Errorf("timesteps %v, want %v", s.Timesteps(), tc.timesteps)
			}
			if !slices.Equal(s.Sigmas(), tc.sigmas) {
				t.Errorf("sigmas %v, want %v", s.Sigmas(), tc.sigmas)
			}
			if s.InitNoiseSigma() != tc.init {
				t.Errorf("init_noise_sigma %v, want %v", s.InitNoiseSigma(), tc.init)
			}
		})
	}
}

// TestEulerTrailing61 pins numpy's arange count: 1000/61 steps of
// np.arange(1000, 0, -1000/61) give 62 timesteps, the last −1, and
// diffusers runs them all.
func TestEulerTrailing61(t *testing.T) {
	s := mustParse(t, sdxlConfig(t, nil))
	if err := s.SetTimesteps(61); err != nil {
		t.Fatal(err)
	}
	ts, sig := s.Timesteps(), s.Sigmas()
	if len(ts) != 62 || len(sig) != 63 {
		t.Fatalf("%d timesteps and %d sigmas, want 62 and 63", len(ts), len(sig))
	}
	if !slices.Equal(ts[:3], []float32{999, 983, 966}) || !slices.Equal(ts[59:], []float32{32, 15, -1}) {
		t.Errorf("timesteps %v … %v, want [999 983 966] … [32 15 -1]", ts[:3], ts[59:])
	}
	if !slices.Equal(sig[60:], []float32{0.119492121, 0.0291675329, 0}) {
		t.Errorf("last sigmas %v, want [0.119492121 0.0291675329 0]", sig[60:])
	}
}

// TestEulerStep runs every step of the trailing 4-step schedule on the
// same x and model output for each prediction type.
func TestEulerStep(t *testing.T) {
	x := []float32{1.5, -0.25, 3}
	out := []float32{0.1, -2, 0.7}
	scaled := [][]float32{
		{0.102397345, -0.0170662235, 0.20479469},
		{0.356935233, -0.0594892055, 0.713870466},
		{0.790415227, -0.131735876, 1.58083045},
		{1.2327702, -0.205461696, 2.46554041},
	}
	tests := []struct {
		prediction string
		want       [][]float32
	}{
		{"epsilon", [][]float32{
			{0.44670856, 20.8158283, -4.37303972},
			{1.25311565, 4.68768787, 1.27180922},
			{1.40803182, 1.58936322, 2.35622287},
			{1.43067944, 1.13641083, 2.5147562},
		}},
		{"v_prediction", [][]float32{
			{0.352070808, 1.36739445, 0.34462738},
			{0.585347116, 1.0676074, 0.876955032},
			{0.833719611, 0.822210193, 1.42512918},
			{0.956177354, 0.970559239, 1.6275003},
		}},
		{"sample", [][]float32{
			{0.491006613, -1.51124167, 1.34236813},
			{0.653206944, -1.30849135, 1.60883987},
			{0.701708317, -1.24786448, 1.68852091},
			{0.100000143, -2, 0.700000048},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.prediction, func(t *testing.T) {
			s := mustParse(t, sdxlConfig(t, map[string]any{"prediction_type": tc.prediction}))
			if err := s.SetTimesteps(4); err != nil {
				t.Fatal(err)
			}
			for i := range 4 {
				if got := s.ScaleModelInput(nil, x, i); !slices.Equal(got, scaled[i]) {
					t.Errorf("ScaleModelInput step %d = %v, want %v", i, got, scaled[i])
				}
				if got := s.Step(nil, out, x, i); !slices.Equal(got, tc.want[i]) {
					t.Errorf("Step %d = %v, want %v", i, got, tc.want[i])
				}
			}
			// In place: dst may be x.
			y := slices.Clone(x)
			if s.Step(y, out, y, 0); !slices.Equal(y, tc.want[0]) {
				t.Errorf("Step in place = %v, want %v", y, tc.want[0])
			}
		})
	}
}

func TestFlowMatchSchedules(t *testing.T) {
	b, err := os.ReadFile(fixture.Reference(t, "diffusion", "schedulers", "flow_match", sched.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		over      map[string]any
		n         int     // SetTimesteps(n), or 0 for SetSigmas(FluxSigmas(4), mu)
		mu        float64 // with n == 0
		timesteps []float32
		sigmas    []float32
	}{
		// set_timesteps(n): linspace from σ_max·N to σ_min·N, not FluxPipeline's 1 … 1/n.
		{"schnell 4", nil, 4, 0, []float32{1000, 667, 334, 1}, []float32{1, 0.666999996, 0.333999991, 0.00100000005, 0}},
		{"schnell 1", nil, 1, 0, []float32{1000}, []float32{1, 0}},
		{"shift 3, 4", map[string]any{"shift": 3.0}, 4, 0, []float32{1000, 857.692322, 602.150574, 8.9285717},
			[]float32{1, 0.857692301, 0.602150559, 0.00892857183, 0}},
		{"shift 3, 2", map[string]any{"shift": 3.0}, 2, 0, []float32{1000, 8.9285717}, []float32{1, 0.00892857183, 0}},
		{"shift 3, pipeline sigmas", map[string]any{"shift": 3.0}, 0, 0, []float32{1000, 900, 750, 500},
			[]float32{1, 0.899999976, 0.75, 0.5, 0}},
		{"dynamic, mu 0.8", map[string]any{"use_dynamic_shifting": true}, 0, 0.8, []float32{1000, 869.734436, 689.974487, 425.896759},
			[]float32{1, 0.869734406, 0.689974487, 0.425896764, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, override(t, b, tc.over)).(*sched.FlowMatch)
			if tc.n > 0 {
				err = s.SetTimesteps(tc.n)
			} else {
				err = s.SetSigmas(sched.FluxSigmas(4), tc.mu)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Timesteps(), tc.timesteps) {
				t.Errorf("timesteps %v, want %v", s.Timesteps(), tc.timesteps)
			}
			if !slices.Equal(s.Sigmas(), tc.sigmas) {
				t.Errorf("sigmas %v, want %v", s.Sigmas(), tc.sigmas)
			}
		})
	}
	dyn := mustParse(t, override(t, b, map[string]any{"use_dynamic_shifting": true}))
	if err := dyn.SetTimesteps(4); err == nil || !strings.Contains(err.Error(), "needs μ") {
		t.Errorf("SetTimesteps with dynamic shifting: %v, want an error asking for μ", err)
	}
}

// TestFluxPipeline checks FluxPipeline's own inputs to the scheduler
// against the fixture: its sigmas for the recorded number of steps, and μ
// for the packed latents' length (within the tables' tolerance; μ is
// stored as float32).
func TestFluxPipeline(t *testing.T) {
	r := openSet(t)
	cfgPath, ok := r.configs(t)["flow_match"]
	if !ok {
		t.Skip("the fixture has no flow_match config")
	}
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sched.ParseFlowMatchConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	atol, rtol := r.tolerance(t, "tables_atol"), r.tolerance(t, "rtol")
	p := r.prefix(t, "flow_match")
	in := r.tensor(t, p+".sigmas_input")
	var got []float32
	for _, v := range sched.FluxSigmas(len(in)) {
		got = append(got, float32(v))
	}
	compare(t, "FluxSigmas", got, in, atol, rtol)
	if r.has(p + "_loop.mu") {
		info, _ := r.f.Info(p + "_loop.latents.0")
		mu := c.CalculateShift(info.Shape[1])
		compare(t, "CalculateShift", []float32{float32(mu)}, r.tensor(t, p+"_loop.mu"), atol, rtol)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"class", `{"_class_name": "DDIMScheduler"}`, `_class_name "DDIMScheduler"`},
		{"json", `{"_class_name": `, "parse config"},
		{"karras", `{"_class_name": "EulerDiscreteScheduler", "use_karras_sigmas": true}`, "use_karras_sigmas true"},
		{"beta schedule", `{"_class_name": "EulerDiscreteScheduler", "beta_schedule": "squaredcos_cap_v2"}`, `beta_schedule "squaredcos_cap_v2"`},
		{"spacing", `{"_class_name": "EulerDiscreteScheduler", "timestep_spacing": "karras"}`, `timestep_spacing "karras"`},
		{"prediction", `{"_class_name": "EulerDiscreteScheduler", "prediction_type": "flow"}`, `prediction_type "flow"`},
		{"trained betas", `{"_class_name": "EulerDiscreteScheduler", "num_train_timesteps": 3, "trained_betas": [0.1, 0.2]}`, "trained_betas has 2 values for num_train_timesteps 3"},
		{"shift", `{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 0}`, "shift (0) must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sched.Parse([]byte(tc.config))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	_, err := sched.Parse([]byte(`{"_class_name": "EulerDiscreteScheduler", "use_karras_sigmas": true}`))
	if !errors.Is(err, sched.ErrUnsupported) {
		t.Errorf("%v is not ErrUnsupported", err)
	}
}

func TestSetTimestepsRange(t *testing.T) {
	s := mustParse(t, sdxlConfig(t, nil))
	for _, n := range []int{0, 1001} {
		if err := s.SetTimesteps(n); err == nil {
			t.Errorf("SetTimesteps(%d) succeeded", n)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := fixture.Reference(t, "diffusion", "schedulers")
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "euler"), "*sched.Euler"},
		{filepath.Join(dir, "flow_match", sched.ConfigFile), "*sched.FlowMatch"},
	} {
		s, err := sched.Load(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%T", s); got != tc.want {
			t.Errorf("Load(%s) is a %s, want %s", tc.path, got, tc.want)
		}
	}
	if _, err := sched.Load(filepath.Join(dir, "absent")); err == nil {
		t.Error("Load of a missing folder succeeded")
	}
}
