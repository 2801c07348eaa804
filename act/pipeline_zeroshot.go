package act

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/internal/progress"
)

// zeroShotStep is the zero_shot evaluation's plan: ml-act's
// evaluate_0shot.py, a chat model (Llama-3-8B-Instruct in the paper)
// asked about every text of a CSV (by default the rtp step's
// generations), written to results_dir/evaluate_0shot/0shot_eval.csv: the
// input columns, then per system prompt i the columns q{i}_llm_answer,
// q{i}_{answer}, q{i}_{answer}_sm_10, q{i}_llm_answer_logit (two answers)
// and q{i}_llm_answer_num.
type zeroShotStep struct {
	modelPath           string
	dataPath, dataPath2 string // dataPath2 "": the second text comes from dataPath
	systems, answers    []string
	colPrompt, col1     string // colPrompt "": no prompts
	col2                string // "": one text per row
	prepend             []string
	dir                 string
}

// zeroShotTopK is ml-act's k of compute_topk_softmax, which names the
// softmax columns (_sm_10).
const zeroShotTopK = 10

// zeroShotBatch is how many conversations one forward pass scores (ml-act:
// one at a time; the scores are the same up to float rounding).
const zeroShotBatch = 8

func planZeroShot(p *pipelinePlan) (func(r *pipelineRun) error, error) {
	g := &getter{c: p.cfg}
	const s = "zero_shot."
	st := &zeroShotStep{}
	st.modelPath = g.str(s + "model_path")
	st.dataPath = g.str(s + "data_path")
	st.dataPath2 = g.optStr(s + "data_path2")
	st.systems = g.strs(s + "system_prompt")
	st.answers = g.strs(s + "system_answers")
	st.colPrompt = g.optStr(s + "col_prompt")
	st.col1 = g.str(s + "col_sentence1")
	st.col2 = g.optStr(s + "col_sentence2")
	if g.err == nil && !p.cfg.IsNull(s+"prepend") {
		st.prepend = g.strs(s + "prepend")
	}
	// Read for their checks: greedy one-token answers need no seed, and
	// ml-act's seq_len (tokenizer.model_max_length) does not truncate a
	// chat prompt; fast mode changes nothing in ml-act's zero_shot.
	g.optInt(s+"seq_len", 0, 1)
	g.int(s+"seed", 0)
	g.bool(s + "fast")
	g.oneOf(s+"dtype", strings.TrimPrefix(g.str(s+"dtype"), "torch."), "float32", "float", "bfloat16", "float16", "half")
	results := g.str(s + "results_dir")
	if g.err != nil {
		return nil, g.err
	}
	if err := st.planConcept(p.cfg); err != nil {
		return nil, err
	}
	switch {
	case st.modelPath == "":
		return nil, &config.Error{Key: s + "model_path", Msg: "zero_shot.model_path is empty: name the judge, a chat model (meta-llama/Meta-Llama-3-8B-Instruct, a folder, or tiny)"}
	case st.col1 == "":
		return nil, &config.Error{Key: s + "col_sentence1", Msg: "zero_shot.col_sentence1 is empty: name the CSV column of the texts to judge"}
	case st.prepend != nil && len(st.prepend) < 1+btoi(st.col2 != ""):
		return nil, &config.Error{Key: s + "prepend", Msg: fmt.Sprintf("zero_shot.prepend=%v: want one label per text column, e.g. [\"(Q1)\", \"(Q2)\"]", st.prepend)}
	}
	for i, a := range st.answers {
		if a == "" || slices.Index(st.answers, a) != i {
			return nil, &config.Error{Key: s + "system_answers", Msg: fmt.Sprintf("zero_shot.system_answers=%v: want distinct, non-empty answers", st.answers)}
		}
	}
	st.dir = filepath.Join(results, "evaluate_0shot")
	// The data: checked now when it exists; a file that another evaluation
	// writes (by default rtp's rtp_full.csv) is checked when zero_shot runs,
	// after that evaluation.
	for _, d := range []struct {
		key, path string
		cols      []string
	}{
		{"data_path", st.dataPath, []string{st.col1, st.colPrompt}},
		{"data_path2", st.dataPath2, nil},
	} {
		if d.path == "" {
			continue
		}
		if d.key == "data_path" && st.dataPath2 == "" {
			d.cols = append(d.cols, st.col2)
		} else if d.key == "data_path2" {
			d.cols = []string{st.col2}
		}
		// ml-act's toxicity task lists zero_shot before rtp, whose file it
		// reads: there it judges an earlier run's generations, or fails;
		// here it waits for this run's (planInput).
		producer, waiting, exists := p.planInput("zero_shot", d.path)
		if waiting {
			continue
		}
		if exists {
			if _, err := zeroShotColumns(d.key, d.path, d.cols); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case producer == "":
			return nil, fmt.Errorf("zero_shot.%s=%s does not exist (ml-act's default is the file the rtp evaluation writes, results_dir/evaluate_toxicity/rtp_full.csv): point zero_shot.%s at a CSV with the column %s", d.key, d.path, d.key, st.col1)
		case !p.planned(producer):
			return nil, fmt.Errorf("zero_shot.%s=%s does not exist; the %s evaluation writes it: list it in evaluation, e.g. \"evaluation=['%s','zero_shot']\"", d.key, d.path, producer, producer)
		}
	}
	return st.run, nil
}

