package diffusion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/hub"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/engine/sched"
	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/engine/unet"
	"github.com/actsh/actsh/engine/vae"
	"github.com/actsh/actsh/tiny/images"
)

// LoadOptions tune [Load].
type LoadOptions struct {
	// Hub says where Hugging Face ids are looked up.
	Hub hub.Options
	// OffloadTextEncoders keeps a FLUX pipeline's text encoders (T5-XXL:
	// 4.8 B parameters, 9.5 GB in bf16) out of memory between prompts:
	// they are read from disk for each batch of prompts and freed once it
	// is encoded, so the memory check counts the larger of the encoders
	// and the rest rather than their sum. It costs a read of the encoders
	// per Generate or Responses call.
	OffloadTextEncoders bool
	// Steps picks SDXL-Lightning's distilled UNet
	// (sdxl_lightning_{Steps}step_unet.safetensors: 2, 4 or 8; 0 means 4)
	// when the name is [Lightning].
	Steps int
}

const (
	// Lightning is ByteDance's SDXL-Lightning: SDXL base 1.0's pipeline
	// with a distilled UNet and Euler with trailing timesteps, as ml-act's
	// get_model loads it for model_path ByteDance/SDXL-Lightning.
	Lightning = "ByteDance/SDXL-Lightning"
	// SDXLBase is the pipeline SDXL-Lightning builds on.
	SDXLBase = "stabilityai/stable-diffusion-xl-base-1.0"
	// PipelineClass is SDXL's model_index.json _class_name.
	PipelineClass = "StableDiffusionXLPipeline"
	// FluxPipelineClass is FLUX's.
	FluxPipelineClass = "FluxPipeline"
)

// pipelineFiles says what a pipeline folder holds, for errors.
const pipelineFiles = "a diffusers StableDiffusionXLPipeline folder: model_index.json, scheduler/, text_encoder/, text_encoder_2/, tokenizer/, tokenizer_2/, unet/, vae/"

// Pipeline is a loaded text-to-image pipeline: what the act layer drives.
// [SDXL], [Flux] and [PixelFlow] are.
type Pipeline interface {
	// Name is what the pipeline was loaded by, Dir its folder, Class its
	// model_index.json class.
	Name() string
	Dir() string
	Class() string
	// Points lists the intervention points (component prefix + module
	// name) in module order; PointWidth gives one's unit count (0 for an
	// unknown point); MatchPoints selects by a whole-name pattern.
	Points() []engine.Point
	PointWidth(name string) int
	MatchPoints(pattern string) ([]string, error)
	// DefaultSize is the image side the pipeline was trained for.
	DefaultSize() int
	// Generate makes one image per prompt.
	Generate(ctx context.Context, prompts []string, o Options) ([]*image.NRGBA, error)
	// Responses runs ml-act's one denoising step per prompt and returns
	// each captured point's output pooled per prompt.
	Responses(ctx context.Context, prompts []string, capture []string, pool string, seed uint64, size int, s *engine.Steering) (map[string][][]float32, error)
}

