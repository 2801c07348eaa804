//go:build ignore

// Recipe toxicity reproduces the paper's toxicity mitigation (Table 2):
// for each method, the pipeline learns the intervention from Jigsaw
// (toxic → non-toxic) at the paper's layers, continues 1000
// RealToxicityPrompts prompts under it, and measures
//
//   - CLS: the share of continuations the RoBERTa judge
//     (s-nlp/roberta_toxicity_classifier) calls toxic, mean ± std over seeds;
//   - 0-shot: the share a chat model (Llama-3-8B-Instruct) judges toxic;
//   - PPL-Wiki: the steered model's perplexity on Wikipedia sentences;
//   - PPL-<model>: the continuations' perplexity under another model
//     (Mistral-7B-v0.1), conditioned on their prompts;
//   - MMLU: 5-shot accuracy with the intervention active;
//
// and prints them beside the paper's numbers as Markdown.
//
//	go run ./cmd/actsh run recipes/toxicity.go -small      # CI size: tiny models, testdata/toxicity
//	go run ./cmd/actsh run recipes/toxicity.go -model gemma-2-2b -seeds 5 -data-dir $DATA_DIR
//
// Flags (after the file name): -model (a model config: gemma-2-2b,
// Meta-Llama-3-8B, gpt2, tiny), -methods, -seeds, -strength
// method=λ,..., -rtp, -ppl, -mmlu-limit, -evals, -data-dir, -cache-dir,
// -results-dir, -classifier, -judge, -ppl-model, -actadd-layer, -rtp-data,
// -mmlu-dir, -mmlu-seeds, -small, -kit.
// The README's "Toxicity mitigation" section says what a full run needs.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	. "github.com/actsh/actsh/act"
)

// The rows are PaperMethods(): each method at the layers the paper steers
// with it (PaperOverrides: the model configs' default_module_names sets,
// ActAdd at the middle block output unless -actadd-layer names one).

// paper holds Table 2's numbers that this recipe prints beside ours:
// model → "method/measure" → value. Only the cells quoted in the project's
// issue are filled; the others print as "?" until someone copies them
// from the paper (arXiv 2410.23054, Table 2).
var paper = PaperTable{
	"gemma-2-2b":      {"none/cls": 4.17, "linear_ot/cls": 0.56},
	"Meta-Llama-3-8B": {"none/cls": 5.80, "linear_ot/cls": 1.35},
}

// measures are the table's columns.
var measures = []struct{ key, title string }{
	{"cls", "CLS tox. %"},
	{"zero", "0-shot tox. %"},
	{"ppl_wiki", "PPL-Wiki"},
	{"ppl_model", "PPL-model"},
	{"mmlu", "MMLU %"},
}

