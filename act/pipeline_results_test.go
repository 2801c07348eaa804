package act_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/actsh/actsh/act"
)

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadToxicityRun reads results folders written in the pipeline's
// formats: every evaluation, some, none, and broken files. Values are
// exact (they are parsed, not computed), except the means, to 1e-12.
func TestReadToxicityRun(t *testing.T) {
	full := map[string]string{
		"evaluate_toxicity/rtp_summary.json": `{"rtp_score": 0.25, "perplexity-wikipedia": 31.5, "strength": 0.5, "rtp_score_non": null}`,
		"evaluate_toxicity/rtp_full.csv": ",generation_idx,prompt,generation,prompt_toxicity,cls_pred,cls_pred_numeric,cls_pred_score\n" +
			"0,0,A,\"one, two\",0.1,neutral,0,0.2\n1,0,B,\"three\nfour\",0.7,toxic,1,0.9\n",
		"evaluate_0shot/0shot_eval.csv":            "text,q0_llm_answer,q0_llm_answer_num\na,Yes,0\nb,No,1\nc,Yes,0\nd,No,1\n",
		"evaluate_perplexity/model_perplexity.csv": "prompt,generation,ppl_tiny,ppl_other\na,b,10,1\nc,d,20,1\ne,f,nan,1\n",
		"evaluate_eleuther/mmlu.json":              `{"results": {"mmlu": {"acc,none": 0.375, "acc_stderr,none": 0.1}}}`,
	}
	nan := math.NaN()
	tests := []struct {
		name  string
		files map[string]string
		want  ToxicityRun
		gens  []string
		panic string // a substring of the panic's message ("" for none)
	}{
		{name: "every evaluation", files: full,
			want: ToxicityRun{Score: 0.25, PPLWiki: 31.5, Strength: 0.5, ZeroShot: 0.5, PPLModel: 15, MMLU: 0.375},
			gens: []string{"one, two", "three\nfour"}},
		{name: "rtp only", files: map[string]string{"evaluate_toxicity/rtp_summary.json": `{"rtp_score": null, "perplexity-wikipedia": 7}`},
			want: ToxicityRun{Score: nan, PPLWiki: 7, Strength: nan, ZeroShot: nan, PPLModel: nan, MMLU: nan}},
		{name: "nothing", files: map[string]string{},
			want: ToxicityRun{Score: nan, PPLWiki: nan, Strength: nan, ZeroShot: nan, PPLModel: nan, MMLU: nan}},
		{name: "broken json", files: map[string]string{"evaluate_toxicity/rtp_summary.json": `{"rtp_score": `},
			panic: "rtp_summary.json"},
		{name: "no generation column", files: map[string]string{"evaluate_toxicity/rtp_full.csv": "prompt,text\na,b\n"},
			panic: "rtp_full.csv has no generation column"},
		{name: "no ppl column", files: map[string]string{"evaluate_perplexity/model_perplexity.csv": "prompt,generation\na,b\n"},
			panic: "model_perplexity.csv has no ppl_<model> column"},
		{name: "empty csv", files: map[string]string{"evaluate_0shot/0shot_eval.csv": ""},
			panic: "empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			var run *ToxicityRun
			msg := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						var e *Error
						if err, ok := r.(error); !ok || !errors.As(err, &e) {
							t.Fatalf("panic %v, want an *act.Error", r)
						}
						msg = e.Error()
					}
				}()
				run = ReadToxicityRun(dir)
				return ""
			}()
			if tt.panic != "" {
				if !strings.Contains(msg, tt.panic) {
					t.Fatalf("panic %q, want one naming %q", msg, tt.panic)
				}
				return
			}
			if msg != "" {
				t.Fatalf("panic: %s", msg)
			}
			if run.Dir != dir {
				t.Errorf("Dir %q, want %q", run.Dir, dir)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"Score", run.Score, tt.want.Score}, {"PPLWiki", run.PPLWiki, tt.want.PPLWiki}, {"Strength", run.Strength, tt.want.Strength},
				{"ZeroShot", run.ZeroShot, tt.want.ZeroShot}, {"PPLModel", run.PPLModel, tt.want.PPLModel}, {"MMLU", run.MMLU, tt.want.MMLU}} {
				if math.IsNaN(c.want) != math.IsNaN(c.got) || math.Abs(c.got-c.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			if strings.Join(run.Generations, "|") != strings.Join(tt.gens, "|") || len(run.Generations) != len(tt.gens) {
				t.Errorf("Generations %q, want %q", run.Generations, tt.gens)
			}
		})
	}
}

// TestReadToxicityRunPipeline reads what the pipeline's rtp step writes on
// the embedded model and the synthetic kit: the score is the share of
// continuations the judge called toxic, one generation per prompt.
func TestReadToxicityRunPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline")
	}
	kit, err := filepath.Abs(filepath.Join("..", "testdata", "toxicity"))
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	r := Pipeline("text_generation", "task_params=toxicity", "model=tiny", "intervention_params=none",
		"data_dir="+kit, "cache_dir="+filepath.Join(d, "cache"), "results_dir="+filepath.Join(d, "results"),
		"rtp.rtp_data="+filepath.Join(kit, "prompted_gens_gpt2.jsonl"), "rtp.rtp_sentences=5", "rtp.ppl_sentences=3",
		"rtp.toxicity_classifier="+filepath.Join(kit, "classifier"), "evaluation=[rtp]")
	run := ReadToxicityRun(r.ResultsDir)
	if len(run.Generations) != 5 {
		t.Fatalf("%d generations, want 5", len(run.Generations))
	}
	if k := run.Score * 5; math.Abs(k-math.Round(k)) > 1e-12 || k < 0 || k > 5 {
		t.Errorf("Score %v is not a share of 5 prompts", run.Score)
	}
	if !(run.PPLWiki > 1) || run.Strength != 0 {
		t.Errorf("PPLWiki %v, Strength %v; want a perplexity above 1 and λ 0 (intervention none)", run.PPLWiki, run.Strength)
	}
	if !math.IsNaN(run.ZeroShot) || !math.IsNaN(run.PPLModel) || !math.IsNaN(run.MMLU) {
		t.Errorf("ZeroShot %v, PPLModel %v, MMLU %v: want NaN (not run)", run.ZeroShot, run.PPLModel, run.MMLU)
	}
}

// MeanStd prints seeds' values as the recipes' tables do.
func TestMeanStd(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want string
	}{
		{"none", nil, "–"},
		{"one", []float64{4.166}, "4.17"},
		{"two", []float64{1, 3}, "2.00 ± 1.00"},
		{"NaN left out", []float64{1, math.NaN(), 3}, "2.00 ± 1.00"},
		{"all NaN", []float64{math.NaN()}, "NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MeanStd(tt.xs); got != tt.want {
				t.Errorf("MeanStd(%v) = %q, want %q", tt.xs, got, tt.want)
			}
		})
	}
}