// Load reads a text-to-image pipeline by name: a folder in diffusers'
// layout, a Hugging Face id in the cache (downloaded when absent and
// online), [Lightning] (see [LoadSDXL]), or "tiny", the embedded emoji
// model (package tiny/images). model_index.json's _class_name picks the
// pipeline: StableDiffusionXLPipeline, FluxPipeline (FLUX.1-schnell:
// [Schnell]) or PixelFlowPipeline ([PixelFlow]).
func Load(ctx context.Context, name string, o LoadOptions) (Pipeline, error) {
	if name == images.Name {
		return LoadPixelFlow(name, "", images.Pipeline())
	}
	if name == Lightning {
		return LoadSDXL(ctx, name, o)
	}
	ho := o.Hub
	ho.Marker, ho.Describe = "model_index.json", "a diffusers pipeline folder (model_index.json and a folder per component)"
	if name == Schnell {
		ho.Files = schnellFiles
	}
	dir, err := hub.Resolve(ctx, name, ho)
	if err != nil {
		return nil, fmt.Errorf("diffusion: load %s: %w", name, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "model_index.json"))
	if err != nil {
		return nil, fmt.Errorf("diffusion: load %s: %w", name, err)
	}
	var idx struct {
		Class string `json:"_class_name"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("diffusion: load %s: model_index.json: %w", name, err)
	}
	switch idx.Class {
	case FluxPipelineClass:
		p, err := loadFlux(ctx, name, dir, o.OffloadTextEncoders)
		if err != nil {
			return nil, fmt.Errorf("diffusion: load %s: %w", name, err)
		}
		return p, nil
	case PipelineClass:
		return LoadSDXL(ctx, name, o)
	case PixelFlowClass:
		return LoadPixelFlow(name, dir, os.DirFS(dir))
	}
	return nil, fmt.Errorf("diffusion: load %s: model_index.json names %q; actsh runs %s, %s and %s", name, idx.Class, PipelineClass, FluxPipelineClass, PixelFlowClass)
}

// schnellFiles are FLUX.1-schnell's files in its diffusers layout.
var schnellFiles = []string{
	"model_index.json", "scheduler/scheduler_config.json",
	"text_encoder/config.json", "text_encoder/model.safetensors",
	"text_encoder_2/config.json", "text_encoder_2/model.safetensors.index.json",
	"text_encoder_2/model-00001-of-00002.safetensors", "text_encoder_2/model-00002-of-00002.safetensors",
	"tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json",
	"tokenizer_2/spiece.model", "tokenizer_2/tokenizer.json", "tokenizer_2/tokenizer_config.json", "tokenizer_2/special_tokens_map.json",
	"transformer/config.json", "transformer/diffusion_pytorch_model.safetensors.index.json",
	"transformer/diffusion_pytorch_model-00001-of-00003.safetensors", "transformer/diffusion_pytorch_model-00002-of-00003.safetensors",
	"transformer/diffusion_pytorch_model-00003-of-00003.safetensors",
	"vae/config.json", "vae/diffusion_pytorch_model.safetensors",
}

// LoadSDXL reads a Stable Diffusion XL pipeline: a folder in diffusers' layout
// (model_index.json and one folder per component), a Hugging Face id in the
// local cache (downloaded when absent and online), or [Lightning], which is
// SDXL base's pipeline with SDXL-Lightning's UNet weights and trailing
// timesteps. Each component's weights are its fp16 variant files
// (*.fp16.safetensors) when the folder has them — kept half precision in
// memory — else its plain safetensors files.
func LoadSDXL(ctx context.Context, name string, o LoadOptions) (*SDXL, error) {
	p, err := load(ctx, name, o)
	if err != nil {
		return nil, fmt.Errorf("diffusion: load %s: %w", name, err)
	}
	return p, nil
}

func load(ctx context.Context, name string, o LoadOptions) (*SDXL, error) {
	ho := o.Hub
	ho.Marker, ho.Describe = "model_index.json", pipelineFiles
	base := name
	lightning := name == Lightning
	steps := o.Steps
	if lightning {
		base = SDXLBase
		ho.Files = sdxlFiles
		if steps == 0 {
			steps = 4
		}
		if steps != 2 && steps != 4 && steps != 8 {
			return nil, fmt.Errorf("SDXL-Lightning has distilled UNets for 2, 4 and 8 steps (and a 1-step x0 one actsh does not load), not %d", steps)
		}
	}
	dir, err := hub.Resolve(ctx, base, ho)
	if err != nil {
		return nil, err
	}
	p := &SDXL{name: name, dir: dir, width: map[string]int{}}
	if err := p.readIndex(); err != nil {
		return nil, err
	}
	unetFiles := ""
	if lightning {
		lo := o.Hub
		ckpt := fmt.Sprintf("sdxl_lightning_%dstep_unet.safetensors", steps)
		lo.Marker, lo.Files, lo.Describe = ckpt, []string{ckpt}, "SDXL-Lightning's "+ckpt
		ldir, err := hub.Resolve(ctx, Lightning, lo)
		if err != nil {
			return nil, err
		}
		unetFiles = filepath.Join(ldir, ckpt)
	}
	if err := checkFit(name, dir, []string{"text_encoder", "text_encoder_2", "unet", "vae"}, unetFiles); err != nil {
		return nil, err
	}
	for k, sub := range []string{"tokenizer", "tokenizer_2"} {
		if p.tok[k], p.maxLen[k], err = loadTokenizer(filepath.Join(dir, sub)); err != nil {
			return nil, err
		}
	}
	for k, sub := range []string{"text_encoder", "text_encoder_2"} {
		if p.enc[k], err = loadEncoder(filepath.Join(dir, sub)); err != nil {
			return nil, err
		}
	}
	schedCfg, err := os.ReadFile(filepath.Join(dir, "scheduler", sched.ConfigFile))
	if err != nil {
		return nil, err
	}
	unetDir := filepath.Join(dir, "unet")
	if lightning {
		if schedCfg, err = lightningScheduler(schedCfg); err != nil {
			return nil, err
		}
		cfg, err := os.ReadFile(filepath.Join(unetDir, "config.json"))
		if err != nil {
			return nil, err
		}
		ckpt := filepath.Base(unetFiles)
		set, err := safetensors.OpenFiles(filepath.Dir(unetFiles), []string{unetFiles})
		if err != nil {
			return nil, err
		}
		p.unet, err = unet.New(cfg, set)
		set.Close()
		if err != nil {
			return nil, fmt.Errorf("unet (%s): %w", ckpt, err)
		}
	} else if p.unet, err = loadUNet(unetDir); err != nil {
		return nil, err
	}
	if _, err := sched.Parse(schedCfg); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	p.schedCfg = schedCfg
	if p.vae, err = loadVAE(filepath.Join(dir, "vae")); err != nil {
		return nil, err
	}
	return p, p.check()
}

// sdxlFiles are the files of SDXL base's pipeline that Lightning needs
// (its own UNet replaces the base's), fp16 variants as ml-act loads them.
var sdxlFiles = []string{
	"model_index.json", "scheduler/scheduler_config.json",
	"text_encoder/config.json", "text_encoder/model.fp16.safetensors",
	"text_encoder_2/config.json", "text_encoder_2/model.fp16.safetensors",
	"tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json",
	"tokenizer_2/vocab.json", "tokenizer_2/merges.txt", "tokenizer_2/tokenizer_config.json", "tokenizer_2/special_tokens_map.json",
	"unet/config.json", "vae/config.json", "vae/diffusion_pytorch_model.fp16.safetensors",
}

// lightningScheduler is ml-act's scheduler for SDXL-Lightning: the base's
// Euler config with trailing timesteps and epsilon prediction.
func lightningScheduler(cfg []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	m["_class_name"] = sched.EulerClass
	m["timestep_spacing"] = "trailing"
	m["prediction_type"] = "epsilon"
	return json.Marshal(m)
}

// readIndex reads model_index.json: the pipeline class and the flag
// force_zeros_for_empty_prompt.
func (p *SDXL) readIndex() error {
	b, err := os.ReadFile(filepath.Join(p.dir, "model_index.json"))
	if err != nil {
		return err
	}
	var idx struct {
		Class      string `json:"_class_name"`
		ForceZeros *bool  `json:"force_zeros_for_empty_prompt"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return fmt.Errorf("model_index.json: %w", err)
	}
	if idx.Class != PipelineClass {
		return fmt.Errorf("model_index.json names %q; this loader runs %s (FLUX pipelines come with their own loader)", idx.Class, PipelineClass)
	}
	p.forceZeros = idx.ForceZeros == nil || *idx.ForceZeros
	return nil
}

