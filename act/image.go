package act

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/actsh/actsh/act/responses"
	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	engineclip "github.com/actsh/actsh/engine/clip"
	"github.com/actsh/actsh/engine/diffusion"
	"github.com/actsh/actsh/engine/safetensors"
)

// ImagePipeline is a loaded text-to-image pipeline (Stable Diffusion XL,
// SDXL-Lightning), ready to generate images under a transport and to
// compute the responses transports are fitted on.
type ImagePipeline struct {
	p diffusion.Pipeline
}

// LoadImagePipeline loads a text-to-image pipeline by name: a folder in
// diffusers' layout (model_index.json, text_encoder/, unet/, vae/, …), a
// Hugging Face id found in the local cache, or "ByteDance/SDXL-Lightning"
// (SDXL base 1.0's pipeline with the distilled 4-step UNet, as ml-act
// loads it; Steps(2) or Steps(8) picks the 2- or 8-step UNet), or
// "black-forest-labs/FLUX.1-schnell" (or any FluxPipeline folder;
// OffloadTextEncoders() keeps its T5 out of memory between prompts).
func LoadImagePipeline(name string, opts ...Option) *ImagePipeline {
	o := collect(opts)
	p, err := diffusion.Load(o.context(), name, diffusion.LoadOptions{Steps: o.steps, OffloadTextEncoders: o.offload})
	must(err)
	return &ImagePipeline{p: p}
}

// Engine returns the pipeline underneath, for Go code that wants errors
// instead of panics.
func (p *ImagePipeline) Engine() diffusion.Pipeline { return p.p }

// String summarises the pipeline: name, default size, number of points.
func (p *ImagePipeline) String() string {
	if p == nil || p.p == nil {
		return "act.ImagePipeline(nil)"
	}
	n := 0
	for _, pt := range p.p.Points() {
		if strings.HasPrefix(pt.Name, diffusion.UNet) || strings.HasPrefix(pt.Name, diffusion.Transformer) {
			n++
		}
	}
	return fmt.Sprintf("%s (%s, %d×%d, %d points, %d in the denoiser)", p.p.Name(), p.p.Class(), p.p.DefaultSize(), p.p.DefaultSize(), len(p.p.Points()), n)
}

// Points lists the intervention points as ml-act names the modules of a
// diffusers pipeline (text_encoder.…, text_encoder_2.…, unet.…) in module
// order; with patterns, those whose whole name matches one (ml-act's SDXL
// default is 'unet.*norm.*').
func (p *ImagePipeline) Points(pattern ...string) []string {
	if len(pattern) == 0 {
		out := make([]string, 0, len(p.p.Points()))
		for _, pt := range p.p.Points() {
			out = append(out, pt.Name)
		}
		return out
	}
	var out []string
	for _, pat := range pattern {
		pts, err := p.p.MatchPoints(pat)
		must(err)
		out = append(out, pts...)
	}
	return out
}

// identity is what transports fitted on the pipeline record.
func (p *ImagePipeline) identity() fittedOn {
	name := p.p.Name()
	if name != diffusion.Lightning && p.p.Dir() != "" { // "" for the embedded model: its name
		if id := hubID(p.p.Dir()); id != "" {
			name = id
		} else {
			name = p.p.Dir()
		}
	}
	return fittedOn{name: name, family: familyOf(p.p.Class()), arch: p.p.Class()}
}

// steering checks that t fits the pipeline and returns the engine's
// steering at strength λ (nil for a nil transport).
func (p *ImagePipeline) steering(t *Transport, lambda float64) *engine.Steering {
	raw := t.raw()
	if raw == nil {
		return nil
	}
	t.checkFitsTarget(p.identity(), p.p.PointWidth, p.p.Name())
	if raw.Meta.Position == "last" {
		fail("transport position \"last\" has no meaning for an image pipeline (its maps act on whole feature maps)")
	}
	return &engine.Steering{Maps: raw.Maps, Strength: float32(lambda)}
}

// Generate makes one image from prompt with transport t at strength λ (a
// nil t, or λ = 0, is the unsteered pipeline).
//
// Options: Steps (default 4), Size(w, h) (default the pipeline's),
// Guidance (default 0: none), Seed (the noise; default derived from the
// prompt). The same seed gives the same noise at every λ, so a sweep
// shows the effect of the strength alone.
func (p *ImagePipeline) Generate(prompt string, t *Transport, lambda float64, opts ...Option) *Image {
	return p.GenerateBatch([]string{prompt}, t, lambda, opts...)[0]
}

