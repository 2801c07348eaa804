package flux_test

import (
	"fmt"
	"log"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/flux"
)

// Predict the velocity of the tiny reference FLUX transformer for zero
// latents and conditioning, steering the image stream of the last double
// block and capturing a single block's output, pooled, under ml-act's
// name for it.
func Example() {
	m, err := flux.Load("../../testdata/reference/diffusion/flux") // or its transformer/ folder
	if err != nil {
		log.Fatal(err)
	}
	c := m.Config()
	zeros := func(dims ...int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		return tensors.FromFlatDataAndDimensions(make([]float32, n), dims...)
	}
	const h, w = 8, 12 // latent pixels
	x, err := flux.Pack(zeros(1, c.InChannels/4, h, w))
	if err != nil {
		log.Fatal(err)
	}
	D := c.InnerDim()
	shift := &transport.Map{W: make([]float32, D), B: make([]float32, D)}
	for i := range shift.W {
		shift.W[i], shift.B[i] = 1, 0.5 // T(z) = z + 0.5
	}
	out, err := m.Run(flux.Inputs{
		HiddenStates:        x,
		EncoderHiddenStates: zeros(1, 5, c.JointAttentionDim),
		PooledProjections:   zeros(1, c.PooledProjectionDim),
		Timestep:            []float32{1}, // t/1000: the first step
		ImgIDs:              flux.ImageIDs(h, w),
	}, flux.Options{
		Steering: &engine.Steering{Maps: map[string]*transport.Map{"transformer_blocks.1:1": shift}, Strength: 1},
		Capture:  []string{"single_transformer_blocks.1:0"},
		Pool:     "mean",
	})
	if err != nil {
		log.Fatal(err)
	}
	v, err := flux.Unpack(out.Sample, h, w)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(m.Points()), out.Sample.Shape().Dimensions, v.Shape().Dimensions, out.Captured["single_transformer_blocks.1:0"].Shape().Dimensions)
	// Output: 30 [1 24 16] [1 4 8 12] [1 32]
}
