package diffusion

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/clip"
	"github.com/actsh/actsh/engine/flux"
	"github.com/actsh/actsh/engine/sched"
	"github.com/actsh/actsh/engine/t5"
	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/engine/vae"
)

// Schnell is FLUX.1-schnell's Hugging Face id.
const Schnell = "black-forest-labs/FLUX.1-schnell"

// Flux is a loaded FLUX pipeline (diffusers' FluxPipeline): CLIP's text
// encoder for the pooled embedding, T5's encoder for the token states, the
// MMDiT transformer, the 16-channel VAE and the flow-matching scheduler.
// Its methods are safe for concurrent use; passes run one at a time.
type Flux struct {
	name, dir string
	tok       [2]*tokenizer.Tokenizer // CLIP, T5
	maxLen    [2]int                  // 77, max_sequence_length (256 for schnell)
	enc       [2]*engine.Model        // CLIPTextModel, T5EncoderModel
	tr        *flux.Model
	vae       *vae.Model
	schedCfg  []byte

	points []engine.Point
	width  map[string]int
	mu     sync.Mutex

	offload bool // the encoders are loaded per encode and freed after (enc is nil between)
}

// fluxMaxSequence is FluxPipeline's max_sequence_length for schnell (dev
// uses 512).
const fluxMaxSequence = 256

func loadFlux(ctx context.Context, name, dir string, offload bool) (*Flux, error) {
	p := &Flux{name: name, dir: dir, width: map[string]int{}, offload: offload}
	if offload { // at any time either the encoders or the rest are loaded
		if err := checkFit(name, dir, []string{"transformer", "vae"}, ""); err != nil {
			return nil, err
		}
		if err := checkFit(name, dir, []string{"text_encoder", "text_encoder_2"}, ""); err != nil {
			return nil, err
		}
	} else if err := checkFit(name, dir, []string{"text_encoder", "text_encoder_2", "transformer", "vae"}, ""); err != nil {
		return nil, err
	}
	var err error
	if p.tok[0], p.maxLen[0], err = loadTokenizer(filepath.Join(dir, "tokenizer")); err != nil {
		return nil, err
	}
	if p.tok[1], _, err = loadTokenizer(filepath.Join(dir, "tokenizer_2")); err != nil {
		return nil, err
	}
	p.maxLen[1] = fluxMaxSequence
	if b, err := os.ReadFile(filepath.Join(dir, "tokenizer_2", "tokenizer_config.json")); err == nil {
		var c struct {
			Max *float64 `json:"model_max_length"`
		}
		if json.Unmarshal(b, &c) == nil && c.Max != nil && *c.Max > 0 && *c.Max < fluxMaxSequence {
			p.maxLen[1] = int(*c.Max) // tiny pipelines: the T5's positions are not the limit, but keep ids in range
		}
	}
	if err := p.loadEncoders(); err != nil {
		return nil, err
	}
	if p.schedCfg, err = os.ReadFile(filepath.Join(dir, "scheduler", sched.ConfigFile)); err != nil {
		return nil, err
	}
	s, err := sched.Parse(p.schedCfg)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if _, ok := s.(*sched.FlowMatch); !ok {
		return nil, fmt.Errorf("scheduler: FLUX runs %s, not %T", sched.FlowMatchClass, s)
	}
	if p.tr, err = loadComponent(filepath.Join(dir, "transformer"), flux.New); err != nil {
		return nil, err
	}
	if p.vae, err = loadVAE(filepath.Join(dir, "vae")); err != nil {
		return nil, err
	}
	err = p.check()
	if offload {
		p.freeEncoders()
	}
	return p, err
}

// loadEncoders reads both text encoders.
func (p *Flux) loadEncoders() (err error) {
	for k, sub := range []string{"text_encoder", "text_encoder_2"} {
		if p.enc[k], err = loadEncoder(filepath.Join(p.dir, sub)); err != nil {
			return err
		}
	}
	return nil
}

// freeEncoders releases the text encoders' memory (offloading).
func (p *Flux) freeEncoders() {
	for k, m := range p.enc {
		if m != nil {
			m.Close()
		}
		p.enc[k] = nil
	}
}

