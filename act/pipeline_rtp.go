package act

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/internal/progress"
)

// rtpStep is the rtp evaluation's plan: ml-act's evaluate_toxicity.py,
// which computes the steered model's perplexity on Wikipedia sentences
// (PPL-Wiki) and its RealToxicityPrompts score, and writes
// results_dir/evaluate_toxicity/{rtp_full.csv, rtp_per_prompt.csv,
// rtp_summary.json}.
type rtpStep struct {
	seed                   uint64
	nPrompts, nPPL, batch  int
	preprompt, classifier  string
	rtpPath                string
	pplPath                string // "" : look in data_dir
	dataDir, results, dir  string
	strength               float64
	position               string
	modelPath              string
	promptsKey, pplDataKey string
}

func planRTP(p *pipelinePlan) (func(r *pipelineRun) error, error) {
	g := &getter{c: p.cfg}
	const s = "rtp."
	st := &rtpStep{}
	st.seed = uint64(g.int(s+"seed", 0))
	st.nPrompts = g.int(s+"rtp_sentences", 0)
	st.nPPL = g.int(s+"ppl_sentences", 0)
	st.batch = g.optInt(s+"batch_size", 16, 1)
	st.preprompt = g.optStr(s + "preprompt")
	st.classifier = g.str(s + "toxicity_classifier")
	st.rtpPath = g.str(s + "rtp_data")
	st.pplPath = g.optStr(s + "ppl_data")
	st.dataDir = g.str(s + "data_dir")
	st.results = g.str(s + "results_dir")
	fast := g.bool(s + "fast")
	model := g.str(s + "model_params.model_path")
	st.strength = g.float(s + "intervention_params.hook_params.strength")
	st.position = g.oneOf(s+"intervention_params.hook_params.intervention_position", g.str(s+"intervention_params.hook_params.intervention_position"), "all", "last")
	if g.err != nil {
		return nil, g.err
	}
	if model != p.modelPath {
		return nil, fmt.Errorf("rtp.model_params.model_path=%s differs from the model the intervention is learned on (%s)", model, p.modelPath)
	}
	if st.classifier == "" {
		return nil, fmt.Errorf("rtp.toxicity_classifier is empty: name the judge (s-nlp/roberta_toxicity_classifier, or a folder)")
	}
	if fast { // as ml-act's pipeline does in fast mode
		st.nPrompts, st.nPPL = 3, 3
	}
	st.modelPath = p.modelPath
	st.dir = filepath.Join(st.results, "evaluate_toxicity")
	// The inputs are checked now, not after the intervention is learned.
	if _, err := os.Stat(st.rtpPath); err != nil {
		return nil, fmt.Errorf("rtp.rtp_data=%s: %w (get it with `actsh download rtp`, or point rtp.rtp_data at RealToxicityPrompts JSON lines, e.g. from `actsh download rtp-prompts`)", st.rtpPath, err)
	}
	if _, _, err := wikipediaSentences(st.pplPath, st.dataDir, 1); err != nil {
		return nil, err
	}
	return st.run, nil
}

// wikipediaSentences reads the perplexity sentences: ml-act's
// wikipedia_sentences.csv (index, text, concept; rows whose concept is
// "wikipedia") in data_dir, or else the sentence-transformers file
// `actsh download wikipedia` fetches (one sentence per line, gzip); path
// names either explicitly. The first n are kept.
func wikipediaSentences(path, dataDir string, n int) ([]string, string, error) {
	if path == "" {
		csvPath := filepath.Join(dataDir, "wikipedia_sentences.csv")
		gzPath := filepath.Join(dataDir, "wikipedia-en-sentences.txt.gz")
		if _, err := os.Stat(csvPath); err == nil {
			path = csvPath
		} else if _, err := os.Stat(gzPath); err == nil {
			path = gzPath
		} else {
			return nil, "", fmt.Errorf("no Wikipedia sentences for the perplexity: neither %s (ml-act's file) nor %s (`actsh download wikipedia`) exists; or set rtp.ppl_data=FILE", csvPath, gzPath)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("rtp.ppl_data: %w", err)
	}
	defer f.Close()
	var rd io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, "", fmt.Errorf("rtp.ppl_data=%s: %w", path, err)
		}
		rd = z
	}
	var out []string
	if strings.HasSuffix(strings.TrimSuffix(path, ".gz"), ".csv") {
		cr := csv.NewReader(rd)
		cr.FieldsPerRecord = -1
		head, err := cr.Read()
		if err != nil {
			return nil, "", fmt.Errorf("rtp.ppl_data=%s: %w", path, err)
		}
		text, concept := -1, -1
		for i, h := range head {
			switch h {
			case "text":
				text = i
			case "concept":
				concept = i
			}
		}
		if text < 0 {
			return nil, "", fmt.Errorf("rtp.ppl_data=%s has no \"text\" column (columns: %s)", path, strings.Join(head, ", "))
		}
		for n <= 0 || len(out) < n {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, "", fmt.Errorf("rtp.ppl_data=%s: %w", path, err)
			}
			if text >= len(rec) || (concept >= 0 && (concept >= len(rec) || rec[concept] != "wikipedia")) {
				continue
			}
			out = append(out, rec[text])
		}
	} else {
		data, err := io.ReadAll(rd)
		if err != nil {
			return nil, "", fmt.Errorf("rtp.ppl_data=%s: %w", path, err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if n > 0 && len(out) >= n {
				break
			}
			if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
				out = append(out, l)
			}
		}
	}
	if len(out) == 0 {
		return nil, "", fmt.Errorf("rtp.ppl_data=%s has no sentences", path)
	}
	return out, path, nil
}

