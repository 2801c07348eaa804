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
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	. "github.com/actsh/actsh/act"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// score is one generated image as the clip_score step measured it.
type score struct {
	id                  int64
	lambda              float64
	zeroShot, clipScore float64
	prompt, image       string
}

// stat is the mean and standard deviation (numpy's, ddof 0) of a measure.
type stat struct{ mean, std float64 }

// row is one λ of one style's curves.
type row struct {
	lambda              float64
	n                   int
	zeroShot, clipScore stat
}

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
	scores := map[string][]score{}
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
		scores[style] = readScores(dir)
	}

	// Tables, curves and grids.
	var md strings.Builder
	table := [][]string{{"style", "lambda", "n", "zero_shot_mean", "zero_shot_std", "clip_score_mean", "clip_score_std"}}
	curves := map[string][]row{}
	fmt.Fprintf(&md, "### Style control, %s (%s)\n\n", *model, *method)
	fmt.Fprintf(&md, "%d COCO validation captions per λ, %s steps; intervention learned on %d training captions (half per side) at %s; judge %s. ",
		*nPrompts, stepsText(*steps), *batch*maxBatches, modulesText(*modules), *clipModel)
	md.WriteString("Each cell: mean ± standard deviation over the images. Zero-shot: p(\"A picture of {style}.\") against \"A picture of something.\"; ClipScore: cosine similarity with the unstyled caption.\n")
	for _, style := range styles {
		curves[style] = summarize(scores[style])
		fmt.Fprintf(&md, "\n#### %s\n\n| λ | zero-shot | ClipScore | n |\n|---:|---:|---:|---:|\n", style)
		for _, r := range curves[style] {
			fmt.Fprintf(&md, "| %s | %.3f ± %.3f | %.3f ± %.3f | %d |\n", ftoa(r.lambda), r.zeroShot.mean, r.zeroShot.std, r.clipScore.mean, r.clipScore.std, r.n)
			table = append(table, []string{style, ftoa(r.lambda), strconv.Itoa(r.n),
				f6(r.zeroShot.mean), f6(r.zeroShot.std), f6(r.clipScore.mean), f6(r.clipScore.std)})
		}
		grid, captions, gifs := sweepGrid(scores[style], *gridRows)
		name := style + "_grid.png"
		grid.Save(filepath.Join(*resultsDir, name))
		fmt.Fprintf(&md, "\n![%s: captions (rows) at λ = %s (columns)](%s)\n\n", style, lambdaList(curves[style]), name)
		for i, c := range captions {
			fmt.Fprintf(&md, "%d. %s", i+1, c)
			if gifs[i] != "" {
				rel, err := filepath.Rel(AbsPath(*resultsDir), gifs[i])
				if err != nil {
					rel = gifs[i]
				}
				fmt.Fprintf(&md, " ([animation](<%s>))", filepath.ToSlash(rel)) // <…>: module folders may hold ( ) [ ]
			}
			md.WriteString("\n")
		}
	}
	writeFile(filepath.Join(*resultsDir, "styles.png"), figure("Style control", styles, curves))
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

// readScores reads a run's results_dir/calculate_clip_score/clip_score.csv
// (ml-act's columns: id, strength, original_prompt, image_path,
// conditional_zero_shot_score, unconditional_similarity, ...).
func readScores(dir string) []score {
	path := filepath.Join(dir, "calculate_clip_score", "clip_score.csv")
	rows := readRows(path)
	h := rows[0]
	id, l, zs, cs := index(h, "id", path), index(h, "strength", path), index(h, "conditional_zero_shot_score", path), index(h, "unconditional_similarity", path)
	pr, im := index(h, "original_prompt", path), index(h, "image_path", path)
	var out []score
	for _, r := range rows[1:] {
		n, err := strconv.ParseInt(r[id], 10, 64)
		if err != nil {
			fail("%s: id %q is not a number", path, r[id])
		}
		img := r[im]
		if !filepath.IsAbs(img) {
			img = filepath.Join(dir, img)
		}
		// λ as written (np.linspace: 0.30000000000000004), rounded for the tables
		out = append(out, score{id: n, lambda: math.Round(parse(r[l])*1e9) / 1e9,
			zeroShot: parse(r[zs]), clipScore: parse(r[cs]), prompt: r[pr], image: img})
	}
	if len(out) == 0 {
		fail("%s: no images scored", path)
	}
	return out
}

// summarize groups a style's images by λ: mean and standard deviation of
// each measure.
func summarize(all []score) []row {
	by := map[float64][]score{}
	var lambdas []float64
	for _, s := range all {
		if _, ok := by[s.lambda]; !ok {
			lambdas = append(lambdas, s.lambda)
		}
		by[s.lambda] = append(by[s.lambda], s)
	}
	sort.Float64s(lambdas)
	var out []row
	for _, l := range lambdas {
		var zs, cs []float64
		for _, s := range by[l] {
			zs = append(zs, s.zeroShot)
			cs = append(cs, s.clipScore)
		}
		out = append(out, row{lambda: l, n: len(by[l]), zeroShot: meanStd(zs), clipScore: meanStd(cs)})
	}
	return out
}

// meanStd is numpy's mean and std (ddof 0).
func meanStd(xs []float64) stat {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	m := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return stat{m, math.Sqrt(ss / float64(len(xs)))}
}

