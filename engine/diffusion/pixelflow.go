package diffusion

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io/fs"
	"math"
	"path"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/clip"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/engine/sched"
	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/engine/unet"
)

// PixelFlowClass is the model_index.json _class_name of actsh's
// pixel-space flow-matching pipeline (the embedded "tiny" image model,
// trained by tiny/imagetrain): a CLIPTextModel, a UNet2DConditionModel on
// RGB pixels predicting the velocity ε − x₀, and
// FlowMatchEulerDiscreteScheduler, with no VAE. diffusers has no class for
// this combination; the folder is otherwise in its layout.
const PixelFlowClass = "PixelFlowPipeline"

// PixelFlow is a loaded [PixelFlowClass] pipeline. Its methods are safe for
// concurrent use; passes run one at a time.
type PixelFlow struct {
	name, dir string
	tok       *tokenizer.Tokenizer
	maxLen    int // the text encoder's input length (tokenizer_config's model_max_length)
	eos       int // <|endoftext|>: end of text and padding
	enc       *engine.Model
	unet      *unet.Model
	schedCfg  []byte

	points []engine.Point
	width  map[string]int
	mu     sync.Mutex
}

// pixelFlowSteps is the default number of Euler steps.
const pixelFlowSteps = 20

// LoadPixelFlow reads a [PixelFlowClass] pipeline from fsys (a folder
// opened with os.DirFS, or the embedded model's files): model_index.json,
// scheduler/scheduler_config.json, text_encoder/ (config.json,
// model.safetensors), tokenizer/ (tokenizer.json, tokenizer_config.json),
// unet/ (config.json, diffusion_pytorch_model.safetensors). name and dir
// say where it came from.
func LoadPixelFlow(name, dir string, fsys fs.FS) (*PixelFlow, error) {
	p, err := loadPixelFlow(name, dir, fsys)
	if err != nil {
		return nil, fmt.Errorf("diffusion: load %s: %w", name, err)
	}
	return p, nil
}