// check lists the points and checks that the components fit together.
func (p *Flux) check() error {
	p.points, p.width = listPoints(p.enc[:], []string{TextEncoder, TextEncoder2}, p.tr.Points(), Transformer)
	tc, vc := p.tr.Config(), p.vae.Config()
	if _, ok := p.enc[0].Arch().(*clip.Model); !ok {
		return fmt.Errorf("text_encoder must be a CLIP text model (its pooled output is FLUX's pooled projection)")
	}
	if d := p.enc[0].Info().HiddenSize; d != tc.PooledProjectionDim {
		return fmt.Errorf("text_encoder's hidden size %d differs from the transformer's pooled_projection_dim %d", d, tc.PooledProjectionDim)
	}
	if d := p.enc[1].Info().HiddenSize; d != tc.JointAttentionDim {
		return fmt.Errorf("text_encoder_2's d_model %d differs from the transformer's joint_attention_dim %d", d, tc.JointAttentionDim)
	}
	if 4*vc.LatentChannels != tc.InChannels {
		return fmt.Errorf("the transformer's in_channels (%d) are not 4 × the VAE's latent_channels (%d): FLUX packs 2×2 latent patches", tc.InChannels, vc.LatentChannels)
	}
	if tc.GuidanceEmbeds {
		return fmt.Errorf("the transformer has a guidance embedding (FLUX.1-dev): actsh runs FLUX.1-schnell, which has none")
	}
	return nil
}

// Name is the name the pipeline was loaded by.
func (p *Flux) Name() string { return p.name }

// Dir is the pipeline's folder.
func (p *Flux) Dir() string { return p.dir }

// Class is FluxPipeline.
func (p *Flux) Class() string { return FluxPipelineClass }

// Transformer returns the denoiser.
func (p *Flux) Transformer() *flux.Model { return p.tr }

// Points lists the points: text_encoder.…, text_encoder_2.…, transformer.…
// (ml-act's FLUX config steers transformer.transformer_blocks.N:0 and :1,
// the text and image streams, and transformer.single_transformer_blocks.N).
func (p *Flux) Points() []engine.Point { return append([]engine.Point(nil), p.points...) }

// PointWidth returns a point's unit count, 0 for an unknown point.
func (p *Flux) PointWidth(name string) int { return p.width[p.canonical(name)] }

// MatchPoints returns the points whose whole name matches pattern. A
// point whose module returns one tensor (a single block) also answers to
// its name with ":0", as ml-act writes transformer.single_transformer_blocks.N:0;
// the name returned is the plain one.
func (p *Flux) MatchPoints(pattern string) ([]string, error) {
	return matchPointsAlias(p.name, p.points, pattern, ":0")
}

// canonical maps ml-act's "module:0" of a one-tensor module to the point's
// name.
func (p *Flux) canonical(name string) string { return canonicalPoint(p.width, name) }

// DefaultSize is 1024 for FLUX.1-schnell: the VAE's sample size (FluxPipeline's default_sample_size 128 × 8).
func (p *Flux) DefaultSize() int { return p.vae.Config().SampleSize }

// scale is FluxPipeline's vae_scale_factor in v0.30.0: 2^len(block_out_channels),
// the VAE's factor times 2 for the 2×2 packing.
func (p *Flux) scale() int { return 2 * p.vae.Config().Scale() }

func (p *Flux) size(o Options) (w, h int, err error) {
	return imageSize(o, p.DefaultSize(), p.scale())
}

// split divides a pipeline-level steering or capture among the components.
func (p *Flux) split(s *engine.Steering, capture []string) (steer [3]*engine.Steering, capt [3][]string, err error) {
	return splitPoints(p.name, p.width, p.points, []string{TextEncoder, TextEncoder2, Transformer}, s, capture)
}