// GenerateBatch makes one image per prompt in one batch. With Seed(s),
// prompt i's noise is seeded by s + i; without, by the prompt itself. It
// reads the options of [ImagePipeline.Generate].
func (p *ImagePipeline) GenerateBatch(prompts []string, t *Transport, lambda float64, opts ...Option) []*Image {
	o := collect(opts)
	seeds := make([]uint64, len(prompts))
	for i := range prompts {
		seeds[i] = diffusion.PromptSeed(0, prompts[i])
		if o.seedSet {
			seeds[i] = o.seed + uint64(i)
		}
	}
	return p.generate(o.context(), prompts, seeds, t, lambda, o)
}

func (p *ImagePipeline) generate(ctx context.Context, prompts []string, seeds []uint64, t *Transport, lambda float64, o options) []*Image {
	imgs, err := p.p.Generate(ctx, prompts, diffusion.Options{
		Steps: o.steps, Guidance: o.guidance, Width: o.width, Height: o.height,
		Seeds: seeds, Steering: p.steering(t, lambda),
	})
	must(err)
	out := make([]*Image, len(imgs))
	for i, im := range imgs {
		out[i] = &Image{img: im, Prompt: prompts[i], Lambda: lambda, Seed: seeds[i]}
	}
	return out
}

// Sweep generates prompt once per strength in lambdas, from the same
// noise, each image labelled with its λ ("0.50"): the row of a grid (see [Grid])
// or the frames of an animation (see [SaveGIF]). It reads the options of
// [ImagePipeline.Generate].
func (p *ImagePipeline) Sweep(prompt string, t *Transport, lambdas []float64, opts ...Option) []*Image {
	o := collect(opts)
	seed := diffusion.PromptSeed(0, prompt)
	if o.seedSet {
		seed = o.seed
	}
	out := make([]*Image, len(lambdas))
	for i, l := range lambdas {
		out[i] = p.generate(o.context(), []string{prompt}, []uint64{seed}, t, l, o)[0]
		out[i].Label = fmt.Sprintf("%.2f", l) // Grid's bitmap font is ASCII: no λ glyph
	}
	return out
}

// Responses computes the responses of the points matching pattern (see
// [ImagePipeline.Points]) on ds as ml-act does for text-to-image models:
// each source and target prompt goes through the text encoders and one
// denoising step (the first timestep of a one-step schedule) on seeded
// noise, and each point's output is pooled per prompt — a UNet feature
// map over its height and width, a sequence over its positions.
//
// Options: Src and Dst (required), Pool ("mean" default, "max", "min"),
// Seed (sampling and noise; default 0), Limit, Batch (prompts per pass,
// default 16), Size (default the pipeline's), Cache(dir).
func (p *ImagePipeline) Responses(ds *Dataset, pattern string, opts ...Option) *Responses {
	req, fw := p.request("responses", ds, pattern, opts)
	set, err := responses.Extract(Context(), fw, req)
	must(err)
	r := responsesFrom(set)
	r.from = p.identity()
	return r
}

// FitIncremental is [Model.FitIncremental] on the pipeline: the maps are
// fitted one point at a time in module order, each point's responses
// computed with the earlier maps active at strength 1 (ml-act's "incr"
// mode). It reads the options of [ImagePipeline.Responses] and those of
// the method's Fit function.
func (p *ImagePipeline) FitIncremental(ds *Dataset, pattern, method string, opts ...Option) *Transport {
	req, fw := p.request("fit incremental", ds, pattern, opts)
	var meta transport.Meta
	fit := func(point string, src, dst [][]float32) (*transport.Map, error) {
		t := Fit(responsesFrom(responses.FromMatrices(point, src, dst)), method, opts...).t
		meta = t.Meta
		return t.Maps[point], nil
	}
	t, err := responses.Incremental(Context(), fw, req, fit, responses.FitOptions{})
	must(err)
	id := p.identity()
	meta.Model, meta.Dataset, meta.Pooling = id.name, t.Meta.Dataset, t.Meta.Pooling
	meta.Source, meta.Target = t.Meta.Source, t.Meta.Target
	meta.Family, meta.Architecture = id.family, id.arch
	t.Meta = meta
	return &Transport{t: t}
}

// request builds an extraction request and the forwarder that runs it.
func (p *ImagePipeline) request(call string, ds *Dataset, pattern string, opts []Option) (responses.Request, *imageForwarder) {
	return p.requestFor(call, ds, p.Points(pattern), opts)
}

