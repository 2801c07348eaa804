package flux

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// FluxPipeline's packing, on the host: the transformer sees the latents
// as a sequence of 2×2 patches.

// Pack is FluxPipeline._pack_latents: latents [B, C, h, w] (h and w even)
// become [B, (h/2)·(w/2), 4C], patch (i, j) in row-major order holding
// channel c's pixels (2i+di, 2j+dj) at 4c + 2di + dj.
func Pack(latents *tensors.Tensor) (*tensors.Tensor, error) {
	if latents == nil || latents.DType() != dtypes.Float32 || latents.Rank() != 4 {
		return nil, fmt.Errorf("flux: Pack takes float32 latents [B, C, h, w], not %v", shapeOf(latents))
	}
	d := latents.Shape().Dimensions
	B, C, h, w := d[0], d[1], d[2], d[3]
	if h%2 != 0 || w%2 != 0 {
		return nil, fmt.Errorf("flux: Pack: latents %d×%d: both sides must be even (2×2 patches)", h, w)
	}
	src := tensors.MustCopyFlatData[float32](latents)
	dst := make([]float32, len(src))
	patch(src, dst, B, C, h, w, true)
	return tensors.FromFlatDataAndDimensions(dst, B, h/2*(w/2), 4*C), nil
}

// Unpack is FluxPipeline._unpack_latents with h and w in latent pixels
// (the pipeline's height and width divided by the VAE's scale): packed
// [B, (h/2)·(w/2), 4C] becomes [B, C, h, w], undoing [Pack].
func Unpack(packed *tensors.Tensor, h, w int) (*tensors.Tensor, error) {
	if packed == nil || packed.DType() != dtypes.Float32 || packed.Rank() != 3 {
		return nil, fmt.Errorf("flux: Unpack takes float32 packed latents [B, N, 4C], not %v", shapeOf(packed))
	}
	d := packed.Shape().Dimensions
	B, N, C4 := d[0], d[1], d[2]
	if h <= 0 || w <= 0 || h%2 != 0 || w%2 != 0 || N != h/2*(w/2) || C4%4 != 0 {
		return nil, fmt.Errorf("flux: Unpack: %v is not %d×%d latents in 2×2 patches (want [B, %d, 4C] with h and w even)", d, h, w, max(h/2*(w/2), 0))
	}
	src := tensors.MustCopyFlatData[float32](packed)
	dst := make([]float32, len(src))
	patch(dst, src, B, C4/4, h, w, false)
	return tensors.FromFlatDataAndDimensions(dst, B, C4/4, h, w), nil
}

// patch copies between latents lat [B, C, h, w] and their packed form
// pk [B, (h/2)·(w/2), 4C]: into pk when pack, into lat otherwise.
func patch(lat, pk []float32, B, C, h, w int, pack bool) {
	H, W := h/2, w/2
	for b := range B {
		for c := range C {
			for y := range h {
				for x := range w {
					l := ((b*C+c)*h+y)*w + x
					p := ((b*H+y/2)*W+x/2)*4*C + 4*c + 2*(y%2) + x%2
					if pack {
						pk[p] = lat[l]
					} else {
						lat[l] = pk[p]
					}
				}
			}
		}
	}
}

// ImageIDs is FluxPipeline._prepare_latent_image_ids for latents h×w (in
// latent pixels, both even): float32 [1, (h/2)·(w/2), 3], patch (i, j)'s
// row (0, i, j) in [Pack]'s order. The batch axis of 1 serves every
// batch item in [Inputs].
func ImageIDs(h, w int) *tensors.Tensor {
	H, W := max(h/2, 0), max(w/2, 0)
	ids := make([]float32, 0, H*W*3)
	for i := range H {
		for j := range W {
			ids = append(ids, 0, float32(i), float32(j))
		}
	}
	return tensors.FromFlatDataAndDimensions(ids, 1, H*W, 3)
}

// shapeOf describes t for an error: its shape, or nil.
func shapeOf(t *tensors.Tensor) any {
	if t == nil {
		return "nil"
	}
	return t.Shape()
}