// planConcept makes the judge the concept judge of the paper's concept
// induction (actsh's keys, which ml-act does not have): with
// zero_shot.concept set, every system prompt's {concept} and {definition}
// are filled in, the definition being zero_shot.concept_definition or,
// when that is null or missing, the concept's WordNet definition
// ([ConceptDefinition]). task_params=onesec sets both keys and the prompt.
func (st *zeroShotStep) planConcept(cfg *config.Config) error {
	const s = "zero_shot."
	if !cfg.Has(s+"concept") || cfg.IsNull(s+"concept") {
		return nil
	}
	concept, err := cfg.String(s + "concept")
	if err != nil {
		return err
	}
	if strings.TrimSpace(concept) == "" {
		return &config.Error{Key: s + "concept", Msg: "zero_shot.concept is empty: name the concept (or null for no concept judge)"}
	}
	def := ""
	if cfg.Has(s + "concept_definition") {
		if def, err = cfg.OptString(s + "concept_definition"); err != nil {
			return err
		}
	}
	if strings.TrimSpace(def) == "" {
		d, ok := conceptDefinition(concept)
		if !ok {
			return &config.Error{Key: s + "concept_definition", Msg: fmt.Sprintf("zero_shot.concept=%s: actsh has no WordNet definition for it (it has %s): "+
				"give one, e.g. \"zero_shot.concept_definition='a written work or composition that has been published'\"", concept, strings.Join(ConceptNames(), ", "))}
		}
		def = d
	}
	for i, sys := range st.systems {
		st.systems[i] = conceptPrompt(sys, concept, def)
	}
	return nil
}

// evalOutputs are the CSV files evaluations write, relative to their
// results_dir, which the zero-shot judge can read.
var evalOutputs = map[string]string{
	"rtp":              filepath.Join("evaluate_toxicity", "rtp_full.csv"),
	"text-generation":  filepath.Join("generate_with_hooks", "text_generation.csv"),
	"model_perplexity": filepath.Join("evaluate_perplexity", "model_perplexity.csv"),
}

// planInput plans a step that reads the file path. When an evaluation
// listed after the step writes it, the step is moved to run right after
// that one (waiting; ml-act runs evaluations in the order listed, so it
// would read an earlier run's file). Otherwise it reports whether the
// file exists now and which evaluation writes it ("" for none; planned
// before the step when p.planned says so).
func (p *pipelinePlan) planInput(step, path string) (producer string, waiting, exists bool) {
	producer = p.producerOf(path)
	if producer != "" && !p.planned(producer) && p.listed(producer) {
		p.runAfter(step, producer)
		return producer, true, false
	}
	_, err := os.Stat(path)
	return producer, false, err == nil
}

