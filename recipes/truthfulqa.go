//go:build ignore

// Recipe truthfulqa reproduces the paper's truthfulness experiment (Table
// 3): for each method, the pipeline learns the intervention from
// TruthfulQA itself (the false answers → the true answers of a seeded half
// of the questions) at the paper's layers, and measures with the
// intervention active
//
//   - MC1: the share of the other questions whose true answer the model
//     finds likeliest among MC1's choices (lm-evaluation-harness's
//     truthfulqa_mc1);
//   - MC2: the normalised probability the model gives MC2's true answers
//     (truthfulqa_mc2);
//   - MMLU: 5-shot accuracy (the harness's mmlu), what the steering costs;
//
// mean ± std over seeds (each seed a new split and a new fit), and prints
// them beside the paper's numbers as Markdown.
//
//	go run ./cmd/actsh run recipes/truthfulqa.go -small     # CI size: tiny model, act/testdata's synthetic kit
//	go run ./cmd/actsh run recipes/truthfulqa.go -model gemma-2-2b -seeds 5 -data-dir $DATA_DIR
//
// Flags (after the file name): -model (a model config: gemma-2-2b,
// Meta-Llama-3-8B, gpt2, tiny), -model-path, -methods, -seeds, -strength
// method=λ,..., -fit-fraction, -limit, -no-mmlu, -mmlu-seeds, -data-dir,
// -cache-dir, -results-dir, -actadd-layer, -small, -kit.
// The README's "TruthfulQA" section says what a full run needs.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/actsh/actsh/act"
)

// The rows are PaperMethods() at the paper's places (PaperOverrides), as
// in recipes/toxicity.go.

// paper holds Table 3's numbers printed beside ours: model →
// "method/measure" → value. The table could not be read on the offline machine
// this recipe was written on, so every cell prints "?" until someone
// copies them from the paper (arXiv 2410.23054, Table 3).
var paper = PaperTable{
	"gemma-2-2b":      {},
	"Meta-Llama-3-8B": {},
}

// measures are the table's columns.
var measures = []struct{ key, title string }{
	{"mc1", "MC1 %"},
	{"mc2", "MC2 %"},
	{"mmlu", "MMLU %"},
}

