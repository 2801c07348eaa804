package act

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/act/dataset"
)

// imagePlan is what the pipeline's steps need of a text-to-image data set
// (coco-captions-styles, coco-captions-concepts, diffusion-prompts), read
// when the run is planned.
type imagePlan struct {
	// fit is the train split with the source and destination subsets, as
	// ml-act's learn_intervention reads it: the responses step balances
	// fit.Dataset()'s prompts.
	fit *dataset.ImagePrompts
	// gen is the val split with the subsets ml-act's
	// generate_with_hooks_diffusion asks for, in data-set order: the
	// destination subsets, or "no_<s>" for each prompt_subset s of
	// coco-captions-concepts ("none" stays "none").
	gen *dataset.ImagePrompts
	// promptSubset is task_params.prompt_subset; original is whether it
	// holds "none", when generation prompts with each item's caption
	// rather than its styled or concept prompt.
	promptSubset []string
	original     bool
}

// prompt is the text an item is generated from: its Original when
// prompt_subset holds "none", else its Prompt (ml-act's choice between
// batch["original_prompt"] and batch["prompt"]).
func (ip *imagePlan) prompt(it dataset.ImagePrompt) string {
	if ip.original {
		return it.Original
	}
	return it.Prompt
}

// planImageData reads a text-to-image data set's training prompts and
// generation items now, so that a missing captions or prompts file, an
// unknown style, concept or subset, or a bad dataset_params stops the run
// before anything is written. ml-act's task_params.dataset_params are
// read as its loaders take them: num_tags (coco-captions-styles, default
// 10) and json_path (diffusion-prompts); actsh adds prompts_dir, the
// folder holding style_prompts.json or diffusion_concept_prompts.json
// (default data_dir; ml-act reads them from its working directory's
// data/).
func (p *pipelinePlan) planImageData() error {
	const params = "responses.task_params.dataset_params."
	ps, err := p.cfg.Strings("responses.task_params.prompt_subset")
	if err != nil || len(ps) == 0 {
		return &config.Error{Key: "task_params.prompt_subset", Msg: fmt.Sprintf("task_params.dataset=%s needs task_params.prompt_subset, the subsets whose prompts image generation uses ([none]: the plain captions)", p.dataset)}
	}
	ip := &imagePlan{promptSubset: ps, original: slices.Contains(ps, "none")}
	genSeed := p.seed
	if p.cfg.Has("text_to_image_generation.seed") {
		n, err := p.cfg.Int("text_to_image_generation.seed")
		if err != nil {
			return err
		}
		genSeed = uint64(n)
	}
	promptsDir := p.dataDir
	if !p.cfg.IsNull(params + "prompts_dir") {
		if promptsDir, err = p.cfg.String(params + "prompts_dir"); err != nil {
			return err
		}
	}
	fitSubsets := append(slices.Clone(p.src), p.dst...)
	wrap := func(err error) error {
		return fmt.Errorf("task_params.dataset=%s (data_dir=%s): %w", p.dataset, p.dataDir, err)
	}
	switch p.dataset {
	case "coco-captions-styles":
		numTags := 10
		if !p.cfg.IsNull(params + "num_tags") {
			if numTags, err = p.cfg.Int(params + "num_tags"); err != nil {
				return err
			}
			if numTags < 1 {
				return &config.Error{Key: "task_params.dataset_params.num_tags", Msg: fmt.Sprintf("task_params.dataset_params.num_tags=%d: want at least 1, the number of style tags appended to a caption", numTags)}
			}
		}
		if ip.fit, err = dataset.ReadCOCOStyles(p.dataDir, promptsDir, "train", fitSubsets, numTags, p.seed); err != nil {
			return wrap(err)
		}
		if ip.gen, err = dataset.ReadCOCOStyles(p.dataDir, promptsDir, "val", p.dst, numTags, genSeed); err != nil {
			return wrap(err)
		}
	case "coco-captions-concepts":
		var gen []string
		for _, s := range ps {
			if s != "none" { // ml-act asks for "no_none", which its data set cannot give; the caption is what it would generate from
				s = "no_" + s
			}
			gen = append(gen, s)
		}
		if ip.fit, err = dataset.ReadCOCOConcepts(p.dataDir, promptsDir, "train", fitSubsets); err != nil {
			return wrap(err)
		}
		if ip.gen, err = dataset.ReadCOCOConcepts(p.dataDir, promptsDir, "val", gen); err != nil {
			return wrap(fmt.Errorf("generation prompts (no_<prompt_subset>): %w", err))
		}
	case "diffusion-prompts":
		path, err := p.diffusionPromptsPath()
		if err != nil {
			return err
		}
		if ip.fit, err = dataset.ReadDiffusionPrompts(path, fitSubsets); err != nil {
			return fmt.Errorf("task_params.dataset=diffusion-prompts: %w", err)
		}
		if ip.gen, err = dataset.ReadDiffusionPrompts(path, p.dst); err != nil {
			return fmt.Errorf("task_params.dataset=diffusion-prompts: %w", err)
		}
	}
	p.img = ip
	// The responses are keyed on the prompts themselves: the style tags and
	// phrases come from files beside the captions.
	p.dataFile = ip.fit.Name + "#prompts=" + key(ip.fit.Items)
	return nil
}

// diffusionPromptsPath finds dataset_params.json_path: as given (absolute,
// or from the working folder, as ml-act reads it), else under data_dir,
// else its file name in data_dir.
func (p *pipelinePlan) diffusionPromptsPath() (string, error) {
	const k = "responses.task_params.dataset_params.json_path"
	if p.cfg.IsNull(k) {
		return "", &config.Error{Key: "task_params.dataset_params.json_path", Msg: "task_params.dataset=diffusion-prompts needs task_params.dataset_params.json_path, a JSON file {\"subset\": [prompts...]} (ml-act's is data/diffusion_prompts.json in its repository)"}
	}
	rel, err := p.cfg.String(k)
	if err != nil {
		return "", err
	}
	tries := []string{rel}
	if !filepath.IsAbs(rel) {
		tries = append(tries, filepath.Join(p.dataDir, rel), filepath.Join(p.dataDir, filepath.Base(rel)))
	}
	for _, path := range slices.Compact(tries) {
		if _, err := os.Stat(path); err == nil {
			return path, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("task_params.dataset_params.json_path=%s: %w", rel, err)
		}
	}
	return "", fmt.Errorf("task_params.dataset_params.json_path=%s: not found (looked at %s); ml-act ships data/%s in its repository (github.com/apple/ml-act): copy it into data_dir, or name your own {\"subset\": [prompts...]} file",
		rel, strings.Join(slices.Compact(tries), ", "), filepath.Base(rel))
}
