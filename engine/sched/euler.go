package sched

import (
	"encoding/json"
	"fmt"
	"math"
)

// EulerClass is the _class_name of diffusers' Euler scheduler.
const EulerClass = "EulerDiscreteScheduler"

// EulerConfig is the part of an EulerDiscreteScheduler's
// scheduler_config.json that [Euler] reads, named as in diffusers; absent
// keys take diffusers' defaults (see [ParseEulerConfig]).
type EulerConfig struct {
	// NumTrainTimesteps is the length of the training schedule (1000).
	NumTrainTimesteps int `json:"num_train_timesteps"`
	// BetaStart and BetaEnd are the first and last betas (0.0001, 0.02).
	BetaStart float64 `json:"beta_start"`
	BetaEnd   float64 `json:"beta_end"`
	// BetaSchedule is "linear" (betas evenly spaced) or "scaled_linear"
	// (their square roots evenly spaced: Stable Diffusion's schedule).
	BetaSchedule string `json:"beta_schedule"`
	// TrainedBetas, when set, replaces the schedule.
	TrainedBetas []float64 `json:"trained_betas"`
	// PredictionType is what the denoiser predicts: "epsilon" (the noise),
	// "v_prediction" or "sample" (the clean latents).
	PredictionType string `json:"prediction_type"`
	// InterpolationType is how sigmas are read at fractional timesteps;
	// only "linear" is implemented.
	InterpolationType string `json:"interpolation_type"`
	// UseKarrasSigmas (not implemented) must be false.
	UseKarrasSigmas bool `json:"use_karras_sigmas"`
	// TimestepSpacing picks the inference timesteps: "linspace",
	// "leading" or "trailing" (Table 2 of arXiv 2305.08891).
	TimestepSpacing string `json:"timestep_spacing"`
	// TimestepType is "discrete"; "continuous" is accepted except with
	// v_prediction, where diffusers conditions on 0.25·log σ (not
	// implemented).
	TimestepType string `json:"timestep_type"`
	// StepsOffset is added to "leading" timesteps (SDXL: 1).
	StepsOffset int `json:"steps_offset"`
	// RescaleBetasZeroSNR (not implemented) must be false.
	RescaleBetasZeroSNR bool `json:"rescale_betas_zero_snr"`
	// FinalSigmasType is the noise level after the last step: "zero" or
	// "sigma_min" (the training schedule's smallest sigma).
	FinalSigmasType string `json:"final_sigmas_type"`
}

// ParseEulerConfig reads an EulerDiscreteScheduler config over diffusers'
// defaults and validates it.
func ParseEulerConfig(data []byte) (EulerConfig, error) {
	c := EulerConfig{
		NumTrainTimesteps: 1000, BetaStart: 0.0001, BetaEnd: 0.02, BetaSchedule: "linear",
		PredictionType: "epsilon", InterpolationType: "linear", TimestepSpacing: "linspace",
		TimestepType: "discrete", FinalSigmasType: "zero",
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("sched: parse %s config: %w", EulerClass, err)
	}
	return c, c.validate()
}

