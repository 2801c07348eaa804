package vae

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Decode maps the denoiser's latents [B, latent_channels, h, w] (float32)
// to images [B, out_channels, h·s, w·s], s = [Config.Scale], with values
// about [−1, 1]: the pipeline's unscaling ([Config.DecoderInput]),
// post_quant_conv and the decoder. One graph is compiled per input shape.
func (m *Model) Decode(latents *tensors.Tensor) (*tensors.Tensor, error) {
	outs, err := m.run("decode", latents)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// Encode maps images [B, in_channels, H, W] with values in [−1, 1] to the
// latent distribution's mean and log-variance [B, latent_channels, H/s,
// W/s] (AutoencoderKL.encode(x).latent_dist; the log-variance clamped to
// [−30, 20]). These are vae.encode's latents, not yet multiplied by
// scaling_factor as a pipeline does before denoising. It fails when the
// checkpoint has no encoder.
func (m *Model) Encode(images *tensors.Tensor) (mean, logvar *tensors.Tensor, err error) {
	if !m.encoder {
		return nil, nil, fmt.Errorf("vae: the checkpoint has no encoder weights (encoder.conv_in.weight)")
	}
	outs, err := m.run("encode", images)
	if err != nil {
		return nil, nil, err
	}
	return outs[0], outs[1], nil
}

// Tiling configures [Model.DecodeTiled]. The zero value is diffusers'
// enable_tiling: tiles of sample_size/[Config.Scale] latent pixels
// overlapping by a quarter.
type Tiling struct {
	// Tile is a tile's side in latent pixels; 0 means
	// sample_size/Scale() (128 for SDXL, whose sample_size is 1024), as diffusers'
	// tile_latent_min_size).
	Tile int
	// Overlap is the fraction of a tile shared with its neighbour; 0 means
	// 0.25 (tile_overlap_factor).
	Overlap float64
}

// DecodeTiled is [Model.Decode] in overlapping tiles, diffusers'
// tiled_decode, for latents too large to decode at once: memory then
// grows with the tile, not the image. With latent tile T, overlap f and
// image tile S = T·s, tiles start every ⌊T(1−f)⌋ latent pixels and are
// decoded alone; each decoded tile is blended into the one above and the
// one to its left over E = ⌊S·f⌋ rows and columns,
//
//	b[y] = a[S' − E + y]·(1 − y/E) + b[y]·(y/E),  y < E
//
// (a the already blended neighbour, S' its height), and its first S − E
// rows and columns are kept. The result is not the untiled decode: each
// tile sees only its own latents (the mid block's attention and the
// convolutions' context stop at its edge), which the blending hides. Like
// diffusers, latents that fit in one tile are decoded whole.
func (m *Model) DecodeTiled(latents *tensors.Tensor, t Tiling) (*tensors.Tensor, error) {
	dims := latents.Shape().Dimensions
	if len(dims) != 4 {
		return nil, fmt.Errorf("vae: decode takes latents [B, C, h, w], not %v", dims)
	}
	T, f := t.Tile, t.Overlap
	if T == 0 {
		T = m.cfg.SampleSize / m.cfg.Scale()
	}
	if f == 0 {
		f = 0.25
	}
	if T <= 0 || f < 0 || f >= 1 {
		return nil, fmt.Errorf("vae: tiling with tile %d and overlap %g (want a positive tile and 0 ≤ overlap < 1)", T, f)
	}
	if dims[2] <= T && dims[3] <= T {
		return m.Decode(latents)
	}
	z := grid{data: tensors.MustCopyFlatData[float32](latents), dims: [4]int(dims)}
	out, err := tiledDecode(z, T, m.cfg.Scale(), f, func(tile grid) (grid, error) {
		img, err := m.Decode(tensors.FromFlatDataAndDimensions(tile.data, tile.dims[:]...))
		if err != nil {
			return grid{}, err
		}
		return grid{data: tensors.MustCopyFlatData[float32](img), dims: [4]int(img.Shape().Dimensions)}, nil
	})
	if err != nil {
		return nil, err
	}
	return tensors.FromFlatDataAndDimensions(out.data, out.dims[:]...), nil
}

// grid is a host tensor [B, C, H, W].
type grid struct {
	data []float32
	dims [4]int
}

func (g grid) at(b, c, y, x int) int {
	return ((b*g.dims[1]+c)*g.dims[2]+y)*g.dims[3] + x
}

// crop returns rows [y0, y1) and columns [x0, x1) of g.
func (g grid) crop(y0, y1, x0, x1 int) grid {
	B, C := g.dims[0], g.dims[1]
	out := grid{data: make([]float32, B*C*(y1-y0)*(x1-x0)), dims: [4]int{B, C, y1 - y0, x1 - x0}}
	i := 0
	for b := range B {
		for c := range C {
			for y := y0; y < y1; y++ {
				i += copy(out.data[i:], g.data[g.at(b, c, y, x0):g.at(b, c, y, x1-1)+1])
			}
		}
	}
	return out
}

// tiledDecode is diffusers' tiled_decode on z with latent tile T, image
// scale s and overlap f, decoding each tile with dec.
func tiledDecode(z grid, T, s int, f float64, dec func(grid) (grid, error)) (grid, error) {
	step := int(float64(T) * (1 - f))
	S := T * s
	blend := int(float64(S) * f)
	limit := S - blend
	if step <= 0 {
		return grid{}, fmt.Errorf("vae: tiling: tile %d with overlap %g leaves no step", T, f)
	}
	H, W := z.dims[2], z.dims[3]
	var rows [][]grid
	for i := 0; i < H; i += step {
		var row []grid
		for j := 0; j < W; j += step {
			d, err := dec(z.crop(i, min(i+T, H), j, min(j+T, W)))
			if err != nil {
				return grid{}, err
			}
			row = append(row, d)
		}
		rows = append(rows, row)
	}
	// Blend in place, as diffusers does: a tile blended into its
	// neighbours is the neighbour of the next.
	B, C := z.dims[0], rows[0][0].dims[1]
	outH, outW := 0, 0
	for i, row := range rows {
		for j, t := range row {
			if i > 0 {
				blendV(rows[i-1][j], t, blend)
			}
			if j > 0 {
				blendH(row[j-1], t, blend)
			}
			if i == 0 {
				outW += min(limit, t.dims[3])
			}
		}
		outH += min(limit, row[0].dims[2])
	}
	out := grid{data: make([]float32, B*C*outH*outW), dims: [4]int{B, C, outH, outW}}
	y0 := 0
	for _, row := range rows {
		x0 := 0
		h := min(limit, row[0].dims[2])
		for _, t := range row {
			w := min(limit, t.dims[3])
			for b := range B {
				for c := range C {
					for y := range h {
						copy(out.data[out.at(b, c, y0+y, x0):out.at(b, c, y0+y, x0+w-1)+1], t.data[t.at(b, c, y, 0):t.at(b, c, y, w-1)+1])
					}
				}
			}
			x0 += w
		}
		y0 += h
	}
	return out, nil
}

// blendWeights are diffusers' (1 − y/E, y/E) rounded to float32, as torch
// multiplies a float32 tensor by a Python float.
func blendWeights(y, e int) (float32, float32) {
	r := float64(y) / float64(e)
	return float32(1 - r), float32(r)
}

// blendV blends the last rows of a into the first rows of b (blend_v).
func blendV(a, b grid, e int) {
	e = min(a.dims[2], b.dims[2], e)
	for bb := range b.dims[0] {
		for c := range b.dims[1] {
			for y := range e {
				wa, wb := blendWeights(y, e)
				for x := range b.dims[3] {
					i := b.at(bb, c, y, x)
					b.data[i] = a.data[a.at(bb, c, a.dims[2]-e+y, x)]*wa + b.data[i]*wb
				}
			}
		}
	}
}

// blendH blends the last columns of a into the first columns of b
// (blend_h).
func blendH(a, b grid, e int) {
	e = min(a.dims[3], b.dims[3], e)
	for bb := range b.dims[0] {
		for c := range b.dims[1] {
			for y := range b.dims[2] {
				for x := range e {
					wa, wb := blendWeights(x, e)
					i := b.at(bb, c, y, x)
					b.data[i] = a.data[a.at(bb, c, y, a.dims[3]-e+x)]*wa + b.data[i]*wb
				}
			}
		}
	}
}

// ToUnit maps decoded values to [0, 1] as diffusers' image processor
// does: clamp(x/2 + 0.5, 0, 1). dst receives the result (allocated when
// nil; x itself allowed).
func ToUnit(dst, x []float32) []float32 {
	if dst == nil {
		dst = make([]float32, len(x))
	}
	for i, v := range x {
		dst[i] = min(max(v/2+0.5, 0), 1)
	}
	return dst
}

// Images converts decoded images [B, 3, H, W] to RGB images, each value
// round(255·ToUnit(x)) with ties to even as numpy rounds in diffusers'
// numpy_to_pil.
func Images(decoded *tensors.Tensor) ([]*image.NRGBA, error) {
	dims := decoded.Shape().Dimensions
	if len(dims) != 4 || dims[1] != 3 {
		return nil, fmt.Errorf("vae: Images takes decoded images [B, 3, H, W], not %s", decoded.Shape())
	}
	x := ToUnit(nil, tensors.MustCopyFlatData[float32](decoded))
	B, H, W := dims[0], dims[2], dims[3]
	byteOf := func(v float32) uint8 { return uint8(math.RoundToEven(float64(v * 255))) }
	out := make([]*image.NRGBA, B)
	for b := range B {
		img := image.NewNRGBA(image.Rect(0, 0, W, H))
		base := b * 3 * H * W
		for y := range H {
			for xx := range W {
				p := y*W + xx
				img.SetNRGBA(xx, y, color.NRGBA{byteOf(x[base+p]), byteOf(x[base+H*W+p]), byteOf(x[base+2*H*W+p]), 255})
			}
		}
		out[b] = img
	}
	return out, nil
}
