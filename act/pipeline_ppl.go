package act

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
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

// pplStep is the model_perplexity evaluation's plan: ml-act's
// evaluate_perplexity.py, the perplexity of generations (prompt and
// generation joined) under another, unsteered causal LM (Mistral-7B-v0.1
// in the paper), added as a column ppl_<model> to a copy of the data in
// results_dir/evaluate_perplexity/model_perplexity.csv.
type pplStep struct {
	modelPath         string
	dataPath          string
	sentCol, promptCl string // promptCl "" : no prompts
	batch             int
	position          string
	dir               string
}

// pplMaxContext is ml-act's max_context_length for a prompt joined with its
// sentence.
const pplMaxContext = 128

func planModelPerplexity(p *pipelinePlan) (func(r *pipelineRun) error, error) {
	g := &getter{c: p.cfg}
	const s = "model_perplexity."
	st := &pplStep{}
	st.modelPath = g.str(s + "perplexity_model_path")
	st.dataPath = g.str(s + "data_path")
	cols := g.strs(s + "column_sentences")
	st.batch = g.int(s+"batch_size", 1)
	fast := g.bool(s + "fast")
	results := g.str(s + "results_dir")
	st.position = g.str(s + "intervention_params.hook_params.intervention_position")
	if g.err != nil {
		return nil, g.err
	}
	if len(cols) > 2 {
		return nil, &config.Error{Key: s + "column_sentences", Msg: fmt.Sprintf("model_perplexity.column_sentences=%v: want [sentence column] or [sentence column, prompt column]", cols)}
	}
	st.sentCol = cols[0]
	if len(cols) == 2 {
		st.promptCl = cols[1]
	}
	if fast {
		// ml-act's fast mode swaps in EleutherAI/pythia-70m (a GPT-NeoX,
		// a family actsh does not run); actsh's small stand-in is its
		// embedded model, which needs no download.
		st.modelPath = "tiny"
	}
	st.dir = filepath.Join(results, "evaluate_perplexity")
	// The data must exist now or be written by an evaluation that runs
	// before this one (text-generation's text_generation.csv, rtp's
	// rtp_full.csv).
	producer, waiting, exists := p.planInput("model_perplexity", st.dataPath)
	if !waiting && !exists && (producer == "" || !p.planned(producer)) {
		return nil, fmt.Errorf("model_perplexity.data_path=%s does not exist, and no text-generation or rtp evaluation before model_perplexity writes it: add one, e.g. \"evaluation=['text-generation','model_perplexity']\"", st.dataPath)
	}
	return st.run, nil
}

// pandasCSV is a CSV as pandas writes it: a header (the first column the
// unnamed index) and rows.
type pandasCSV struct {
	header []string
	rows   [][]string
	sum    string // SHA-256 of the file's bytes: steps key their inputs on it
}

// readPandasCSV reads a CSV with a header, as ml-act does (',' and then
// ';' as delimiter).
func readPandasCSV(path string) (*pandasCSV, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, sep := range []rune{',', ';'} {
		cr := csv.NewReader(bytes.NewReader(data))
		cr.Comma = sep
		recs, err := cr.ReadAll()
		if err == nil && len(recs) > 0 && len(recs[0]) > 1 {
			sum := sha256.Sum256(data)
			return &pandasCSV{header: recs[0], rows: recs[1:], sum: hex.EncodeToString(sum[:])}, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("no header with two or more columns")
	}
	return nil, fmt.Errorf("%s: %v (want a CSV with a header, as pandas writes it)", path, firstErr)
}

// column returns the values of a named column.
func (c *pandasCSV) column(name, path string) ([]string, error) {
	i := slices.Index(c.header, name)
	if i < 0 {
		return nil, fmt.Errorf("%s has no column %q (columns: %s)", path, name, strings.Join(c.header, ", "))
	}
	out := make([]string, len(c.rows))
	for r, row := range c.rows {
		if i < len(row) {
			out[r] = row[i]
		}
	}
	return out, nil
}

func (c *pandasCSV) bytes() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(c.header)
	w.WriteAll(c.rows)
	return b.Bytes()
}

