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

// tqaJSON is the part of truthfulqa.json the tests read.
type tqaJSON struct {
	Results  map[string]map[string]any `json:"results"`
	Subtasks map[string][]string       `json:"group_subtasks"`
	NShot    map[string]int            `json:"n-shot"`
	NSamples map[string]struct {
		Original  int `json:"original"`
		Effective int `json:"effective"`
	} `json:"n-samples"`
	Versions map[string]float64 `json:"versions"`
	Samples  map[string][]struct {
		DocID  int       `json:"doc_id"`
		LL     []float64 `json:"loglikelihoods"`
		Acc    float64   `json:"acc"`
		Pred   int       `json:"pred"`
		Labels []int     `json:"labels"`
	} `json:"samples"`
	Config map[string]any `json:"config"`
}

func readTQAJSON(t *testing.T, results string) *tqaJSON {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(results, "evaluate_eleuther", "truthfulqa.json"))
	if err != nil {
		t.Fatal(err)
	}
	var j tqaJSON
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	return &j
}

// tqaBase runs the eleuther evaluation's truthfulqa tasks alone, on the
// embedded model and testdata's synthetic mc_task.json, with giraffes'
// intervention.
func tqaBase(t *testing.T) []string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return []string{"task_params=giraffes", "model=tiny", "responses.batch_size=20", "responses.max_batches=1",
		"intervention_params.incremental=atonce", "evaluation=[mmlu]", "data_dir=" + filepath.Join(wd, "testdata"),
		"mmlu.num_fewshot=1", "mmlu.tasks=[truthfulqa_mc1,truthfulqa_mc2]"}
}

// The eleuther evaluation runs truthfulqa_mc1 and truthfulqa_mc2 on the
// steered model as Model.TruthfulQA does, writes truthfulqa.json in the
// harness's layout, is skipped on the same inputs, mixes with MMLU's
// tasks (each benchmark in its own file), and drops a file of an earlier
// run whose tasks are not asked for now.
func TestPipelineTruthfulQA(t *testing.T) {
	d, folders := dirs(t)
	results := filepath.Join(d, "results")
	ov := append(tqaBase(t), folders...)
	res := runPipeline(t, ov...)
	if !slices.Contains(res.Files, "evaluate_eleuther/truthfulqa.json") || slices.Contains(res.Files, "evaluate_eleuther/mmlu.json") || res.Transport == nil {
		t.Fatalf("files %v", res.Files)
	}
	j := readTQAJSON(t, results)
	m := Load("tiny")
	data := LoadTruthfulQA(filepath.Join("testdata", "truthfulqa"))
	want := m.TruthfulQA(data, res.Transport, 1) // linear_ot's hook_params.strength
	for _, s := range []TruthfulQAScore{want.MC1, want.MC2} {
		e := j.Results[s.Name]
		if e["acc,none"] != s.Acc || e["acc_stderr,none"] != s.Stderr || e["n"] != float64(s.N) || e["alias"] != s.Name {
			t.Errorf("%s: %v, Model.TruthfulQA gives %+v", s.Name, e, s)
		}
		if j.NShot[s.Name] != 0 || j.NSamples[s.Name].Original != 12 || j.NSamples[s.Name].Effective != 12 || j.Subtasks[s.Name] == nil {
			t.Errorf("%s: n-shot %d (num_fewshot=1 is MMLU's; the harness keeps these tasks at 0), n-samples %+v", s.Name, j.NShot[s.Name], j.NSamples[s.Name])
		}
	}
	for i, it := range want.Items {
		a, b := j.Samples["truthfulqa_mc1"][i], j.Samples["truthfulqa_mc2"][i]
		if a.DocID != it.Index || !slices.Equal(a.LL, it.MC1LogLik) || a.Pred != it.MC1Pred || a.Acc != it.MC1 ||
			b.DocID != it.Index || !slices.Equal(b.LL, it.MC2LogLik) || b.Acc != it.MC2 || !slices.Equal(b.Labels, data.Questions[i].MC2.Labels) {
			t.Errorf("question %d: samples %+v %+v, want %+v", i, a, b, it)
		}
	}
	if j.Versions["truthfulqa_mc1"] != 2 || j.Versions["truthfulqa_mc2"] != 3 || j.Config["num_fewshot"] != 0.0 ||
		!strings.Contains(j.Config["questions"].(string), "all 12 questions") {
		t.Errorf("versions %v, config %v", j.Versions, j.Config)
	}
	plain := m.TruthfulQA(data, nil, 0, Limit(1))
	if slices.Equal(plain.Items[0].MC2LogLik, want.Items[0].MC2LogLik) {
		t.Errorf("the pipeline's scores are the plain model's: the intervention was not active")
	}
	if again := runPipeline(t, ov...); strings.Join(again.Skipped, ",") != "interventions,mmlu" {
		t.Errorf("second run skipped %v", again.Skipped)
	}

	// Mixed with MMLU: both files, MMLU's as an MMLU-only run writes it.
	mixed := append(slices.Clone(ov), "mmlu.tasks=[mmlu_abstract_algebra,truthfulqa_mc1]", "mmlu.limit=3")
	res = runPipeline(t, mixed...)
	j = readTQAJSON(t, results)
	if _, ok := j.Results["truthfulqa_mc2"]; ok || j.NSamples["truthfulqa_mc1"].Effective != 3 || len(j.Samples["truthfulqa_mc1"]) != 3 {
		t.Errorf("mmlu.limit=3, truthfulqa_mc1 only: %v %+v", j.Results, j.NSamples)
	}
	mj := readMMLUJSON(t, results)
	mmluOnly := m.MMLU(LoadMMLU(filepath.Join("testdata", "mmlu"), "abstract_algebra"), res.Transport, 1, Shots(1), Limit(3))
	if mj.Results["mmlu"]["acc,none"] != mmluOnly.Overall.Acc || !slices.Equal(mj.Config["tasks"].([]any), []any{"mmlu_abstract_algebra"}) {
		t.Errorf("mmlu.json of a mixed run: %v, config %v; Model.MMLU gives %v", mj.Results["mmlu"], mj.Config, mmluOnly.Overall.Acc)
	}
	if !slices.Contains(res.Files, "evaluate_eleuther/mmlu.json") || !slices.Contains(res.Files, "evaluate_eleuther/truthfulqa.json") {
		t.Errorf("files %v", res.Files)
	}
	runPipeline(t, append(slices.Clone(ov), "mmlu.tasks=[mmlu_abstract_algebra]")...)
	if _, err := os.Stat(filepath.Join(results, "evaluate_eleuther", "truthfulqa.json")); err == nil {
		t.Errorf("truthfulqa.json of an earlier run stays beside an MMLU-only run's results")
	}
}

