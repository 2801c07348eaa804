package act

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/config"
)

// oneSecKit is the OneSec-format kit of the embedded model's concepts.
var oneSecKit = filepath.Join("..", "testdata", "onesec")

// conceptRun is task_params=onesec on the kit, at the README's size.
func conceptRun(d string, folders []string, extra ...string) []string {
	ov := append([]string{"task_params=onesec", "task_params.concept=money", "model=tiny", "data_dir=" + oneSecKit,
		"responses.batch_size=20", "responses.max_batches=1", "text_generation.num_sentences=3", "text_generation.new_seq_len=12",
		"text_generation.strength_sample_size=2", "intervention_params.incremental=atonce", "device=cpu",
		"zero_shot.model_path=tiny", "model_perplexity.perplexity_model_path=tiny"}, folders...)
	return append(ov, extra...)
}

// task_params=onesec learns non-<concept> → <concept> from the OneSec
// folder, and its zero_shot step is the concept judge: the judge's column
// is ConceptScore's p(yes) on the same continuations.
func TestPipelineOneSecConcept(t *testing.T) {
	d, folders := dirs(t)
	res := runPipeline(t, conceptRun(d, folders)...)
	if res.Transport == nil {
		t.Fatal("no transport")
	}
	if m := res.Transport.raw().Meta; m.Source != "non-money" || m.Target != "money" {
		t.Errorf("transport's source %q, target %q: want non-money → money", m.Source, m.Target)
	}
	results := filepath.Join(d, "results")
	rows := readZeroShotCSV(t, results, ',')
	gen, yes := -1, -1
	for i, h := range rows[0] {
		switch h {
		case "generation":
			gen = i
		case "q0_Yes_sm_10":
			yes = i
		}
	}
	if gen < 0 || yes < 0 || len(rows) != 1+3*2 {
		t.Fatalf("0shot_eval.csv: header %v, %d rows; want generation, q0_Yes_sm_10 and 6 rows", rows[0], len(rows)-1)
	}
	var texts []string
	for _, r := range rows[1:] {
		texts = append(texts, r[gen])
	}
	for i, p := range Load("tiny").ConceptScore("money", "", texts) {
		if got := rows[i+1][yes]; got != config.FormatFloat(float64(float32(p))) {
			t.Errorf("row %d: p(yes) %s, ConceptScore gives %v", i, got, p)
		}
	}
	if _, err := strconv.ParseFloat(readCSV(t, results)[0][1], 64); err != nil {
		t.Errorf("text_generation.csv: %v", err)
	}
}

// The concept judge's prompt is filled in when the run is planned; a
// given definition replaces WordNet's.
func TestPlanConceptJudge(t *testing.T) {
	d, folders := dirs(t)
	plan := func(extra ...string) *zeroShotStep {
		t.Helper()
		cfg, err := PipelineConfig(PipelineOptions{Overrides: conceptRun(d, folders, extra...)})
		if err != nil {
			t.Fatal(err)
		}
		st := &zeroShotStep{}
		st.systems, _ = cfg.Strings("zero_shot.system_prompt")
		if err := st.planConcept(cfg); err != nil {
			t.Fatal(err)
		}
		return st
	}
	want := conceptPrompt(ConceptJudgePrompt, "money", "the most common medium of exchange; functions as legal tender")
	if got := plan().systems; len(got) != 1 || got[0] != want {
		t.Errorf("system prompt %q, want %q", got, want)
	}
	if got := plan("zero_shot.concept_definition='coins and notes'").systems[0]; !strings.HasSuffix(got, `"money": coins and notes.`) {
		t.Errorf("with a definition: %q", got)
	}
	if got := plan("zero_shot.concept=null").systems[0]; got != ConceptJudgePrompt {
		t.Errorf("without a concept the prompt is left as it is; got %q", got)
	}
}

// onesec.yaml carries act.ConceptJudgePrompt.
func TestOneSecConfigPrompt(t *testing.T) {
	cfg, err := PipelineConfig(PipelineOptions{Overrides: []string{"task_params=onesec"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.Strings("zero_shot.system_prompt")
	if err != nil || len(got) != 1 || got[0] != ConceptJudgePrompt {
		t.Errorf("onesec.yaml's zero_shot.system_prompt is %q (%v), ConceptJudgePrompt is %q", got, err, ConceptJudgePrompt)
	}
}

// Missing data, an unknown concept and a concept without a definition stop
// the run before anything is written, with one line naming the problem.
func TestPipelineOneSecErrors(t *testing.T) {
	d, folders := dirs(t)
	tests := []struct {
		name  string
		extra []string
		want  []string
	}{
		{"no data", []string{"data_dir=" + d}, []string{"task_params.dataset=onesec", "no concept_list.csv", "not published"}},
		{"unknown concept", []string{"task_params.concept=monkey"}, []string{`concept "monkey" is not in concept_list.csv`, `did you mean "money"`}},
		{"no definition", []string{"zero_shot.concept=whale"}, []string{"zero_shot.concept=whale", "no WordNet definition", "zero_shot.concept_definition"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RunPipeline(context.Background(), PipelineOptions{Overrides: conceptRun(d, folders, tc.extra...), Log: io.Discard})
			if err == nil || !IsConfigError(err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v: want one config error line", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}