// rtpSummary is rtp_summary.json, ml-act's keys (NaN written as null).
type rtpSummary map[string]any

func nanNull(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// NanStd is numpy's nanstd (population standard deviation of the values
// that are not NaN); NaN when there are none.
func NanStd(xs []float64) float64 {
	m := NanMean(xs)
	if math.IsNaN(m) {
		return m
	}
	var s float64
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			s += (x - m) * (x - m)
			n++
		}
	}
	return math.Sqrt(s / float64(n))
}

func (st *rtpStep) run(r *pipelineRun) error {
	rel := func(name string) string { return filepath.Join("evaluate_toxicity", name) }
	all, err := readRTP(st.rtpPath)
	if err != nil {
		return fmt.Errorf("pipeline: rtp.rtp_data: %w", err)
	}
	prompts := SampleRTP(all, st.nPrompts, st.seed)
	wiki, wikiPath, err := wikipediaSentences(st.pplPath, st.dataDir, st.nPPL)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	var c *Classifier
	if err := catch(func() { c = LoadClassifier(st.classifier) }); err != nil {
		return fmt.Errorf("pipeline: rtp.toxicity_classifier=%s: %w", st.classifier, err)
	}
	if !slices.Contains(c.Labels(), "toxic") {
		return fmt.Errorf("pipeline: rtp.toxicity_classifier=%s has labels %s; ml-act counts a continuation as toxic when the top label is \"toxic\", and this judge has none", st.classifier, strings.Join(c.Labels(), ", "))
	}
	stepKey := key("rtp/1", r.modelPath, r.tHash, st.strength, st.position, prompts, st.preprompt, st.classifier,
		c.m.Dir(), wikiPath, len(wiki), st.seed, st.batch, rtpSampling)
	marker := filepath.Join(st.dir, ".rtp.key")
	if r.skipIfDone("rtp", marker, stepKey, rel("rtp_summary.json"), rel("rtp_full.csv"), rel("rtp_per_prompt.csv")) {
		return nil
	}
	// Both parts resume: perplexity chunk by chunk, generation batch by
	// batch.
	recs, log, err := openStepLog[rtpRecord](filepath.Join(st.dir, "rtp_full.csv.partial"), stepKey)
	if err != nil {
		return err
	}
	defer log.close()
	donePPL, doneGen := map[int][]float64{}, map[int][]string{}
	for _, rec := range recs {
		if rec.PPL != nil {
			donePPL[rec.Index] = nullToNaN(rec.PPL)
		} else {
			doneGen[rec.Index] = rec.Texts
		}
	}

	// PPL-Wiki: the steered model's perplexity, ml-act's parallel mode
	// (autoregressive when the intervention acts on the last token).
	r.logf("rtp: perplexity of the steered model (λ=%s) on %d Wikipedia sentences from %s", config.FormatFloat(st.strength), len(wiki), wikiPath)
	var ppls []float64
	bar := progress.New(r.log, "rtp perplexity", len(wiki)).Unit("sentences")
	for ci, lo := 0, 0; lo < len(wiki); ci, lo = ci+1, lo+rtpPPLChunk {
		part := wiki[lo:min(lo+rtpPPLChunk, len(wiki))]
		if pp, ok := donePPL[ci]; ok && len(pp) == len(part) {
			ppls = append(ppls, pp...)
			bar.Add(len(part))
			continue
		}
		if err := r.ctx.Err(); err != nil {
			bar.Done()
			return fmt.Errorf("pipeline: rtp interrupted (it resumes on the next run): %w", err)
		}
		var pp []float64
		if err := catch(func() {
			pp = r.model.Perplexities(part, r.transport, st.strength, Truncate(pplMaxGeneration), Batch(st.batch),
				Position(st.position), withContext(r.ctx))
		}); err != nil {
			bar.Done()
			return fmt.Errorf("pipeline: rtp perplexity: %w", err)
		}
		if err := log.add(rtpRecord{Index: ci, PPL: nanToNull(pp)}); err != nil {
			bar.Done()
			return err
		}
		ppls = append(ppls, pp...)
		bar.Add(len(part))
		pipelineEvent("rtp-ppl")
	}
	bar.Done()

	// RealToxicityPrompts.
	texts := make([]string, len(prompts))
	for i, p := range prompts {
		texts[i] = p.Text
	}
	bar = progress.New(r.log, "rtp", len(prompts)).Unit("prompts")
	var gens []string
	for bi, lo := 0, 0; lo < len(texts); bi, lo = bi+1, lo+st.batch {
		part := texts[lo:min(lo+st.batch, len(texts))]
		if g, ok := doneGen[bi]; ok && len(g) == len(part) {
			gens = append(gens, g...)
			bar.Add(len(part))
			continue
		}
		if err := r.ctx.Err(); err != nil {
			bar.Done()
			return fmt.Errorf("pipeline: rtp interrupted (it resumes on the next run): %w", err)
		}
		var g []string
		if err := catch(func() {
			g = r.model.rtpGenerate(part, r.transport, st.strength, st.preprompt, batchSeed(st.seed, 0, bi),
				[]Option{Position(st.position), withContext(r.ctx)})
		}); err != nil {
			bar.Done()
			return fmt.Errorf("pipeline: rtp generation: %w", err)
		}
		if err := log.add(rtpRecord{Index: bi, Texts: g}); err != nil {
			bar.Done()
			return err
		}
		gens = append(gens, g...)
		bar.Add(len(part))
		pipelineEvent("rtp")
	}
	bar.Done()
	var res *ToxicityResult
	if err := catch(func() { res = scoreToxicity(c, prompts, gens) }); err != nil {
		return fmt.Errorf("pipeline: rtp: the judge %s: %w", st.classifier, err)
	}

	// rtp_full.csv and rtp_per_prompt.csv as pandas writes them.
	var full bytes.Buffer
	w := csv.NewWriter(&full)
	w.Write([]string{"", "generation_idx", "prompt", "generation", "prompt_toxicity", "cls_pred", "cls_pred_numeric", "cls_pred_score"})
	for i, g := range res.Generations {
		tox := "0"
		if g.Toxic {
			tox = "1"
		}
		w.Write([]string{strconv.Itoa(i), "0", g.Prompt, g.Generation, config.FormatFloat(g.PromptToxicity), g.Label, tox, config.FormatFloat(g.Score)})
	}
	w.Flush()
	var per bytes.Buffer
	w = csv.NewWriter(&per)
	w.Write([]string{"", "prompt", "num_continuations_toxic", "rtp_cont_toxicity", "rtp_prompt_toxicity"})
	for i, g := range res.Generations {
		tox := "0"
		if g.Toxic {
			tox = "1"
		}
		ct := ""
		if c := prompts[i].ContinuationToxicity; !math.IsNaN(c) {
			ct = config.FormatFloat(c)
		}
		w.Write([]string{strconv.Itoa(i), g.Prompt, tox, ct, config.FormatFloat(g.PromptToxicity)})
	}
	w.Flush()
	sum := rtpSummary{
		"rtp_score":                 nanNull(res.Score),
		"rtp_score_non":             nanNull(res.ScoreNonToxic),
		"rtp_score_tox":             nanNull(res.ScoreToxic),
		"rtp_prob":                  nanNull(res.Prob),
		"rtp_num_prompts":           res.Prompts,
		"rtp_num_completions":       res.Completions,
		"rtp_num_completions_total": res.Prompts * res.Completions,
		"perplexity-wikipedia":      nanNull(NanMean(ppls)),
		"perplexity-wikipedia-std":  nanNull(NanStd(ppls)),
		"strength":                  st.strength, // actsh's own: the λ it ran at
	}
	js, _ := json.MarshalIndent(sum, "", "  ")
	for _, out := range []struct {
		name string
		data []byte
	}{{"rtp_full.csv", full.Bytes()}, {"rtp_per_prompt.csv", per.Bytes()}, {"rtp_summary.json", append(js, '\n')}} {
		if err := r.writeResult(rel(out.name), out.data); err != nil {
			return err
		}
	}
	if err := log.finish(marker, stepKey); err != nil {
		return err
	}
	r.logf("rtp: toxic continuations %.2f%% of %d prompts (λ=%s); PPL-Wiki %.3f over %d sentences; in %s",
		100*res.Score, res.Prompts, config.FormatFloat(st.strength), NanMean(ppls), len(ppls), rel(""))
	return nil
}

// rtpRecord is one finished unit of the rtp step in its partial file:
// the perplexities of chunk Index (PPL, NaN as null), or the continuations
// of generation batch Index (Texts).
type rtpRecord struct {
	Index int        `json:"i"`
	PPL   []*float64 `json:"ppl,omitempty"`
	Texts []string   `json:"texts,omitempty"`
}

// rtpPPLChunk is how many Wikipedia sentences one perplexity record holds.
const rtpPPLChunk = 64

func nanToNull(xs []float64) []*float64 {
	out := make([]*float64, len(xs))
	for i := range xs {
		if !math.IsNaN(xs[i]) {
			out[i] = &xs[i]
		}
	}
	return out
}

func nullToNaN(xs []*float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.NaN()
		if x != nil {
			out[i] = *x
		}
	}
	return out
}

// pplMaxGeneration is ml-act's max_generation_length: sentences without a
// prompt keep their first 50 tokens for the perplexity.
const pplMaxGeneration = 50
