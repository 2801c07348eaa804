package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// COCOFolder is the folder of the COCO 2017 captions inside a data
// directory (ml-act reads data_dir/coco_captions_2017/captions_{split}2017.json).
const COCOFolder = "coco_captions_2017"

// StylePromptsFile and ConceptPromptsFile are the files of ml-act's data/
// folder that turn COCO captions into style and concept prompts; ml-act
// reads them from its working directory, [ReadCOCOStyles] and
// [ReadCOCOConcepts] from a folder they are given.
const (
	StylePromptsFile   = "style_prompts.json"
	ConceptPromptsFile = "diffusion_concept_prompts.json"
)

// ImagePrompt is one item of a text-to-image data set, as ml-act's data
// sets yield it.
type ImagePrompt struct {
	// ID is the COCO annotation id, or the item's index for
	// [ReadDiffusionPrompts]; generated images are named after it.
	ID int64
	// Original is the caption (or prompt) as read (ml-act's original_prompt).
	Original string
	// Prompt is Original with the subset's style tags or concept phrase
	// appended; Original itself for subset "none" and for diffusion prompts.
	Prompt string
	// Subset is the subset the item belongs to.
	Subset string
}

// ImagePrompts is a text-to-image data set: its items in data-set order,
// which image generation walks, and, through [ImagePrompts.Dataset], their
// prompts by subset, which responses and fitting sample from.
type ImagePrompts struct {
	// Name is the file the captions or prompts were read from.
	Name string
	// Subsets are the subsets in the order they were asked for (or, for
	// diffusion prompts matched by patterns, found in the file).
	Subsets []string
	// Items are the prompts in data-set order.
	Items []ImagePrompt
}

// Dataset returns the items' prompts (ImagePrompt.Prompt) grouped by
// subset, in the order of Subsets, for [Dataset.Balance].
func (p *ImagePrompts) Dataset() *Dataset {
	ds := New(p.Name)
	for _, s := range p.Subsets {
		ds.Add(s)
	}
	for _, it := range p.Items {
		ds.Add(it.Subset, it.Prompt)
	}
	return ds
}

// ReadCOCOStyles reads ml-act's coco-captions-styles data set: the COCO
// captions of split ("train" or "val") in dataDir (which holds
// coco_captions_2017/, or is that folder), item i in subset
// subsets[i mod len(subsets)]. For subset "none" the prompt is the
// caption; for a style it is
//
//	caption + " " + join(tags[:k] ++ sample(tags[k:], numTags−k), ", ")   k = numTags/2
//
// where tags is the style's entry of style_prompts.json in promptsDir (""
// means dataDir) split at ", " (tags[:k] is all of them when there are
// fewer), and sample draws that many of the others (all, when there are
// fewer) without replacement, in random order. ml-act draws them with
// torch.randperm at every access; here a PCG generator seeded with seed
// draws them once, item by item, so the same seed gives the same prompts
// (not torch's: its generator is not reproduced).
//
// A style missing from style_prompts.json is an error listing the styles
// there are; so are a missing file, a split other than train or val and a
// captions file without captions.
func ReadCOCOStyles(dataDir, promptsDir, split string, subsets []string, numTags int, seed uint64) (*ImagePrompts, error) {
	if numTags < 1 {
		return nil, fmt.Errorf("dataset: coco-captions-styles: num_tags=%d: want at least 1 (ml-act's default is 10)", numTags)
	}
	if len(subsets) == 0 {
		return nil, errors.New("dataset: coco-captions-styles: no subsets (want \"none\" and style names)")
	}
	path, err := COCOCaptionsPath(dataDir, split)
	if err != nil {
		return nil, err
	}
	if promptsDir == "" {
		promptsDir = dataDir
	}
	var styles map[string]string
	if needsPrompts(subsets) {
		if styles, err = readPromptsFile[string](promptsDir, StylePromptsFile, "style", styleFormat); err != nil {
			return nil, err
		}
		if err := knownSubsets("style", StylePromptsFile, promptsDir, subsets, styles); err != nil {
			return nil, err
		}
	}
	p, err := readCOCOItems(path, subsets)
	if err != nil {
		return nil, err
	}
	important := numTags / 2
	rng := rand.New(rand.NewPCG(seed, 0x57_1e_7a_65))
	for i := range p.Items {
		it := &p.Items[i]
		if it.Subset == "none" {
			continue
		}
		tags := strings.Split(styles[it.Subset], ", ")
		k := min(important, len(tags))
		chosen := slices.Clone(tags[:k])
		rest := tags[k:]
		for _, j := range rng.Perm(len(rest))[:min(numTags-important, len(rest))] {
			chosen = append(chosen, rest[j])
		}
		it.Prompt = it.Original + " " + strings.Join(chosen, ", ")
	}
	return p, nil
}