// producerOf names the evaluation that writes path ("" for none).
func (p *pipelinePlan) producerOf(path string) string {
	for name, rel := range evalOutputs {
		key := strings.ReplaceAll(name, "-", "_") + ".results_dir"
		if dir, err := p.cfg.String(key); err == nil && samePath(path, filepath.Join(dir, rel)) {
			return name
		}
	}
	return ""
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// samePath reports whether two paths name the same file.
func samePath(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}

// zeroShotColumns reads a CSV and the named columns ("" skipped).
func zeroShotColumns(key, path string, cols []string) (*pandasCSV, error) {
	data, err := readPandasCSV(path)
	if err != nil {
		return nil, fmt.Errorf("zero_shot.%s: %w", key, err)
	}
	for _, c := range cols {
		if c != "" && !slices.Contains(data.header[1:], c) {
			return nil, fmt.Errorf("zero_shot.%s=%s has no column %q (columns: %s)", key, path, c, strings.Join(data.header[1:], ", "))
		}
	}
	return data, nil
}

// zsBatch is one finished batch in the resumable partial file.
type zsBatch struct {
	System int             `json:"q"`
	Batch  int             `json:"b"`
	Scores []ZeroShotScore `json:"scores"`
}

func (st *zeroShotStep) run(r *pipelineRun) error {
	rel := filepath.Join("evaluate_0shot", "0shot_eval.csv")
	data, err := zeroShotColumns("data_path", st.dataPath, []string{st.col1, st.colPrompt})
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	data2 := data
	if st.dataPath2 != "" {
		if data2, err = zeroShotColumns("data_path2", st.dataPath2, nil); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
	}
	col := func(d *pandasCSV, name, path string) []string {
		v, err := d.column(name, path)
		if err != nil {
			panic(err) // checked by zeroShotColumns
		}
		return v
	}
	sents := col(data, st.col1, st.dataPath)
	var prompts, second []string
	if st.colPrompt != "" {
		prompts = col(data, st.colPrompt, st.dataPath)
	}
	if st.col2 != "" {
		path2 := cmp.Or(st.dataPath2, st.dataPath)
		if !slices.Contains(data2.header[1:], st.col2) {
			return fmt.Errorf("pipeline: zero_shot.col_sentence2: %s has no column %q (columns: %s)", path2, st.col2, strings.Join(data2.header[1:], ", "))
		}
		if second = col(data2, st.col2, path2); len(second) < len(sents) {
			return fmt.Errorf("pipeline: zero_shot.data_path2=%s has %d rows, fewer than the %d of zero_shot.data_path", path2, len(second), len(sents))
		}
		second = second[:len(sents)]
	}
	// ml-act removes "<s>" from the texts (not from the prompts).
	for _, texts := range [][]string{sents, second} {
		for i, s := range texts {
			texts[i] = strings.ReplaceAll(s, "<s>", "")
		}
	}
	inputs := make([]judgeInput, len(sents))
	for i, s := range sents {
		inputs[i] = judgeInput{sentence: s}
		if prompts != nil {
			inputs[i].prompt, inputs[i].hasPrompt = prompts[i], true
		}
		if second != nil {
			inputs[i].second, inputs[i].hasSecond = second[i], true
		}
	}

	sum2 := "" // no data_path2
	if st.dataPath2 != "" {
		sum2 = data2.sum
	}
	stepKey := key("zero_shot/1", st.modelPath, data.sum, sum2, st.systems, st.answers,
		st.colPrompt, st.col1, st.col2, st.prepend, zeroShotTopK)
	marker := filepath.Join(st.dir, ".0shot_eval.key")
	if r.skipIfDone("zero_shot", marker, stepKey, rel) {
		return nil
	}

	judgeModel := r.model
	if st.modelPath != r.modelPath {
		r.logf("zero_shot: loading the judge %s", st.modelPath)
		em, err := engine.Load(r.ctx, st.modelPath, engine.LoadOptions{})
		if err != nil {
			return fmt.Errorf("pipeline: zero_shot.model_path=%s: %w", st.modelPath, err)
		}
		judgeModel = &Model{m: em}
	}
	var j *judge
	if err := catch(func() { j = judgeModel.newJudge("zero_shot", st.answers, zeroShotTopK) }); err != nil {
		return fmt.Errorf("pipeline: zero_shot.model_path=%s: %w", st.modelPath, err)
	}

	lines, log, err := openStepLog[zsBatch](filepath.Join(st.dir, "0shot_eval.csv.partial"), stepKey)
	if err != nil {
		return err
	}
	defer log.close()
	done := map[[2]int][]ZeroShotScore{}
	for _, b := range lines {
		done[[2]int{b.System, b.Batch}] = b.Scores
	}
	r.logf("zero_shot: %d texts × %d system prompts, judge %s, answers %s", len(inputs), len(st.systems), st.modelPath, strings.Join(st.answers, ", "))
	bar := progress.New(r.log, "zero_shot", len(inputs)*len(st.systems)).Unit("texts")
	defer bar.Done()
	scores := make([][]ZeroShotScore, len(st.systems))
	for q, system := range st.systems {
		for bi, lo := 0, 0; lo < len(inputs); bi, lo = bi+1, lo+zeroShotBatch {
			part := inputs[lo:min(lo+zeroShotBatch, len(inputs))]
			if sc, ok := done[[2]int{q, bi}]; ok && len(sc) == len(part) {
				scores[q] = append(scores[q], sc...)
				bar.Add(len(part))
				continue
			}
			if err := r.ctx.Err(); err != nil {
				return fmt.Errorf("pipeline: zero_shot interrupted (it resumes on the next run): %w", err)
			}
			var sc []ZeroShotScore
			if err := catch(func() {
				convs := make([][]map[string]string, len(part))
				for i, in := range part {
					convs[i] = judgeMessages(system, st.answers, in, st.prepend)
				}
				var err error
				sc, err = j.score(r.ctx, convs)
				must(err)
			}); err != nil {
				return fmt.Errorf("pipeline: zero_shot: %w", err)
			}
			if err := log.add(zsBatch{System: q, Batch: bi, Scores: sc}); err != nil {
				return err
			}
			scores[q] = append(scores[q], sc...)
			bar.Add(len(part))
			pipelineEvent("zero_shot")
		}
		yes := 0
		for _, s := range scores[q] {
			if s.Choice == 0 {
				yes++
			}
		}
		r.logf("  q%d: %q answered by %d of %d texts", q, st.answers[0], yes, len(scores[q]))
	}
	bar.Done()

	if err := r.writeResult(rel, st.table(data, data2, scores)); err != nil {
		return err
	}
	if err := log.finish(marker, stepKey); err != nil {
		return err
	}
	r.logf("zero_shot: %s", rel)
	return nil
}

// table is 0shot_eval.csv as ml-act's pandas writes it: the index and
// columns of data_path (then those of data_path2 when one is given; ml-act
// repeats data_path's columns when none is, which this does not), then
// each system prompt's columns. Floats are the float32 values torch's
// .item() gives, printed as Python does.
func (st *zeroShotStep) table(data, data2 *pandasCSV, scores [][]ZeroShotScore) []byte {
	header := slices.Clone(data.header)
	if st.dataPath2 != "" {
		header = append(header, data2.header[1:]...)
	}
	for q := range scores {
		p := "q" + strconv.Itoa(q) + "_"
		header = append(header, p+"llm_answer")
		for _, a := range st.answers {
			header = append(header, p+a)
		}
		for _, a := range st.answers {
			header = append(header, p+a+"_sm_"+strconv.Itoa(zeroShotTopK))
		}
		if len(st.answers) == 2 {
			header = append(header, p+"llm_answer_logit")
		}
		header = append(header, p+"llm_answer_num")
	}
	f32 := func(x float64) string { return config.FormatFloat(float64(float32(x))) }
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	for i, row := range data.rows {
		out := slices.Clone(row)
		for len(out) < len(data.header) {
			out = append(out, "")
		}
		if st.dataPath2 != "" {
			r2 := data2.rows[i]
			for c := 1; c < len(data2.header); c++ {
				if c < len(r2) {
					out = append(out, r2[c])
				} else {
					out = append(out, "")
				}
			}
		}
		for q := range scores {
			s := scores[q][i]
			out = append(out, s.Answer)
			for _, l := range s.Logits {
				out = append(out, f32(l))
			}
			for _, p := range s.Softmax {
				out = append(out, f32(p))
			}
			if len(st.answers) == 2 {
				out = append(out, strconv.Itoa(s.LogitChoice))
			}
			out = append(out, strconv.Itoa(s.Choice))
		}
		w.Write(out)
	}
	w.Flush()
	return b.Bytes()
}
