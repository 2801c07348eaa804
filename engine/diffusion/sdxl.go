package diffusion

import (
	"context"
	"fmt"
	"hash/fnv"
	"image"
	"math/rand/v2"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/clip"
	"github.com/actsh/actsh/engine/sched"
	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/engine/unet"
	"github.com/actsh/actsh/engine/vae"
)

// Component prefixes of the pipeline's point names, as ml-act names the
// modules of a diffusers pipeline.
const (
	TextEncoder  = "text_encoder."
	TextEncoder2 = "text_encoder_2."
	UNet         = "unet."
	Transformer  = "transformer."
)

// SDXL is a loaded Stable Diffusion XL pipeline: two CLIP text encoders and
// their tokenizers, the UNet, the VAE and the scheduler's config. Its
// methods are safe for concurrent use; passes run one at a time.
type SDXL struct {
	name, dir  string
	tok        [2]*tokenizer.Tokenizer
	maxLen     [2]int
	enc        [2]*engine.Model
	unet       *unet.Model
	vae        *vae.Model
	schedCfg   []byte
	forceZeros bool

	points []engine.Point
	width  map[string]int

	mu sync.Mutex
}

// check lists the pipeline's points and checks that the components fit
// together: the encoders' widths add up to the UNet's cross-attention
// width and the VAE's latents are the UNet's channels.
func (p *SDXL) check() error {
	p.points, p.width = listPoints(p.enc[:], []string{TextEncoder, TextEncoder2}, p.unet.Points(), UNet)
	uc, vc := p.unet.Config(), p.vae.Config()
	d1, d2 := p.enc[0].Info().HiddenSize, p.enc[1].Info().HiddenSize
	if d1+d2 != uc.CrossAttentionDim {
		return fmt.Errorf("text encoders' hidden sizes %d + %d do not add up to the UNet's cross_attention_dim %d", d1, d2, uc.CrossAttentionDim)
	}
	if vc.LatentChannels != uc.InChannels || vc.LatentChannels != uc.OutChannels {
		return fmt.Errorf("the VAE's latent_channels (%d) differ from the UNet's in/out channels (%d/%d)", vc.LatentChannels, uc.InChannels, uc.OutChannels)
	}
	if _, ok := p.enc[1].Arch().(*clip.Model); !ok || !p.enc[1].Arch().(*clip.Model).Projected() {
		return fmt.Errorf("text_encoder_2 must be a CLIPTextModelWithProjection (its text_embeds are SDXL's pooled embedding)")
	}
	if uc.AdditionEmbedType == "text_time" {
		pd := p.enc[1].Arch().(*clip.Model).Config().ProjectionDim
		if want := uc.ProjectionClassEmbeddingsInputDim - 6*uc.AdditionTimeEmbedDim; pd != want {
			return fmt.Errorf("text_encoder_2's projection_dim %d does not fit the UNet's added embedding (projection_class_embeddings_input_dim %d − 6·addition_time_embed_dim %d = %d)",
				pd, uc.ProjectionClassEmbeddingsInputDim, uc.AdditionTimeEmbedDim, want)
		}
	}
	return nil
}

// Name is the name the pipeline was loaded by; Dir its folder.
func (p *SDXL) Name() string { return p.name }

// Dir is the pipeline's folder.
func (p *SDXL) Dir() string { return p.dir }

// Class is the model_index.json class the pipeline runs.
func (p *SDXL) Class() string { return PipelineClass }

// UNet returns the denoiser.
func (p *SDXL) UNet() *unet.Model { return p.unet }

// VAE returns the autoencoder.
func (p *SDXL) VAE() *vae.Model { return p.vae }

// Points lists the pipeline's intervention points in ml-act's module
// order: text_encoder.…, text_encoder_2.…, then unet.… (start, down, mid,
// up, end).
func (p *SDXL) Points() []engine.Point { return append([]engine.Point(nil), p.points...) }

// PointWidth returns a point's unit count (channels for the UNet's feature
// maps), 0 for an unknown point.
func (p *SDXL) PointWidth(name string) int { return p.width[canonicalPoint(p.width, name)] }

// MatchPoints returns the points whose whole name matches pattern
// (Python's re.fullmatch), in module order: ml-act's 'unet.*norm.*' selects
// every normalisation module of the UNet.
func (p *SDXL) MatchPoints(pattern string) ([]string, error) {
	return matchPointsAlias(p.name, p.points, pattern, ":0")
}

