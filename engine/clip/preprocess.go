package clip

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// OpenAI's normalization, transformers' OPENAI_CLIP_MEAN and
// OPENAI_CLIP_STD: the image_mean and image_std of every CLIP checkpoint
// the paper's pipelines use (CLIP-L, OpenCLIP ViT-H and bigG).
var (
	ImageMean = [3]float64{0.48145466, 0.4578275, 0.40821073}
	ImageStd  = [3]float64{0.26862954, 0.26130258, 0.27577711}
)

// Preprocess turns images into pixel_values [len(imgs), 3, size, size] as
// transformers' CLIPImageProcessor (the PIL one, not the torchvision
// "fast" one) does with CLIP's preprocessor_config.json:
//
//  1. convert to RGB (alpha dropped, colours un-premultiplied);
//  2. resize with PIL's bicubic filter so that the shortest side is size
//     and the other ⌊size·long/short⌋;
//  3. crop the centre, size × size, from top ⌊(h − size)/2⌋ and left
//     ⌊(w − size)/2⌋;
//  4. x = float32(v·(1/255)); x = (x − mean[c])/std[c] in float32, with
//     [ImageMean] and [ImageStd].
//
// Step 2 is PIL's resampling itself, reimplemented: a separable bicubic
// (a = −0.5) whose support widens by the reduction factor when shrinking
// (antialiasing), weights normalised per pixel and rounded to 22-bit
// fixed point, the horizontal pass first and rounded to bytes before the
// vertical one. On the package's test images (shrunk, enlarged, cropped
// only) its bytes equal Pillow 9.4's and pixel_values equal the
// processor's steps bit for bit. Decoding is not part of it: a JPEG
// decoded by Go's image/jpeg may differ from PIL's libjpeg by a level or
// so per channel.
func Preprocess(imgs []image.Image, size int) (*tensors.Tensor, error) {
	if size <= 0 {
		return nil, fmt.Errorf("clip: preprocess: size %d must be positive", size)
	}
	out := make([]float32, len(imgs)*3*size*size)
	for i, img := range imgs {
		r := img.Bounds()
		if r.Dx() <= 0 || r.Dy() <= 0 {
			return nil, fmt.Errorf("clip: preprocess: image %d is empty (%v)", i, r)
		}
		w, h := ShortestEdge(r.Dx(), r.Dy(), size)
		rgb := resizeBicubic(toRGB(img), w, h)
		top, left := (h-size)/2, (w-size)/2
		plane := out[i*3*size*size:]
		for y := range size {
			for x := range size {
				p := rgb.pix[((top+y)*rgb.w+left+x)*3:]
				for c := range 3 {
					v := float32(float64(p[c]) * (1.0 / 255))
					plane[(c*size+y)*size+x] = (v - float32(ImageMean[c])) / float32(ImageStd[c])
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(out, len(imgs), 3, size, size), nil
}

// ShortestEdge returns the size CLIPImageProcessor resizes a w × h image
// to: the shortest side becomes size, the other ⌊size·long/short⌋.
func ShortestEdge(w, h, size int) (nw, nh int) {
	if w <= h {
		return size, int(float64(size*h) / float64(w))
	}
	return int(float64(size*w) / float64(h)), size
}

// Embed preprocesses images ([Preprocess] at the model's image_size) and
// returns one embedding per image: image_embeds for a model with
// visual_projection, the pooled output for a CLIPVisionModel. These are
// not normalised; ClipScore and zero-shot scores divide by their norms.
func (v *Vision) Embed(imgs []image.Image) ([][]float32, error) {
	px, err := Preprocess(imgs, v.cfg.ImageSize)
	if err != nil {
		return nil, err
	}
	out, err := v.Forward(px, VisionOptions{})
	if err != nil {
		return nil, err
	}
	if v.project {
		return out.ImageEmbeds, nil
	}
	return out.Pooled, nil
}

// rgb is an 8-bit RGB image, pixels row by row.
type rgb struct {
	w, h int
	pix  []uint8
}

// toRGB is PIL's convert("RGB"): non-premultiplied colour, alpha dropped.
func toRGB(img image.Image) rgb {
	r := img.Bounds()
	out := rgb{w: r.Dx(), h: r.Dy(), pix: make([]uint8, r.Dx()*r.Dy()*3)}
	i := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out.pix[i], out.pix[i+1], out.pix[i+2] = c.R, c.G, c.B
			i += 3
		}
	}
	return out
}

// precisionBits is PIL's fixed-point precision for 8-bit resampling.
const precisionBits = 32 - 8 - 2

// bicubic is PIL's bicubic kernel with a = −0.5:
//
//	|x| < 1: (a+2)|x|³ − (a+3)|x|² + 1
//	|x| < 2: a(|x|³ − 5|x|² + 8|x| − 4)
func bicubic(x float64) float64 {
	const a = -0.5
	x = math.Abs(x)
	switch {
	case x < 1:
		return ((a+2)*x-(a+3))*x*x + 1
	case x < 2:
		return (((x-5)*x+8)*x - 4) * a
	}
	return 0
}

// taps are one output pixel's inputs: the first index and fixed-point
// weights.
type taps struct {
	first int
	k     []int
}

// coefficients are PIL's precompute_coeffs and normalize_coeffs_8bpc for
// resampling in input pixels to out: output pixel i is centred on input
// (i + ½)·scale, scale = in/out, and reads the inputs within
// 2·max(scale, 1) of it, weighted by bicubic((j − centre + ½)/max(scale,
// 1)) normalised to sum 1 and rounded half away from zero to 22 bits.
func coefficients(in, out int) []taps {
	scale := float64(in) / float64(out)
	filterscale := max(scale, 1)
	support := 2 * filterscale
	res := make([]taps, out)
	for i := range out {
		center := (float64(i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0) // C's (int) truncates, as Go's conversion does
		hi := min(int(center+support+0.5), in)
		w := make([]float64, hi-lo)
		sum := 0.0
		for j := range w {
			w[j] = bicubic((float64(j+lo) - center + 0.5) / filterscale)
			sum += w[j]
		}
		k := make([]int, len(w))
		for j := range w {
			if sum != 0 {
				w[j] /= sum
			}
			if w[j] < 0 {
				k[j] = int(-0.5 + w[j]*(1<<precisionBits))
			} else {
				k[j] = int(0.5 + w[j]*(1<<precisionBits))
			}
		}
		res[i] = taps{first: lo, k: k}
	}
	return res
}

// clip8 is PIL's rounding of a fixed-point sum (which starts at ½) to a
// byte.
func clip8(v int) uint8 { return uint8(min(max(v>>precisionBits, 0), 255)) }

// resizeBicubic is PIL's Image.resize((w, h), BICUBIC) on an RGB image:
// the horizontal pass over the rows the vertical pass reads, rounded to
// bytes, then the vertical pass; a pass whose size does not change is
// skipped, as PIL skips it.
func resizeBicubic(src rgb, w, h int) rgb {
	if w == src.w && h == src.h {
		return src
	}
	origH := src.h
	vt := coefficients(src.h, h)
	if w != src.w {
		first, last := 0, src.h
		if h != src.h {
			first = vt[0].first
			last = vt[h-1].first + len(vt[h-1].k)
			for i := range vt {
				vt[i].first -= first
			}
		}
		ht := coefficients(src.w, w)
		tmp := rgb{w: w, h: last - first, pix: make([]uint8, w*(last-first)*3)}
		for y := range tmp.h {
			row := src.pix[(first+y)*src.w*3:]
			for x, t := range ht {
				for c := range 3 {
					s := 1 << (precisionBits - 1)
					for j, k := range t.k {
						s += int(row[(t.first+j)*3+c]) * k
					}
					tmp.pix[(y*w+x)*3+c] = clip8(s)
				}
			}
		}
		src = tmp
	}
	if h == origH {
		return src
	}
	dst := rgb{w: w, h: h, pix: make([]uint8, w*h*3)}
	for y, t := range vt {
		for x := range w {
			for c := range 3 {
				s := 1 << (precisionBits - 1)
				for j, k := range t.k {
					s += int(src.pix[((t.first+j)*w+x)*3+c]) * k
				}
				dst.pix[(y*w+x)*3+c] = clip8(s)
			}
		}
	}
	return dst
}
