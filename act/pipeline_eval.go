package act

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/actsh/actsh/act/config"
	"github.com/actsh/actsh/internal/progress"
)

// evaluations are the pipeline's evaluation steps by their ml-act names.
// Each reads and checks its settings when the run is planned and returns
// the step to run. The toxicity, concept and image work adds theirs here.
var evaluations = map[string]func(p *pipelinePlan) (func(r *pipelineRun) error, error){
	"text-generation":  planTextGeneration,
	"rtp":              planRTP,
	"model_perplexity": planModelPerplexity,
	"mmlu":             planMMLU,
	"zero_shot":        planZeroShot,

	"text-to-image-generation": planImageGeneration,
	"clip_score":               planClipScore,
}

// laterEvaluations are ml-act's evaluations this version does not have yet,
// with what brings them.
var laterEvaluations = map[string]string{}

func evaluationNames() []string { return slices.Sorted(maps.Keys(evaluations)) }

func laterNames() []string { return slices.Sorted(maps.Keys(laterEvaluations)) }

// ml-act's sampling for text generation (its SAMPLING_KWARGS, from ActAdd).
const (
	tgTemperature       = 1.0
	tgTopP              = 0.3
	tgRepetitionPenalty = 1.2
)

// textGen is the text-generation evaluation's plan: ml-act's
// generate_with_hooks.py, which writes
// results_dir/generate_with_hooks/text_generation.csv with one row per
// sentence (strength, prompt, generation) at every strength of
// np.linspace(min_strength, max_strength, strength_sample_size).
type textGen struct {
	seed      uint64
	batches   [][]string // prompts per batch (the same at every strength)
	newLen    int
	strengths []float64
	dir       string // results_dir/generate_with_hooks
	results   string
}

func planTextGeneration(p *pipelinePlan) (func(r *pipelineRun) error, error) {
	g := &getter{c: p.cfg}
	const s = "text_generation."
	tg := &textGen{}
	tg.seed = uint64(g.int(s+"seed", 0))
	batch := g.int(s+"batch_size", 1)
	n := g.int(s+"num_sentences", 1)
	tg.newLen = g.int(s+"new_seq_len", 1)
	minS, maxS := g.float(s+"min_strength"), g.float(s+"max_strength")
	steps := g.int(s+"strength_sample_size", 1)
	prompt := g.str(s + "prompt")
	fast := g.bool(s + "fast")
	tg.results = g.str(s + "results_dir")
	model := g.str(s + "model_params.model_path")
	if g.err != nil {
		return nil, g.err
	}
	if model != p.modelPath {
		return nil, fmt.Errorf("text_generation.model_params.model_path=%s differs from the model the intervention is learned on (%s)", model, p.modelPath)
	}
	if fast { // as ml-act's pipeline does in fast mode
		tg.newLen, n, maxS, steps = 10, 3, 1, 2
	}
	tg.strengths = linspace(minS, maxS, steps)
	tg.dir = filepath.Join(tg.results, "generate_with_hooks")
	bs := min(batch, n)
	if strings.HasSuffix(prompt, ".txt") {
		data, err := os.ReadFile(prompt)
		if err != nil {
			return nil, fmt.Errorf("text_generation.prompt=%s: %v", prompt, err)
		}
		lines := strings.Split(string(data), "\n")
		if len(lines) > n {
			lines = lines[:n]
		}
		var prompts []string
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				prompts = append(prompts, l)
			}
		}
		if len(prompts) == 0 {
			return nil, fmt.Errorf("text_generation.prompt=%s has no prompts", prompt)
		}
		for i := 0; i < len(prompts); i += bs {
			tg.batches = append(tg.batches, prompts[i:min(i+bs, len(prompts))])
		}
	} else {
		if prompt == "" {
			return nil, fmt.Errorf("text_generation.prompt is empty: give a prompt or a .txt file of prompts")
		}
		for _, size := range arraySplit(n, bs) {
			b := make([]string, size)
			for i := range b {
				b[i] = prompt
			}
			tg.batches = append(tg.batches, b)
		}
	}
	return tg.run, nil
}

// linspace is numpy's linspace: start + i·step, the last value exactly stop.
func linspace(start, stop float64, n int) []float64 {
	if n == 1 {
		return []float64{start}
	}
	step := (stop - start) / float64(n-1)
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)*step + start
	}
	out[n-1] = stop
	return out
}