// DefaultSize is the image side the UNet was trained for:
// sample_size × the VAE's scale (1024 for SDXL).
func (p *SDXL) DefaultSize() int { return p.unet.Config().SampleSize * p.vae.Config().Scale() }

// split divides a pipeline-level steering or capture among the components
// by prefix; an unknown point is an error naming the nearest.
func (p *SDXL) split(s *engine.Steering, capture []string) (steer [3]*engine.Steering, capt [3][]string, err error) {
	return splitPoints(p.name, p.width, p.points, []string{TextEncoder, TextEncoder2, UNet}, s, capture)
}

// Conditioning is what the text encoders give the UNet for a batch.
type Conditioning struct {
	// PromptEmbeds is [B, T, D1+D2]: each encoder's penultimate hidden
	// state, concatenated along the features.
	PromptEmbeds *tensors.Tensor
	// Pooled is [B, P]: text_encoder_2's text_embeds.
	Pooled *tensors.Tensor
	// Captured holds the text encoders' captured points, pooled per
	// prompt over every slot (diffusers calls them without a mask).
	Captured map[string][][]float32
}

// tokenize turns prompts into the ids both tokenizers share, without
// special tokens or padding (SDXL's two tokenizers have one vocabulary and
// differ only in their padding).
func (p *SDXL) tokenize(prompts []string) [][]int {
	out := make([][]int, len(prompts))
	for i, s := range prompts {
		out[i] = p.tok[0].Encode(s, false)
	}
	return out
}

// encode runs both text encoders on token ids (from tokenize):
// each tokenizer's special tokens and padding to its model_max_length, as
// StableDiffusionXLPipeline.encode_prompt does (truncating longer prompts).
func (p *SDXL) encode(ctx context.Context, ids [][]int, steer [3]*engine.Steering, capt [3][]string, pool string) (*Conditioning, error) {
	B := len(ids)
	c := &Conditioning{Captured: map[string][][]float32{}}
	var pen [2][][][]float32
	for k := range 2 {
		rows, err := p.pad(k, ids)
		if err != nil {
			return nil, err
		}
		out, err := clip.Encode(ctx, p.enc[k], rows, clip.EncodeOptions{Steering: steer[k], Capture: capt[k]})
		if err != nil {
			return nil, fmt.Errorf("diffusion: text_encoder%s: %w", []string{"", "_2"}[k], err)
		}
		pen[k] = out.Penultimate
		if k == 1 {
			P := len(out.TextEmbeds[0])
			flat := make([]float32, 0, B*P)
			for _, r := range out.TextEmbeds {
				flat = append(flat, r...)
			}
			c.Pooled = tensors.FromFlatDataAndDimensions(flat, B, P)
		}
		addPooled(c.Captured, []string{TextEncoder, TextEncoder2}[k], out.Captured, pool)
	}
	T, D1, D2 := len(pen[0][0]), len(pen[0][0][0]), len(pen[1][0][0])
	if len(pen[1][0]) != T {
		return nil, fmt.Errorf("diffusion: the tokenizers' model_max_length differ (%d, %d)", p.maxLen[0], p.maxLen[1])
	}
	flat := make([]float32, 0, B*T*(D1+D2))
	for i := range B {
		for t := range T {
			flat = append(append(flat, pen[0][i][t]...), pen[1][i][t]...)
		}
	}
	c.PromptEmbeds = tensors.FromFlatDataAndDimensions(flat, B, T, D1+D2)
	return c, nil
}

// pad adds tokenizer k's special tokens and padding to ids.
func (p *SDXL) pad(k int, ids [][]int) ([][]int, error) {
	tok := p.tok[k]
	padID, ok := tok.Pad()
	if !ok {
		return nil, fmt.Errorf("diffusion: tokenizer%s has no pad token", []string{"", "_2"}[k])
	}
	before, after := tok.AddsSpecial()
	L := p.maxLen[k]
	room := L - len(before) - len(after)
	out := make([][]int, len(ids))
	for i, w := range ids {
		if len(w) > room {
			w = w[:room]
		}
		row := make([]int, 0, L)
		row = append(append(append(row, before...), w...), after...)
		for len(row) < L {
			row = append(row, padID)
		}
		out[i] = row
	}
	return out, nil
}

// Noise returns unit Gaussian latents [C, h, w] for a seed: the same seed
// gives the same noise (hence the same image at every strength).
func Noise(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return out
}