// sweepGrid lays out the first rows captions (by COCO id) across the
// strengths, each image labelled with its λ, and returns the captions and
// the animation the pipeline wrote for each (beside the strength folders:
// <id>_animation.gif; "" where there is none).
func sweepGrid(all []score, rows int) (*Image, []string, []string) {
	by := map[int64][]score{}
	var ids []int64
	for _, s := range all {
		if _, ok := by[s.id]; !ok {
			ids = append(ids, s.id)
		}
		by[s.id] = append(by[s.id], s)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) > rows {
		ids = ids[:rows]
	}
	var images []*Image
	var captions, gifs []string
	cols := 0
	for _, id := range ids {
		ss := by[id]
		sort.Slice(ss, func(i, j int) bool { return ss[i].lambda < ss[j].lambda })
		if cols == 0 {
			cols = len(ss)
		}
		if len(ss) != cols {
			fail("caption %d has %d images, caption %d %d: a strength is missing", id, len(ss), ids[0], cols)
		}
		for _, s := range ss {
			im := ReadImage(s.image)
			im.Label = ftoa(s.lambda) // Grid's bitmap font has ASCII only: no "λ="
			images = append(images, im)
		}
		captions = append(captions, ss[0].prompt)
		gif := filepath.Join(filepath.Dir(filepath.Dir(ss[0].image)), fmt.Sprintf("%d_animation.gif", id))
		if _, err := os.Stat(gif); err != nil {
			gif = ""
		}
		gifs = append(gifs, gif)
	}
	return Grid(cols, images...), captions, gifs
}

// stepsText says the denoising steps for the summary.
func stepsText(n int) string {
	if n == 0 {
		return "the model config's"
	}
	return strconv.Itoa(n)
}

// modulesText names the steered modules for the summary.
func modulesText(m string) string {
	if m == "" {
		return "the model config's modules (unet.*norm.*)"
	}
	return m
}

// lambdaList is a curve's strengths, "0, 0.5, 1".
func lambdaList(rs []row) string {
	var out []string
	for _, r := range rs {
		out = append(out, ftoa(r.lambda))
	}
	return strings.Join(out, ", ")
}

// palette is matplotlib's tab10, one colour per style.
var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	color.RGBA{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff},
	color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
	color.RGBA{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff},
	color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
}

// figure draws the zero-shot score and ClipScore against λ side by side:
// per style the mean as a line and ± one standard deviation as a band.
func figure(title string, names []string, curves map[string][]row) []byte {
	left := panel(title+": zero-shot score", "p(style) (CLIP zero-shot)", names, curves, func(r row) stat { return r.zeroShot })
	right := panel(title+": ClipScore", "ClipScore (unstyled caption)", names, curves, func(r row) stat { return r.clipScore })
	a, b := pngOf(left), pngOf(right)
	h := a.Bounds().Dy()
	if b.Bounds().Dy() > h {
		h = b.Bounds().Dy()
	}
	out := image.NewRGBA(image.Rect(0, 0, a.Bounds().Dx()+b.Bounds().Dx(), h))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, a.Bounds(), a, a.Bounds().Min, draw.Src)
	draw.Draw(out, b.Bounds().Add(image.Pt(a.Bounds().Dx(), 0)), b, b.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		fail("plot: %v", err)
	}
	return buf.Bytes()
}

func panel(title, ylabel string, names []string, curves map[string][]row, y func(row) stat) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "λ"
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	for i, name := range names {
		c := palette[i%len(palette)]
		var mid, lo, hi plotter.XYs
		for _, r := range curves[name] {
			s := y(r)
			if math.IsNaN(s.mean) {
				continue
			}
			mid = append(mid, plotter.XY{X: r.lambda, Y: s.mean})
			lo = append(lo, plotter.XY{X: r.lambda, Y: s.mean - s.std})
			hi = append(hi, plotter.XY{X: r.lambda, Y: s.mean + s.std})
		}
		if len(mid) == 0 {
			continue
		}
		band := append(plotter.XYs(nil), lo...)
		for k := len(hi) - 1; k >= 0; k-- {
			band = append(band, hi[k])
		}
		if poly, err := plotter.NewPolygon(band); err == nil {
			rgba := color.RGBAModel.Convert(c).(color.RGBA)
			poly.Color = color.NRGBA{R: rgba.R, G: rgba.G, B: rgba.B, A: 0x30} // the line's colour, faint
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		l, pts, err := plotter.NewLinePoints(mid)
		if err != nil {
			fail("plot: %v", err)
		}
		l.Color = c
		pts.Color = c
		l.Width = vg.Points(1.5)
		p.Add(l, pts)
		p.Legend.Add(name, l, pts)
	}
	return p
}

// pngOf renders one plot to an image.
func pngOf(p *plot.Plot) image.Image {
	wt, err := p.WriterTo(5*vg.Inch, 3.5*vg.Inch, "png")
	if err != nil {
		fail("plot: %v", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		fail("plot: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		fail("plot: %v", err)
	}
	return img
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "diffusion_styles: "+format+"\n", args...)
	os.Exit(1)
}

func readRows(path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		fail("%v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		fail("%s: %v", path, err)
	}
	return rows
}

func index(header []string, name, path string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	fail("%s: no column %q (columns: %s)", path, name, strings.Join(header, ", "))
	return -1
}

func parse(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

func writeFile(path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fail("%v", err)
	}
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func f6(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
