//go:build ignore

// Recipe diffusion_styles reproduces the paper's style control in a
// text-to-image model (Figure 6): for each style, the pipeline learns
// Linear-AcT on SDXL-Lightning's normalisation layers (unet.*norm.*) from
// 2048 COCO training captions, half of them plain (the source, p), half
// followed by the style's tags (the target, q), generates an image for each
// of 512 COCO validation captions at every strength λ of linspace(0, 1, 11)
// (4 Euler steps, no classifier-free guidance, one noise per caption), and
// measures every image with CLIP (the clip_score step,
// openai/clip-vit-large-patch14 in the paper):
//
//   - zero-shot: the softmax probability of "A picture of {style}." against
//     "A picture of something." (conditional_zero_shot_score); it rises
//     as the style appears;
//   - ClipScore: the cosine similarity of the image with the original,
//     unstyled caption (unconditional_similarity): how much of the
//     caption's content the style leaves;
//
// then reports, per style and λ, their mean and standard deviation as
// Markdown and CSV, draws both curves with a line per style, and lays out
// a grid per style: a few captions (rows) across the strengths (columns).
//
//	go run ./cmd/actsh run recipes/diffusion_styles.go -small      # CI size: tiny random SDXL, testdata/coco
//	go run ./cmd/actsh run recipes/diffusion_styles.go -data-dir $DATA_DIR
//
// Flags (after the file name): -model (a model config: SDXL-Lightning),
// -model-path, -styles, -method, -incremental, -strengths (min:max:n, as
// np.linspace), -prompts, -fit-prompts, -steps, -batch, -resolution,
// -modules, -clip, -grid-rows, -seed, -data-dir, -cache-dir, -results-dir,
// -small (with -model FLUX.1-schnell: the tiny FLUX pipeline), -kit. The README's "Text-to-image: styles and negation" section
// says what a full run needs.
package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	. "github.com/actsh/actsh/act"
	"github.com/actsh/actsh/act/view"
)