func (c EulerConfig) validate() error {
	bad := func(key string, v any, ok string) error {
		return fmt.Errorf("%w: %s %s %v (%s)", ErrUnsupported, EulerClass, key, v, ok)
	}
	switch {
	case c.NumTrainTimesteps <= 0:
		return fmt.Errorf("sched: %s num_train_timesteps (%d) must be positive", EulerClass, c.NumTrainTimesteps)
	case c.TrainedBetas != nil && len(c.TrainedBetas) != c.NumTrainTimesteps:
		return fmt.Errorf("sched: %s trained_betas has %d values for num_train_timesteps %d", EulerClass, len(c.TrainedBetas), c.NumTrainTimesteps)
	case c.TrainedBetas == nil && c.BetaSchedule != "linear" && c.BetaSchedule != "scaled_linear":
		return bad("beta_schedule", fmt.Sprintf("%q", c.BetaSchedule), "implemented: linear, scaled_linear")
	case c.PredictionType != "epsilon" && c.PredictionType != "v_prediction" && c.PredictionType != "sample" && c.PredictionType != "original_sample":
		return bad("prediction_type", fmt.Sprintf("%q", c.PredictionType), "implemented: epsilon, v_prediction, sample")
	case c.InterpolationType != "linear":
		return bad("interpolation_type", fmt.Sprintf("%q", c.InterpolationType), "implemented: linear")
	case c.UseKarrasSigmas:
		return bad("use_karras_sigmas", true, "implemented: false")
	case c.TimestepSpacing != "linspace" && c.TimestepSpacing != "leading" && c.TimestepSpacing != "trailing":
		return bad("timestep_spacing", fmt.Sprintf("%q", c.TimestepSpacing), "implemented: linspace, leading, trailing")
	case c.TimestepType != "discrete" && c.TimestepType != "continuous":
		return bad("timestep_type", fmt.Sprintf("%q", c.TimestepType), "implemented: discrete, continuous")
	case c.TimestepType == "continuous" && c.PredictionType == "v_prediction":
		return bad("timestep_type", `"continuous" with v_prediction`, "implemented: discrete")
	case c.RescaleBetasZeroSNR:
		return bad("rescale_betas_zero_snr", true, "implemented: false")
	case c.FinalSigmasType != "zero" && c.FinalSigmasType != "sigma_min":
		return bad("final_sigmas_type", fmt.Sprintf("%q", c.FinalSigmasType), "implemented: zero, sigma_min")
	}
	return nil
}

// Euler is diffusers' EulerDiscreteScheduler (v0.30.0) without noise
// injection (s_churn 0), the sampler SDXL-Lightning runs with trailing
// timesteps. Its tables are float32 and equal diffusers' bit for bit; see
// the package documentation for the formulas.
type Euler struct {
	cfg            EulerConfig
	alphasCumprod  []float32
	trainSigmas    []float32 // sqrt((1−ᾱ)/ᾱ) per training timestep
	timesteps      []float32
	sigmas         []float32
	initNoiseSigma float32
}

// NewEuler builds the training schedule of c. Call SetTimesteps before
// sampling.
func NewEuler(c EulerConfig) (*Euler, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	var betas []float32
	switch {
	case c.TrainedBetas != nil:
		betas = make([]float32, len(c.TrainedBetas))
		for i, b := range c.TrainedBetas {
			betas[i] = float32(b)
		}
	case c.BetaSchedule == "scaled_linear":
		betas = torchLinspace32(math.Sqrt(c.BetaStart), math.Sqrt(c.BetaEnd), c.NumTrainTimesteps)
		for i, b := range betas {
			betas[i] = b * b
		}
	default:
		betas = torchLinspace32(c.BetaStart, c.BetaEnd, c.NumTrainTimesteps)
	}
	alphas := make([]float32, len(betas))
	for i, b := range betas {
		alphas[i] = 1 - b
	}
	s := &Euler{cfg: c, alphasCumprod: cumprod32(alphas)}
	s.trainSigmas = make([]float32, len(s.alphasCumprod))
	for i, a := range s.alphasCumprod {
		s.trainSigmas[i] = sqrt32((1 - a) / a)
	}
	return s, nil
}

// Config returns the scheduler's config.
func (s *Euler) Config() EulerConfig { return s.cfg }

// AlphasCumprod returns ᾱ_t = ∏_{k≤t} (1 − β_k) for every training timestep.
func (s *Euler) AlphasCumprod() []float32 { return s.alphasCumprod }