func (st *pplStep) run(r *pipelineRun) error {
	rel := filepath.Join("evaluate_perplexity", "model_perplexity.csv")
	data, err := readPandasCSV(st.dataPath)
	if err != nil {
		return fmt.Errorf("pipeline: model_perplexity.data_path: %w (the text-generation evaluation writes it: run it first, e.g. \"evaluation=['text-generation','model_perplexity']\")", err)
	}
	sents, err := data.column(st.sentCol, st.dataPath)
	if err != nil {
		return fmt.Errorf("pipeline: model_perplexity.column_sentences: %w", err)
	}
	for i, s := range sents {
		sents[i] = strings.ReplaceAll(s, "<s> ", "")
	}
	var prompts []string
	if st.promptCl != "" {
		if prompts, err = data.column(st.promptCl, st.dataPath); err != nil {
			return fmt.Errorf("pipeline: model_perplexity.column_sentences: %w", err)
		}
		for i, p := range prompts {
			prompts[i] = strings.TrimSpace(strings.ReplaceAll(p, "<s> ", ""))
		}
	}
	stepKey := key("model_perplexity/1", st.modelPath, data.sum, st.sentCol, st.promptCl, st.position)
	marker := filepath.Join(st.dir, ".model_perplexity.key")
	if r.skipIfDone("model_perplexity", marker, stepKey, rel) {
		return nil
	}
	r.logf("model_perplexity: loading %s", st.modelPath)
	em, err := engine.Load(r.ctx, st.modelPath, engine.LoadOptions{})
	if err != nil {
		return fmt.Errorf("pipeline: model_perplexity.perplexity_model_path=%s: %w", st.modelPath, err)
	}
	pm := &Model{m: em}
	opts := []Option{Batch(st.batch), Position(st.position), withContext(r.ctx)}
	if prompts == nil {
		opts = append(opts, Truncate(pplMaxGeneration))
	} else {
		opts = append(opts, Truncate(pplMaxContext))
	}
	var ppl []float64
	bar := progress.New(r.log, "model_perplexity", len(sents)).Unit("sentences")
	for lo := 0; lo < len(sents); lo += st.batch {
		if err := r.ctx.Err(); err != nil {
			bar.Done()
			return fmt.Errorf("pipeline: model_perplexity interrupted: %w", err)
		}
		hi := min(lo+st.batch, len(sents))
		o := opts
		if prompts != nil {
			o = append(slices.Clone(opts), Prompts(prompts[lo:hi]...))
		}
		var pp []float64
		// The perplexity model is unsteered: ml-act's intervention acts
		// on the generating model only; position "last" only picks the
		// autoregressive mode, as in ml-act.
		if err := catch(func() { pp = pm.Perplexities(sents[lo:hi], nil, 0, o...) }); err != nil {
			bar.Done()
			return fmt.Errorf("pipeline: model_perplexity: %w", err)
		}
		ppl = append(ppl, pp...)
		bar.Add(hi - lo)
	}
	bar.Done()
	col := "ppl_" + filepath.Base(st.modelPath)
	if slices.Contains(data.header, col) {
		col += "-v2"
	}
	data.header = append(data.header, col)
	for i := range data.rows {
		data.rows[i] = append(data.rows[i], strconv.FormatFloat(ppl[i], 'g', -1, 64))
	}
	if err := r.writeResult(rel, data.bytes()); err != nil {
		return err
	}
	if err := writeMarker(marker, stepKey); err != nil {
		return err
	}
	r.logf("model_perplexity: mean %s %.3f over %d sentences, in %s", col, NanMean(ppl), len(ppl), rel)
	if strengths, err := data.column("strength", st.dataPath); err == nil {
		by := map[string][]float64{}
		var order []string
		for i, s := range strengths {
			if _, ok := by[s]; !ok {
				order = append(order, s)
			}
			by[s] = append(by[s], ppl[i])
		}
		for _, s := range order {
			r.logf("  strength %s: %.3f", s, NanMean(by[s]))
		}
	}
	return nil
}
