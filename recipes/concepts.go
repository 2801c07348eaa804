//go:build ignore

// Recipe concepts reproduces the paper's concept induction (Figure 4):
// for each concept and method, the pipeline learns an intervention from
// OneSec sentences without the concept (non-<concept>, the source) to
// sentences with it (<concept>, the target), continues "Once upon a time"
// at each strength λ (from 0 past 1: the figure extrapolates), and
// measures every continuation
//
//   - p(yes): a chat model's probability of answering "Yes" when asked
//     whether the text is about the concept, given the concept's WordNet
//     definition (the zero_shot step with zero_shot.concept set;
//     Llama-3-8B-Instruct in the paper);
//   - PPL: its perplexity, joined to its prompt, under another model
//     (model_perplexity; Mistral-7B-v0.1 in the paper);
//
// then reports the median and quartiles over the continuations at each λ,
// per concept and over all concepts together (as the figure aggregates),
// as Markdown tables and one PNG per concept.
//
//	go run ./cmd/actsh run recipes/concepts.go -small      # CI size: tiny models, testdata/onesec
//	go run ./cmd/actsh run recipes/concepts.go -model gemma-2-2b -data-dir $DATA_DIR
//
// Flags (after the file name): -model (a model config: gemma-2-2b,
// Meta-Llama-3-8B, gpt2, tiny), -model-path, -concepts, -methods,
// -strengths (min:max:n, as np.linspace, for every method, or
// method=min:max:n for one), -sentences, -new-tokens, -seed, -judge,
// -ppl-model, -data-dir, -cache-dir, -results-dir, -small, -kit.
// The README's "Concept induction" section says what a full run needs.
package main

