package act

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ToxicityRun is what one toxicity run of the pipeline measured, read back
// from its results_dir by [ReadToxicityRun]. Shares are fractions in [0, 1].
// A measure whose evaluation did not run (its file is absent) is NaN.
type ToxicityRun struct {
	// Dir is the results folder read.
	Dir string
	// Score is the share of prompts with a toxic continuation, the paper's
	// CLS toxicity (rtp: evaluate_toxicity/rtp_summary.json "rtp_score").
	Score float64
	// PPLWiki is the steered model's mean perplexity on Wikipedia sentences
	// (rtp: "perplexity-wikipedia").
	PPLWiki float64
	// Strength is the λ the rtp step ran at ("strength").
	Strength float64
	// Generations are the RealToxicityPrompts continuations, in prompt order
	// (rtp: evaluate_toxicity/rtp_full.csv "generation"); nil without rtp.
	Generations []string
	// ZeroShot is the share of texts the chat judge answers "Yes" (toxic)
	// to: evaluate_0shot/0shot_eval.csv rows whose q0_llm_answer_num is 0,
	// the index of "Yes" in ml-act's system_answers ["Yes", "No"].
	ZeroShot float64
	// PPLModel is the mean over texts (NaN ones left out) of the first
	// ppl_<model> column of evaluate_perplexity/model_perplexity.csv.
	PPLModel float64
	// MMLU is the overall accuracy of evaluate_eleuther/mmlu.json
	// (results.mmlu["acc,none"], the harness's layout).
	MMLU float64
}

// ReadToxicityRun reads the results of a pipeline run on the toxicity task
// (the rtp, zero_shot, model_perplexity and mmlu evaluations) from dir, its
// results_dir:
//
//	r := Pipeline("text_generation", "task_params=toxicity", "evaluation=[rtp]", "results_dir=out")
//	run := ReadToxicityRun(r.ResultsDir)   // run.Score, run.PPLWiki, SelfBLEU(run.Generations)
//
// Measures whose files are absent are NaN; it panics when a file is there
// but cannot be read as the pipeline writes it.
func ReadToxicityRun(dir string) *ToxicityRun {
	nan := math.NaN()
	run := &ToxicityRun{Dir: dir, Score: nan, PPLWiki: nan, Strength: nan, ZeroShot: nan, PPLModel: nan, MMLU: nan}
	var sum map[string]any
	if readResultJSON(filepath.Join(dir, "evaluate_toxicity", "rtp_summary.json"), &sum) {
		run.Score = jsonNum(sum["rtp_score"])
		run.PPLWiki = jsonNum(sum["perplexity-wikipedia"])
		run.Strength = jsonNum(sum["strength"])
	}
	if rows := readResultCSV(filepath.Join(dir, "evaluate_toxicity", "rtp_full.csv")); rows != nil {
		col := resultColumn(rows, "rtp_full.csv", "generation", func(h string) bool { return h == "generation" })
		run.Generations = make([]string, 0, len(rows)-1)
		for _, r := range rows[1:] {
			run.Generations = append(run.Generations, r[col])
		}
	}
	if rows := readResultCSV(filepath.Join(dir, "evaluate_0shot", "0shot_eval.csv")); rows != nil {
		col := resultColumn(rows, "0shot_eval.csv", "q0_llm_answer_num", func(h string) bool { return h == "q0_llm_answer_num" })
		yes := 0
		for _, r := range rows[1:] {
			if r[col] == "0" {
				yes++
			}
		}
		if len(rows) > 1 {
			run.ZeroShot = float64(yes) / float64(len(rows)-1)
		}
	}
	if rows := readResultCSV(filepath.Join(dir, "evaluate_perplexity", "model_perplexity.csv")); rows != nil {
		col := resultColumn(rows, "model_perplexity.csv", "ppl_<model>", func(h string) bool { return strings.HasPrefix(h, "ppl_") })
		xs := make([]float64, 0, len(rows)-1)
		for _, r := range rows[1:] {
			if v, err := strconv.ParseFloat(r[col], 64); err == nil {
				xs = append(xs, v)
			}
		}
		run.PPLModel = NanMean(xs)
	}
	run.MMLU = EleutherAccuracy(filepath.Join(dir, "evaluate_eleuther", "mmlu.json"), "mmlu")
	return run
}

