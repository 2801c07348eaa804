package sched

import (
	"encoding/json"
	"fmt"
	"math"
)

// FlowMatchClass is the _class_name of diffusers' flow-matching Euler
// scheduler.
const FlowMatchClass = "FlowMatchEulerDiscreteScheduler"

// FlowMatchConfig is a FlowMatchEulerDiscreteScheduler's
// scheduler_config.json, named as in diffusers; absent keys take diffusers'
// defaults (see [ParseFlowMatchConfig]).
type FlowMatchConfig struct {
	// NumTrainTimesteps scales sigmas in [0, 1] to timesteps (1000).
	NumTrainTimesteps int `json:"num_train_timesteps"`
	// Shift is the static time shift s (1.0; FLUX.1-schnell 1.0, SD3 3.0):
	// σ' = s·σ/(1 + (s−1)·σ). Ignored when UseDynamicShifting.
	Shift float64 `json:"shift"`
	// UseDynamicShifting shifts by the resolution instead (FLUX.1-dev):
	// σ' = e^μ/(e^μ + 1/σ − 1), μ from [FlowMatchConfig.CalculateShift].
	UseDynamicShifting bool `json:"use_dynamic_shifting"`
	// BaseShift and MaxShift are μ at BaseImageSeqLen and MaxImageSeqLen
	// image tokens (0.5, 1.15 at 256, 4096), interpolated linearly.
	BaseShift       float64 `json:"base_shift"`
	MaxShift        float64 `json:"max_shift"`
	BaseImageSeqLen int     `json:"base_image_seq_len"`
	MaxImageSeqLen  int     `json:"max_image_seq_len"`
}

// ParseFlowMatchConfig reads a FlowMatchEulerDiscreteScheduler config over
// diffusers' defaults and validates it.
func ParseFlowMatchConfig(data []byte) (FlowMatchConfig, error) {
	c := FlowMatchConfig{NumTrainTimesteps: 1000, Shift: 1, BaseShift: 0.5, MaxShift: 1.15,
		BaseImageSeqLen: 256, MaxImageSeqLen: 4096}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("sched: parse %s config: %w", FlowMatchClass, err)
	}
	return c, c.validate()
}

func (c FlowMatchConfig) validate() error {
	switch {
	case c.NumTrainTimesteps <= 0:
		return fmt.Errorf("sched: %s num_train_timesteps (%d) must be positive", FlowMatchClass, c.NumTrainTimesteps)
	case !c.UseDynamicShifting && c.Shift <= 0:
		return fmt.Errorf("sched: %s shift (%g) must be positive", FlowMatchClass, c.Shift)
	case c.UseDynamicShifting && c.MaxImageSeqLen == c.BaseImageSeqLen:
		return fmt.Errorf("sched: %s max_image_seq_len (%d) must differ from base_image_seq_len (%d)", FlowMatchClass, c.MaxImageSeqLen, c.BaseImageSeqLen)
	}
	return nil
}

// CalculateShift returns FluxPipeline's μ for imageSeqLen image tokens
// (the packed latents' length): the line through (base_image_seq_len,
// base_shift) and (max_image_seq_len, max_shift), in float64.
func (c FlowMatchConfig) CalculateShift(imageSeqLen int) float64 {
	m := (c.MaxShift - c.BaseShift) / float64(c.MaxImageSeqLen-c.BaseImageSeqLen)
	b := c.BaseShift - float64(m*float64(c.BaseImageSeqLen))
	return float64(float64(imageSeqLen)*m) + b
}

// FluxSigmas returns the sigmas FluxPipeline passes to the scheduler for n
// steps, np.linspace(1, 1/n, n): [1, 0.75, 0.5, 0.25] for 4. The
// scheduler's own SetTimesteps spaces them differently (see
// [FlowMatch.SetTimesteps]).
func FluxSigmas(n int) []float64 { return numpyLinspace(1, 1/float64(n), n) }

// FlowMatch is diffusers' FlowMatchEulerDiscreteScheduler (v0.30.0), the
// sampler of FLUX.1 and SD3: the latents move along the predicted velocity
// v from noise (σ = 1) to data (σ = 0). Its tables are float32 and equal
// diffusers' bit for bit.
type FlowMatch struct {
	cfg                FlowMatchConfig
	sigmaMin, sigmaMax float64 // the training schedule's ends, shifted
	timesteps, sigmas  []float32
}