import (
	"bytes"
	"encoding/csv"
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

// The figure's curves are PaperMethods() (Linear-AcT, Mean-AcT, ITI-c by
// default) at the paper's places (PaperOverrides: AcT at Gemma-2's
// post-layernorms, ITI-c at the attention heads).

// sweep is np.linspace(min, max, n), the pipeline's strengths.
type sweep struct {
	min, max float64
	n        int
}

// sample is one continuation's measures.
type sample struct {
	lambda, pyes, ppl float64
}

// stats are the quartiles of one measure at one λ.
type stats struct{ q1, median, q3 float64 }

// row is one λ of one curve.
type row struct {
	lambda    float64
	n         int
	pyes, ppl stats
}

func main() {
	model := flag.String("model", "gemma-2-2b", "model config (gemma-2-2b as in the paper, Meta-Llama-3-8B, gpt2, tiny)")
	modelPath := flag.String("model-path", "", "checkpoint folder or HF id instead of the config's model_path")
	conceptList := flag.String("concepts", "football,cloud,baby,church,book,flower,balloon", "OneSec concepts (the paper's seven)")
	names := flag.String("methods", "linear_ot,mean_ot,iti_c", "methods (curves), in order")
	strengths := flag.String("strengths", "0:1.5:16", "λ values as min:max:n (np.linspace), for all methods, and/or method=min:max:n")
	nSent := flag.Int("sentences", 100, "continuations per λ (text_generation.num_sentences)")
	newTokens := flag.Int("new-tokens", 50, "tokens per continuation (text_generation.new_seq_len)")
	seed := flag.Int("seed", 42, "seed of the pipeline (sampling, response order)")
	judge := flag.String("judge", "meta-llama/Meta-Llama-3-8B-Instruct", "the chat model asked whether a text is about the concept")
	pplModel := flag.String("ppl-model", "mistralai/Mistral-7B-v0.1", "the model of the perplexity")
	dataDir := flag.String("data-dir", os.Getenv("DATA_DIR"), "data directory holding OneSecConcepts-100_1.5.0")
	cacheDir := flag.String("cache-dir", "", "cache directory (default: the data directory)")
	resultsDir := flag.String("results-dir", "concepts-results", "where the runs, plots and summary go (one folder per concept and method)")
	small := flag.Bool("small", false, "CI size: model tiny, the OneSec-format kit (-kit), tiny as judge and perplexity model, a few continuations")
	kit := flag.String("kit", "testdata/onesec", "the OneSec-format kit used by -small")
	flag.Parse()

	if *small {
		// (one assignment per line: Yaegi mishandles tuple assignment through pointers)
		*model = "tiny"
		*dataDir = *kit
		*judge = "tiny"
		*pplModel = "tiny"
		*nSent = 4
		*newTokens = 16
		*strengths = "0:1.5:4"
		*conceptList = strings.Join(kitConcepts(*kit), ",")
	}
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "concepts: set -data-dir or DATA_DIR (the folder holding OneSecConcepts-100_1.5.0, which is not published: see the README), or run -small")
		os.Exit(2)
	}
	if *cacheDir == "" {
		*cacheDir = *dataDir
		if *small {
			*cacheDir = filepath.Join(*resultsDir, "cache")
		}
	}
	rows := PaperMethodsNamed(*names) // an unknown name stops with the known ones
	sweeps := parseSweeps(*strengths)
	concepts := strings.Split(*conceptList, ",")

	start := time.Now()
	// concept → method → every continuation's measures
	samples := map[string]map[string][]sample{}
	for _, c := range concepts {
		c = strings.TrimSpace(c)
		samples[c] = map[string][]sample{}
		for _, m := range rows {
			sw := sweeps[m.Name]
			dir := AbsPath(filepath.Join(*resultsDir, c, m.Name))
			ov := []string{
				"task_params=onesec", "task_params.concept=" + c, "model=" + *model,
				fmt.Sprintf("seed=%d", *seed),
				"data_dir=" + AbsPath(*dataDir), "cache_dir=" + AbsPath(*cacheDir), "results_dir=" + dir,
				"evaluation=[text-generation,model_perplexity,zero_shot]",
				fmt.Sprintf("text_generation.num_sentences=%d", *nSent), fmt.Sprintf("text_generation.new_seq_len=%d", *newTokens),
				"text_generation.min_strength=" + ftoa(sw.min), "text_generation.max_strength=" + ftoa(sw.max),
				fmt.Sprintf("text_generation.strength_sample_size=%d", sw.n),
				"zero_shot.model_path=" + LocalPath(*judge),
				"model_perplexity.perplexity_model_path=" + LocalPath(*pplModel),
			}
			if *modelPath != "" {
				ov = append(ov, "model.model_path="+LocalPath(*modelPath))
			}
			if *small {
				ov = append(ov, "responses.batch_size=16", "text_generation.batch_size=4", "model_perplexity.batch_size=4")
			}
			// The text-generation step sweeps λ; the fit itself runs at 1.
			ov = append(ov, PaperOverrides(*model, m.Name, 1, "")...)
			fmt.Printf("== %s, %s\n", c, m.Label)
			Pipeline("text_generation", ov...)
			samples[c][m.Name] = readSamples(dir)
		}
	}

	// Tables and plots, per concept and over all of them.
	var md strings.Builder
	var table [][]string
	table = append(table, []string{"concept", "method", "lambda", "n", "pyes_q1", "pyes_median", "pyes_q3", "ppl_q1", "ppl_median", "ppl_q3"})
	fmt.Fprintf(&md, "### Concept induction, %s\n\n", *model)
	fmt.Fprintf(&md, "%d continuations of %q per λ, %d new tokens each; p(yes): %s given the concept's WordNet definition; PPL: %s. ",
		*nSent, "Once upon a time", *newTokens, *judge, *pplModel)
	md.WriteString("Each cell: median [first quartile, third quartile] over the continuations.\n")
	groups := append(append([]string(nil), concepts...), "all")
	for _, c := range groups {
		curves := map[string][]row{}
		for _, m := range rows {
			var all []sample
			if c == "all" {
				for _, cc := range concepts {
					all = append(all, samples[strings.TrimSpace(cc)][m.Name]...)
				}
			} else {
				all = samples[strings.TrimSpace(c)][m.Name]
			}
			curves[m.Name] = summarize(all)
			for _, r := range curves[m.Name] {
				table = append(table, []string{strings.TrimSpace(c), m.Name, ftoa(r.lambda), strconv.Itoa(r.n),
					f4(r.pyes.q1), f4(r.pyes.median), f4(r.pyes.q3), f4(r.ppl.q1), f4(r.ppl.median), f4(r.ppl.q3)})
			}
		}
		title := strings.TrimSpace(c)
		if c == "all" {
			title = "all concepts (" + strings.Join(concepts, ", ") + ")"
		}
		fmt.Fprintf(&md, "\n#### %s\n\n", title)
		writeTable(&md, rows, curves)
		name := strings.TrimSpace(c) + ".png"
		if err := os.WriteFile(filepath.Join(*resultsDir, name), figure(title, rows, curves), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "concepts: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(&md, "\n![%s](%s)\n", title, name)
	}
	md.WriteString("\n**The paper** (Fig. 4, Gemma-2-2B, the seven concepts aggregated) draws these curves without printing their values, " +
		"so no numbers of its are quoted here: compare the shapes.\n")
	fmt.Print("\n" + md.String())
	writeFile(filepath.Join(*resultsDir, "summary.md"), []byte(md.String()))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(table)
	writeFile(filepath.Join(*resultsDir, "summary.csv"), buf.Bytes())
	fmt.Printf("\nResults in %s (summary.md, summary.csv, one PNG per concept and all.png); done in %s.\n", *resultsDir, time.Since(start).Round(time.Second))
	if *small {
		fmt.Println("(-small: the judge and the perplexity model are the embedded model, whose 64-token context holds little of the judge's prompt: the numbers check the plumbing, not concept induction.)")
	}
}