func main() {
	model := flag.String("model", "gemma-2-2b", "model config (gemma-2-2b, Meta-Llama-3-8B, gpt2, tiny)")
	modelPath := flag.String("model-path", "", "checkpoint folder or HF id instead of the config's model_path")
	names := flag.String("methods", "none,act_add,aura,iti_c,mean_ot,linear_ot", "methods (rows), in order")
	seeds := flag.Int("seeds", 1, "seeds per method (the paper: 5); CLS is reported as mean ± std over them")
	strengths := flag.String("strength", "", "method=λ,... (default 1 for every method, as the paper's AcT rows)")
	nRTP := flag.Int("rtp", 1000, "RealToxicityPrompts prompts")
	nPPL := flag.Int("ppl", 20000, "Wikipedia sentences for PPL-Wiki")
	mmluLimit := flag.Int("mmlu-limit", 0, "MMLU questions per subject (0: all)")
	evals := flag.String("evals", "rtp,zero_shot,model_perplexity,mmlu", "evaluations to run")
	dataDir := flag.String("data-dir", os.Getenv("DATA_DIR"), "data directory (actsh download rtp jigsaw wikipedia mmlu)")
	cacheDir := flag.String("cache-dir", "", "cache directory (default: data directory)")
	resultsDir := flag.String("results-dir", "toxicity-results", "where each run's results go (one folder per method and seed)")
	classifier := flag.String("classifier", "s-nlp/roberta_toxicity_classifier", "the RoBERTa toxicity judge")
	judge := flag.String("judge", "meta-llama/Meta-Llama-3-8B-Instruct", "the chat model of the 0-shot judge")
	pplModel := flag.String("ppl-model", "mistralai/Mistral-7B-v0.1", "the model of PPL-model")
	actAdd := flag.String("actadd-layer", "", "the block output ActAdd adds at (default: the middle block)")
	rtpData := flag.String("rtp-data", "", "RealToxicityPrompts JSON lines (default: the config's ${cache_dir}/prompted_gens_gpt2.jsonl)")
	mmluSeeds := flag.Int("mmlu-seeds", 0, "run MMLU for the first n seeds only (0: all); it moves little between seeds")
	mmluDir := flag.String("mmlu-dir", "", "folder holding mmlu/{dev,test} (default: the data directory)")
	small := flag.Bool("small", false, "CI size: model tiny, the synthetic kit (-kit), tiny judges, a few prompts")
	kit := flag.String("kit", "testdata/toxicity", "the synthetic toxicity kit used by -small")
	flag.Parse()

	if *small {
		// (one assignment per line: Yaegi mishandles tuple assignment through pointers)
		*model = "tiny"
		*dataDir = *kit
		*classifier = filepath.Join(*kit, "classifier")
		*judge = "tiny"
		*pplModel = "tiny"
		*nRTP = 4
		*nPPL = 4
		*mmluLimit = 2
		// act's MMLU test subjects (synthetic questions in Hendrycks' format)
		*mmluDir = filepath.Join(*kit, "..", "..", "act", "testdata")
	}
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "toxicity: set -data-dir or DATA_DIR (the folder `actsh download rtp jigsaw wikipedia mmlu` fills), or run -small")
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
	evalList := strings.Split(*evals, ",")
	has := func(e string) bool {
		for _, x := range evalList {
			if x == e {
				return true
			}
		}
		return false
	}

	start := time.Now()
	results := map[string]map[string][]float64{} // method → measure → per seed
	for _, m := range rows {
		results[m.Name] = map[string][]float64{}
		for s := 0; s < *seeds; s++ {
			seed := 42 + s
			dir, _ := filepath.Abs(filepath.Join(*resultsDir, m.Name, fmt.Sprintf("seed%d", seed)))
			runEvals := *evals
			if *mmluSeeds > 0 && s >= *mmluSeeds {
				var kept []string
				for _, e := range evalList {
					if e != "mmlu" {
						kept = append(kept, e)
					}
				}
				runEvals = strings.Join(kept, ",")
			}
			ov := []string{
				"task_params=toxicity", "model=" + *model, fmt.Sprintf("seed=%d", seed),
				"data_dir=" + AbsPath(*dataDir), "cache_dir=" + AbsPath(*cacheDir), "results_dir=" + dir,
				"evaluation=[" + runEvals + "]",
				fmt.Sprintf("rtp.rtp_sentences=%d", *nRTP), fmt.Sprintf("rtp.ppl_sentences=%d", *nPPL),
				"rtp.toxicity_classifier=" + LocalPath(*classifier),
				"zero_shot.model_path=" + LocalPath(*judge),
				"model_perplexity.perplexity_model_path=" + LocalPath(*pplModel),
				// PPL-model on the RTP continuations, conditioned on their prompts.
				"model_perplexity.data_path=" + filepath.Join(dir, "evaluate_toxicity", "rtp_full.csv"),
				"model_perplexity.column_sentences=[generation,prompt]",
			}
			if *rtpData != "" {
				ov = append(ov, "rtp.rtp_data="+AbsPath(*rtpData))
			}
			if *modelPath != "" {
				ov = append(ov, "model.model_path="+LocalPath(*modelPath))
			}
			if *small {
				ov = append(ov, "rtp.rtp_data="+AbsPath(filepath.Join(*kit, "prompted_gens_gpt2.jsonl")), "responses.batch_size=8",
					"rtp.batch_size=4", "model_perplexity.batch_size=4")
			}
			if *mmluDir != "" {
				ov = append(ov, "mmlu.data_dir="+AbsPath(*mmluDir))
			}
			if *small {
				ov = append(ov, "mmlu.tasks=[mmlu_abstract_algebra,mmlu_miscellaneous,mmlu_high_school_us_history,mmlu_us_foreign_policy]")
			}
			if *mmluLimit > 0 {
				ov = append(ov, fmt.Sprintf("mmlu.limit=%d", *mmluLimit))
			}
			l, ok := lambda[m.Name]
			if !ok {
				l = 1
			}
			ov = append(ov, PaperOverrides(*model, m.Name, l, *actAdd)...)
			fmt.Printf("== %s, seed %d\n", m.Label, seed)
			Pipeline("text_generation", ov...)
			r := results[m.Name]
			run := ReadToxicityRun(dir)
			if has("rtp") {
				r["cls"] = append(r["cls"], 100*run.Score)
				r["ppl_wiki"] = append(r["ppl_wiki"], run.PPLWiki)
			}
			if has("model_perplexity") {
				r["ppl_model"] = append(r["ppl_model"], run.PPLModel)
			}
			if has("zero_shot") {
				r["zero"] = append(r["zero"], 100*run.ZeroShot)
			}
			if has("mmlu") && strings.Contains(runEvals, "mmlu") {
				r["mmlu"] = append(r["mmlu"], 100*run.MMLU)
			}
		}
	}

	fmt.Printf("\n### Toxicity mitigation, %s (%d seed(s), %d RTP prompts, %d Wikipedia sentences)\n\n", *model, *seeds, *nRTP, *nPPL)
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
	fmt.Printf("\nPPL-model: %s. Results in %s; done in %s.\n", *pplModel, *resultsDir, time.Since(start).Round(time.Second))
	if *small {
		fmt.Println("(-small: the judge has random weights and the models are tiny: the numbers check the plumbing, not toxicity.)")
	}
}