// NewFlowMatch returns the scheduler for c. Call SetTimesteps or SetSigmas
// before sampling.
func NewFlowMatch(c FlowMatchConfig) (*FlowMatch, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	N := float32(c.NumTrainTimesteps)
	// The training schedule is N, N−1, …, 1 over N in float32, shifted in
	// float32 when the shift is static; SetTimesteps reads only its ends.
	end := func(t float32) float64 {
		s := t / N
		if !c.UseDynamicShifting {
			s = float32(float32(c.Shift)*s) / (1 + float32(float32(c.Shift-1)*s))
		}
		return float64(s)
	}
	return &FlowMatch{cfg: c, sigmaMax: end(N), sigmaMin: end(1)}, nil
}

// Config returns the scheduler's config.
func (s *FlowMatch) Config() FlowMatchConfig { return s.cfg }

// SetTimesteps computes the scheduler's own schedule for n steps, as
// diffusers' set_timesteps(n) does: timesteps evenly spaced from σ_max·N
// down to σ_min·N (N = num_train_timesteps, σ_min = 1/N unshifted), over
// N, then shifted: [1, 0.667, 0.334, 0.001] for 4 steps and shift 1.
// FluxPipeline does not use it: it passes [FluxSigmas] to
// [FlowMatch.SetSigmas]. It fails with dynamic shifting, which needs μ.
func (s *FlowMatch) SetTimesteps(n int) error {
	if n < 1 {
		return fmt.Errorf("sched: %s: %d inference steps (want at least 1)", FlowMatchClass, n)
	}
	if s.cfg.UseDynamicShifting {
		return fmt.Errorf("sched: %s: use_dynamic_shifting needs μ: call SetSigmas with CalculateShift's value", FlowMatchClass)
	}
	N := float64(s.cfg.NumTrainTimesteps)
	ts := numpyLinspace(s.sigmaMax*N, s.sigmaMin*N, n)
	for i := range ts {
		ts[i] /= N
	}
	return s.SetSigmas(ts, 0)
}

// SetSigmas sets the schedule from unshifted sigmas in (0, 1], one per
// step, as set_timesteps(sigmas=…, mu=…) does: each σ is shifted in
// float64 (statically, or with μ when use_dynamic_shifting; μ is ignored
// otherwise), rounded to float32, timestep = σ·N in float32, and a final
// sigma 0 is appended.
func (s *FlowMatch) SetSigmas(sigmas []float64, mu float64) error {
	if len(sigmas) == 0 {
		return fmt.Errorf("sched: %s: no sigmas", FlowMatchClass)
	}
	shift := s.cfg.Shift
	em := math.Exp(mu)
	out := make([]float32, len(sigmas)+1)
	ts := make([]float32, len(sigmas))
	N := float32(s.cfg.NumTrainTimesteps)
	for i, v := range sigmas {
		if s.cfg.UseDynamicShifting {
			v = em / (em + (1/v - 1))
		} else {
			v = float64(shift*v) / (1 + float64((shift-1)*v))
		}
		out[i] = float32(v)
		ts[i] = out[i] * N
	}
	s.timesteps, s.sigmas = ts, out
	return nil
}

// Timesteps returns σ_i·num_train_timesteps for each step. FluxPipeline
// conditions the transformer on Timesteps()[i]/1000.
func (s *FlowMatch) Timesteps() []float32 { return s.timesteps }

// Sigmas returns the schedule's noise levels, the last one 0.
func (s *FlowMatch) Sigmas() []float32 { return s.sigmas }

// InitNoiseSigma is 1: flow matching starts from unit noise.
func (s *FlowMatch) InitNoiseSigma() float32 { return 1 }

// ScaleModelInput copies x into dst (allocated when nil; it may be x): the
// transformer takes the latents unscaled. It panics when i is outside the
// schedule or the lengths differ.
func (s *FlowMatch) ScaleModelInput(dst, x []float32, i int) []float32 {
	checkStep("ScaleModelInput", i, len(s.timesteps), len(x), lenOr(dst, len(x)))
	dst = ensure(dst, len(x))
	copy(dst, x)
	return dst
}

// Step writes x + (σ_{i+1} − σ_i)·v into dst (allocated when nil; it may be
// x or modelOutput), v the predicted velocity, in float32 as diffusers
// rounds it, and returns dst. It panics when i is outside the schedule or
// the lengths differ.
func (s *FlowMatch) Step(dst, modelOutput, x []float32, i int) []float32 {
	checkStep("Step", i, len(s.timesteps), len(x), len(modelOutput), lenOr(dst, len(x)))
	dst = ensure(dst, len(x))
	dt := s.sigmas[i+1] - s.sigmas[i]
	for j, v := range x {
		dst[j] = v + float32(dt*modelOutput[j])
	}
	return dst
}
