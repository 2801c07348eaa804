package act

import (
	"fmt"

	"github.com/actsh/actsh/act/dataset"
)

// ImagePrompts is a text-to-image data set: prompts in data-set order, each
// with its id (the COCO annotation id, or its index), the caption it was
// made from and its subset. Image generation walks [ImagePrompts.Items];
// responses and fitting take [ImagePrompts.Dataset], the prompts by subset.
type ImagePrompts struct {
	p *dataset.ImagePrompts
}

// COCOStyles reads ml-act's coco-captions-styles data set: the COCO
// captions of split ("train" or "val") under dataDir
// (coco_captions_2017/captions_{split}2017.json), item i in subset
// subsets[i mod len(subsets)]. Subset "none" keeps the caption; a style
// appends the first numTags/2 of its tags in style_prompts.json and the rest
// drawn at random (ml-act's default numTags is 10), with a generator
// seeded by seed (not torch's, so the draws differ from ml-act's).
// style_prompts.json is read from promptsDir, "" meaning dataDir: copy it
// from ml-act's data/ folder or write your own. A missing file or an
// unknown style panics naming it.
//
//	p := COCOStyles(dataDir, "", "train", 10, 42, "none", "art_nouveau")
func COCOStyles(dataDir, promptsDir, split string, numTags int, seed uint64, subsets ...string) *ImagePrompts {
	return wrapImagePrompts(dataset.ReadCOCOStyles(dataDir, promptsDir, split, subsets, numTags, seed))
}

// COCOConcepts reads ml-act's coco-captions-concepts data set: the COCO
// captions of split under dataDir, item i in subset s =
// subsets[i mod len(subsets)], its prompt the caption, a space and phrase
// i mod n of the n that diffusion_concept_prompts.json (in promptsDir, ""
// meaning dataDir) lists for s; "none" keeps the caption. Concepts
// ("pink_elephant") and their absence ("no_pink_elephant") are keys of
// that file alike.
//
//	p := COCOConcepts(dataDir, "", "val", "no_pink_elephant")
func COCOConcepts(dataDir, promptsDir, split string, subsets ...string) *ImagePrompts {
	return wrapImagePrompts(dataset.ReadCOCOConcepts(dataDir, promptsDir, split, subsets))
}

// DiffusionPrompts reads ml-act's diffusion-prompts data set, a JSON object
// {"subset": [prompts...]} such as ml-act's data/diffusion_prompts.json;
// subsets are shell patterns ("*trees") choosing subsets, none meaning all.
// An item's id is its index.
func DiffusionPrompts(path string, subsets ...string) *ImagePrompts {
	return wrapImagePrompts(dataset.ReadDiffusionPrompts(path, subsets))
}

// Dataset returns the prompts grouped by subset, for [Model.Responses]
// and the fits.
func (ip *ImagePrompts) Dataset() *Dataset { return &Dataset{d: ip.raw().Dataset()} }

// Items returns the prompts in data-set order.
func (ip *ImagePrompts) Items() []dataset.ImagePrompt { return ip.raw().Items }

// Len returns the number of prompts.
func (ip *ImagePrompts) Len() int { return len(ip.raw().Items) }

// String summarises the prompts: the file, each subset's count and the
// first prompt.
func (ip *ImagePrompts) String() string {
	if ip == nil || ip.p == nil {
		return "act.ImagePrompts(nil)"
	}
	s := ip.p.Dataset().String()
	if len(ip.p.Items) > 0 {
		s += fmt.Sprintf("; first %q", ip.p.Items[0].Prompt)
	}
	return s
}

// Raw returns the underlying dataset.ImagePrompts.
func (ip *ImagePrompts) Raw() *dataset.ImagePrompts { return ip.raw() }

func (ip *ImagePrompts) raw() *dataset.ImagePrompts {
	if ip == nil || ip.p == nil {
		fail("image prompts are nil")
	}
	return ip.p
}

func wrapImagePrompts(p *dataset.ImagePrompts, err error) *ImagePrompts {
	must(err)
	return &ImagePrompts{p: p}
}