// SetTimesteps computes the schedule for n steps (1 ≤ n ≤
// num_train_timesteps). With N training timesteps the timesteps are
//
//	linspace: linspace(0, N−1, n) reversed
//	leading:  (n−1−i)·⌊N/n⌋ + steps_offset
//	trailing: round(N − i·N/n) − 1          (numpy's arange; N/n = 1000/61
//	                                          gives 62 steps, as in diffusers)
//
// and sigma_i = σ_train(t_i), interpolated linearly between integer
// timesteps, then the final sigma (0, or σ_train(0) for sigma_min).
func (s *Euler) SetTimesteps(n int) error {
	N := s.cfg.NumTrainTimesteps
	if n < 1 || n > N {
		return fmt.Errorf("sched: %s: %d inference steps (want 1 to num_train_timesteps %d)", EulerClass, n, N)
	}
	var ts []float32
	switch s.cfg.TimestepSpacing {
	case "linspace":
		lin := numpyLinspace(0, float64(N-1), n)
		for i := len(lin) - 1; i >= 0; i-- {
			ts = append(ts, float32(lin[i]))
		}
	case "leading":
		ratio := N / n
		for i := n - 1; i >= 0; i-- {
			ts = append(ts, float32(i*ratio)+float32(s.cfg.StepsOffset))
		}
	case "trailing":
		for _, t := range numpyArange(float64(N), 0, -float64(N)/float64(n)) {
			ts = append(ts, float32(math.RoundToEven(t))-1)
		}
	}
	sigmas := make([]float32, len(ts)+1)
	for i, t := range ts {
		sigmas[i] = float32(numpyInterp(float64(t), s.trainSigmas))
	}
	if s.cfg.FinalSigmasType == "sigma_min" {
		sigmas[len(ts)] = s.trainSigmas[0]
	}
	maxSigma := sigmas[0]
	for _, v := range sigmas {
		maxSigma = max(maxSigma, v)
	}
	s.timesteps, s.sigmas = ts, sigmas
	s.initNoiseSigma = maxSigma
	if s.cfg.TimestepSpacing == "leading" {
		s.initNoiseSigma = sqrt32(float32(maxSigma*maxSigma) + 1)
	}
	return nil
}

// Timesteps returns the schedule's timesteps (after SetTimesteps).
func (s *Euler) Timesteps() []float32 { return s.timesteps }

// Sigmas returns the schedule's noise levels, one more than the timesteps.
func (s *Euler) Sigmas() []float32 { return s.sigmas }

// InitNoiseSigma returns max σ for linspace and trailing spacing, and
// √(max σ² + 1) for leading, as diffusers does.
func (s *Euler) InitNoiseSigma() float32 { return s.initNoiseSigma }

// ScaleModelInput writes x/√(σ_i² + 1) into dst (allocated when nil; it may
// be x). It panics when i is outside the schedule or the lengths differ.
func (s *Euler) ScaleModelInput(dst, x []float32, i int) []float32 {
	checkStep("ScaleModelInput", i, len(s.timesteps), len(x), lenOr(dst, len(x)))
	dst = ensure(dst, len(x))
	sigma := s.sigmas[i]
	d := sqrt32(float32(sigma*sigma) + 1)
	for j, v := range x {
		dst[j] = v / d
	}
	return dst
}

// Step writes the Euler update of x for step i into dst (allocated when
// nil; it may be x or modelOutput) and returns it:
//
//	x0  = x − σ·ε                               (epsilon)
//	x0  = ε·(−σ/√(σ²+1)) + x/(σ²+1)             (v_prediction)
//	x0  = ε                                      (sample)
//	out = x + (x − x0)/σ · (σ_next − σ)
//
// with σ = Sigmas()[i], σ_next = Sigmas()[i+1], each operation rounded to
// float32 in diffusers' order (for epsilon, out = x + (σ_next − σ)·ε up to
// that rounding). It panics when i is outside the schedule or the lengths
// differ.
func (s *Euler) Step(dst, modelOutput, x []float32, i int) []float32 {
	checkStep("Step", i, len(s.timesteps), len(x), len(modelOutput), lenOr(dst, len(x)))
	dst = ensure(dst, len(x))
	sigma, dt := s.sigmas[i], s.sigmas[i+1]-s.sigmas[i]
	switch s.cfg.PredictionType {
	case "epsilon":
		for j, v := range x {
			x0 := v - float32(sigma*modelOutput[j])
			dst[j] = v + float32((v-x0)/sigma*dt)
		}
	case "v_prediction":
		c := -sigma / sqrt32(float32(sigma*sigma)+1)
		den := float32(sigma*sigma) + 1
		for j, v := range x {
			x0 := float32(modelOutput[j]*c) + v/den
			dst[j] = v + float32((v-x0)/sigma*dt)
		}
	default: // sample
		for j, v := range x {
			dst[j] = v + float32((v-modelOutput[j])/sigma*dt)
		}
	}
	return dst
}

// lenOr is len(dst), or n when dst is nil (to be allocated).
func lenOr(dst []float32, n int) int {
	if dst == nil {
		return n
	}
	return len(dst)
}