func loadPixelFlow(name, dir string, fsys fs.FS) (*PixelFlow, error) {
	p := &PixelFlow{name: name, dir: dir}
	read := func(f string) ([]byte, error) { return fs.ReadFile(fsys, f) }
	b, err := read("model_index.json")
	if err != nil {
		return nil, err
	}
	var idx struct {
		Class string `json:"_class_name"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("model_index.json: %w", err)
	}
	if idx.Class != PixelFlowClass {
		return nil, fmt.Errorf("model_index.json names %q; this loader runs %s", idx.Class, PixelFlowClass)
	}
	tj, err := read("tokenizer/tokenizer.json")
	if err != nil {
		return nil, err
	}
	tc, err := read("tokenizer/tokenizer_config.json")
	if err != nil {
		return nil, err
	}
	if p.tok, err = tokenizer.Parse(tj, tc); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var tcfg struct {
		Max *int `json:"model_max_length"`
	}
	if err := json.Unmarshal(tc, &tcfg); err != nil || tcfg.Max == nil || *tcfg.Max < 2 {
		return nil, fmt.Errorf("tokenizer/tokenizer_config.json: want a model_max_length of at least 2 (the text encoder's input length)")
	}
	p.maxLen = *tcfg.Max
	component := func(sub, weights string, build func(cfg []byte, w engine.Weights) error) error {
		cfg, err := read(path.Join(sub, "config.json"))
		if err != nil {
			return err
		}
		wb, err := read(path.Join(sub, weights))
		if err != nil {
			return err
		}
		st, err := safetensors.OpenBytes(path.Join(dir, sub, weights), wb)
		if err != nil {
			return fmt.Errorf("%s: %w", sub, err)
		}
		defer st.Close()
		if err := build(cfg, st); err != nil {
			return fmt.Errorf("%s: %w", sub, err)
		}
		return nil
	}
	if err := component("text_encoder", "model.safetensors", func(cfg []byte, w engine.Weights) (err error) {
		p.enc, err = engine.New(cfg, w)
		return err
	}); err != nil {
		return nil, err
	}
	if err := component("unet", "diffusion_pytorch_model.safetensors", func(cfg []byte, w engine.Weights) (err error) {
		p.unet, err = unet.New(cfg, w)
		return err
	}); err != nil {
		return nil, err
	}
	if p.schedCfg, err = read("scheduler/" + sched.ConfigFile); err != nil {
		return nil, err
	}
	s, err := sched.Parse(p.schedCfg)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if fm, ok := s.(*sched.FlowMatch); !ok || fm.Config().UseDynamicShifting {
		return nil, fmt.Errorf("scheduler: %s runs %s without dynamic shifting", PixelFlowClass, sched.FlowMatchClass)
	}
	return p, p.check()
}

// check lists the points and checks that the components fit together.
func (p *PixelFlow) check() error {
	a, ok := p.enc.Arch().(*clip.Model)
	if !ok || a.Projected() {
		return fmt.Errorf("text_encoder must be a CLIPTextModel (its last hidden state conditions the UNet)")
	}
	info, uc := p.enc.Info(), p.unet.Config()
	if info.HiddenSize != uc.CrossAttentionDim {
		return fmt.Errorf("text_encoder's hidden size %d differs from the UNet's cross_attention_dim %d", info.HiddenSize, uc.CrossAttentionDim)
	}
	if p.maxLen > info.MaxPositions {
		return fmt.Errorf("tokenizer's model_max_length %d exceeds the text encoder's max_position_embeddings %d", p.maxLen, info.MaxPositions)
	}
	if info.EOS < 0 || info.EOS >= info.VocabSize {
		return fmt.Errorf("text_encoder's eos_token_id %d is outside its vocabulary", info.EOS)
	}
	p.eos = info.EOS
	if uc.InChannels != 3 || uc.OutChannels != 3 || uc.AdditionEmbedType != "" {
		return fmt.Errorf("the UNet must map RGB pixels to RGB (in/out channels %d/%d) without added embeddings (addition_embed_type %q)", uc.InChannels, uc.OutChannels, uc.AdditionEmbedType)
	}
	p.points, p.width = listPoints([]*engine.Model{p.enc}, []string{TextEncoder}, p.unet.Points(), UNet)
	return nil
}

// Name is the name the pipeline was loaded by.
func (p *PixelFlow) Name() string { return p.name }

// Dir is the pipeline's folder ("" for the embedded model).
func (p *PixelFlow) Dir() string { return p.dir }

// Class is PixelFlowPipeline.
func (p *PixelFlow) Class() string { return PixelFlowClass }

// UNet returns the denoiser.
func (p *PixelFlow) UNet() *unet.Model { return p.unet }

// Points lists the points: text_encoder.…, then unet.… in ml-act's order
// for a UNet.
func (p *PixelFlow) Points() []engine.Point { return append([]engine.Point(nil), p.points...) }

// PointWidth returns a point's unit count, 0 for an unknown point.
func (p *PixelFlow) PointWidth(name string) int { return p.width[canonicalPoint(p.width, name)] }

// MatchPoints returns the points whose whole name matches pattern, in
// module order.
func (p *PixelFlow) MatchPoints(pattern string) ([]string, error) {
	return matchPointsAlias(p.name, p.points, pattern, ":0")
}

// DefaultSize is the UNet's sample_size: the images are its pixels.
func (p *PixelFlow) DefaultSize() int { return p.unet.Config().SampleSize }

func (p *PixelFlow) split(s *engine.Steering, capture []string) (steer [3]*engine.Steering, capt [3][]string, err error) {
	return splitPoints(p.name, p.width, p.points, []string{TextEncoder, UNet}, s, capture)
}

// encode runs the text encoder on prompts laid out as the model was
// trained: each prompt's tokens (no special tokens), cut to
// model_max_length − 1, then <|endoftext|> up to model_max_length; no
// attention mask (the encoder is causal, so the padding never changes the
// tokens before it). It returns the last hidden state [B, T, D] and the
// captured points pooled over every slot.
func (p *PixelFlow) encode(ctx context.Context, prompts []string, s *engine.Steering, capture []string, pool string) (*tensors.Tensor, map[string][][]float32, error) {
	ids := make([][]int, len(prompts))
	for i, pr := range prompts {
		w := p.tok.Encode(pr, false)
		if len(w) > p.maxLen-1 {
			w = w[:p.maxLen-1]
		}
		row := append(make([]int, 0, p.maxLen), w...)
		for len(row) < p.maxLen {
			row = append(row, p.eos)
		}
		ids[i] = row
	}
	out, err := clip.Encode(ctx, p.enc, ids, clip.EncodeOptions{Steering: s, Capture: capture})
	if err != nil {
		return nil, nil, fmt.Errorf("diffusion: text_encoder: %w", err)
	}
	T, D := p.maxLen, len(out.LastHiddenState[0][0])
	flat := make([]float32, 0, len(prompts)*T*D)
	for _, seq := range out.LastHiddenState {
		for _, row := range seq {
			flat = append(flat, row...)
		}
	}
	captured := map[string][][]float32{}
	addPooled(captured, TextEncoder, out.Captured, pool)
	return tensors.FromFlatDataAndDimensions(flat, len(prompts), T, D), captured, nil
}

// Generate makes one image per prompt: seeded Gaussian noise x at σ = 1,
// Steps (default 20) Euler steps of FlowMatchEulerDiscreteScheduler's own
// schedule, x ← x + (σ_next − σ)·v with v the UNet's velocity at timestep
// 1000·σ, and the pixels (x + 1)/2 clamped to [0, 1]. With Guidance > 1,
// v = v_∅ + g·(v_prompt − v_∅), v_∅ from the empty prompt (the model was
// trained with captions dropped).
func (p *PixelFlow) Generate(ctx context.Context, prompts []string, o Options) ([]*image.NRGBA, error) {
	if len(prompts) == 0 {
		return nil, nil
	}
	if o.Seeds != nil && len(o.Seeds) != len(prompts) {
		return nil, fmt.Errorf("diffusion: %d seeds for %d prompts", len(o.Seeds), len(prompts))
	}
	steps := o.Steps
	if steps == 0 {
		steps = pixelFlowSteps
	}
	W, H, err := imageSize(o, p.DefaultSize(), 1<<(len(p.unet.Config().BlockOutChannels)-1))
	if err != nil {
		return nil, err
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
	guided := o.Guidance > 1
	all := prompts
	if guided {
		all = append(append(make([]string, 0, 2*len(prompts)), prompts...), "")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	states, _, err := p.encode(ctx, all, steer[0], nil, "mean")
	if err != nil {
		return nil, err
	}
	B := len(prompts)
	if guided { // [prompts…, ∅ × B]
		d := states.Shape().Dimensions
		flat := tensors.MustCopyFlatData[float32](states)
		n := d[1] * d[2]
		for range B - 1 {
			flat = append(flat, flat[B*n:(B+1)*n]...)
		}
		states = tensors.FromFlatDataAndDimensions(flat, 2*B, d[1], d[2])
	}
	const C = 3
	noise := make([]float32, 0, B*C*H*W)
	for i := range B {
		seed := PromptSeed(0, prompts[i])
		if o.Seeds != nil {
			seed = o.Seeds[i]
		}
		noise = append(noise, Noise(seed, C*H*W)...)
	}
	uo := unet.Options{Steering: steer[1]}
	x, err := sched.Sample(s, noise, func(x []float32, t float32) ([]float32, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sample := x
		if guided {
			sample = append(append(make([]float32, 0, 2*len(x)), x...), x...)
		}
		out, err := p.unet.Run(unet.Inputs{Sample: tensors.FromFlatDataAndDimensions(sample, len(sample)/(C*H*W), C, H, W),
			Timestep: []float32{t}, EncoderHiddenStates: states}, uo)
		if err != nil {
			return nil, err
		}
		v := tensors.MustCopyFlatData[float32](out.Sample)
		if guided {
			n, g := len(x), float32(o.Guidance)
			for j := range n {
				v[j] = v[n+j] + g*(v[j]-v[n+j])
			}
			v = v[:n]
		}
		return v, nil
	})
	if err != nil {
		return nil, fmt.Errorf("diffusion: %w", err)
	}
	return PixelImages(x, B, H, W), nil
}

// PixelImages turns B RGB images [B, 3, H, W] in [−1, 1] into images:
// (x + 1)/2 clamped to [0, 1], times 255, rounded.
func PixelImages(x []float32, B, H, W int) []*image.NRGBA {
	out := make([]*image.NRGBA, B)
	for b := range B {
		img := image.NewNRGBA(image.Rect(0, 0, W, H))
		for y := range H {
			for xx := range W {
				o := img.PixOffset(xx, y)
				for c := range 3 {
					v := (float64(x[((b*3+c)*H+y)*W+xx]) + 1) / 2
					img.Pix[o+c] = uint8(math.Round(255 * min(1, max(0, v))))
				}
				img.Pix[o+3] = 255
			}
		}
		out[b] = img
	}
	return out
}

// Responses is ml-act's one-step run: the prompts through the text
// encoder and the UNet once at σ = 1 (timestep 1000, the first of a
// one-step schedule) on seeded noise ([PromptSeed](seed, prompt)), each
// captured point pooled per prompt.
func (p *PixelFlow) Responses(ctx context.Context, prompts []string, capture []string, pool string, seed uint64, size int, s *engine.Steering) (map[string][][]float32, error) {
	steer, capt, err := p.split(s, capture)
	if err != nil {
		return nil, err
	}
	if pool == "" || pool == "all" {
		return nil, fmt.Errorf("diffusion: responses are pooled (mean, max or min), not %q", pool)
	}
	W, H, err := imageSize(Options{Width: size, Height: size}, p.DefaultSize(), 1<<(len(p.unet.Config().BlockOutChannels)-1))
	if err != nil {
		return nil, err
	}
	sc, err := sched.Parse(p.schedCfg)
	if err != nil {
		return nil, err
	}
	if err := sc.SetTimesteps(1); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	states, out, err := p.encode(ctx, prompts, steer[0], capt[0], pool)
	if err != nil {
		return nil, err
	}
	if len(capt[1]) == 0 {
		return out, nil
	}
	B := len(prompts)
	x := make([]float32, 0, B*3*H*W)
	for _, pr := range prompts {
		x = append(x, Noise(PromptSeed(seed, pr), 3*H*W)...)
	}
	res, err := p.unet.Run(unet.Inputs{Sample: tensors.FromFlatDataAndDimensions(x, B, 3, H, W),
		Timestep: []float32{sc.Timesteps()[0]}, EncoderHiddenStates: states},
		unet.Options{Steering: steer[1], Capture: capt[1], Pool: pool})
	if err != nil {
		return nil, fmt.Errorf("diffusion: %w", err)
	}
	addRows(out, UNet, res.Captured, B)
	return out, nil
}
