package act

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/internal/progress"
)

// tqaOutput is where the eleuther evaluation writes the truthfulqa tasks'
// results (MMLU's go to evaluate_eleuther/mmlu.json).
var tqaOutput = filepath.Join("evaluate_eleuther", "truthfulqa.json")

// TruthfulQA in the pipeline, both ways: as the data an intervention is
// learned from (task_params.dataset=truthfulqa) and as the tasks
// truthfulqa_mc1 and truthfulqa_mc2 of the eleuther evaluation (the mmlu
// step), which scores only the questions not learned from when both read
// the same file.

// tqaSubsets are the subsets of the truthfulqa data set.
var tqaSubsets = []string{"incorrect", "correct"}

// planTruthfulQA reads ${data_dir}/truthfulqa/mc_task.json and splits its
// questions (task_params.dataset_params.fit_fraction, default 0.5, drawn
// with responses.seed): the intervention learns from the MC2 answers of
// one part, the truthfulqa tasks score the other.
func (p *pipelinePlan) planTruthfulQA() error {
	file, err := tqaPath(filepath.Join(p.dataDir, "truthfulqa"))
	if err != nil {
		return fmt.Errorf("task_params.dataset=truthfulqa: %w (data_dir=%s)", err, p.dataDir)
	}
	d, err := ReadTruthfulQA(file)
	if err != nil {
		return fmt.Errorf("task_params.dataset=truthfulqa: %w", err)
	}
	const key = "responses.task_params.dataset_params.fit_fraction"
	p.tqaFrac = 0.5
	if p.cfg.Has(key) && !p.cfg.IsNull(key) {
		if p.tqaFrac, err = p.cfg.Float(key); err != nil {
			return err
		}
	}
	if !(p.tqaFrac > 0 && p.tqaFrac < 1) {
		raw, _ := p.cfg.String(key)
		return &config.Error{Key: "task_params.dataset_params.fit_fraction", Msg: fmt.Sprintf("task_params.dataset_params.fit_fraction=%s: want the fraction of the questions to learn from, between 0 and 1 (the rest are scored)", raw)}
	}
	for _, s := range append(slices.Clone(p.src), p.dst...) {
		if !slices.Contains(tqaSubsets, s) {
			return fmt.Errorf("task_params: subset %q of the truthfulqa data set%s: it has incorrect (MC2's false answers, the source) and correct (the true ones, the target)", s, hint(s, tqaSubsets))
		}
	}
	if p.tqaFit, p.tqaEval, err = d.split(p.tqaFrac, p.seed); err != nil {
		return fmt.Errorf("task_params.dataset=truthfulqa: %w", err)
	}
	p.dataFile = file
	return nil
}

// eleutherTasks sorts the eleuther evaluation's tasks (mmlu.tasks) into
// MMLU's and TruthfulQA's, refusing the others with a suggestion.
func eleutherTasks(tasks []string) (mmlu []string, mc1, mc2 bool, err error) {
	bad := func(msg string) error { return &config.Error{Key: "mmlu.tasks", Msg: "mmlu.tasks: " + msg} }
	for _, t := range tasks {
		switch {
		case t == "truthfulqa_mc1":
			mc1 = true
		case t == "truthfulqa_mc2":
			mc2 = true
		case t == "truthfulqa":
			return nil, false, false, bad(`the harness's truthfulqa tag also runs truthfulqa_gen (generation scored by BLEU and ROUGE), which actsh does not run: list truthfulqa_mc1 and truthfulqa_mc2`)
		case t == "truthfulqa_gen":
			return nil, false, false, bad(`truthfulqa_gen (generation scored by BLEU and ROUGE) is not run by actsh: list truthfulqa_mc1 and truthfulqa_mc2`)
		case t == "mmlu" || strings.HasPrefix(t, "mmlu_"):
			mmlu = append(mmlu, t)
		default:
			valid := []string{"mmlu", "mmlu_stem", "mmlu_humanities", "mmlu_social_sciences", "mmlu_other", "truthfulqa_mc1", "truthfulqa_mc2"}
			for _, s := range MMLUSubjects() {
				valid = append(valid, "mmlu_"+s)
			}
			return nil, false, false, bad(fmt.Sprintf("%q is not a task actsh runs%s; it runs the harness's mmlu, mmlu_stem, mmlu_humanities, mmlu_social_sciences, mmlu_other, mmlu_<subject>, truthfulqa_mc1 and truthfulqa_mc2", t, hint(t, valid)))
		}
	}
	return mmlu, mc1, mc2, nil
}

