package sched

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ConfigFile is the name of a scheduler's config in a diffusers model
// folder (in its scheduler/ subfolder).
const ConfigFile = "scheduler_config.json"

// ErrUnsupported is returned for a scheduler config value this package
// does not implement.
var ErrUnsupported = errors.New("sched: unsupported scheduler config")

// Scheduler is a sampler as a denoising loop uses it: a schedule of
// timesteps and noise levels for a number of steps, the scaling of the
// denoiser's input, and the update of the latents from its prediction.
// Step i runs the denoiser at Timesteps()[i] and moves the latents from
// noise level Sigmas()[i] to Sigmas()[i+1].
type Scheduler interface {
	// SetTimesteps computes the schedule for n denoising steps.
	SetTimesteps(n int) error
	// Timesteps returns the timestep of each step, the value the denoiser
	// is conditioned on (the caller owns no copy: do not modify it).
	Timesteps() []float32
	// Sigmas returns the noise level before each step and, last, after the
	// final one: len(Timesteps())+1 values.
	Sigmas() []float32
	// InitNoiseSigma returns the factor that scales unit Gaussian noise
	// into the first step's latents.
	InitNoiseSigma() float32
	// ScaleModelInput writes into dst (allocated when nil; it may be x)
	// the latents x of step i scaled as the denoiser expects them, and
	// returns dst.
	ScaleModelInput(dst, x []float32, i int) []float32
	// Step writes into dst (allocated when nil; it may be x) the latents
	// after step i, given the denoiser's output for the latents x, and
	// returns dst.
	Step(dst, modelOutput, x []float32, i int) []float32
}

// Load reads a diffusers scheduler config (a scheduler_config.json, or a
// folder holding one) and returns the scheduler its _class_name names,
// EulerDiscreteScheduler or FlowMatchEulerDiscreteScheduler, with no
// schedule set yet.
func Load(path string) (Scheduler, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, ConfigFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sched: %w", err)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return s, nil
}

// Parse is [Load] on the config's JSON.
func Parse(data []byte) (Scheduler, error) {
	var head struct {
		ClassName string `json:"_class_name"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("sched: parse config: %w", err)
	}
	switch head.ClassName {
	case EulerClass:
		c, err := ParseEulerConfig(data)
		if err != nil {
			return nil, err
		}
		return NewEuler(c)
	case FlowMatchClass:
		c, err := ParseFlowMatchConfig(data)
		if err != nil {
			return nil, err
		}
		return NewFlowMatch(c)
	}
	return nil, fmt.Errorf("%w: _class_name %q (supported: %s, %s)", ErrUnsupported, head.ClassName, EulerClass, FlowMatchClass)
}

// Denoiser returns a model's prediction (noise, velocity, …, as the
// scheduler's config says) for the scaled latents x at timestep t. x is
// valid only during the call; the result is read before the next call.
type Denoiser func(x []float32, t float32) ([]float32, error)

// Sample runs the whole denoising loop of s, whose schedule is set: the
// latents start as noise·InitNoiseSigma, and step i calls denoise on
// ScaleModelInput of the latents at Timesteps()[i] and updates them with
// Step, as diffusers' pipelines do. noise is left unchanged; the final
// latents are returned.
func Sample(s Scheduler, noise []float32, denoise Denoiser) ([]float32, error) {
	ts := s.Timesteps()
	if len(ts) == 0 {
		return nil, errors.New("sched: the schedule is not set (call SetTimesteps first)")
	}
	sigma := s.InitNoiseSigma()
	x := make([]float32, len(noise))
	for j, v := range noise {
		x[j] = v * sigma
	}
	in := make([]float32, len(x))
	for i, t := range ts {
		out, err := denoise(s.ScaleModelInput(in, x, i), t)
		if err != nil {
			return nil, fmt.Errorf("sched: step %d (timestep %g): %w", i, t, err)
		}
		if len(out) != len(x) {
			return nil, fmt.Errorf("sched: step %d: the denoiser returned %d values for %d latents", i, len(out), len(x))
		}
		s.Step(x, out, x, i)
	}
	return x, nil
}

// ensure returns dst when it holds n values, else a new slice of n.
func ensure(dst []float32, n int) []float32 {
	if len(dst) == n {
		return dst
	}
	return make([]float32, n)
}

// checkStep panics when step i is outside a schedule of n steps or the
// slices disagree in length: a loop bug, not a data error.
func checkStep(name string, i, n int, lens ...int) {
	if i < 0 || i >= n {
		panic(fmt.Sprintf("sched: %s: step %d outside the schedule's %d steps", name, i, n))
	}
	for _, l := range lens[1:] {
		if l != lens[0] {
			panic(fmt.Sprintf("sched: %s: slices of %d and %d values", name, lens[0], l))
		}
	}
}