// requestFor is request for a list of points.
func (p *ImagePipeline) requestFor(call string, ds *Dataset, points []string, opts []Option) (responses.Request, *imageForwarder) {
	o := collect(opts)
	d := ds.raw()
	if len(o.src) == 0 || len(o.dst) == 0 {
		fail("%s: name the source and target subsets with Src(...) and Dst(...) (%s has %s)", call, d.Name, strings.Join(d.Subsets(), ", "))
	}
	if o.pool == "" {
		o.pool = "mean"
	}
	if o.width != o.height {
		fail("%s: image responses are computed on square latents; Size(%d, %d) is not square", call, o.width, o.height)
	}
	src, dst, err := d.Balance(o.src, o.dst, o.limit, o.seed)
	must(err)
	req := responses.Request{
		Meta: responses.Meta{
			Model: p.identity().name, Dataset: d.Name, Pooling: o.pool,
			Source: strings.Join(o.src, ","), Target: strings.Join(o.dst, ","), Seed: o.seed,
		},
		Points:   points,
		Src:      promptBytes(src),
		Dst:      promptBytes(dst),
		Batch:    o.batch,
		Cache:    o.cache,
		Progress: os.Stderr,
	}
	if o.width > 0 {
		req.Meta.Dataset += fmt.Sprintf("@%dpx", o.width) // the size is part of what the cache holds
	}
	return req, &imageForwarder{p: p.p, seed: o.seed, size: o.width}
}

// promptBytes encodes prompts as the responses package's "ids": each
// prompt's UTF-8 bytes. An image pipeline has several tokenizers (CLIP's,
// T5's), so the forwarder takes the text back and lets each tokenize it.
func promptBytes(texts []string) [][]int {
	out := make([][]int, len(texts))
	for i, t := range texts {
		if t == "" {
			fail("responses: prompt %d is empty", i)
		}
		b := []byte(t)
		out[i] = make([]int, len(b))
		for j, c := range b {
			out[i][j] = int(c)
		}
	}
	return out
}

// familyOf names a pipeline class's family for transport metadata.
func familyOf(class string) string {
	switch class {
	case diffusion.PipelineClass:
		return "sdxl"
	case diffusion.FluxPipelineClass:
		return "flux"
	case diffusion.PixelFlowClass:
		return "pixelflow"
	}
	return strings.ToLower(class)
}

// imageForwarder runs a pipeline's one-step responses for the responses
// package: batches are prompts as bytes (promptBytes), pooled outputs come
// back.
type imageForwarder struct {
	p    diffusion.Pipeline
	seed uint64
	size int
}

func (f *imageForwarder) Forward(ctx context.Context, batch [][]int, o engine.ForwardOptions) (*engine.Output, error) {
	pool := o.Pool
	if pool == "" {
		pool = "mean"
	}
	prompts := make([]string, len(batch))
	for i, ids := range batch {
		b := make([]byte, len(ids))
		for j, c := range ids {
			b[j] = byte(c)
		}
		prompts[i] = string(b)
	}
	r, err := f.p.Responses(ctx, prompts, o.Capture, pool, f.seed, f.size, o.Steering)
	if err != nil {
		return nil, err
	}
	return &engine.Output{Pooled: r}, nil
}

// Image is a generated image with what made it.
type Image struct {
	img *image.NRGBA
	// Prompt, Lambda and Seed made the image (zero for grids).
	Prompt string
	Lambda float64
	Seed   uint64
	// Label, when set, is drawn under the image in a [Grid].
	Label string
}

// NewImage wraps a Go image (to put it in a [Grid] or save it).
func NewImage(img image.Image) *Image {
	if img == nil {
		fail("NewImage: image is nil")
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return &Image{img: out}
}

// ReadImage reads a PNG, JPEG or GIF file.
func ReadImage(path string) *Image {
	f, err := os.Open(path)
	must(err)
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		fail("read image %s: %v", path, err)
	}
	return NewImage(img)
}

// Go returns the image as a Go image (an *image.NRGBA).
func (im *Image) Go() image.Image { return im.img }

// ColorModel, Bounds and At make an *Image an image.Image itself, so it
// goes wherever Go's image packages take one (png.Encode, draw.Draw).
func (im *Image) ColorModel() color.Model { return im.img.ColorModel() }

// Bounds is the image's rectangle.
func (im *Image) Bounds() image.Rectangle { return im.img.Bounds() }

// At is the colour of the pixel at (x, y).
func (im *Image) At(x, y int) color.Color { return im.img.At(x, y) }

// Width and Height are the image's size in pixels.
func (im *Image) Width() int { return im.img.Bounds().Dx() }

// Height is the image's height in pixels.
func (im *Image) Height() int { return im.img.Bounds().Dy() }