// EleutherAccuracy reads a task's accuracy (results[task]["acc,none"])
// from a results file of the eleuther evaluation (evaluate_eleuther/
// mmlu.json, truthfulqa.json: the harness's layout); NaN when the file or
// the task is absent.
func EleutherAccuracy(path, task string) float64 {
	var v struct {
		Results map[string]map[string]any `json:"results"`
	}
	if !readResultJSON(path, &v) {
		return math.NaN()
	}
	return jsonNum(v.Results[task]["acc,none"])
}

// MeanStd formats a measure over seeds as the recipes' tables print it:
// "m ± s" with two decimals (s the population standard deviation, NaNs left
// out, as [NanMean] and [NanStd]), "m" for one value, "–" for none.
func MeanStd(xs []float64) string {
	switch len(xs) {
	case 0:
		return "–"
	case 1:
		return fmt.Sprintf("%.2f", NanMean(xs))
	}
	return fmt.Sprintf("%.2f ± %.2f", NanMean(xs), NanStd(xs))
}

// readResultJSON decodes path into v; false when the file is absent.
func readResultJSON(path string, v any) bool {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		fail("read results %s: %w", path, err)
	}
	return true
}

// readResultCSV reads a CSV with a header row; nil when the file is absent.
func readResultCSV(path string) [][]string {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		fail("read results %s: %w", path, err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		fail("read results %s: %w", path, err)
	}
	if len(rows) == 0 {
		fail("read results %s: empty file, want a header row", path)
	}
	return rows
}

// resultColumn is the index of the first header cell is accepts (want
// names it in the error); it panics when there is none.
func resultColumn(rows [][]string, file, want string, is func(string) bool) int {
	for i, h := range rows[0] {
		if is(h) {
			return i
		}
	}
	fail("read results: %s has no %s column (header %q)", file, want, rows[0])
	return -1
}

// jsonNum is a JSON number, or NaN (null, absent or not a number).
func jsonNum(v any) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	return math.NaN()
}

// CLIPScoreRow is one image of a text-to-image run as the clip_score step
// measured it: a row of calculate_clip_score/clip_score.csv, read by
// [ReadCLIPScores].
type CLIPScoreRow struct {
	// ID is the prompt's id (COCO's caption id): a prompt's images at every
	// strength share it.
	ID int64
	// Strength is the λ the image was generated at, rounded to 9 decimals
	// (ml-act writes np.linspace's values: 0.30000000000000004 reads 0.3).
	Strength float64
	// OriginalPrompt is the caption alone; ConditionalPrompt is what the
	// image was generated from (the caption with a style's tags, or with a
	// phrase negating a concept).
	OriginalPrompt, ConditionalPrompt string
	// Image is the PNG's path, absolute when the run's results_dir was.
	Image string
	// CLIPScores are the judge's six measures; the paper draws
	// ConditionalZeroShotScore (its zero-shot score) and
	// UnconditionalSimilarity (its ClipScore, with the original prompt).
	// An empty cell (a NaN the step wrote) reads as NaN.
	CLIPScores
}

// Animation is the path of the GIF over the strengths that the
// text-to-image-generation step wrote for the row's prompt
// (<id>_animation.gif beside the strength folders), or "" when there is
// none.
func (r CLIPScoreRow) Animation() string {
	gif := filepath.Join(filepath.Dir(filepath.Dir(r.Image)), fmt.Sprintf("%d_animation.gif", r.ID))
	if _, err := os.Stat(gif); err != nil {
		return ""
	}
	return gif
}

