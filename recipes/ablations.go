//go:build ignore

// Recipe ablations reproduces the paper's ablations of AcT on the toxicity
// setup (arXiv 2410.23054, Tables 4–7), each a set of pipeline runs that
// change one setting of Linear-AcT or Mean-AcT:
//
//   - causal: how the maps are estimated (Tables 4–5). incr fits the
//     layers one at a time, each layer's responses computed with the
//     earlier layers already steered (causal); atonce fits every layer
//     from the unsteered model's responses (simultaneous);
//   - pooling: how a text's activations are pooled over its tokens before
//     the fit (Table 6): mean, max, min, median, last;
//   - diversity: Self-BLEU of the continuations at several strengths λ
//     (Table 7), beside their toxicity;
//   - support: Linear-AcT's support, the source quantiles outside which a
//     unit is left alone (quantiles_src: q_all, q_0_100, …, q_40_60).
//
// Every run learns the intervention from Jigsaw (toxic → non-toxic) at the
// layers of recipes/toxicity.go's AcT rows, continues RealToxicityPrompts
// prompts under it, and every table shows CLS toxicity, PPL-Wiki and
// Self-BLEU (and 0-shot toxicity, PPL-model, MMLU when -evals asks),
// mean ± std over seeds, beside the paper's numbers, as Markdown.
//
//	go run ./cmd/actsh run recipes/ablations.go -small      # CI size: tiny models, testdata/toxicity
//	go run ./cmd/actsh run recipes/ablations.go -model gemma-2-2b -sections causal,pooling -data-dir $DATA_DIR
//
// Flags (after the file name): -model, -model-path, -sections, -seeds,
// -strength, -strengths, -poolings, -supports, -bleu-order, -rtp, -ppl,
// -max-batches, -evals, -mmlu-limit, -data-dir, -cache-dir, -results-dir,
// -classifier, -judge, -ppl-model, -rtp-data, -mmlu-dir, -small, -kit.
// The README's "Ablations" section says what a full run needs.
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

// setting is one pipeline run's intervention: every field spelled out, so
// that the same run asked for by two sections runs once.
type setting struct {
	method      string // the pipeline's intervention_params: none, mean_ot, linear_ot
	incremental string // incr or atonce
	pooling     string // responses' pooling_op
	support     string // hook_params.quantiles_src
	strength    float64
}

// key names the setting's results folder.
func (s setting) key() string {
	if s.method == "none" {
		return "none"
	}
	return fmt.Sprintf("%s-%s-%s-%s-%s", s.method, s.incremental, s.pooling, s.support, strconv.FormatFloat(s.strength, 'g', -1, 64))
}

// row is one line of a table: the method, the value of the setting the
// section varies, and the run.
type row struct {
	method, value string
	s             setting
}

// section is one ablation: a table whose rows vary one setting.
type section struct {
	name, title, column, note string
	rows                      []row
}

var labels = map[string]string{"none": "Original", "mean_ot": "Mean-AcT", "linear_ot": "Linear-AcT"}

// defaultSupport is each method's quantiles_src in its config
// (configs/intervention_params).
var defaultSupport = map[string]string{"linear_ot": "q_0_100", "mean_ot": "q_all"}

// paper holds the ablation tables' numbers printed beside ours: model →
// "section/row/measure" → value (row: the setting's key). The paper's
// Tables 4–7 could not be read from the offline machine this recipe was
// written on, so none is filled in and every cell prints "?"; copy them
// from arXiv 2410.23054 (appendix) into this map.
var paper = PaperTable{
	"gemma-2-2b":      {},
	"Meta-Llama-3-8B": {},
}