// encode runs CLIP (pooled output) and T5 (token states) as
// FluxPipeline.encode_prompt does: CLIP padded to 77, T5 to
// max_sequence_length, neither with an attention mask; text ids are zeros.
func (p *Flux) encode(ctx context.Context, prompts []string, steer [3]*engine.Steering, capt [3][]string, pool string) (states, pooled *tensors.Tensor, captured map[string][][]float32, err error) {
	if p.offload {
		if err := p.loadEncoders(); err != nil {
			return nil, nil, nil, fmt.Errorf("diffusion: reload the text encoders: %w", err)
		}
		defer p.freeEncoders()
	}
	B := len(prompts)
	captured = map[string][][]float32{}
	ids, _, err := clip.Tokenize(p.tok[0], prompts, p.maxLen[0])
	if err != nil {
		return nil, nil, nil, err
	}
	co, err := clip.Encode(ctx, p.enc[0], ids, clip.EncodeOptions{Steering: steer[0], Capture: capt[0]})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("diffusion: text_encoder: %w", err)
	}
	D := len(co.Pooled[0])
	flat := make([]float32, 0, B*D)
	for _, r := range co.Pooled {
		flat = append(flat, r...)
	}
	pooled = tensors.FromFlatDataAndDimensions(flat, B, D)
	addPooled(captured, TextEncoder, co.Captured, pool)
	tids := p.t5IDs(prompts)
	last, tcapt, err := t5States(ctx, p.enc[1], tids, steer[1], capt[1])
	if err != nil {
		return nil, nil, nil, fmt.Errorf("diffusion: text_encoder_2: %w", err)
	}
	T, E := len(last[0]), len(last[0][0])
	flat = make([]float32, 0, B*T*E)
	for _, r := range last {
		for _, v := range r {
			flat = append(flat, v...)
		}
	}
	states = tensors.FromFlatDataAndDimensions(flat, B, T, E)
	addPooled(captured, TextEncoder2, tcapt, pool)
	return states, pooled, captured, nil
}

// t5IDs tokenizes as T5TokenizerFast(padding="max_length",
// max_length=max_sequence_length, truncation=True): the pieces, cut to
// leave room for </s>, then </s>, then <pad>.
func (p *Flux) t5IDs(prompts []string) [][]int {
	tok := p.tok[1]
	L := p.maxLen[1]
	_, after := tok.AddsSpecial()
	pad, ok := tok.Pad()
	if !ok {
		pad = 0
	}
	out := make([][]int, len(prompts))
	for i, s := range prompts {
		w := tok.Encode(s, false)
		if room := L - len(after); len(w) > room {
			w = w[:room]
		}
		row := append(append(make([]int, 0, L), w...), after...)
		for len(row) < L {
			row = append(row, pad)
		}
		out[i] = row
	}
	return out
}

// noise returns the seeded noise packed [B, N, 4C] and the
// latent size for prompts at W×H.
func (p *Flux) noise(prompts []string, seeds []uint64, W, H int) (packed *tensors.Tensor, h, w int, err error) {
	C := p.vae.Config().LatentChannels
	h, w = 2*(H/p.scale()), 2*(W/p.scale())
	flat := make([]float32, 0, len(prompts)*C*h*w)
	for i := range prompts {
		seed := PromptSeed(0, prompts[i])
		if seeds != nil {
			seed = seeds[i]
		}
		flat = append(flat, Noise(seed, C*h*w)...)
	}
	packed, err = flux.Pack(tensors.FromFlatDataAndDimensions(flat, len(prompts), C, h, w))
	return packed, h, w, err
}