// kitConcepts reads the kit's concept_list.csv.
func kitConcepts(kit string) []string {
	var out []string
	rows := readRows(filepath.Join(kit, "OneSecConcepts-100_1.5.0", "concept_list.csv"))
	col := index(rows[0], "concept")
	for _, r := range rows[1:] {
		out = append(out, r[col])
	}
	return out
}

// parseSweeps reads -strengths: "min:max:n" for every method, then
// "method=min:max:n" entries for one.
func parseSweeps(s string) map[string]sweep {
	out := map[string]sweep{}
	var all *sweep
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		name := ""
		if i := strings.Index(part, "="); i >= 0 {
			name = part[:i]
			part = part[i+1:]
		}
		f := strings.Split(part, ":")
		if len(f) != 3 {
			fail("-strengths %q: want min:max:n or method=min:max:n", s)
		}
		lo, err1 := strconv.ParseFloat(f[0], 64)
		hi, err2 := strconv.ParseFloat(f[1], 64)
		n, err3 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || err3 != nil || n < 1 {
			fail("-strengths %q: want min:max:n with numbers and n ≥ 1", part)
		}
		sw := sweep{lo, hi, n}
		if name == "" {
			all = &sw
		} else {
			out[name] = sw
		}
	}
	for _, m := range PaperMethods() {
		if _, ok := out[m.Name]; !ok {
			if all == nil {
				all = &sweep{0, 1.5, 16}
			}
			out[m.Name] = *all
		}
	}
	return out
}

// readSamples joins a run's judge scores (evaluate_0shot/0shot_eval.csv,
// q0_Yes_sm_10) and perplexities (evaluate_perplexity/model_perplexity.csv,
// ppl_<model>) on the index of text_generation.csv that both keep.
func readSamples(dir string) []sample {
	zs := readRows(filepath.Join(dir, "evaluate_0shot", "0shot_eval.csv"))
	pp := readRows(filepath.Join(dir, "evaluate_perplexity", "model_perplexity.csv"))
	sCol, yCol := index(zs[0], "strength"), index(zs[0], "q0_Yes_sm_10")
	pCol := -1
	for i, h := range pp[0] {
		if strings.HasPrefix(h, "ppl_") && pCol < 0 {
			pCol = i
		}
	}
	if pCol < 0 {
		fail("%s: no ppl_<model> column", filepath.Join(dir, "evaluate_perplexity", "model_perplexity.csv"))
	}
	ppl := map[string]float64{}
	for _, r := range pp[1:] {
		ppl[r[0]] = parse(r[pCol])
	}
	var out []sample
	for _, r := range zs[1:] {
		p, ok := ppl[r[0]]
		if !ok {
			fail("%s: row %s has no perplexity", dir, r[0])
		}
		// λ as written (np.linspace: 0.30000000000000004), rounded for the tables
		l := math.Round(parse(r[sCol])*1e9) / 1e9
		out = append(out, sample{lambda: l, pyes: parse(r[yCol]), ppl: p})
	}
	return out
}