func main() {
	model := flag.String("model", "SDXL-Lightning", "model config: SDXL-Lightning (ByteDance/SDXL-Lightning) or FLUX.1-schnell, the paper's two")
	modelPath := flag.String("model-path", "", "diffusers pipeline folder or HF id instead of the config's model_path")
	styleList := flag.String("styles", "anime,art_nouveau,cyberpunk,impressionism,sketch,watercolor", "styles (keys of style_prompts.json), one pipeline run and one curve each")
	method := flag.String("method", "linear_ot", "intervention (intervention_params): linear_ot as in the figure, mean_ot, ...")
	incremental := flag.String("incremental", "incr", "how the maps are fitted: incr (ml-act's: one pass per point, the earlier points steered) or atonce (one pass for all points: far cheaper, not the paper's)")
	strengths := flag.String("strengths", "0:1:11", "λ values as min:max:n (np.linspace)")
	nPrompts := flag.Int("prompts", 512, "COCO validation captions to generate from, each at every λ")
	nFit := flag.Int("fit-prompts", 2048, "COCO training captions the intervention is learned from, half plain (p), half with the style's tags (q): the paper's 2048 (ml-act: batches of 32 × 64)")
	steps := flag.Int("steps", 0, "denoising steps, model.inference_steps (0: the model config's, 4 for SDXL-Lightning, whose UNet is distilled for 2, 4 or 8)")
	batch := flag.Int("batch", 16, "prompts per pass, for the responses and the images")
	resolution := flag.Int("resolution", 224, "side of the saved images (text_to_image_generation.generation_resolution; the judge sees 224)")
	modules := flag.String("modules", "", "module patterns to steer, comma-separated (default: the model config's, unet.*norm.*)")
	clipModel := flag.String("clip", "openai/clip-vit-large-patch14", "the CLIP judge (clip_score.model_path)")
	gridRows := flag.Int("grid-rows", 4, "captions (rows) in each style's grid")
	seed := flag.Int("seed", 42, "seed of the pipeline (sampling of the captions and tags, the noise)")
	dataDir := flag.String("data-dir", os.Getenv("DATA_DIR"), "data directory holding coco_captions_2017/ and style_prompts.json")
	cacheDir := flag.String("cache-dir", "", "cache directory (default: the data directory)")
	resultsDir := flag.String("results-dir", "diffusion-styles-results", "where the runs, plots, grids and summary go (one folder per style)")
	small := flag.Bool("small", false, "CI size: the tiny random SDXL pipeline, the COCO kit (-kit), the tiny CLIP, 2 styles, 3 strengths, 3 captions, the mid block's norms; flags given explicitly win")
	kit := flag.String("kit", "testdata/coco", "the synthetic COCO kit used by -small (testdata/sdxl-tiny and testdata/clip/model beside it)")
	flag.Parse()

	if *small {
		// -small's sizes, except for the flags given on the command line
		given := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
		tiny, tinyModules := "sdxl-tiny", "unet.mid_block.*norm.*" // all 67 norms work too, at 5× the time
		if *model == "FLUX.1-schnell" {
			tiny, tinyModules = "flux-tiny", "" // the config's own places: the tiny transformer has 2 double and 2 single blocks
		}
		sizes := [][2]string{
			{"data-dir", *kit},
			{"model-path", filepath.Join(*kit, "..", tiny)},
			{"clip", filepath.Join(*kit, "..", "clip", "model")},
			{"styles", "anime,sketch"},
			{"strengths", "0:1:3"},
			{"prompts", "3"},
			{"fit-prompts", "16"},
			{"batch", "4"},
			{"resolution", "64"},
			{"modules", tinyModules},
			{"grid-rows", "3"},
		}
		for _, kv := range sizes {
			if !given[kv[0]] {
				flag.Set(kv[0], kv[1])
			}
		}
	}
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "diffusion_styles: set -data-dir or DATA_DIR (the folder holding coco_captions_2017/ and ml-act's style_prompts.json: see the README), or run -small")
		os.Exit(2)
	}
	if *cacheDir == "" {
		*cacheDir = *dataDir
		if *small {
			*cacheDir = filepath.Join(*resultsDir, "cache")
		}
	}
	lo, hi, n := parseSweep(*strengths)
	if *nPrompts < 1 || *nFit < 1 || *batch < 1 || *steps < 0 || *gridRows < 1 {
		fail("-prompts, -fit-prompts, -batch and -grid-rows must be at least 1, -steps at least 0")
	}
	styles := splitList(*styleList)
	checkStyles(*dataDir, styles)
	// The responses step takes batch·max_batches prompts, half per side;
	// the images come in batches that divide -prompts, so exactly that many.
	maxBatches := (*nFit + *batch - 1) / *batch
	genBatch := *batch
	if genBatch > *nPrompts {
		genBatch = *nPrompts
	}
	for *nPrompts%genBatch != 0 {
		genBatch--
	}

	start := time.Now()
	sweeps := map[string]*CLIPSweep{}
	for _, style := range styles {
		dir := AbsPath(filepath.Join(*resultsDir, style))
		ov := []string{
			"task_params=coco_styles", "task_params.dst_subsets=[" + style + "]",
			"model=" + *model, "intervention_params=" + *method, "intervention_params.incremental=" + *incremental,
			fmt.Sprintf("seed=%d", *seed),
			"data_dir=" + AbsPath(*dataDir), "cache_dir=" + AbsPath(*cacheDir), "results_dir=" + dir,
			"evaluation=[text-to-image-generation,clip_score]",
			fmt.Sprintf("batch_size=%d", *batch), fmt.Sprintf("responses.max_batches=%d", maxBatches),
			"text_to_image_generation.min_strength=" + ftoa(lo), "text_to_image_generation.max_strength=" + ftoa(hi),
			fmt.Sprintf("text_to_image_generation.strength_steps=%d", n),
			fmt.Sprintf("text_to_image_generation.batch_size=%d", genBatch),
			fmt.Sprintf("text_to_image_generation.max_batches=%d", *nPrompts/genBatch),
			fmt.Sprintf("text_to_image_generation.generation_resolution=%d", *resolution),
			"clip_score.model_path=" + LocalPath(*clipModel),
		}
		if *modelPath != "" {
			ov = append(ov, "model.model_path="+LocalPath(*modelPath))
		}
		if *modules != "" {
			ov = append(ov, "model.module_names=["+*modules+"]")
		}
		if *steps > 0 {
			ov = append(ov, fmt.Sprintf("model.inference_steps=%d", *steps))
		}
		fmt.Printf("== %s\n", style)
		Pipeline("text_to_image_generation", ov...)
		sweeps[style] = NewCLIPSweep(ReadCLIPScores(dir))
	}

	// Tables, curves and grids.
	var md strings.Builder
	table := [][]string{{"style", "lambda", "n", "zero_shot_mean", "zero_shot_std", "clip_score_mean", "clip_score_std"}}
	zeroShot := view.Panel{Title: "Style control: zero-shot score", XLabel: "λ", YLabel: "p(style) (CLIP zero-shot)", Band: view.StdDev}
	clipScore := view.Panel{Title: "Style control: ClipScore", XLabel: "λ", YLabel: "ClipScore (unstyled caption)", Band: view.StdDev}
	fmt.Fprintf(&md, "### Style control, %s (%s)\n\n", *model, *method)
	fmt.Fprintf(&md, "%d COCO validation captions per λ, %s steps; intervention learned on %d training captions (half per side) at %s; judge %s. ",
		*nPrompts, stepsText(*steps), *batch*maxBatches, modulesText(*modules, *model), *clipModel)
	md.WriteString("Each cell: mean ± standard deviation over the images. Zero-shot: p(\"A picture of {style}.\") against \"A picture of something.\"; ClipScore: cosine similarity with the unstyled caption.\n")
	for _, style := range styles {
		s := sweeps[style]
		fmt.Fprintf(&md, "\n#### %s\n\n%s", style, s.Markdown())
		for _, r := range s.Summary() {
			table = append(table, []string{style, ftoa(r.Strength), strconv.Itoa(r.N),
				f6(r.ZeroShot.Mean), f6(r.ZeroShot.Std), f6(r.ClipScore.Mean), f6(r.ClipScore.Std)})
		}
		zeroShot.Curves = append(zeroShot.Curves, view.Curve{Name: style, X: s.Strengths, Samples: s.ZeroShot})
		clipScore.Curves = append(clipScore.Curves, view.Curve{Name: style, X: s.Strengths, Samples: s.ClipScore})
		grid, rows := s.Grid(*gridRows)
		name := style + "_grid.png"
		grid.Save(filepath.Join(*resultsDir, name))
		fmt.Fprintf(&md, "\n![%s: captions (rows) at λ = %s (columns)](%s)\n\n", style, lambdaList(s.Strengths), name)
		for i, r := range rows {
			fmt.Fprintf(&md, "%d. %s%s\n", i+1, r.OriginalPrompt, animationLink(*resultsDir, r))
		}
	}
	writeFile(filepath.Join(*resultsDir, "styles.png"), view.BandsPNG(zeroShot, clipScore))
	md.WriteString("\n![zero-shot score and ClipScore against λ, a line per style](styles.png)\n")
	md.WriteString("\n**The paper** (Fig. 6, SDXL-Lightning and FLUX.1-schnell) draws these curves and prints no values: " +
		"the figure has no table: compare the shapes (how the style's zero-shot score rises with λ, and what ClipScore to the unstyled caption gives up).\n")
	fmt.Print("\n" + md.String())
	writeFile(filepath.Join(*resultsDir, "summary.md"), []byte(md.String()))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(table)
	writeFile(filepath.Join(*resultsDir, "summary.csv"), buf.Bytes())
	fmt.Printf("\nResults in %s (summary.md, summary.csv, styles.png, <style>_grid.png; the images and GIFs in each style's folder); done in %s.\n",
		*resultsDir, time.Since(start).Round(time.Second))
	if *small {
		fmt.Println("(-small: the pipeline and the CLIP judge have random weights: the numbers and grids check the plumbing, not style control.)")
	}
}

