package act

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/internal/progress"
)

// mmluStep is the mmlu evaluation's plan: ml-act's evaluate_eleuther.py,
// which runs lm-evaluation-harness's tasks (mmlu.tasks) on the steered
// model (at the intervention's hook_params.strength) and pickles the
// harness's results to results_dir/evaluate_eleuther/eleuther.pkl. actsh
// runs MMLU's tasks (see [Model.MMLU]) on the Hendrycks CSVs in
// ${data_dir}/mmlu, writing results_dir/evaluate_eleuther/mmlu.json, and
// truthfulqa_mc1 and truthfulqa_mc2 (see [Model.TruthfulQA]) on
// ${data_dir}/truthfulqa/mc_task.json, writing
// evaluate_eleuther/truthfulqa.json; each file has the harness's layout.
type mmluStep struct {
	data      *MMLUData // nil without MMLU tasks
	dataKey   string    // fingerprint of the questions read
	tasks     []string  // mmlu.tasks
	mmluTasks []string  // those of MMLU
	shots     int
	limit     int     // questions per subject or task (0: all)
	frac      float64 // or this fraction of each (the harness's limit < 1)
	strength  float64
	batch     int
	dir       string // results_dir/evaluate_eleuther

	tqa            *TruthfulQAData // nil without truthfulqa tasks
	tqaMC1, tqaMC2 bool
	tqaHeldOut     bool   // tqa is the part the intervention was not learned from
	tqaKey         string // fingerprint of its questions
	tqaFirst       bool   // the tasks list truthfulqa before mmlu
}

func planMMLU(p *pipelinePlan) (func(r *pipelineRun) error, error) {
	g := &getter{c: p.cfg}
	const s = "mmlu."
	st := &mmluStep{}
	st.tasks = g.strs(s + "tasks")
	st.shots = g.int(s+"num_fewshot", 0)
	fast := g.bool(s + "fast")
	results := g.str(s + "results_dir")
	dataDir := g.str(s + "data_dir")
	model := g.str(s + "model_path")
	batch := g.str(s + "batch_size")
	st.strength = g.float(s + "intervention_params.hook_params.strength")
	if g.err != nil {
		return nil, g.err
	}
	if model != p.modelPath {
		return nil, fmt.Errorf("mmlu.model_path=%s differs from the model the intervention is learned on (%s)", model, p.modelPath)
	}
	if batch != "auto" {
		n, err := strconv.Atoi(batch)
		if err != nil || n < 1 {
			return nil, &config.Error{Key: s + "batch_size", Msg: fmt.Sprintf("mmlu.batch_size=%s: want auto or a number of sequences per pass (at least 1)", batch)}
		}
		st.batch = n
	}
	if !p.cfg.IsNull(s + "limit") {
		v, err := p.cfg.Float(s + "limit")
		switch {
		case err != nil, v <= 0, v >= 1 && v != math.Trunc(v):
			raw, _ := p.cfg.String(s + "limit")
			return nil, &config.Error{Key: s + "limit", Msg: fmt.Sprintf("mmlu.limit=%s: want null (every question), a number of questions per subject (10) or a fraction of each subject (0.1)", raw)}
		case v < 1:
			st.frac = v
		default:
			st.limit = int(v)
		}
	}
	if fast { // as ml-act's pipeline does in fast mode
		st.limit, st.frac = 10, 0
	}
	mmluTasks, mc1, mc2, err := eleutherTasks(st.tasks)
	if err != nil {
		return nil, err
	}
	if len(mmluTasks) > 0 {
		st.mmluTasks = mmluTasks
		data, err := ReadMMLU(filepath.Join(dataDir, "mmlu"), mmluTasks...)
		if err != nil {
			return nil, fmt.Errorf("evaluation mmlu: %w (mmlu.data_dir=%s, from data_dir or $DATA_DIR)", err, dataDir)
		}
		if err := mmluCheckShots(data, st.shots); err != nil {
			return nil, &config.Error{Key: s + "num_fewshot", Msg: fmt.Sprintf("mmlu.num_fewshot=%d: %v", st.shots, err)}
		}
		st.data = data
		st.dataKey = key(data.Subjects)
	}
	if mc1 || mc2 {
		st.tqaMC1, st.tqaMC2 = mc1, mc2
		st.tqaFirst = strings.HasPrefix(st.tasks[0], "truthfulqa")
		if err := st.planTQATasks(p, dataDir); err != nil {
			return nil, err
		}
	}
	st.dir = filepath.Join(results, "evaluate_eleuther")
	return st.run, nil
}