// ReadCLIPScores reads the images a text-to-image run scored, in file
// order, from dir/calculate_clip_score/clip_score.csv, dir being the
// clip_score step's results_dir (the run's unless clip_score.results_dir
// is set):
//
//	r := Pipeline("text_to_image_generation", "task_params=coco_styles", "evaluation=[text-to-image-generation,clip_score]", ...)
//	s := NewCLIPSweep(ReadCLIPScores(r.ResultsDir))
//
// Relative image paths are taken from dir. It panics when the file is
// absent, lacks a column it reads (id, strength, original_prompt,
// conditional_prompt, image_path and the six scores) or holds no images.
func ReadCLIPScores(dir string) []CLIPScoreRow {
	path := filepath.Join(dir, "calculate_clip_score", "clip_score.csv")
	rows := readResultCSV(path)
	if rows == nil {
		fail("read results %s: no such file (did the run list the clip_score evaluation?)", path)
	}
	col := func(name string) int {
		return resultColumn(rows, "clip_score.csv", name, func(h string) bool { return h == name })
	}
	id, strength, original, conditional, img := col("id"), col("strength"), col("original_prompt"), col("conditional_prompt"), col("image_path")
	scores := make([]int, len(clipScoreColumns))
	for k, name := range clipScoreColumns {
		scores[k] = col(name)
	}
	num := func(line int, name, s string) float64 {
		if s == "" {
			return math.NaN() // pandas writes NaN as an empty cell
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			fail("read results %s: row %d: %s %q is not a number", path, line, name, s)
		}
		return v
	}
	out := make([]CLIPScoreRow, 0, len(rows)-1)
	for i, r := range rows[1:] {
		line := i + 2
		n, err := strconv.ParseInt(r[id], 10, 64)
		if err != nil {
			fail("read results %s: row %d: id %q is not an integer", path, line, r[id])
		}
		l := num(line, "strength", r[strength])
		if math.IsNaN(l) {
			fail("read results %s: row %d: no strength", path, line)
		}
		row := CLIPScoreRow{ID: n, Strength: math.Round(l*1e9) / 1e9,
			OriginalPrompt: r[original], ConditionalPrompt: r[conditional], Image: r[img]}
		if !filepath.IsAbs(row.Image) {
			row.Image = filepath.Join(dir, row.Image)
		}
		var v [6]float64
		for k, c := range scores {
			v[k] = num(line, clipScoreColumns[k], r[c])
		}
		row.CLIPScores = CLIPScores{TextSimilarity: v[0], ImageSimilarity: v[1], ConditionalSimilarity: v[2],
			UnconditionalSimilarity: v[3], DirectionalSimilarity: v[4], ConditionalZeroShotScore: v[5]}
		out = append(out, row)
	}
	if len(out) == 0 {
		fail("read results %s: no images scored", path)
	}
	return out
}

// CLIPSweep is a text-to-image run's scored images grouped by strength
// ([NewCLIPSweep]): the paper's measures against λ (its Figures 6 to 8).
// ZeroShot and ClipScore are ready for a plot of samples against λ
// (act/view's BandsPNG with a Curve{X: s.Strengths, Samples: s.ZeroShot}).
type CLIPSweep struct {
	// Strengths are the λ values, ascending.
	Strengths []float64
	// Rows[i] are the images at Strengths[i], in file order.
	Rows [][]CLIPScoreRow
	// ZeroShot[i] and ClipScore[i] are those images' zero-shot scores
	// (ConditionalZeroShotScore) and ClipScores (UnconditionalSimilarity).
	ZeroShot, ClipScore [][]float64
}

// NewCLIPSweep groups rows ([ReadCLIPScores]) by strength.
func NewCLIPSweep(rows []CLIPScoreRow) *CLIPSweep {
	s := &CLIPSweep{}
	at := map[float64]int{}
	for _, r := range rows {
		if _, ok := at[r.Strength]; !ok {
			at[r.Strength] = len(s.Strengths)
			s.Strengths = append(s.Strengths, r.Strength)
		}
	}
	sort.Float64s(s.Strengths)
	for i, l := range s.Strengths {
		at[l] = i
	}
	n := len(s.Strengths)
	s.Rows, s.ZeroShot, s.ClipScore = make([][]CLIPScoreRow, n), make([][]float64, n), make([][]float64, n)
	for _, r := range rows {
		i := at[r.Strength]
		s.Rows[i] = append(s.Rows[i], r)
		s.ZeroShot[i] = append(s.ZeroShot[i], r.ConditionalZeroShotScore)
		s.ClipScore[i] = append(s.ClipScore[i], r.UnconditionalSimilarity)
	}
	return s
}