// parseSweep reads -strengths, "min:max:n".
func parseSweep(s string) (float64, float64, int) {
	f := strings.Split(s, ":")
	if len(f) != 3 {
		fail("-strengths %q: want min:max:n, e.g. 0:1:11", s)
	}
	lo, err1 := strconv.ParseFloat(f[0], 64)
	hi, err2 := strconv.ParseFloat(f[1], 64)
	n, err3 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || err3 != nil || n < 1 || lo < 0 || hi < lo {
		fail("-strengths %q: want min:max:n with 0 ≤ min ≤ max and n ≥ 1", s)
	}
	return lo, hi, n
}

// splitList splits a comma-separated flag, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		fail("-styles is empty")
	}
	return out
}

// checkStyles stops before the first run when a style is not in the data
// directory's style_prompts.json (the pipeline would find it only when its
// turn came); a missing file is left to the pipeline, which says where it
// looked.
func checkStyles(dataDir string, styles []string) {
	data, err := os.ReadFile(filepath.Join(dataDir, "style_prompts.json"))
	if err != nil {
		return
	}
	var known map[string]any
	if json.Unmarshal(data, &known) != nil {
		return
	}
	var names []string
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, s := range styles {
		if _, ok := known[s]; !ok {
			fail("unknown style %q (style_prompts.json has: %s)", s, strings.Join(names, ", "))
		}
	}
}

// stepsText says the denoising steps for the summary.
func stepsText(n int) string {
	if n == 0 {
		return "the model config's"
	}
	return strconv.Itoa(n)
}

// modulesText names the steered modules for the summary.
func modulesText(m, model string) string {
	if m != "" {
		return m
	}
	if model == "FLUX.1-schnell" {
		return "the model config's modules (both streams of every double block, single blocks 0-14)"
	}
	return "the model config's modules (unet.*norm.*)"
}

// lambdaList is a sweep's strengths, "0, 0.5, 1".
func lambdaList(ls []float64) string {
	var out []string
	for _, l := range ls {
		out = append(out, ftoa(l))
	}
	return strings.Join(out, ", ")
}

// animationLink links a grid row's GIF relative to the results folder,
// or is "" when the pipeline wrote none.
func animationLink(resultsDir string, r CLIPScoreRow) string {
	gif := r.Animation()
	if gif == "" {
		return ""
	}
	rel, err := filepath.Rel(AbsPath(resultsDir), gif)
	if err != nil {
		rel = gif
	}
	return fmt.Sprintf(" ([animation](<%s>))", filepath.ToSlash(rel)) // <…>: module folders may hold ( ) [ ]
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "diffusion_styles: "+format+"\n", args...)
	os.Exit(1)
}

func writeFile(path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fail("%v", err)
	}
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func f6(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