// Generate makes one image per prompt as FluxPipeline does (schnell: no
// guidance, Steps default 4): σ from 1 to 1/n, each step
// x ← x + (σ_next − σ)·v with v the transformer's velocity at t/1000.
func (p *Flux) Generate(ctx context.Context, prompts []string, o Options) ([]*image.NRGBA, error) {
	if len(prompts) == 0 {
		return nil, nil
	}
	if o.Seeds != nil && len(o.Seeds) != len(prompts) {
		return nil, fmt.Errorf("diffusion: %d seeds for %d prompts", len(o.Seeds), len(prompts))
	}
	if o.Guidance > 1 {
		return nil, fmt.Errorf("diffusion: FLUX.1-schnell runs without classifier-free guidance (Guidance %g)", o.Guidance)
	}
	steps := o.Steps
	if steps == 0 {
		steps = 4
	}
	W, H, err := p.size(o)
	if err != nil {
		return nil, err
	}
	steer, _, err := p.split(o.Steering, nil)
	if err != nil {
		return nil, err
	}
	s, _ := sched.Parse(p.schedCfg)
	fm := s.(*sched.FlowMatch)
	p.mu.Lock()
	defer p.mu.Unlock()
	states, pooled, _, err := p.encode(ctx, prompts, steer, [3][]string{}, "mean")
	if err != nil {
		return nil, err
	}
	packed, h, w, err := p.noise(prompts, o.Seeds, W, H)
	if err != nil {
		return nil, err
	}
	dims := packed.Shape().Dimensions
	if err := fm.SetSigmas(sched.FluxSigmas(steps), fm.Config().CalculateShift(dims[1])); err != nil {
		return nil, err
	}
	in := flux.Inputs{EncoderHiddenStates: states, PooledProjections: pooled,
		ImgIDs: flux.ImageIDs(h, w), TxtIDs: tensors.FromFlatDataAndDimensions(make([]float32, 3*states.Shape().Dimensions[1]), 1, states.Shape().Dimensions[1], 3)}
	x, err := sched.Sample(fm, tensors.MustCopyFlatData[float32](packed), func(x []float32, t float32) ([]float32, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in.HiddenStates = tensors.FromFlatDataAndDimensions(x, dims...)
		in.Timestep = []float32{t / 1000}
		out, err := p.tr.Run(in, flux.Options{Steering: steer[2]})
		if err != nil {
			return nil, err
		}
		return tensors.MustCopyFlatData[float32](out.Sample), nil
	})
	if err != nil {
		return nil, fmt.Errorf("diffusion: %w", err)
	}
	lat, err := flux.Unpack(tensors.FromFlatDataAndDimensions(x, dims...), h, w)
	if err != nil {
		return nil, err
	}
	return decodeLatents(p.vae, lat, o.Tiled)
}

// Responses is ml-act's one-step run: the pipeline called with
// num_inference_steps=1 (σ = 1, the transformer at t/1000 = 1 on pure
// noise), each captured point pooled per prompt.
func (p *Flux) Responses(ctx context.Context, prompts []string, capture []string, pool string, seed uint64, size int, s *engine.Steering) (map[string][][]float32, error) {
	steer, capt, err := p.split(s, capture)
	if err != nil {
		return nil, err
	}
	if pool == "" || pool == "all" {
		return nil, fmt.Errorf("diffusion: responses are pooled (mean, max or min), not %q", pool)
	}
	W, H, err := p.size(Options{Width: size, Height: size})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	states, pooled, out, err := p.encode(ctx, prompts, steer, capt, pool)
	if err != nil {
		return nil, err
	}
	if len(capt[2]) == 0 {
		return out, nil
	}
	seeds := make([]uint64, len(prompts))
	for i, pr := range prompts {
		seeds[i] = PromptSeed(seed, pr)
	}
	packed, h, w, err := p.noise(prompts, seeds, W, H)
	if err != nil {
		return nil, err
	}
	T := states.Shape().Dimensions[1]
	res, err := p.tr.Run(flux.Inputs{HiddenStates: packed, EncoderHiddenStates: states, PooledProjections: pooled,
		Timestep: []float32{1}, ImgIDs: flux.ImageIDs(h, w), TxtIDs: tensors.FromFlatDataAndDimensions(make([]float32, 3*T), 1, T, 3)},
		flux.Options{Steering: steer[2], Capture: capt[2], Pool: pool})
	if err != nil {
		return nil, fmt.Errorf("diffusion: %w", err)
	}
	addRows(out, Transformer, res.Captured, len(prompts))
	return out, nil
}

// t5States runs the T5 encoder without a mask, as FluxPipeline does, and
// returns last_hidden_state and the captured points by slot.
func t5States(ctx context.Context, m *engine.Model, ids [][]int, s *engine.Steering, capture []string) ([][][]float32, map[string][][][]float32, error) {
	out, err := t5.Encode(ctx, m, ids, t5.EncodeOptions{Steering: s, Capture: capture})
	if err != nil {
		return nil, nil, err
	}
	return out.LastHiddenState, out.Captured, nil
}