// With task_params=truthfulqa the intervention is learned from the MC2
// answers of a seeded part of the questions, and the truthfulqa tasks
// score the others only; intervention none scores the same ones.
func TestPipelineTruthfulQATask(t *testing.T) {
	wd, _ := os.Getwd()
	base := []string{"task_params=truthfulqa", "model=tiny", "responses.batch_size=8", "intervention_params.incremental=atonce",
		"data_dir=" + filepath.Join(wd, "testdata"), "mmlu.tasks=[truthfulqa_mc1,truthfulqa_mc2]"}
	data := LoadTruthfulQA(filepath.Join("testdata", "truthfulqa"))
	for _, tc := range []struct {
		name string
		ov   []string
		frac float64
		seed uint64
	}{
		{"linear_ot", nil, 0.5, 42},
		{"none", []string{"intervention_params=none"}, 0.5, 42},
		{"a quarter seed 7", []string{"task_params.dataset_params.fit_fraction=0.25", "seed=7"}, 0.25, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, folders := dirs(t)
			res := runPipeline(t, append(append(slices.Clone(base), folders...), tc.ov...)...)
			fit, eval := data.Split(tc.frac, tc.seed)
			j := readTQAJSON(t, filepath.Join(d, "results"))
			var got, want []int
			for _, s := range j.Samples["truthfulqa_mc2"] {
				got = append(got, s.DocID)
			}
			for _, q := range eval.Questions {
				want = append(want, q.Index)
			}
			if !slices.Equal(got, want) || j.NSamples["truthfulqa_mc1"].Original != len(want) ||
				!strings.Contains(j.Config["questions"].(string), "not learned from") {
				t.Errorf("scored questions %v, want those not learned from %v; config %v", got, want, j.Config)
			}
			r := m1(t).TruthfulQA(eval, res.Transport, 1)
			if j.Results["truthfulqa_mc2"]["acc,none"] != r.MC2.Acc {
				t.Errorf("mc2 %v, Model.TruthfulQA on the held-out questions %v", j.Results["truthfulqa_mc2"]["acc,none"], r.MC2.Acc)
			}
			if tc.name == "linear_ot" {
				// Learned from the other questions' answers, as Dataset gives them.
				meta := res.Transport.t.Meta
				if meta.Source != "incorrect" || meta.Target != "correct" {
					t.Errorf("transport learned from %q to %q", meta.Source, meta.Target)
				}
				if n := len(fit.Dataset().Subset("correct")); n == 0 {
					t.Errorf("no texts to learn from")
				}
			}
		})
	}
}

var tinyModel *Model

func m1(t *testing.T) *Model {
	if tinyModel == nil {
		tinyModel = Load("tiny")
	}
	return tinyModel
}