// String describes the image.
func (im *Image) String() string {
	if im == nil || im.img == nil {
		return "act.Image(nil)"
	}
	s := fmt.Sprintf("act.Image(%d×%d", im.Width(), im.Height())
	if im.Prompt != "" {
		s += fmt.Sprintf(", %q, λ=%.2f, seed %d", clip(im.Prompt), im.Lambda, im.Seed)
	}
	return s + ")"
}

// PNG returns the image encoded as PNG (in a notebook:
// gonbui.DisplayPNG(img.PNG())).
func (im *Image) PNG() []byte {
	var b bytes.Buffer
	must(png.Encode(&b, im.img))
	return b.Bytes()
}

// Save writes the image as a PNG file (through a temporary file and a
// rename: an interrupted save leaves nothing half-written).
func (im *Image) Save(path string) {
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".png" {
		fail("Save(%q): images are saved as PNG; name the file .png", path)
	}
	must(safetensors.WriteFileAtomic(path, im.PNG(), 0o644))
}

// Resize returns the image resized to w×h with PIL's bicubic filter, as
// ml-act resizes generated images to its generation_resolution.
func (im *Image) Resize(w, h int) *Image {
	r, err := engineclip.Resize(im.img, w, h)
	must(err)
	out := *im
	out.img = r
	return &out
}

// Grid lays images out in rows of cols, each with its Label (if any)
// written under it in a 7×13 ASCII bitmap font, on a white background: a
// strength sweep per row.
func Grid(cols int, images ...*Image) *Image {
	if cols <= 0 || len(images) == 0 {
		fail("Grid(%d, %d images): want a positive column count and at least one image", cols, len(images))
	}
	cw, ch := 0, 0
	labels := false
	for i, im := range images {
		if im == nil || im.img == nil {
			fail("Grid: image %d is nil", i)
		}
		cw, ch = max(cw, im.Width()), max(ch, im.Height())
		labels = labels || im.Label != ""
	}
	const pad, strip = 4, 16
	lh := 0
	if labels {
		lh = strip
	}
	rows := (len(images) + cols - 1) / cols
	W, H := cols*(cw+pad)+pad, rows*(ch+lh+pad)+pad
	out := image.NewNRGBA(image.Rect(0, 0, W, H))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for i, im := range images {
		x, y := pad+(i%cols)*(cw+pad), pad+(i/cols)*(ch+lh+pad)
		draw.Draw(out, image.Rect(x, y, x+im.Width(), y+im.Height()), im.img, image.Point{}, draw.Src)
		if im.Label != "" {
			d := font.Drawer{Dst: out, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13,
				Dot: fixed.P(x+2, y+ch+lh-4)}
			d.DrawString(im.Label)
		}
	}
	return &Image{img: out}
}

// SaveGIF writes frames as an animated GIF at path, each shown for
// delayMS milliseconds, looping forever (ml-act's create_gif shows each
// strength for 500 ms). Frames of another size than the first are
// scaled to it; colours are reduced to a 256-colour palette with
// Floyd–Steinberg dithering.
func SaveGIF(path string, frames []*Image, delayMS int) {
	if len(frames) == 0 {
		fail("SaveGIF(%q): no frames", path)
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".gif" {
		fail("SaveGIF(%q): name the file .gif", path)
	}
	if delayMS <= 0 {
		delayMS = 500
	}
	pal := gifPalette()
	b := frames[0].img.Bounds()
	anim := &gif.GIF{}
	for i, f := range frames {
		if f == nil || f.img == nil {
			fail("SaveGIF: frame %d is nil", i)
		}
		var src image.Image = f.img
		if f.img.Bounds() != b {
			s := image.NewNRGBA(b)
			xdraw.CatmullRom.Scale(s, b, f.img, f.img.Bounds(), xdraw.Src, nil)
			src = s
		}
		pm := image.NewPaletted(b, pal)
		draw.FloydSteinberg.Draw(pm, b, src, image.Point{})
		anim.Image = append(anim.Image, pm)
		anim.Delay = append(anim.Delay, (delayMS+5)/10)
	}
	var buf bytes.Buffer
	must(gif.EncodeAll(&buf, anim))
	must(safetensors.WriteFileAtomic(path, buf.Bytes(), 0o644))
}

// gifPalette is a 6×7×6 RGB cube plus greys: 252 + 4 colours.
func gifPalette() color.Palette {
	var p color.Palette
	for r := range 6 {
		for g := range 7 {
			for b := range 6 {
				p = append(p, color.RGBA{uint8(r * 51), uint8(g * 255 / 6), uint8(b * 51), 255})
			}
		}
	}
	for _, v := range []uint8{32, 96, 160, 224} {
		p = append(p, color.RGBA{v, v, v, 255})
	}
	return p
}
