package act

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/act/dataset"
	"github.com/actsh/actsh/engine/diffusion"
	"github.com/actsh/actsh/internal/progress"
)

// imageGen is the text-to-image-generation evaluation's plan: ml-act's
// generate_with_hooks_diffusion.py, which for each batch of validation
// prompts generates one image per prompt at every strength of
// np.linspace(min_strength, max_strength, strength_steps) — and, with
// create_gif, an animation over the strengths — and writes
//
//	results_dir/generate_with_hooks_diffusion/<dataset>/<src>:<dst>/<intervention>/<modules>/
//	    <strength:.3f>_<guidance:.3f>/<id>.png and <id>.json
//	    <id>_animation.gif
//
// each JSON holding the fields its clip_score step reads (id,
// original_prompt, conditional_prompt, strength, guidance_scale, dataset,
// intervention, src_subsets, dst_subsets, prompt_subset, image_path).
type imageGen struct {
	batches    [][]dataset.ImagePrompt
	prompts    [][]string // what each item is generated from
	strengths  []float64
	guidance   float64
	guidances  []float64 // diffusion_guidance_scale: extra unsteered runs
	steps      int
	resolution int
	gif        bool
	seed       uint64
	results    string
	modules    []string
}

func planImageGeneration(p *pipelinePlan) (func(r *pipelineRun) error, error) {
	if p.task != "text-to-image-generation" || p.img == nil {
		return nil, fmt.Errorf("evaluation text-to-image-generation needs a text-to-image task (task_params=coco_styles, coco_concepts or diffusion_prompts with --config-name text_to_image_generation)")
	}
	g := &getter{c: p.cfg}
	const s = "text_to_image_generation."
	ig := &imageGen{}
	ig.seed = uint64(g.int(s+"seed", 0))
	batch := g.int(s+"batch_size", 1)
	maxBatches := g.optInt(s+"max_batches", 0, 1)
	ig.steps = g.int(s+"num_inference_steps", 1)
	ig.guidance = g.float(s + "guidance_scale")
	ig.resolution = g.int(s+"generation_resolution", 8)
	ig.gif = g.bool(s + "create_gif")
	minS, maxS := g.float(s+"min_strength"), g.float(s+"max_strength")
	n := g.int(s+"strength_steps", 1)
	fast := g.bool(s + "fast")
	ig.results = g.str(s + "results_dir")
	model := g.str(s + "model_params.model_path")
	if g.err != nil {
		return nil, g.err
	}
	if p.cfg.Has(s + "diffusion_guidance_scale") {
		vals, err := p.cfg.Strings(s + "diffusion_guidance_scale")
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, &config.Error{Key: "text_to_image_generation.diffusion_guidance_scale", Msg: fmt.Sprintf("text_to_image_generation.diffusion_guidance_scale: %q is not a number", v)}
			}
			ig.guidances = append(ig.guidances, f)
		}
	}
	if model != p.modelPath {
		return nil, fmt.Errorf("text_to_image_generation.model_params.model_path=%s differs from the model the intervention is learned on (%s)", model, p.modelPath)
	}
	if minS < 0 || maxS < 0 {
		return nil, fmt.Errorf("text_to_image_generation: strengths %g…%g: negative strengths (ml-act's reversed hooks) are not in actsh; use strengths ≥ 0", minS, maxS)
	}
	if fast { // actsh: ml-act ignores fast here; one batch at three strengths is what a smoke run needs
		maxBatches, n = 1, min(n, 3)
	}
	ig.strengths = linspace(minS, maxS, n)
	ig.modules = p.patterns

	items := p.img.gen.Items
	var override []string
	if !p.cfg.IsNull(s + "prompt_override") {
		if v, err := p.cfg.String(s + "prompt_override"); err == nil {
			override = []string{v}
		} else if vs, err2 := p.cfg.Strings(s + "prompt_override"); err2 == nil {
			override = vs
		} else {
			return nil, &config.Error{Key: "text_to_image_generation.prompt_override", Msg: "text_to_image_generation.prompt_override: want a prompt or a list of prompts"}
		}
	}
	// ml-act's loader shuffles the validation prompts (shuffle=True, its
	// seed); actsh draws its own permutation from the seed.
	order := rand.New(rand.NewPCG(ig.seed, 0x5eed)).Perm(len(items))
	for start := 0; start < len(order); start += batch {
		if maxBatches > 0 && len(ig.batches) == maxBatches {
			break
		}
		var b []dataset.ImagePrompt
		var texts []string
		for _, k := range order[start:min(start+batch, len(order))] {
			b = append(b, items[k])
			switch {
			case len(override) == 1:
				texts = append(texts, override[0])
			case len(override) > 1:
				texts = append(texts, override[len(texts)%len(override)])
			default:
				texts = append(texts, p.img.prompt(items[k]))
			}
		}
		ig.batches = append(ig.batches, b)
		ig.prompts = append(ig.prompts, texts)
	}
	if len(ig.batches) == 0 {
		return nil, fmt.Errorf("text_to_image_generation: the data set has no generation prompts")
	}
	return ig.run, nil
}