func main() {
	model := flag.String("model", "gemma-2-2b", "model config (gemma-2-2b, Meta-Llama-3-8B, gpt2, tiny)")
	modelPath := flag.String("model-path", "", "checkpoint folder or HF id instead of the config's model_path")
	names := flag.String("methods", "none,act_add,aura,iti_c,mean_ot,linear_ot", "methods (rows), in order")
	seeds := flag.Int("seeds", 1, "seeds per method, each a new split of the questions and a new fit; measures are mean ± std over them")
	strengths := flag.String("strength", "", "method=λ,... (default 1 for every method)")
	fitFraction := flag.Float64("fit-fraction", 0.5, "fraction of TruthfulQA's questions the intervention learns from; the rest are scored")
	limit := flag.Int("limit", 0, "questions per task (mmlu.limit: each MMLU subject, and each of truthfulqa_mc1/mc2; 0: all)")
	noMMLU := flag.Bool("no-mmlu", false, "skip MMLU (TruthfulQA alone)")
	mmluSeeds := flag.Int("mmlu-seeds", 0, "run MMLU for the first n seeds only (0: all)")
	dataDir := flag.String("data-dir", os.Getenv("DATA_DIR"), "data directory holding truthfulqa/ and mmlu/ (actsh download truthfulqa mmlu)")
	cacheDir := flag.String("cache-dir", "", "cache directory (default: data directory)")
	resultsDir := flag.String("results-dir", "truthfulqa-results", "where each run's results go (one folder per method and seed)")
	actAdd := flag.String("actadd-layer", "", "the block output ActAdd adds at (default: the middle block)")
	small := flag.Bool("small", false, "CI size: model tiny and the synthetic kit (-kit)")
	kit := flag.String("kit", "act/testdata", "the folder -small reads: truthfulqa/mc_task.json (synthetic) and mmlu/ (synthetic subjects)")
	flag.Parse()

	mmluTasks := "mmlu"
	if *small {
		*model = "tiny"
		*dataDir = *kit
		// act's MMLU test subjects (synthetic questions in Hendrycks' format)
		mmluTasks = "mmlu_abstract_algebra,mmlu_miscellaneous,mmlu_high_school_us_history,mmlu_us_foreign_policy"
	}
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "truthfulqa: set -data-dir or DATA_DIR (the folder `actsh download truthfulqa mmlu` fills), or run -small")
		os.Exit(2)
	}
	if *cacheDir == "" {
		*cacheDir = *dataDir
		if *small {
			*cacheDir = filepath.Join(*resultsDir, "cache")
		}
	}
	lambda := ParseStrengths(*strengths)
	rows := PaperMethodsNamed(*names) // an unknown name stops with the known ones

	start := time.Now()
	results := map[string]map[string][]float64{} // method → measure → per seed
	for _, m := range rows {
		results[m.Name] = map[string][]float64{}
		for s := 0; s < *seeds; s++ {
			seed := 42 + s
			dir, _ := filepath.Abs(filepath.Join(*resultsDir, m.Name, fmt.Sprintf("seed%d", seed)))
			tasks := "truthfulqa_mc1,truthfulqa_mc2"
			withMMLU := !*noMMLU && (*mmluSeeds == 0 || s < *mmluSeeds)
			if withMMLU {
				tasks += "," + mmluTasks
			}
			ov := []string{
				// The intervention learns from TruthfulQA's answers (configs/task_params/truthfulqa.yaml);
				// the eleuther evaluation scores the questions it did not learn from.
				"task_params=truthfulqa", "model=" + *model, fmt.Sprintf("seed=%d", seed),
				"data_dir=" + AbsPath(*dataDir), "cache_dir=" + AbsPath(*cacheDir), "results_dir=" + dir,
				"task_params.dataset_params.fit_fraction=" + strconv.FormatFloat(*fitFraction, 'g', -1, 64),
				"evaluation=[mmlu]", "mmlu.tasks=[" + tasks + "]",
			}
			if *limit > 0 {
				ov = append(ov, fmt.Sprintf("mmlu.limit=%d", *limit))
			}
			if *modelPath != "" {
				ov = append(ov, "model.model_path="+LocalPath(*modelPath))
			}
			if *small {
				ov = append(ov, "responses.batch_size=8")
			}
			l, ok := lambda[m.Name]
			if !ok {
				l = 1
			}
			ov = append(ov, PaperOverrides(*model, m.Name, l, *actAdd)...)
			fmt.Printf("== %s, seed %d\n", m.Label, seed)
			Pipeline("text_generation", ov...)
			r := results[m.Name]
			tqa := filepath.Join(dir, "evaluate_eleuther", "truthfulqa.json")
			r["mc1"] = append(r["mc1"], 100*EleutherAccuracy(tqa, "truthfulqa_mc1"))
			r["mc2"] = append(r["mc2"], 100*EleutherAccuracy(tqa, "truthfulqa_mc2"))
			if withMMLU {
				r["mmlu"] = append(r["mmlu"], 100*EleutherAccuracy(filepath.Join(dir, "evaluate_eleuther", "mmlu.json"), "mmlu"))
			}
		}
	}

	fmt.Printf("\n### TruthfulQA, %s (%d seed(s), learned from %g of the questions, scored on the rest)\n\n", *model, *seeds, *fitFraction)
	fmt.Print("| method | λ |")
	for _, ms := range measures {
		fmt.Printf(" %s | paper |", ms.title)
	}
	fmt.Print("\n|---|---:|")
	for range measures {
		fmt.Print("---:|---:|")
	}
	fmt.Println()
	for _, m := range rows {
		l := "–"
		if m.Name != "none" {
			v, ok := lambda[m.Name]
			if !ok {
				v = 1
			}
			l = strconv.FormatFloat(v, 'g', -1, 64)
		}
		fmt.Printf("| %s | %s |", m.Label, l)
		for _, ms := range measures {
			fmt.Printf(" %s | %s |", MeanStd(results[m.Name][ms.key]), paper.Cell(*model, m.Name, ms.key))
		}
		fmt.Println()
	}
	fmt.Printf("\nResults in %s; done in %s.\n", *resultsDir, time.Since(start).Round(time.Second))
	if _, ok := paper[*model]; ok {
		fmt.Println("(paper: Table 3's cells were not available offline; copy them into the recipe's paper map.)")
	}
	if *small {
		fmt.Println("(-small: a tiny model and 12 synthetic questions: the numbers check the plumbing, not truthfulness.)")
	}
}