// arraySplit gives the batch sizes of ml-act's
// np.array_split(np.arange(n), n / bs): ⌊n/bs⌋ nearly equal batches, the
// first ones one larger (one batch of n when n < bs).
func arraySplit(n, bs int) []int {
	k := n / bs
	if k < 1 {
		return []int{n}
	}
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
		if i < n%k {
			out[i]++
		}
	}
	return out
}

// tgBatch is one finished batch in the resumable partial file.
type tgBatch struct {
	Strength int      `json:"s"`
	Batch    int      `json:"b"`
	Texts    []string `json:"texts"`
}

func (tg *textGen) run(r *pipelineRun) error {
	csvPath := filepath.Join(tg.dir, "text_generation.csv")
	rel, _ := filepath.Rel(r.resultsDir, csvPath)
	stepKey := key("text-generation/1", r.modelPath, r.tHash, tg.batches, tg.newLen, tg.strengths, tg.seed,
		tgTemperature, tgTopP, tgRepetitionPenalty, r.position)
	marker := filepath.Join(tg.dir, ".text_generation.key")
	if r.skipIfDone("text-generation", marker, stepKey, rel) {
		return nil
	}
	recs, log, err := openStepLog[tgBatch](csvPath+".partial", stepKey)
	if err != nil {
		return err
	}
	defer log.close()
	done := batchTexts(recs)
	total := 0
	for _, b := range tg.batches {
		total += len(b)
	}
	total *= len(tg.strengths)
	if len(done) > 0 {
		r.logf("text-generation: resuming after %d of %d batches", len(done), len(tg.batches)*len(tg.strengths))
	}
	bar := progress.New(r.log, "text-generation", total).Unit("sentences")
	defer bar.Done()
	for si, lambda := range tg.strengths {
		for bi, prompts := range tg.batches {
			id := [2]int{si, bi}
			if _, ok := done[id]; ok {
				bar.Add(len(prompts))
				continue
			}
			if err := r.ctx.Err(); err != nil {
				return fmt.Errorf("pipeline: text-generation interrupted (it resumes on the next run): %w", err)
			}
			var texts []string
			err := catch(func() {
				texts = r.model.GenerateBatch(prompts, r.transport, lambda, MaxTokens(tg.newLen),
					Sample(tgTemperature, tgTopP), RepetitionPenalty(tgRepetitionPenalty),
					Seed(batchSeed(tg.seed, si, bi)), withContext(r.ctx))
			})
			if err != nil {
				return fmt.Errorf("pipeline: text-generation at strength %g: %w", lambda, err)
			}
			for i, t := range texts {
				// ml-act keeps generated_text.replace(prompt, "").
				texts[i] = strings.ReplaceAll(prompts[i]+t, prompts[i], "")
			}
			if err := log.add(tgBatch{Strength: si, Batch: bi, Texts: texts}); err != nil {
				return err
			}
			done[id] = texts
			bar.Add(len(prompts))
			pipelineEvent("generation")
		}
		if first := done[[2]int{si, 0}]; len(first) > 0 {
			r.logf("  strength %s: %q", config.FormatFloat(lambda), clipN(first[0], 100))
		}
	}
	bar.Done()

	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"", "strength", "prompt", "generation"})
	row := 0
	for si, lambda := range tg.strengths {
		for bi, prompts := range tg.batches {
			for i, t := range done[[2]int{si, bi}] {
				w.Write([]string{strconv.Itoa(row), config.FormatFloat(lambda), prompts[i], t})
				row++
			}
		}
	}
	w.Flush()
	if err := r.writeResult(rel, buf.Bytes()); err != nil {
		return err
	}
	if err := log.finish(marker, stepKey); err != nil {
		return err
	}
	r.logf("text-generation: %d sentences at %d strengths in %s", row, len(tg.strengths), rel)
	return nil
}

// batchTexts indexes the finished batches of an interrupted generation
// by (strength, batch).
func batchTexts(recs []tgBatch) map[[2]int][]string {
	done := map[[2]int][]string{}
	for _, b := range recs {
		done[[2]int{b.Strength, b.Batch}] = b.Texts
	}
	return done
}

// batchSeed gives every batch its own seed, so that a resumed run draws
// the same sentences as an uninterrupted one.
func batchSeed(seed uint64, strength, batch int) uint64 {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(strength))
	binary.LittleEndian.PutUint64(b[16:], uint64(batch))
	h := sha256.Sum256(b[:])
	return binary.LittleEndian.Uint64(h[:8])
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func clipN(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// PipelineEvaluations names the evaluations the pipeline runs (the values
// `evaluation` may list).
func PipelineEvaluations() []string { return evaluationNames() }
