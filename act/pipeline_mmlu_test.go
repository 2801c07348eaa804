package act

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// mmluBase runs the mmlu evaluation alone on the embedded model and the
// fixture's three subjects (testdata/mmlu), 1-shot.
func mmluBase(t *testing.T) []string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return []string{"task_params=giraffes", "model=tiny", "responses.batch_size=20", "responses.max_batches=1",
		"intervention_params.incremental=atonce", "evaluation=[mmlu]", "data_dir=" + filepath.Join(wd, "testdata"),
		"mmlu.num_fewshot=1", "mmlu.tasks=[mmlu_abstract_algebra,mmlu_miscellaneous,mmlu_us_foreign_policy]"}
}

// mmluJSON is the part of mmlu.json the tests read.
type mmluJSON struct {
	Results  map[string]map[string]any `json:"results"`
	Groups   map[string]map[string]any `json:"groups"`
	Subtasks map[string][]string       `json:"group_subtasks"`
	NShot    map[string]int            `json:"n-shot"`
	NSamples map[string]struct {
		Original  int `json:"original"`
		Effective int `json:"effective"`
	} `json:"n-samples"`
	Samples map[string][]struct {
		DocID int        `json:"doc_id"`
		LL    [4]float64 `json:"loglikelihoods"`
		Pred  int        `json:"pred"`
	} `json:"samples"`
	Config map[string]any `json:"config"`
}

func readMMLUJSON(t *testing.T, results string) *mmluJSON {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(results, "evaluate_eleuther", "mmlu.json"))
	if err != nil {
		t.Fatal(err)
	}
	var j mmluJSON
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	return &j
}

// The pipeline's mmlu step scores the steered model at the intervention's
// strength as Model.MMLU does, writes the harness-shaped mmlu.json, and is
// skipped when run again on the same inputs.
func TestPipelineMMLU(t *testing.T) {
	d, folders := dirs(t)
	ov := append(mmluBase(t), folders...)
	res := runPipeline(t, ov...)
	results := filepath.Join(d, "results")
	if !slices.Contains(res.Files, "evaluate_eleuther/mmlu.json") || res.Transport == nil {
		t.Fatalf("files %v, transport %v", res.Files, res.Transport)
	}
	j := readMMLUJSON(t, results)

	m := Load("tiny")
	want := m.MMLU(LoadMMLU(filepath.Join("testdata", "mmlu"), "abstract_algebra", "miscellaneous", "us_foreign_policy"),
		res.Transport, 1, Shots(1)) // linear_ot's hook_params.strength
	if got := j.Results["mmlu"]["acc,none"]; got != want.Overall.Acc {
		t.Errorf("overall acc %v, Model.MMLU gives %v", got, want.Overall.Acc)
	}
	for _, s := range want.Subjects {
		task := "mmlu_" + s.Name
		if got := j.Results[task]["acc,none"]; got != s.Acc {
			t.Errorf("%s acc %v, want %v", task, got, s.Acc)
		}
		if j.NShot[task] != 1 || j.NSamples[task].Effective != s.N || j.NSamples[task].Original != s.N {
			t.Errorf("%s: n-shot %d, n-samples %+v", task, j.NShot[task], j.NSamples[task])
		}
	}
	for _, it := range want.Items {
		got := j.Samples["mmlu_"+it.Subject][it.Index]
		if got.DocID != it.Index || got.LL != it.LogLik || got.Pred != it.Pred {
			t.Errorf("%s %d: sample %+v, want %v", it.Subject, it.Index, got, it.LogLik)
		}
	}
	if strings.Join(j.Subtasks["mmlu"], " ") != "mmlu_stem mmlu_other mmlu_social_sciences" ||
		strings.Join(j.Subtasks["mmlu_stem"], " ") != "mmlu_abstract_algebra" {
		t.Errorf("group_subtasks %v", j.Subtasks)
	}
	if j.Groups["mmlu_social_sciences"]["alias"] != "social sciences" || j.Results["mmlu_us_foreign_policy"]["acc_stderr,none"] == nil {
		t.Errorf("groups %v", j.Groups)
	}
	if j.Config["strength"] != 1.0 || j.Config["num_fewshot"] != 1.0 || j.Config["limit"] != nil || j.Config["transport_sha256"] == "" {
		t.Errorf("config %v", j.Config)
	}
	// Unsteered, the same questions score differently.
	plain := m.MMLU(LoadMMLU(filepath.Join("testdata", "mmlu"), "miscellaneous"), nil, 0, Shots(1))
	if plain.Items[0].LogLik == want.Items[3].LogLik {
		t.Errorf("the pipeline's scores are the plain model's: the intervention was not active")
	}

	again := runPipeline(t, ov...)
	if strings.Join(again.Skipped, ",") != "interventions,mmlu" {
		t.Errorf("second run skipped %v", again.Skipped)
	}
	// limit as the harness reads it: a fraction of each subject (ceil), or
	// a count; fast mode is 10.
	for _, tc := range []struct {
		ov   string
		want map[string]int
	}{
		{"mmlu.limit=0.5", map[string]int{"mmlu_abstract_algebra": 2, "mmlu_miscellaneous": 2, "mmlu_us_foreign_policy": 1}},
		{"mmlu.limit=3", map[string]int{"mmlu_abstract_algebra": 3, "mmlu_miscellaneous": 3, "mmlu_us_foreign_policy": 2}},
		{"mmlu.fast=true", map[string]int{"mmlu_abstract_algebra": 3, "mmlu_miscellaneous": 4, "mmlu_us_foreign_policy": 2}},
	} {
		runPipeline(t, append(append([]string(nil), ov...), tc.ov)...)
		j := readMMLUJSON(t, results)
		for task, n := range tc.want {
			if j.NSamples[task].Effective != n || len(j.Samples[task]) != n {
				t.Errorf("%s: %s scored %d questions (%d samples), want %d", tc.ov, task, j.NSamples[task].Effective, len(j.Samples[task]), n)
			}
		}
	}
}