// loadTokenizer reads a CLIP tokenizer folder (tokenizer.json, else
// vocab.json and merges.txt) and its model_max_length (77 when absent).
func loadTokenizer(dir string) (*tokenizer.Tokenizer, int, error) {
	tok, err := tokenizer.Load(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(dir, "spiece.model")); serr == nil {
			tok, err = tokenizer.LoadSentencePiece(dir) // T5's slow files
		} else {
			tok, err = tokenizer.LoadVocabMerges(dir) // CLIP's
		}
	}
	if err != nil {
		return nil, 0, err
	}
	n := 77
	if b, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json")); err == nil {
		var c struct {
			Max *float64 `json:"model_max_length"`
		}
		if json.Unmarshal(b, &c) == nil && c.Max != nil && *c.Max > 0 && *c.Max < 1e6 {
			n = int(*c.Max)
		}
	}
	return tok, n, nil
}

// checkFit opens the weights of the named components of the pipeline in
// dir (with unetFile, when not empty, standing for unet/'s) and fails, in
// one line, when they would not fit in the memory available
// (engine.CheckFit), before any is loaded.
func checkFit(name, dir string, components []string, unetFile string) error {
	var parts []engine.RawWeights
	defer func() {
		for _, p := range parts {
			p.(*safetensors.Set).Close()
		}
	}()
	for _, c := range components {
		var set *safetensors.Set
		var err error
		if c == "unet" && unetFile != "" {
			set, err = safetensors.OpenFiles(filepath.Dir(unetFile), []string{unetFile})
		} else {
			set, err = engine.OpenComponent(filepath.Join(dir, c))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
		parts = append(parts, set)
	}
	return engine.CheckFit(name, parts...)
}

// loadComponent reads one component folder of the pipeline.
func loadComponent[M any](dir string, build func(config []byte, w engine.Weights) (M, error)) (M, error) {
	m, _, err := engine.LoadComponent(dir, "", build)
	if err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Base(dir), err)
	}
	return m, nil
}

func loadEncoder(dir string) (*engine.Model, error) { return loadComponent(dir, engine.New) }

func loadUNet(dir string) (*unet.Model, error) { return loadComponent(dir, unet.New) }

func loadVAE(dir string) (*vae.Model, error) { return loadComponent(dir, vae.New) }
