package unet_test

import (
	"fmt"
	"log"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/unet"
)

// Predict the noise of the tiny SDXL-like reference UNet for zero latents
// and conditioning, steering one GroupNorm and capturing its pooled output.
func Example() {
	m, err := unet.Load("../../testdata/reference/diffusion/sdxl_unet") // or its unet/ folder
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
	in := unet.Inputs{
		Sample:              zeros(1, c.InChannels, 16, 12),
		Timestep:            []float32{999},
		EncoderHiddenStates: zeros(1, 7, c.CrossAttentionDim),
		TextEmbeds:          zeros(1, c.TextEmbedsDim()),
		TimeIDs:             tensors.FromFlatDataAndDimensions([]float32{128, 96, 0, 0, 128, 96}, 1, 6),
	}
	const point = "down_blocks.1.attentions.0.norm" // 64 channels
	shift := &transport.Map{W: make([]float32, 64), B: make([]float32, 64)}
	for i := range shift.W {
		shift.W[i], shift.B[i] = 1, 0.5 // T(m) = m + 0.5
	}
	out, err := m.Run(in, unet.Options{
		Steering: &engine.Steering{Maps: map[string]*transport.Map{point: shift}, Strength: 1},
		Capture:  []string{point},
		Pool:     "mean",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(m.Points()), out.Sample.Shape().Dimensions, out.Captured[point].Shape().Dimensions)
	// Output: 138 [1 4 16 12] [1 64]
}
