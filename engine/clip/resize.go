package clip

import (
	"fmt"
	"image"
)

// Resize is PIL's Image.convert("RGB").resize((w, h), BICUBIC): what
// ml-act's image generation does to images that are not already its
// generation_resolution before saving them, and what the CLIP image
// processor does before cropping. The result is opaque RGB.
func Resize(img image.Image, w, h int) (*image.NRGBA, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("clip: resize to %d×%d: want a positive size", w, h)
	}
	r := resizeBicubic(toRGB(img), w, h)
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		copy(out.Pix[4*i:4*i+3], r.pix[3*i:3*i+3])
		out.Pix[4*i+3] = 255
	}
	return out, nil
}