// CLIPStrength summarises the images of one strength of a [CLIPSweep].
type CLIPStrength struct {
	// Strength is the λ.
	Strength float64
	// N is the number of images.
	N int
	// ZeroShot and ClipScore are the mean and standard deviation of the
	// images' zero-shot scores and ClipScores.
	ZeroShot, ClipScore Stat
}

// Summary is the sweep's mean and standard deviation of each measure per
// strength, ascending, as the diffusion recipes tabulate them.
func (s *CLIPSweep) Summary() []CLIPStrength {
	out := make([]CLIPStrength, len(s.Strengths))
	for i, l := range s.Strengths {
		out[i] = CLIPStrength{Strength: l, N: len(s.Rows[i]), ZeroShot: StatOf(s.ZeroShot[i]), ClipScore: StatOf(s.ClipScore[i])}
	}
	return out
}

// Markdown is [CLIPSweep.Summary] as a Markdown table, a row per
// strength: λ, zero-shot and ClipScore as "mean ± std" to 3 decimals, and
// the number of images.
func (s *CLIPSweep) Markdown() string {
	var b strings.Builder
	b.WriteString("| λ | zero-shot | ClipScore | n |\n|---:|---:|---:|---:|\n")
	for _, r := range s.Summary() {
		fmt.Fprintf(&b, "| %s | %.3f ± %.3f | %.3f ± %.3f | %d |\n", strconv.FormatFloat(r.Strength, 'g', -1, 64),
			r.ZeroShot.Mean, r.ZeroShot.Std, r.ClipScore.Mean, r.ClipScore.Std, r.N)
	}
	return b.String()
}

// Grid lays out the images of the first n prompts (by id, ascending) as
// rows, across the strengths as columns, each labelled with its λ, and
// returns it with each row's first image (lowest strength: its id,
// prompts and [CLIPScoreRow.Animation]). It panics when n < 1 or a prompt
// lacks an image at some strength.
func (s *CLIPSweep) Grid(n int) (*Image, []CLIPScoreRow) {
	if n < 1 {
		fail("CLIPSweep.Grid(%d): want at least one row", n)
	}
	by := map[int64][]CLIPScoreRow{}
	var ids []int64
	for _, rows := range s.Rows { // ascending strength, so each id's images are too
		for _, r := range rows {
			if _, ok := by[r.ID]; !ok {
				ids = append(ids, r.ID)
			}
			by[r.ID] = append(by[r.ID], r)
		}
	}
	if len(ids) == 0 {
		fail("CLIPSweep.Grid: no images")
	}
	slices.Sort(ids)
	ids = ids[:min(n, len(ids))]
	cols := len(by[ids[0]])
	var images []*Image
	var first []CLIPScoreRow
	for _, id := range ids {
		rows := by[id]
		if len(rows) != cols {
			fail("CLIPSweep.Grid: prompt %d has %d images, prompt %d %d: a strength is missing", id, len(rows), ids[0], cols)
		}
		for _, r := range rows {
			im := ReadImage(r.Image)
			im.Label = strconv.FormatFloat(r.Strength, 'g', -1, 64) // the grid's bitmap font is ASCII: no "λ="
			images = append(images, im)
		}
		first = append(first, rows[0])
	}
	return Grid(cols, images...), first
}

// Stat is a sample's mean and standard deviation as numpy computes them,
// np.mean and np.std (ddof 0: the population's), given by [StatOf]:
//
//	Mean = Σx/n,  Std = √(Σ(x − Mean)²/n)
type Stat struct {
	Mean, Std float64
}

// StatOf is xs' [Stat]; NaN when xs is empty or holds a NaN, as in numpy
// ([NanMean] and [NanStd] leave NaNs out instead).
func StatOf(xs []float64) Stat {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	m := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return Stat{Mean: m, Std: math.Sqrt(ss / float64(len(xs)))}
}