// ReadCOCOConcepts reads ml-act's coco-captions-concepts data set: the
// COCO captions of split in dataDir (as [ReadCOCOStyles]), item i in
// subset s = subsets[i mod len(subsets)], its prompt
//
//	caption + " " + phrases[s][i mod len(phrases[s])]
//
// where phrases is diffusion_concept_prompts.json in promptsDir (""
// means dataDir), {"<concept>": [phrases], "no_<concept>": [phrases], ...},
// and the caption alone for subset "none". ml-act's image generation asks
// for "no_<concept>", whose phrases say the concept is absent, so that
// file needs both keys for a concept removed from images.
func ReadCOCOConcepts(dataDir, promptsDir, split string, subsets []string) (*ImagePrompts, error) {
	if len(subsets) == 0 {
		return nil, errors.New("dataset: coco-captions-concepts: no subsets (want \"none\", concepts and no_<concept>)")
	}
	path, err := COCOCaptionsPath(dataDir, split)
	if err != nil {
		return nil, err
	}
	if promptsDir == "" {
		promptsDir = dataDir
	}
	var phrases map[string][]string
	if needsPrompts(subsets) {
		if phrases, err = readPromptsFile[[]string](promptsDir, ConceptPromptsFile, "concept", conceptFormat); err != nil {
			return nil, err
		}
		if err := knownSubsets("concept", ConceptPromptsFile, promptsDir, subsets, phrases); err != nil {
			return nil, err
		}
	}
	p, err := readCOCOItems(path, subsets)
	if err != nil {
		return nil, err
	}
	for i := range p.Items {
		it := &p.Items[i]
		if it.Subset == "none" {
			continue
		}
		ph := phrases[it.Subset]
		it.Prompt = it.Original + " " + ph[i%len(ph)]
	}
	return p, nil
}

// ReadDiffusionPrompts reads ml-act's diffusion-prompts data set: a JSON
// object {"subset": [prompts...], ...} (dataset_params.json_path, e.g.
// ml-act's data/diffusion_prompts.json). subsets are shell patterns
// (fnmatch's *, ? and [...], "[!...]" negating) choosing the subsets; none
// means all. Items follow the file's order, ID their index among the
// items kept, Original and Prompt the prompt. A pattern that matches no
// subset is an error (ml-act yields nothing for it).
func ReadDiffusionPrompts(path string, subsets []string) (*ImagePrompts, error) {
	ds, err := ReadJSONSubsets(path)
	if err != nil {
		return nil, err
	}
	if len(subsets) == 0 {
		subsets = []string{"*"}
	}
	have := ds.Subsets()
	used := make([]bool, len(subsets))
	p := &ImagePrompts{Name: path}
	for _, s := range have {
		keep := false
		for i, pat := range subsets {
			ok, err := filepath.Match(strings.ReplaceAll(pat, "[!", "[^"), s)
			if err != nil {
				return nil, fmt.Errorf("dataset: diffusion prompts %s: subset pattern %q: %w", path, pat, err)
			}
			if ok {
				keep, used[i] = true, true
			}
		}
		if !keep {
			continue
		}
		p.Subsets = append(p.Subsets, s)
		texts, _ := ds.Texts(s)
		for _, t := range texts {
			p.Items = append(p.Items, ImagePrompt{ID: int64(len(p.Items)), Original: t, Prompt: t, Subset: s})
		}
	}
	for i, pat := range subsets {
		if !used[i] {
			return nil, fmt.Errorf("dataset: diffusion prompts %s: no subset matches %q%s (subsets: %s)", path, pat, nearest(pat, have), strings.Join(have, ", "))
		}
	}
	return p, nil
}