func main() {
	model := flag.String("model", "gemma-2-2b", "model config (gemma-2-2b, Meta-Llama-3-8B, gpt2, tiny)")
	modelPath := flag.String("model-path", "", "checkpoint folder or HF id instead of the config's model_path")
	sectionNames := flag.String("sections", "causal,pooling,diversity,support", "ablations to run, in order (causal, pooling, diversity, support)")
	seeds := flag.Int("seeds", 1, "seeds per setting (the paper: 5); measures are reported as mean ± std over them")
	strength := flag.Float64("strength", 1, "λ of the causal, pooling and support sections")
	strengths := flag.String("strengths", "0.5,1", "the λs of the diversity section")
	poolings := flag.String("poolings", "mean,max,min,median,last", "the pooling section's pooling_ops")
	supports := flag.String("supports", "q_all,q_0_100,q_0.5_99.5,q_1_99,q_2_98,q_5_95,q_10_90,q_20_80,q_30_70,q_40_60", "the support section's quantiles_src")
	bleuOrder := flag.Int("bleu-order", 4, "the longest n-gram of Self-BLEU (Texygen: 4)")
	nRTP := flag.Int("rtp", 1000, "RealToxicityPrompts prompts (at least 2: Self-BLEU compares them)")
	nPPL := flag.Int("ppl", 20000, "Wikipedia sentences for PPL-Wiki")
	maxBatches := flag.Int("max-batches", 0, "responses.max_batches: batches of Jigsaw texts to learn from (0: all, as the paper)")
	evals := flag.String("evals", "rtp", "evaluations to run: rtp, and zero_shot, model_perplexity, mmlu for more columns")
	mmluLimit := flag.Int("mmlu-limit", 0, "MMLU questions per subject (0: all)")
	dataDir := flag.String("data-dir", os.Getenv("DATA_DIR"), "data directory (actsh download rtp jigsaw wikipedia mmlu)")
	cacheDir := flag.String("cache-dir", "", "cache directory (default: data directory)")
	resultsDir := flag.String("results-dir", "ablation-results", "where each run's results go (one folder per setting and seed)")
	classifier := flag.String("classifier", "s-nlp/roberta_toxicity_classifier", "the RoBERTa toxicity judge")
	judge := flag.String("judge", "meta-llama/Meta-Llama-3-8B-Instruct", "the chat model of the 0-shot judge")
	pplModel := flag.String("ppl-model", "mistralai/Mistral-7B-v0.1", "the model of PPL-model")
	rtpData := flag.String("rtp-data", "", "RealToxicityPrompts JSON lines (default: the config's ${cache_dir}/prompted_gens_gpt2.jsonl)")
	mmluDir := flag.String("mmlu-dir", "", "folder holding mmlu/{dev,test} (default: the data directory)")
	small := flag.Bool("small", false, "CI size: model tiny, the synthetic kit (-kit), tiny judges, a few prompts")
	kit := flag.String("kit", "testdata/toxicity", "the synthetic toxicity kit used by -small")
	flag.Parse()

	if *small {
		// (one assignment per line: Yaegi mishandles tuple assignment through pointers)
		k, _ := filepath.Abs(*kit)
		*model = "tiny"
		*dataDir = k
		*classifier = filepath.Join(k, "classifier")
		*judge = "tiny"
		*pplModel = "tiny"
		*rtpData = filepath.Join(k, "prompted_gens_gpt2.jsonl")
		*nRTP = 8
		*nPPL = 4
		*mmluLimit = 2
		// act's MMLU test subjects (synthetic questions in Hendrycks' format)
		*mmluDir = filepath.Join(k, "..", "..", "act", "testdata")
	}
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "ablations: set -data-dir or DATA_DIR (the folder `actsh download rtp jigsaw wikipedia mmlu` fills), or run -small")
		os.Exit(2)
	}
	if *nRTP < 2 {
		fmt.Fprintf(os.Stderr, "ablations: -rtp %d: Self-BLEU needs at least 2 continuations\n", *nRTP)
		os.Exit(2)
	}
	d, _ := filepath.Abs(*dataDir)
	*dataDir = d
	if *cacheDir == "" {
		*cacheDir = *dataDir
		if *small {
			*cacheDir = filepath.Join(*resultsDir, "cache")
		}
	}
	c, _ := filepath.Abs(*cacheDir)
	*cacheDir = c
	evalList := strings.Split(*evals, ",")
	has := func(e string) bool {
		for _, x := range evalList {
			if strings.TrimSpace(x) == e {
				return true
			}
		}
		return false
	}
	if !has("rtp") {
		fmt.Fprintln(os.Stderr, "ablations: -evals must include rtp (CLS toxicity, PPL-Wiki and the continuations Self-BLEU reads come from it)")
		os.Exit(2)
	}
	var lambdas []float64
	for _, v := range strings.Split(*strengths, ",") {
		l, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ablations: -strengths %q: want numbers, e.g. 0.5,1\n", *strengths)
			os.Exit(2)
		}
		lambdas = append(lambdas, l)
	}

	// The sections, each varying one setting of the paper's AcT (incr,
	// mean pooling, the method's support, λ = -strength).
	base := func(method string) setting {
		return setting{method: method, incremental: "incr", pooling: "mean", support: defaultSupport[method], strength: *strength}
	}
	original := row{"Original", "–", setting{method: "none"}}
	var sections []section
	for _, name := range strings.Split(*sectionNames, ",") {
		sec := section{name: strings.TrimSpace(name)}
		switch sec.name {
		case "causal":
			sec.title = "Causal vs simultaneous estimation (Tables 4–5)"
			sec.column = "estimation"
			sec.note = "incr: layer by layer, each layer's responses computed with the earlier layers steered (causal); atonce: every layer from the unsteered model (simultaneous)."
			sec.rows = []row{original}
			for _, m := range []string{"mean_ot", "linear_ot"} {
				for _, inc := range []string{"atonce", "incr"} {
					s := base(m)
					s.incremental = inc
					sec.rows = append(sec.rows, row{labels[m], inc, s})
				}
			}
		case "pooling":
			sec.title = "Pooling of the responses (Table 6)"
			sec.column = "pooling"
			sec.note = "Linear-AcT (incr); pooling_op reduces each text's activations over its tokens before the fit."
			sec.rows = []row{original}
			for _, p := range strings.Split(*poolings, ",") {
				s := base("linear_ot")
				s.pooling = strings.TrimSpace(p)
				sec.rows = append(sec.rows, row{labels["linear_ot"], s.pooling, s})
			}
		case "diversity":
			sec.title = "Diversity of the continuations (Table 7)"
			sec.column = "λ"
			sec.note = "Self-BLEU: higher means the continuations repeat each other more."
			sec.rows = []row{original}
			for _, m := range []string{"mean_ot", "linear_ot"} {
				for _, l := range lambdas {
					s := base(m)
					s.strength = l
					sec.rows = append(sec.rows, row{labels[m], strconv.FormatFloat(l, 'g', -1, 64), s})
				}
			}
		case "support":
			sec.title = "Support of Linear-AcT (quantiles_src)"
			sec.column = "support"
			sec.note = "Linear-AcT (incr); a unit is steered only where its value lies within these quantiles of the source's (q_all: everywhere)."
			sec.rows = []row{original}
			for _, q := range strings.Split(*supports, ",") {
				s := base("linear_ot")
				s.support = strings.TrimSpace(q)
				sec.rows = append(sec.rows, row{labels["linear_ot"], s.support, s})
			}
		default:
			fmt.Fprintf(os.Stderr, "ablations: unknown section %q (known: causal, pooling, diversity, support)\n", sec.name)
			os.Exit(2)
		}
		sections = append(sections, sec)
	}

	start := time.Now()
	results := map[string]map[string][]float64{} // setting key → measure → per seed
	for _, sec := range sections {
		for _, rw := range sec.rows {
			s := rw.s
			if _, done := results[s.key()]; done {
				continue
			}
			r := map[string][]float64{}
			results[s.key()] = r
			for k := 0; k < *seeds; k++ {
				seed := 42 + k
				dir, _ := filepath.Abs(filepath.Join(*resultsDir, s.key(), fmt.Sprintf("seed%d", seed)))
				ov := []string{
					"task_params=toxicity", "model=" + *model, fmt.Sprintf("seed=%d", seed),
					"data_dir=" + *dataDir, "cache_dir=" + *cacheDir, "results_dir=" + dir,
					"evaluation=[" + *evals + "]",
					fmt.Sprintf("rtp.rtp_sentences=%d", *nRTP), fmt.Sprintf("rtp.ppl_sentences=%d", *nPPL),
					"rtp.toxicity_classifier=" + *classifier,
					"zero_shot.model_path=" + *judge,
					"model_perplexity.perplexity_model_path=" + *pplModel,
					// PPL-model on the RTP continuations, conditioned on their prompts.
					"model_perplexity.data_path=" + filepath.Join(dir, "evaluate_toxicity", "rtp_full.csv"),
					"model_perplexity.column_sentences=[generation,prompt]",
				}
				// The method at the paper's places (the AcT rows of Table 2), then
				// the setting this row varies.
				ov = append(ov, PaperOverrides(*model, s.method, s.strength, "")...)
				if s.method != "none" {
					ov = append(ov, "intervention_params.incremental="+s.incremental,
						"intervention_params.pooling_op="+s.pooling,
						"intervention_params.hook_params.quantiles_src="+s.support)
				}
				if *maxBatches > 0 {
					ov = append(ov, fmt.Sprintf("responses.max_batches=%d", *maxBatches))
				}
				if *rtpData != "" {
					ov = append(ov, "rtp.rtp_data="+*rtpData)
				}
				if *modelPath != "" {
					ov = append(ov, "model.model_path="+*modelPath)
				}
				if *mmluDir != "" {
					ov = append(ov, "mmlu.data_dir="+*mmluDir)
				}
				if *mmluLimit > 0 {
					ov = append(ov, fmt.Sprintf("mmlu.limit=%d", *mmluLimit))
				}
				if *small {
					ov = append(ov, "responses.batch_size=8", "rtp.batch_size=4", "model_perplexity.batch_size=4",
						"mmlu.tasks=[mmlu_abstract_algebra,mmlu_miscellaneous,mmlu_high_school_us_history,mmlu_us_foreign_policy]")
				}
				fmt.Printf("== %s, seed %d\n", s.key(), seed)
				Pipeline("text_generation", ov...)
				run := ReadToxicityRun(dir)
				r["cls"] = append(r["cls"], 100*run.Score)
				r["ppl_wiki"] = append(r["ppl_wiki"], run.PPLWiki)
				r["self_bleu"] = append(r["self_bleu"], 100*SelfBLEU(run.Generations, BLEUOrder(*bleuOrder)))
				if has("zero_shot") {
					r["zero"] = append(r["zero"], 100*run.ZeroShot)
				}
				if has("model_perplexity") {
					r["ppl_model"] = append(r["ppl_model"], run.PPLModel)
				}
				if has("mmlu") {
					r["mmlu"] = append(r["mmlu"], 100*run.MMLU)
				}
			}
		}
	}

	// The tables: CLS toxicity, PPL-Wiki and Self-BLEU always, the other
	// evaluations when they ran.
	type measure struct{ key, title string }
	measures := []measure{{"cls", "CLS tox. %"}, {"ppl_wiki", "PPL-Wiki"}, {"self_bleu", fmt.Sprintf("Self-BLEU-%d ×100", *bleuOrder)}}
	if has("zero_shot") {
		measures = append(measures, measure{"zero", "0-shot tox. %"})
	}
	if has("model_perplexity") {
		measures = append(measures, measure{"ppl_model", "PPL-model"})
	}
	if has("mmlu") {
		measures = append(measures, measure{"mmlu", "MMLU %"})
	}
	for _, sec := range sections {
		fmt.Printf("\n### %s, %s (%d seed(s), %d RTP prompts, %d Wikipedia sentences)\n\n%s\n\n", sec.title, *model, *seeds, *nRTP, *nPPL, sec.note)
		fmt.Printf("| method | %s |", sec.column)
		for _, ms := range measures {
			fmt.Printf(" %s | paper |", ms.title)
		}
		fmt.Print("\n|---|---|")
		for range measures {
			fmt.Print("---:|---:|")
		}
		fmt.Println()
		for _, rw := range sec.rows {
			fmt.Printf("| %s | %s |", rw.method, rw.value)
			for _, ms := range measures {
				fmt.Printf(" %s | %s |", MeanStd(results[rw.s.key()][ms.key]), paper.Cell(*model, sec.name+"/"+rw.s.key(), ms.key))
			}
			fmt.Println()
		}
	}
	fmt.Printf("\nλ = %s unless the table varies it. Self-BLEU: the RTP continuations of each run against each other (Texygen's measure, BLEUOrder %d).\n",
		strconv.FormatFloat(*strength, 'g', -1, 64), *bleuOrder)
	if _, ok := paper[*model]; ok {
		fmt.Println("paper: the paper's Tables 4–7 could not be read offline; its cells print ? until copied into the recipe's paper map.")
	}
	fmt.Printf("Results in %s; done in %s.\n", *resultsDir, time.Since(start).Round(time.Second))
	if *small {
		fmt.Println("(-small: the judge has random weights and the models are tiny: the numbers check the plumbing, not toxicity.)")
	}
}