// Bad mmlu settings and missing data stop the pipeline before anything
// runs, with one line naming the setting.
func TestPipelineMMLUBadSettings(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct{ ov, want string }{
		{"mmlu.num_fewshot=-1", "mmlu.num_fewshot must be at least 0"},
		{"mmlu.num_fewshot=6", "mmlu.num_fewshot=6: abstract_algebra has 5 dev questions"},
		{"mmlu.num_fewshot=five", "mmlu.num_fewshot expects an integer"},
		{"mmlu.limit=0", "mmlu.limit=0: want null"},
		{"mmlu.limit=ten", "mmlu.limit=ten: want null"},
		{"mmlu.limit=2.5", "mmlu.limit=2.5: want null"},
		{"mmlu.batch_size=0", "mmlu.batch_size=0: want auto"},
		{"mmlu.tasks=[hellaswag]", `"hellaswag" is not a task actsh runs`},
		{"mmlu.tasks=[mmlu_anatomyy]", `did you mean "anatomy"?`},
		{"mmlu.tasks=[mmlu]", "anatomy_dev.csv and 105 more of the 114 files"},
		{"data_dir=" + empty, "MMLU data missing in " + filepath.Join(empty, "mmlu") + " ("},
		{"data_dir=" + empty, "run `actsh download mmlu` to fetch it into $DATA_DIR/mmlu (mmlu.data_dir=" + empty + ", from data_dir"},
		{"mmlu.model_path=gpt2", "mmlu.model_path=gpt2 differs"},
	} {
		d := t.TempDir()
		ov := append(append(mmluBase(t), "results_dir="+filepath.Join(d, "results"), "cache_dir="+filepath.Join(d, "cache")), tc.ov)
		_, err := RunPipeline(context.Background(), PipelineOptions{Overrides: ov, Log: io.Discard})
		if err == nil || !IsConfigError(err) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want a config error containing %q", tc.ov, err, tc.want)
		}
		if entries, _ := os.ReadDir(d); len(entries) != 0 {
			t.Errorf("%s: wrote %v", tc.ov, entries)
		}
	}
}

// Killed after its first subject, the mmlu step resumes with the other two
// and writes the same file as a run never interrupted.
func TestPipelineMMLUKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline in child processes")
	}
	ref, folders := dirs(t)
	runPipeline(t, append(mmluBase(t), folders...)...)
	want, err := os.ReadFile(filepath.Join(ref, "results", "evaluate_eleuther", "mmlu.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, folders := dirs(t)
	ov := append(mmluBase(t), folders...)
	child := func(spec childSpec) *exec.Cmd {
		b, _ := json.Marshal(spec)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(b), "GOMLX_NO_AUTO_INSTALL=1")
		return cmd
	}
	err = child(childSpec{Overrides: ov, KillAt: "mmlu", KillN: 1}).Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed: %v", err)
	}
	out, err := child(childSpec{Overrides: ov}).Output()
	if err != nil {
		t.Fatalf("resumed: %v\n%s", err, out)
	}
	var events map[string]int
	if err := json.Unmarshal(out, &events); err != nil || events["mmlu"] != 2 {
		t.Errorf("the resumed run scored %d subjects (events %s), want the 2 left", events["mmlu"], out)
	}
	got, err := os.ReadFile(filepath.Join(d, "results", "evaluate_eleuther", "mmlu.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.ReplaceAll(got, []byte(d), []byte("DIR")), bytes.ReplaceAll(want, []byte(ref), []byte("DIR"))) {
		t.Errorf("mmlu.json after a kill differs from the uninterrupted run's")
	}
	if left, _ := filepath.Glob(filepath.Join(d, "results", "evaluate_eleuther", "*.partial")); len(left) > 0 {
		t.Errorf("left %v", left)
	}
}