// COCOCaptionsPath finds captions_{split}2017.json for a data directory
// holding coco_captions_2017/ (or for that folder itself); a missing file
// is an error saying how to get it.
func COCOCaptionsPath(dataDir, split string) (string, error) {
	if split != "train" && split != "val" {
		return "", fmt.Errorf("dataset: coco captions: split %q: want train or val", split)
	}
	name := "captions_" + split + "2017.json"
	want := filepath.Join(dataDir, COCOFolder, name)
	for _, path := range []string{want, filepath.Join(dataDir, name)} {
		if _, err := os.Stat(path); err == nil {
			return path, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("dataset: coco captions: %w", err)
		}
	}
	return "", fmt.Errorf("dataset: coco captions: no %s (COCO 2017 captions: `actsh download coco` puts them there; set data_dir / DATA_DIR to the folder holding %s/)", want, COCOFolder)
}

// readCOCOItems reads a captions file and gives item i the subset
// subsets[i mod len(subsets)], as ml-act repeats the subset list over the
// data set.
func readCOCOItems(path string, subsets []string) (*ImagePrompts, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var doc struct {
		Annotations *[]struct {
			ID      *int64  `json:"id"`
			Caption *string `json:"caption"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, jsonErr(data, nil, err))
	}
	if doc.Annotations == nil {
		return nil, fmt.Errorf("dataset: %s: no \"annotations\" list (not a COCO captions file?)", path)
	}
	if len(*doc.Annotations) == 0 {
		return nil, fmt.Errorf("dataset: %s: no captions (its \"annotations\" list is empty)", path)
	}
	p := &ImagePrompts{Name: path, Items: make([]ImagePrompt, len(*doc.Annotations))}
	for _, s := range subsets {
		if !slices.Contains(p.Subsets, s) {
			p.Subsets = append(p.Subsets, s)
		}
	}
	for i, a := range *doc.Annotations {
		switch {
		case a.ID == nil:
			return nil, fmt.Errorf("dataset: %s: annotation %d has no id", path, i)
		case a.Caption == nil || strings.TrimSpace(*a.Caption) == "":
			return nil, fmt.Errorf("dataset: %s: annotation %d (id %d) has an empty caption", path, i, *a.ID)
		}
		p.Items[i] = ImagePrompt{ID: *a.ID, Original: *a.Caption, Prompt: *a.Caption, Subset: subsets[i%len(subsets)]}
	}
	return p, nil
}

// needsPrompts reports whether any subset is other than "none".
func needsPrompts(subsets []string) bool {
	return slices.ContainsFunc(subsets, func(s string) bool { return s != "none" })
}

const (
	styleFormat   = `{"<style>": "tag, tag, ...", ...}`
	conceptFormat = `{"<concept>": ["phrase", ...], "no_<concept>": ["phrase", ...], ...}`
)

// readPromptsFile reads style_prompts.json or diffusion_concept_prompts.json
// from dir; a missing file is an error saying where ml-act keeps it.
func readPromptsFile[T string | []string](dir, name, what, format string) (map[string]T, error) {
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dataset: coco-captions-%ss needs %s, which is not in %s: it is %s; ml-act ships it in its repository's data/ folder "+
			"(github.com/apple/ml-act, data/%s): copy it there, or write your own (testdata/coco has a small one)", what, name, dir, format, name)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var m map[string]T
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("dataset: %s: want %s: %w", path, format, jsonErr(data, nil, err))
	}
	for k, v := range m {
		if len(v) == 0 && k != "none" { // ml-act's style_prompts.json has "none": ""
			return nil, fmt.Errorf("dataset: %s: %s %q has no %s", path, what, k, map[string]string{"style": "tags", "concept": "phrases"}[what])
		}
	}
	return m, nil
}

// knownSubsets checks that every subset but "none" is a key of the prompts
// file, suggesting the nearest key for one that is not.
func knownSubsets[T any](what, name, dir string, subsets []string, m map[string]T) error {
	known := make([]string, 0, len(m))
	for k := range m {
		known = append(known, k)
	}
	sort.Strings(known)
	for _, s := range subsets {
		if _, ok := m[s]; ok || s == "none" {
			continue
		}
		return fmt.Errorf("dataset: coco-captions-%ss: unknown %s %q%s: %s in %s has %s, and \"none\" keeps the caption",
			what, what, s, nearest(s, known), name, dir, strings.Join(known, ", "))
	}
	return nil
}