// PromptSeed derives a noise seed from a base seed and a prompt, so that
// a prompt's noise does not depend on its batch.
func PromptSeed(seed uint64, prompt string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range 8 {
		b[i] = byte(seed >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(prompt))
	return h.Sum64()
}

// Options tune [SDXL.Generate].
type Options struct {
	// Steps is the number of denoising steps (0: 4, SDXL-Lightning's).
	Steps int
	// Guidance is the classifier-free guidance scale; ≤ 1 runs without
	// guidance (SDXL-Lightning's setting, 0). Above 1 the negative
	// conditioning is zeros, as SDXL's force_zeros_for_empty_prompt gives
	// for an empty negative prompt.
	Guidance float64
	// Width and Height are the image size in pixels (0: DefaultSize), each
	// a multiple of the VAE's scale times 2^(UNet levels − 1).
	Width, Height int
	// Seeds holds one noise seed per prompt (nil: [PromptSeed] of 0).
	Seeds []uint64
	// Steering, when not nil, is active in every pass of every component
	// its maps name (text encoders and UNet).
	Steering *engine.Steering
	// Tiled decodes the latents in tiles (vae.DecodeTiled); images larger
	// than the VAE's sample size are always decoded in tiles.
	Tiled bool
}

// Generate makes one image per prompt, as StableDiffusionXLPipeline does
// with output_type "pil": encode the prompts, denoise noise·init_sigma
// with the scheduler for Steps steps, decode with the VAE.
func (p *SDXL) Generate(ctx context.Context, prompts []string, o Options) ([]*image.NRGBA, error) {
	if len(prompts) == 0 {
		return nil, nil
	}
	lat, err := p.denoise(ctx, prompts, o)
	if err != nil {
		return nil, err
	}
	return p.decode(lat, o.Tiled)
}

// size resolves and checks the image size.
func (p *SDXL) size(o Options) (w, h int, err error) {
	return imageSize(o, p.DefaultSize(), p.vae.Config().Scale()<<(len(p.unet.Config().BlockOutChannels)-1))
}

// denoise runs the loop and returns the final latents [B, C, h, w].
func (p *SDXL) denoise(ctx context.Context, prompts []string, o Options) (*tensors.Tensor, error) {
	ids := p.tokenize(prompts)
	steps := o.Steps
	if steps == 0 {
		steps = 4
	}
	W, H, err := p.size(o)
	if err != nil {
		return nil, err
	}
	if o.Seeds != nil && len(o.Seeds) != len(ids) {
		return nil, fmt.Errorf("diffusion: %d seeds for %d prompts", len(o.Seeds), len(ids))
	}
	steer, _, err := p.split(o.Steering, nil)
	if err != nil {
		return nil, err
	}
	s, err := sched.Parse(p.schedCfg)
	if err != nil {
		return nil, err
	}
	if err := s.SetTimesteps(steps); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	cond, err := p.encode(ctx, ids, steer, [3][]string{}, "mean")
	if err != nil {
		return nil, err
	}
	B := len(ids)
	C, f := p.unet.Config().InChannels, p.vae.Config().Scale()
	h, w := H/f, W/f
	noise := make([]float32, 0, B*C*h*w)
	for i := range B {
		seed := PromptSeed(0, prompts[i])
		if o.Seeds != nil {
			seed = o.Seeds[i]
		}
		noise = append(noise, Noise(seed, C*h*w)...)
	}
	in := p.unetInputs(cond, H, W, o.Guidance > 1)
	uo := unet.Options{Steering: steer[2]}
	var stepErr error
	x, err := sched.Sample(s, noise, func(x []float32, t float32) ([]float32, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sample := x
		if o.Guidance > 1 {
			sample = append(append(make([]float32, 0, 2*len(x)), x...), x...)
		}
		in.Sample = tensors.FromFlatDataAndDimensions(sample, len(sample)/(C*h*w), C, h, w)
		in.Timestep = []float32{t}
		out, err := p.unet.Run(in, uo)
		if err != nil {
			stepErr = err
			return nil, err
		}
		eps := tensors.MustCopyFlatData[float32](out.Sample)
		if o.Guidance > 1 {
			n := len(x)
			g := float32(o.Guidance)
			for j := range n {
				eps[j] = eps[j] + g*(eps[n+j]-eps[j])
			}
			eps = eps[:n]
		}
		return eps, nil
	})
	if err != nil {
		if stepErr != nil {
			return nil, fmt.Errorf("diffusion: %w", stepErr)
		}
		return nil, fmt.Errorf("diffusion: %w", err)
	}
	return tensors.FromFlatDataAndDimensions(x, B, C, h, w), nil
}

// unetInputs builds the UNet's conditioning: prompt embeddings, pooled
// embedding and SDXL's add_time_ids (original size, crop top-left (0, 0),
// target size: H, W, 0, 0, H, W). With guidance the batch is doubled,
// the zero (unconditional) half first, as diffusers concatenates it.
func (p *SDXL) unetInputs(c *Conditioning, H, W int, guided bool) unet.Inputs {
	pe := tensors.MustCopyFlatData[float32](c.PromptEmbeds)
	pooled := tensors.MustCopyFlatData[float32](c.Pooled)
	dims, pdims := c.PromptEmbeds.Shape().Dimensions, c.Pooled.Shape().Dimensions
	B := dims[0]
	if guided {
		pe = append(make([]float32, len(pe)), pe...)
		pooled = append(make([]float32, len(pooled)), pooled...)
		B *= 2
	}
	ids := make([]float32, 0, 6*B)
	for range B {
		ids = append(ids, float32(H), float32(W), 0, 0, float32(H), float32(W))
	}
	in := unet.Inputs{EncoderHiddenStates: tensors.FromFlatDataAndDimensions(pe, B, dims[1], dims[2])}
	if p.unet.Config().AdditionEmbedType == "text_time" {
		in.TextEmbeds = tensors.FromFlatDataAndDimensions(pooled, B, pdims[1])
		in.TimeIDs = tensors.FromFlatDataAndDimensions(ids, B, 6)
	}
	return in
}

// decode turns latents into images (see decodeLatents).
func (p *SDXL) decode(lat *tensors.Tensor, tiled bool) ([]*image.NRGBA, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return decodeLatents(p.vae, lat, tiled)
}

// Responses computes what ml-act fits transport maps on for a text-to-image
// model: the prompts go through the text encoders and one denoising step —
// the pipeline run with num_inference_steps=1 (the first timestep of a
// one-step schedule, 999 with trailing spacing) on seeded noise — and each
// captured point's output is pooled per prompt (feature maps over H and W,
// sequences over their positions). Each prompt's noise is seeded by
// [PromptSeed](seed, prompt), at the pipeline's default size unless
// size > 0. Steering, when not nil, is active (incremental fitting).
func (p *SDXL) Responses(ctx context.Context, prompts []string, capture []string, pool string, seed uint64, size int, s *engine.Steering) (map[string][][]float32, error) {
	ids := p.tokenize(prompts)
	steer, capt, err := p.split(s, capture)
	if err != nil {
		return nil, err
	}
	if pool == "" || pool == "all" {
		return nil, fmt.Errorf("diffusion: responses are pooled (mean, max or min), not %q", pool)
	}
	sc, err := sched.Parse(p.schedCfg)
	if err != nil {
		return nil, err
	}
	if err := sc.SetTimesteps(1); err != nil {
		return nil, err
	}
	W, H, err := p.size(Options{Width: size, Height: size})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	cond, err := p.encode(ctx, ids, steer, capt, pool)
	if err != nil {
		return nil, err
	}
	out := cond.Captured
	if len(capt[2]) == 0 {
		return out, nil
	}
	B := len(ids)
	C, f := p.unet.Config().InChannels, p.vae.Config().Scale()
	n := C * (H / f) * (W / f)
	sigma := sc.InitNoiseSigma()
	x := make([]float32, 0, B*n)
	for i := range B {
		for _, v := range Noise(PromptSeed(seed, prompts[i]), n) {
			x = append(x, v*sigma)
		}
	}
	x = sc.ScaleModelInput(x, x, 0)
	in := p.unetInputs(cond, H, W, false)
	in.Sample = tensors.FromFlatDataAndDimensions(x, B, C, H/f, W/f)
	in.Timestep = []float32{sc.Timesteps()[0]}
	res, err := p.unet.Run(in, unet.Options{Steering: steer[2], Capture: capt[2], Pool: pool})
	if err != nil {
		return nil, fmt.Errorf("diffusion: %w", err)
	}
	addRows(out, UNet, res.Captured, B)
	return out, nil
}