// summarizeModules is ml-act's folder name for the module patterns: the
// patterns joined without '*', cut to 8 + ".." + 8 characters past 16.
func summarizeModules(patterns []string) string {
	s := strings.ReplaceAll(strings.Join(patterns, ""), "*", "")
	if len(s) > 16 {
		s = s[:8] + ".." + s[len(s)-8:]
	}
	return s
}

// genRecord is one image's JSON, ml-act's fields.
type genRecord struct {
	ID                int64       `json:"id"`
	OriginalPrompt    string      `json:"original_prompt"`
	ConditionalPrompt string      `json:"conditional_prompt"`
	Strength          pyJSONFloat `json:"strength"`
	GuidanceScale     pyJSONFloat `json:"guidance_scale"`
	Dataset           string      `json:"dataset"`
	Intervention      string      `json:"intervention"`
	SrcSubsets        []string    `json:"src_subsets"`
	DstSubsets        []string    `json:"dst_subsets"`
	PromptSubset      []string    `json:"prompt_subset"`
	ImagePath         string      `json:"image_path"`
}

// pyJSONFloat is a float written as Python's json.dump writes one: 0.0, not 0.
type pyJSONFloat float64

func (f pyJSONFloat) MarshalJSON() ([]byte, error) { return []byte(pyFloat(float64(f), 64)), nil }

// genDone is one finished (strength or guidance, batch) in the partial file.
type genDone struct {
	Run   int `json:"r"`
	Batch int `json:"b"`
}