// Bad truthfulqa settings and missing data stop the pipeline before
// anything runs, with one line naming the setting.
func TestPipelineTruthfulQABadSettings(t *testing.T) {
	empty := t.TempDir()
	wd, _ := os.Getwd()
	task := []string{"task_params=truthfulqa", "model=tiny", "data_dir=" + filepath.Join(wd, "testdata"), "mmlu.tasks=[truthfulqa_mc1]"}
	for _, tc := range []struct {
		base []string
		ov   string
		want string
	}{
		{tqaBase(t), "mmlu.tasks=[truthfulqa]", "the harness's truthfulqa tag also runs truthfulqa_gen"},
		{tqaBase(t), "mmlu.tasks=[mmlu_anatomy,truthfulqa_gen]", "truthfulqa_gen (generation scored by BLEU and ROUGE) is not run by actsh"},
		{tqaBase(t), "mmlu.tasks=[truthfulqa_mc3]", `"truthfulqa_mc3" is not a task actsh runs (did you mean "truthfulqa_mc1"?)`},
		{tqaBase(t), "mmlu.tasks=[truthfulqa_mc1,mmlu_anatomyy]", `did you mean "anatomy"?`},
		{tqaBase(t), "data_dir=" + empty, "TruthfulQA data missing: no mc_task.json in " + filepath.Join(empty, "truthfulqa")},
		{tqaBase(t), "data_dir=" + empty, "run `actsh download truthfulqa` to fetch it into $DATA_DIR/truthfulqa (mmlu.data_dir=" + empty},
		{task, "data_dir=" + empty, "task_params.dataset=truthfulqa: TruthfulQA data missing"},
		{task, "task_params.dataset_params.fit_fraction=1", "task_params.dataset_params.fit_fraction=1.0: want the fraction of the questions to learn from"},
		{task, "task_params.dataset_params.fit_fraction=half", "expects"},
		{task, "task_params.src_subsets=[incorect]", `subset "incorect" of the truthfulqa data set (did you mean "incorrect"?)`},
		{task, "task_params.dataset=truthfulq", `did you mean "truthfulqa"?`},
	} {
		d := t.TempDir()
		ov := append(append(slices.Clone(tc.base), "results_dir="+filepath.Join(d, "results"), "cache_dir="+filepath.Join(d, "cache")), tc.ov)
		_, err := RunPipeline(context.Background(), PipelineOptions{Overrides: ov, Log: io.Discard})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want an error containing %q", tc.ov, err, tc.want)
		}
		if entries, _ := os.ReadDir(d); len(entries) != 0 {
			t.Errorf("%s: wrote %v", tc.ov, entries)
		}
	}
}

// Killed after its truthfulqa questions, the step resumes with MMLU's
// subjects without scoring them again, and writes the same files as a run
// never interrupted.
func TestPipelineTruthfulQAKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline in child processes")
	}
	tasks := "mmlu.tasks=[truthfulqa_mc1,truthfulqa_mc2,mmlu_abstract_algebra,mmlu_miscellaneous]"
	ref, folders := dirs(t)
	runPipeline(t, append(append(tqaBase(t), folders...), tasks)...)
	d, folders := dirs(t)
	ov := append(append(tqaBase(t), folders...), tasks)
	child := func(spec childSpec) *exec.Cmd {
		b, _ := json.Marshal(spec)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(b), "GOMLX_NO_AUTO_INSTALL=1")
		return cmd
	}
	err := child(childSpec{Overrides: ov, KillAt: "truthfulqa", KillN: 1}).Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed: %v", err)
	}
	out, err := child(childSpec{Overrides: ov}).Output()
	if err != nil {
		t.Fatalf("resumed: %v\n%s", err, out)
	}
	var events map[string]int
	if err := json.Unmarshal(out, &events); err != nil || events["truthfulqa"] != 0 || events["mmlu"] != 2 {
		t.Errorf("the resumed run scored %d truthfulqa chunks and %d subjects (events %s), want 0 and 2", events["truthfulqa"], events["mmlu"], out)
	}
	for _, f := range []string{"truthfulqa.json", "mmlu.json"} {
		want, err1 := os.ReadFile(filepath.Join(ref, "results", "evaluate_eleuther", f))
		got, err2 := os.ReadFile(filepath.Join(d, "results", "evaluate_eleuther", f))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(bytes.ReplaceAll(got, []byte(d), []byte("DIR")), bytes.ReplaceAll(want, []byte(ref), []byte("DIR"))) {
			t.Errorf("%s after a kill differs from the uninterrupted run's", f)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(d, "results", "evaluate_eleuther", "*.partial")); len(left) > 0 {
		t.Errorf("left %v", left)
	}
}