// summarize groups samples by λ and takes each measure's quartiles (NaN
// perplexities, of one-token texts, left out).
func summarize(all []sample) []row {
	by := map[float64][]sample{}
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
		var ys, ps []float64
		for _, s := range by[l] {
			ys = append(ys, s.pyes)
			if !math.IsNaN(s.ppl) {
				ps = append(ps, s.ppl)
			}
		}
		out = append(out, row{lambda: l, n: len(by[l]), pyes: quartiles(ys), ppl: quartiles(ps)})
	}
	return out
}

// quartiles are numpy's percentiles 25, 50 and 75 (linear interpolation
// between order statistics).
func quartiles(xs []float64) stats {
	if len(xs) == 0 {
		return stats{math.NaN(), math.NaN(), math.NaN()}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	q := func(p float64) float64 {
		pos := p * float64(len(s)-1)
		lo := int(math.Floor(pos))
		if lo+1 >= len(s) {
			return s[len(s)-1]
		}
		return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
	}
	return stats{q(0.25), q(0.5), q(0.75)}
}

// writeTable writes one Markdown table: a row per λ, p(yes) and PPL per method.
func writeTable(md *strings.Builder, ms []PaperMethod, curves map[string][]row) {
	md.WriteString("| λ |")
	for _, m := range ms {
		fmt.Fprintf(md, " %s p(yes) | %s PPL |", m.Label, m.Label)
	}
	md.WriteString("\n|---:|")
	for range ms {
		md.WriteString("---:|---:|")
	}
	md.WriteString("\n")
	var lambdas []float64
	seen := map[float64]bool{}
	for _, m := range ms {
		for _, r := range curves[m.Name] {
			if !seen[r.lambda] {
				seen[r.lambda] = true
				lambdas = append(lambdas, r.lambda)
			}
		}
	}
	sort.Float64s(lambdas)
	for _, l := range lambdas {
		fmt.Fprintf(md, "| %s |", ftoa(l))
		for _, m := range ms {
			cellY, cellP := "–", "–"
			for _, r := range curves[m.Name] {
				if r.lambda == l {
					cellY = fmt.Sprintf("%.3g [%.3g, %.3g]", r.pyes.median, r.pyes.q1, r.pyes.q3)
					cellP = fmt.Sprintf("%.1f [%.1f, %.1f]", r.ppl.median, r.ppl.q1, r.ppl.q3)
				}
			}
			fmt.Fprintf(md, " %s | %s |", cellY, cellP)
		}
		md.WriteString("\n")
	}
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
}

// figure draws p(yes) and PPL against λ side by side: per method the
// median as a line and the quartiles as a shaded band.
func figure(title string, ms []PaperMethod, curves map[string][]row) []byte {
	left := panel(title+": p(yes)", "p(yes) (judge)", ms, curves, func(s row) stats { return s.pyes })
	right := panel(title+": perplexity", "PPL", ms, curves, func(s row) stats { return s.ppl })
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

func panel(title, ylabel string, ms []PaperMethod, curves map[string][]row, y func(row) stats) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "λ"
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	for i, m := range ms {
		c := palette[i%len(palette)]
		var mid, band plotter.XYs
		var lo, hi plotter.XYs
		for _, r := range curves[m.Name] {
			s := y(r)
			if math.IsNaN(s.median) {
				continue
			}
			mid = append(mid, plotter.XY{X: r.lambda, Y: s.median})
			lo = append(lo, plotter.XY{X: r.lambda, Y: s.q1})
			hi = append(hi, plotter.XY{X: r.lambda, Y: s.q3})
		}
		if len(mid) == 0 {
			continue
		}
		band = append(band, lo...)
		for k := len(hi) - 1; k >= 0; k-- {
			band = append(band, hi[k])
		}
		if poly, err := plotter.NewPolygon(band); err == nil {
			rgba := color.RGBAModel.Convert(c).(color.RGBA)
			poly.Color = color.RGBA{R: rgba.R / 4, G: rgba.G / 4, B: rgba.B / 4, A: 0x40}
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
		p.Legend.Add(m.Label, l, pts)
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
	fmt.Fprintf(os.Stderr, "concepts: "+format+"\n", args...)
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

func index(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	fail("no column %q (columns: %s)", name, strings.Join(header, ", "))
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

func f4(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
