// Package sched holds the diffusion samplers of the image models:
// diffusers' EulerDiscreteScheduler (SDXL, SDXL-Lightning) and
// FlowMatchEulerDiscreteScheduler (FLUX.1, SD3), as diffusers v0.30.0
// computes them. It is pure Go on float32 slices and knows no model: the
// image pipeline calls a denoiser between its steps.
//
// # Use
//
// [Load] reads a model folder's scheduler/scheduler_config.json and returns
// the [Scheduler] its _class_name names. [Scheduler.SetTimesteps] computes
// the schedule for a number of steps; step i conditions the denoiser on
// Timesteps()[i] and moves the latents from noise level Sigmas()[i] to
// Sigmas()[i+1]. [Sample] runs the whole loop as diffusers' pipelines do:
//
//	s, err := sched.Load(filepath.Join(model, "scheduler"))
//	err = s.SetTimesteps(4)
//	latents, err := sched.Sample(s, noise, func(x []float32, t float32) ([]float32, error) {
//		return unet(x, t, cond) // the predicted noise
//	})
//
// or, step by step: x = noise·InitNoiseSigma(); for each i,
// out = denoise(ScaleModelInput(x, i), Timesteps()[i]) and x = Step(out,
// x, i). ScaleModelInput and Step write into a destination slice
// (allocated when nil, the input itself allowed) in gonum's manner. A
// pipeline that keeps its latents on the device can apply the same
// formulas with the scalars of Sigmas().
//
// # Euler
//
// [Euler] is EulerDiscreteScheduler without noise injection (s_churn 0).
// With betas from the config (scaled_linear: √β evenly spaced from
// √beta_start to √beta_end over num_train_timesteps N), ᾱ_t = ∏(1 − β_k) and
// σ_train(t) = √((1 − ᾱ_t)/ᾱ_t). For n steps the timesteps are
//
//	trailing (SDXL-Lightning): round(N − i·N/n) − 1   → 999 749 499 249
//	leading (SDXL's default):  (n−1−i)·⌊N/n⌋ + steps_offset → 751 501 251 1
//	linspace:                  linspace(0, N−1, n) reversed
//
// and σ_i = σ_train(t_i) (linear interpolation between integer t), with a
// final σ_n = 0 (final_sigmas_type "zero") or σ_train(0) ("sigma_min").
// The loop starts from noise·InitNoiseSigma (max σ; √(max σ² + 1) for
// leading), gives the denoiser x/√(σ_i² + 1), and steps
//
//	x0  = x − σ_i·ε                      (epsilon; Euler.Step lists v_prediction, sample)
//	x  ← x + (x − x0)/σ_i · (σ_{i+1} − σ_i)   = x + (σ_{i+1} − σ_i)·ε
//
// # Flow matching
//
// [FlowMatch] is FlowMatchEulerDiscreteScheduler. The latents interpolate
// between data (σ = 0) and noise (σ = 1); the transformer predicts the
// velocity v and each step is x ← x + (σ_{i+1} − σ_i)·v, timestep_i =
// σ_i·N. Sigmas are shifted, statically (σ' = s·σ/(1 + (s−1)·σ),
// FLUX.1-schnell's s = 1 leaving them alone) or, with use_dynamic_shifting,
// by the image's length (σ' = e^μ/(e^μ + 1/σ − 1), μ from
// [FlowMatchConfig.CalculateShift]). There are two schedules:
//
//	FluxPipeline:     SetSigmas(FluxSigmas(n), μ)  σ = 1, 0.75, 0.5, 0.25
//	set_timesteps(n): SetTimesteps(n)              σ = 1, 0.667, 0.334, 0.001
//
// the second spacing timesteps evenly from σ_max·N to σ_min·N = 1. FLUX
// images are made with the first; FluxPipeline then conditions the
// transformer on timestep/1000, and neither scales the input nor the
// initial noise (InitNoiseSigma is 1, ScaleModelInput copies).
//
// # Numerics
//
// The tables are float32 and equal diffusers' bit for bit, not merely
// within a tolerance: diffusers builds them from torch float32 kernels
// (linspace, cumprod) and numpy float64 code (linspace, arange, interp),
// and the package repeats each one's rounding, torch's CPU linspace
// included (its vectorised loop rounds about a third of the betas one ulp
// away from the correctly rounded value, which moves σ_999 ≈ 14.6 by two
// ulps). numpy's arange is followed too: trailing spacing with n = 61
// gives 62 timesteps, the last −1, as in diffusers. Step and
// ScaleModelInput round each operation to float32 in diffusers' order. On
// the reference fixture (testdata/reference/diffusion/schedulers) the
// tables, the scaled inputs and every step of both 4-step loops agree
// exactly. TestLoopDenoisers runs the SDXL-Lightning loop with the tiny
// UNet itself (engine/unet) and decodes it with engine/vae: the final
// latents are within 2.9e-5 of diffusers' (≈14.6 in scale; tolerance
// 2e-4), the image within 1.6e-6.
//
// # Not implemented
//
// Karras sigmas, log-linear interpolation, zero-terminal-SNR rescaling,
// the squaredcos_cap_v2 beta schedule and continuous timesteps with
// v_prediction: a config asking for one fails to load with
// [ErrUnsupported] naming the key. Nor are Euler's s_churn noise, custom
// timestep lists, or img2img's start in mid-schedule.
package sched
