package vae_test

import (
	"fmt"
	"log"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/vae"
)

// Decode the denoiser's latents of the tiny SDXL-like reference VAE into
// an RGB image.
func Example() {
	m, err := vae.Load("../../testdata/reference/diffusion/vae") // or its vae/ folder
	if err != nil {
		log.Fatal(err)
	}
	c := m.Config()
	latents := tensors.FromFlatDataAndDimensions(make([]float32, 1*c.LatentChannels*6*8), 1, c.LatentChannels, 6, 8)
	decoded, err := m.Decode(latents) // [1, 3, 12, 16], about [−1, 1]
	if err != nil {
		log.Fatal(err)
	}
	imgs, err := vae.Images(decoded)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(decoded.Shape().Dimensions, imgs[0].Bounds().Size())
	// Output: [1 3 12 16] (16,12)
}
