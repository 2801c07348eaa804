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