func (ig *imageGen) run(r *pipelineRun) error {
	intervention := "none"
	if r.transportPath != "" {
		intervention = r.transportPath
	}
	dir := filepath.Join(ig.results, "generate_with_hooks_diffusion", r.dataset,
		strings.Join(r.src, "-")+":"+strings.Join(r.dst, "-"),
		strings.TrimSuffix(filepath.Base(intervention), ".act.safetensors"), summarizeModules(ig.modules))
	type run struct {
		strength, guidance float64
	}
	var runs []run
	for _, s := range ig.strengths {
		runs = append(runs, run{s, ig.guidance})
	}
	for _, g := range ig.guidances {
		runs = append(runs, run{0, g})
	}
	stepKey := key("text-to-image-generation/1", r.modelPath, r.tHash, ig.prompts, ig.batches, ig.strengths, ig.guidances,
		ig.guidance, ig.steps, ig.resolution, ig.seed, ig.gif)
	marker := filepath.Join(dir, ".text_to_image_generation.key")
	relDir, _ := filepath.Rel(r.resultsDir, dir)
	if r.skipIfDone("text-to-image-generation", marker, stepKey, relDir) {
		return nil
	}
	recs, log, err := openStepLog[genDone](filepath.Join(dir, ".text_to_image_generation.partial"), stepKey)
	if err != nil {
		return err
	}
	defer log.close()
	done := map[genDone]bool{}
	for _, d := range recs {
		done[d] = true
	}
	total := 0
	for _, b := range ig.batches {
		total += len(b)
	}
	bar := progress.New(r.log, "text-to-image-generation", total*len(runs)).Unit("images")
	defer bar.Done()
	for ri, rn := range runs {
		sub := fmt.Sprintf("%.3f_%.3f", rn.strength, rn.guidance)
		for bi, items := range ig.batches {
			if done[genDone{ri, bi}] {
				bar.Add(len(items))
				continue
			}
			if err := r.ctx.Err(); err != nil {
				return fmt.Errorf("pipeline: text-to-image-generation interrupted (it resumes on the next run): %w", err)
			}
			seeds := make([]uint64, len(items))
			for i, it := range items {
				seeds[i] = batchSeed(ig.seed, int(it.ID), 0) // one noise per prompt, the same at every strength
			}
			var imgs []*Image
			err := catch(func() {
				o := collect([]Option{Steps(ig.steps), Guidance(rn.guidance), withContext(r.ctx)})
				imgs = r.image.generate(r.ctx, ig.prompts[bi], seeds, r.transport, rn.strength, o)
			})
			if err != nil {
				return fmt.Errorf("pipeline: text-to-image-generation at strength %g: %w", rn.strength, err)
			}
			for i, it := range items {
				im := imgs[i]
				if im.Width() != ig.resolution || im.Height() != ig.resolution {
					im = im.Resize(ig.resolution, ig.resolution) // as ml-act, PIL's bicubic
				}
				base := filepath.Join(dir, sub, fmt.Sprint(it.ID))
				rec := genRecord{ID: it.ID, OriginalPrompt: it.Original, ConditionalPrompt: it.Prompt,
					Strength: pyJSONFloat(rn.strength), GuidanceScale: pyJSONFloat(rn.guidance), Dataset: r.dataset, Intervention: intervention,
					SrcSubsets: r.src, DstSubsets: r.dst, PromptSubset: r.img.promptSubset, ImagePath: base + ".png"}
				if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
					return fmt.Errorf("pipeline: %w", err)
				}
				if err := catch(func() { im.Save(base + ".png") }); err != nil {
					return fmt.Errorf("pipeline: %w", err)
				}
				data, _ := json.Marshal(rec)
				if err := r.writeResult(filepath.Join(relDir, sub, fmt.Sprint(it.ID)+".json"), data); err != nil {
					return err
				}
				r.addFile(filepath.Join(relDir, sub, fmt.Sprint(it.ID)+".png"))
			}
			if err := log.add(genDone{ri, bi}); err != nil {
				return err
			}
			bar.Add(len(items))
			pipelineEvent("generation")
		}
	}
	bar.Done()
	if ig.gif {
		for _, items := range ig.batches {
			for _, it := range items {
				var frames []*Image
				for _, s := range ig.strengths {
					frames = append(frames, ReadImage(filepath.Join(dir, fmt.Sprintf("%.3f_%.3f", s, ig.guidance), fmt.Sprint(it.ID)+".png")))
				}
				name := fmt.Sprint(it.ID) + "_animation.gif"
				if err := catch(func() { SaveGIF(filepath.Join(dir, name), frames, 500) }); err != nil {
					return fmt.Errorf("pipeline: %w", err)
				}
				r.addFile(filepath.Join(relDir, name))
			}
		}
	}
	if err := log.finish(marker, stepKey); err != nil {
		return err
	}
	r.logf("text-to-image-generation: %d images at %d strengths in %s", total, len(ig.strengths), relDir)
	return nil
}

// loadImagePipeline is loadModel for a text-to-image task.
func (r *pipelineRun) loadImagePipeline() error {
	p, err := diffusion.Load(r.ctx, r.modelPath, diffusion.LoadOptions{Steps: r.imageSteps})
	if err != nil {
		return fmt.Errorf("pipeline: model.model_path=%s: %w", r.modelPath, err)
	}
	r.image = &ImagePipeline{p: p}
	return nil
}