// mmluPartial is one finished unit of the eleuther evaluation in the
// resumable partial file: an MMLU subject, or a chunk of TruthfulQA
// questions.
type mmluPartial struct {
	Subject    string           `json:"subject,omitempty"`
	Items      []MMLUItem       `json:"items,omitempty"`
	TruthfulQA *tqaPartialChunk `json:"truthfulqa,omitempty"`
}

func (st *mmluStep) run(r *pipelineRun) error {
	out := filepath.Join(st.dir, "mmlu.json")
	rel, _ := filepath.Rel(r.resultsDir, out)
	stepKey := key("mmlu/1", r.modelPath, r.tHash, r.position, st.strength, st.shots, st.limit, st.frac, st.dataKey)
	var outputs []string // in the order they are written
	if st.data != nil {
		outputs = append(outputs, rel)
	}
	if st.tqa != nil {
		stepKey = key(stepKey, "truthfulqa/1", st.tqaMC1, st.tqaMC2, st.tqaKey)
		if st.tqaFirst {
			outputs = slices.Insert(outputs, 0, tqaOutput)
		} else {
			outputs = append(outputs, tqaOutput)
		}
	}
	marker := filepath.Join(st.dir, ".mmlu.key")
	if r.skipIfDone("mmlu", marker, stepKey, outputs...) {
		return nil
	}
	// The files describe this run only: one an earlier run wrote for tasks
	// not asked for now goes.
	for _, f := range []string{rel, tqaOutput} {
		if !slices.Contains(outputs, f) {
			os.Remove(filepath.Join(r.resultsDir, f))
		}
	}
	recs, log, err := openStepLog[mmluPartial](out+".partial", stepKey)
	if err != nil {
		return err
	}
	defer log.close()
	done := map[string][]MMLUItem{}
	tqaDone := map[int][]TruthfulQAItem{}
	for _, p := range recs {
		if p.TruthfulQA != nil {
			tqaDone[p.TruthfulQA.From] = p.TruthfulQA.Items
		} else {
			done[p.Subject] = p.Items
		}
	}
	if st.tqa != nil && st.tqaFirst {
		if err := st.runTQA(r, tqaDone, log); err != nil {
			return err
		}
	}
	if st.data != nil {
		if err := st.runMMLU(r, rel, done, log); err != nil {
			return err
		}
	}
	if st.tqa != nil && !st.tqaFirst {
		if err := st.runTQA(r, tqaDone, log); err != nil {
			return err
		}
	}
	return log.finish(marker, stepKey)
}

