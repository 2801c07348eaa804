package sched_test

import (
	"fmt"
	"log"

	"github.com/actsh/actsh/engine/sched"
)

// SDXL-Lightning's sampler: the model folder's scheduler config with
// trailing timesteps, four steps, and a denoiser that predicts the noise.
func Example() {
	s, err := sched.Load("../../testdata/reference/diffusion/schedulers/euler") // <model>/scheduler
	if err != nil {
		log.Fatal(err)
	}
	if err := s.SetTimesteps(4); err != nil {
		log.Fatal(err)
	}
	fmt.Println("timesteps", s.Timesteps())
	fmt.Println("sigmas", s.Sigmas())

	noise := []float32{0.5, -1, 2}
	// A stand-in for the UNet: it predicts the initial noise exactly, so
	// the loop recovers the clean latents, 0.
	unet := func(x []float32, t float32) ([]float32, error) { return noise, nil }
	latents, err := sched.Sample(s, noise, unet)
	if err != nil {
		log.Fatal(err)
	}
	worst := float32(0)
	for _, v := range latents {
		worst = max(worst, v, -v)
	}
	fmt.Println("clean latents within 1e-6 of 0:", worst < 1e-6)
	// Output:
	// timesteps [999 749 499 249]
	// sigmas [14.614645 4.081731 1.612887 0.6932054 0]
	// clean latents within 1e-6 of 0: true
}

// FLUX.1-schnell's sampler, scheduled as FluxPipeline does: sigmas
// 1 … 1/n, and μ for the packed latents' length (used only by configs with
// dynamic shifting). The transformer is conditioned on timestep/1000.
func ExampleFlowMatch_SetSigmas() {
	s, err := sched.Load("../../testdata/reference/diffusion/schedulers/flow_match")
	if err != nil {
		log.Fatal(err)
	}
	fm := s.(*sched.FlowMatch)
	mu := fm.Config().CalculateShift(4096) // a 1024×1024 image: (1024/16)² tokens
	if err := fm.SetSigmas(sched.FluxSigmas(4), mu); err != nil {
		log.Fatal(err)
	}
	fmt.Println("timesteps", fm.Timesteps())
	fmt.Println("sigmas", fm.Sigmas())
	// Output:
	// timesteps [1000 750 500 250]
	// sigmas [1 0.75 0.5 0.25 0]
}