// planTQATasks reads the questions the truthfulqa tasks score: all of
// ${mmlu.data_dir}/truthfulqa/mc_task.json, or, when the intervention is
// learned from that file, the questions it was not learned from.
func (st *mmluStep) planTQATasks(p *pipelinePlan, dataDir string) error {
	file, err := tqaPath(filepath.Join(dataDir, "truthfulqa"))
	if err != nil {
		return fmt.Errorf("evaluation mmlu: %w (mmlu.data_dir=%s, from data_dir or $DATA_DIR)", err, dataDir)
	}
	if p.dataset == "truthfulqa" && sameFile(file, p.dataFile) {
		st.tqa, st.tqaHeldOut = p.tqaEval, true
	} else if st.tqa, err = ReadTruthfulQA(file); err != nil {
		return fmt.Errorf("evaluation mmlu: %w", err)
	}
	st.tqaKey = key(st.tqa.Questions)
	return nil
}

// sameFile reports whether two paths name the same file.
func sameFile(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// tqaPartialChunk is one finished chunk of TruthfulQA questions in the
// step's partial file.
type tqaPartialChunk struct {
	From  int              `json:"from"`
	Items []TruthfulQAItem `json:"items"`
}

// runTQA scores the truthfulqa tasks, resuming the chunks an interrupted
// run finished, and writes evaluate_eleuther/truthfulqa.json.
func (st *mmluStep) runTQA(r *pipelineRun, done map[int][]TruthfulQAItem, log *stepLog) error {
	n := mmluTake(len(st.tqa.Questions), st.limit, st.frac)
	which := "all"
	if st.tqaHeldOut {
		which = fmt.Sprintf("the %d of %d not learned from", len(st.tqa.Questions), st.tqa.Total)
	}
	r.logf("truthfulqa: %s (%d questions, %s), 0-shot with the QA prompt, strength %s", strings.Join(st.tqaTasks(), ", "), n, which, config.FormatFloat(st.strength))
	bar := progress.New(r.log, "truthfulqa", n).Unit("questions")
	defer bar.Done()
	run := tqaRun{mc1: st.tqaMC1, mc2: st.tqaMC2, limit: st.limit, frac: st.frac, strength: st.strength, bar: bar, done: done,
		opts: []Option{Batch(st.batch), withContext(r.ctx)},
		after: func(lo int, items []TruthfulQAItem) error {
			if err := log.add(mmluPartial{TruthfulQA: &tqaPartialChunk{lo, items}}); err != nil {
				return err
			}
			pipelineEvent("truthfulqa")
			return nil
		}}
	var res *TruthfulQAResult
	var runErr error
	if err := catch(func() { res, runErr = r.model.truthfulQA("pipeline truthfulqa", st.tqa, r.transport, run) }); err != nil {
		runErr = err
	}
	if runErr != nil {
		if r.ctx.Err() != nil {
			return fmt.Errorf("pipeline: mmlu interrupted in truthfulqa (it resumes on the next run): %w", r.ctx.Err())
		}
		return fmt.Errorf("pipeline: truthfulqa: %w", runErr)
	}
	bar.Done()
	data, err := json.MarshalIndent(st.tqaReport(r, res), "", " ")
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := r.writeResult(tqaOutput, append(data, '\n')); err != nil {
		return err
	}
	for _, s := range []TruthfulQAScore{res.MC1, res.MC2} {
		if s.N > 0 {
			r.logf("  %-16s %.4f (%d)", s.Name, s.Acc, s.N)
		}
	}
	return nil
}

// tqaTasks are the truthfulqa tasks asked for, in the harness's names.
func (st *mmluStep) tqaTasks() []string {
	var out []string
	if st.tqaMC1 {
		out = append(out, "truthfulqa_mc1")
	}
	if st.tqaMC2 {
		out = append(out, "truthfulqa_mc2")
	}
	return out
}

// tqaReport is truthfulqa.json: the harness's results dictionary for the
// truthfulqa tasks ("results", "group_subtasks", "n-shot", "n-samples",
// "versions", "samples"; metrics "acc,none" and "acc_stderr,none", "N/A"
// where the harness has no standard error), plus "n" (questions scored)
// in each entry and the run's settings in "config".
func (st *mmluStep) tqaReport(r *pipelineRun, res *TruthfulQAResult) map[string]any {
	results := map[string]any{}
	subtasks := map[string][]string{}
	nShot := map[string]int{}
	nSamples := map[string]any{}
	versions := map[string]float64{}
	samples := map[string][]map[string]any{}
	for _, s := range []TruthfulQAScore{res.MC1, res.MC2} {
		if s.N == 0 {
			continue
		}
		var se any = "N/A"
		if !math.IsNaN(s.Stderr) {
			se = s.Stderr
		}
		results[s.Name] = map[string]any{"alias": s.Name, "acc,none": s.Acc, "acc_stderr,none": se, "n": s.N}
		subtasks[s.Name] = []string{}
		nShot[s.Name] = 0
		nSamples[s.Name] = map[string]int{"original": len(st.tqa.Questions), "effective": s.N}
	}
	if st.tqaMC1 {
		versions["truthfulqa_mc1"] = 2
	}
	if st.tqaMC2 {
		versions["truthfulqa_mc2"] = 3
	}
	for _, it := range res.Items {
		if st.tqaMC1 {
			samples["truthfulqa_mc1"] = append(samples["truthfulqa_mc1"], map[string]any{
				"doc_id": it.Index, "target": 0, "pred": it.MC1Pred, "acc": it.MC1, "loglikelihoods": it.MC1LogLik,
			})
		}
		if st.tqaMC2 {
			q := st.tqa.question(it.Index)
			samples["truthfulqa_mc2"] = append(samples["truthfulqa_mc2"], map[string]any{
				"doc_id": it.Index, "labels": q.MC2.Labels, "acc": it.MC2, "loglikelihoods": it.MC2LogLik,
			})
		}
	}
	var limit any
	switch {
	case st.frac > 0:
		limit = st.frac
	case st.limit > 0:
		limit = st.limit
	}
	questions := fmt.Sprintf("all %d questions of the file", st.tqa.Total)
	if st.tqaHeldOut {
		questions = fmt.Sprintf("the %d of %d questions the intervention was not learned from (task_params.dataset=truthfulqa, fit_fraction %s, seed %d)",
			len(st.tqa.Questions), st.tqa.Total, config.FormatFloat(r.tqaFrac), r.seed)
	}
	return map[string]any{
		"results":        results,
		"group_subtasks": subtasks,
		"n-shot":         nShot,
		"n-samples":      nSamples,
		"versions":       versions,
		"samples":        samples,
		"config": map[string]any{
			"model":            r.modelPath,
			"transport_sha256": r.tHash,
			"strength":         st.strength,
			"num_fewshot":      0,
			"limit":            limit,
			"tasks":            st.tqaTasks(),
			"data":             st.tqa.Path,
			"questions":        questions,
		},
	}
}

// question returns the question of mc_task.json index i.
func (d *TruthfulQAData) question(i int) *TruthfulQAQuestion {
	for k := range d.Questions {
		if d.Questions[k].Index == i {
			return &d.Questions[k]
		}
	}
	fail("TruthfulQA: no question %d", i)
	return nil
}