// runMMLU scores MMLU's subjects, resuming those an interrupted run
// finished, and writes evaluate_eleuther/mmlu.json (rel).
func (st *mmluStep) runMMLU(r *pipelineRun, rel string, done map[string][]MMLUItem, log *stepLog) error {
	if len(done) > 0 {
		r.logf("mmlu: resuming after %d of %d subjects", len(done), len(st.data.Subjects))
	}
	total := 0
	for _, s := range st.data.Subjects {
		total += mmluTake(len(s.Test), st.limit, st.frac)
	}
	r.logf("mmlu: %d questions of %d subjects, %d-shot, strength %s", total, len(st.data.Subjects), st.shots, config.FormatFloat(st.strength))
	bar := progress.New(r.log, "mmlu", total).Unit("questions")
	defer bar.Done()
	run := mmluRun{shots: st.shots, limit: st.limit, frac: st.frac, strength: st.strength, bar: bar, done: done,
		opts: []Option{Batch(st.batch), withContext(r.ctx)},
		after: func(subject string, items []MMLUItem) error {
			if err := log.add(mmluPartial{Subject: subject, Items: items}); err != nil {
				return err
			}
			pipelineEvent("mmlu")
			return nil
		}}
	var res *MMLUResult
	var runErr error
	if err := catch(func() { res, runErr = r.model.mmlu(st.data, r.transport, run) }); err != nil {
		runErr = err
	}
	if err := runErr; err != nil {
		if r.ctx.Err() != nil {
			return fmt.Errorf("pipeline: mmlu interrupted (it resumes on the next run): %w", r.ctx.Err())
		}
		return fmt.Errorf("pipeline: mmlu: %w", err)
	}
	bar.Done()
	data, err := json.MarshalIndent(st.report(r, res), "", " ")
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := r.writeResult(rel, append(data, '\n')); err != nil {
		return err
	}
	r.logf("mmlu: accuracy %.4f over %d questions (%s)", res.Overall.Acc, res.Overall.N, rel)
	for _, c := range res.Categories {
		r.logf("  %-16s %.4f (%d)", c.Name, c.Acc, c.N)
	}
	return nil
}

// report is mmlu.json: the parts of the harness's results dictionary
// (what ml-act pickles) that MMLU fills, under the harness's names
// ("results", "groups", "group_subtasks", "n-shot", "n-samples",
// "samples"; tasks mmlu, mmlu_stem, mmlu_<subject>; metrics "acc,none"
// and "acc_stderr,none", "N/A" where the harness has no standard error),
// plus "n" (questions scored) in each entry and the run's settings in
// "config".
func (st *mmluStep) report(r *pipelineRun, res *MMLUResult) map[string]any {
	entry := func(alias string, s MMLUScore) map[string]any {
		var se any = "N/A"
		if !math.IsNaN(s.Stderr) {
			se = s.Stderr
		}
		return map[string]any{"alias": alias, "acc,none": s.Acc, "acc_stderr,none": se, "n": s.N}
	}
	results := map[string]any{"mmlu": entry("mmlu", res.Overall)}
	groups := map[string]any{"mmlu": entry("mmlu", res.Overall)}
	subtasks := map[string][]string{}
	for _, c := range res.Categories {
		e := entry(strings.ReplaceAll(c.Name, "_", " "), c)
		results["mmlu_"+c.Name], groups["mmlu_"+c.Name] = e, e
		subtasks["mmlu"] = append(subtasks["mmlu"], "mmlu_"+c.Name)
	}
	nShot := map[string]int{}
	nSamples := map[string]any{}
	samples := map[string][]map[string]any{}
	for _, s := range res.Subjects {
		task := "mmlu_" + s.Name
		results[task] = entry(s.Name, s)
		c := "mmlu_" + MMLUCategory(s.Name)
		subtasks[c] = append(subtasks[c], task)
		nShot[task] = res.Shots
		nSamples[task] = map[string]int{"original": len(st.data.Subject(s.Name).Test), "effective": s.N}
	}
	for _, it := range res.Items {
		acc := 0
		if it.Pred == it.Answer {
			acc = 1
		}
		task := "mmlu_" + it.Subject
		samples[task] = append(samples[task], map[string]any{
			"doc_id": it.Index, "target": it.Answer, "pred": it.Pred, "acc": acc, "loglikelihoods": it.LogLik[:],
		})
	}
	var limit any
	switch {
	case st.frac > 0:
		limit = st.frac
	case st.limit > 0:
		limit = st.limit
	}
	return map[string]any{
		"results":        results,
		"groups":         groups,
		"group_subtasks": subtasks,
		"n-shot":         nShot,
		"n-samples":      nSamples,
		"samples":        samples,
		"config": map[string]any{
			"model":            r.modelPath,
			"transport_sha256": r.tHash,
			"strength":         st.strength,
			"num_fewshot":      st.shots,
			"limit":            limit,
			"tasks":            st.mmluTasks,
			"data_dir":         st.data.Dir,
			"data":             "Hendrycks et al.'s MMLU CSVs (data.tar); the harness reads the same questions from the hub",
		},
	}
}
