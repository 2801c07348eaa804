package act

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/actsh/actsh/engine"
)

// This file holds the scoring side of the evaluations: per-token
// log-likelihoods under a (steered) model, and the two measures built on
// them, perplexity as ml-act computes it and log-likelihood of
// continuations as lm-evaluation-harness computes it.

// Prompts gives Perplexities and Perplexity one prompt per text: each text
// is scored as the continuation of its prompt (see [Model.Perplexities]).
func Prompts(prompts ...string) Option { return func(o *options) { o.prompts = prompts } }

// Perplexities returns the perplexity of each text under the model with
// the transport t at strength λ (t nil: unsteered), computed as ml-act's
// evaluations do (act/utils/perplexity.py, parallel mode): the text is
// tokenized with the model's special tokens (BOS where the tokenizer adds
// one) and truncated to its first n tokens (Truncate(n); default the
// model's context), and its perplexity is exp of the mean negative
// log-likelihood of every token after the first. A text with fewer than
// two tokens has nothing to score: NaN.
//
// With Prompts(p...), text i is scored as ml-act's model_perplexity scores
// a generation: prompt i and text i are joined (p+s, no separator),
// tokenized and scored together, all tokens after the first.
//
// With Position("last"), or a transport whose position is "last", it is
// ml-act's autoregressive mode instead (even with t nil, as ml-act picks
// the mode from the intervention's position): the transport acts on the
// last token only, so each token of the text is scored by a pass over the
// prefix before it, steered at that prefix's last token. Only the text's
// tokens are scored (after the prompt, or after the text's first token
// without prompts). ml-act's own loop for this mode skips the longest
// text's last token and scores a padding token for the shorter ones; this
// scores every token once instead.
//
// Options: Prompts, Truncate, Batch (texts per pass, default 8),
// Position.
func (m *Model) Perplexities(texts []string, t *Transport, lambda float64, opts ...Option) []float64 {
	const call = "Perplexities"
	o := collect(opts)
	if o.prompts != nil && len(o.prompts) != len(texts) {
		fail("%s: %d prompts for %d texts (give one prompt per text, or none)", call, len(o.prompts), len(texts))
	}
	st := m.steeringAt(call, t, lambda, o.position)
	tok := m.tokenizer(call)
	maxLen := m.maxLen(o.truncate)
	out := make([]float64, len(texts))
	if o.position == "last" || (st != nil && st.LastOnly) {
		var seqs [][]int
		var starts []int
		for i, s := range texts {
			var ids []int
			start := 1
			if o.prompts != nil {
				p := tok.Encode(o.prompts[i], true)
				cont := tok.Encode(s, false)
				if o.truncate > 0 && len(cont) > o.truncate {
					cont = cont[:o.truncate]
				}
				ids, start = append(p, cont...), len(p)
			} else {
				ids = tok.Encode(s, true)
				if o.truncate > 0 && len(ids) > o.truncate {
					ids = ids[:o.truncate]
				}
			}
			if mp := m.m.Info().MaxPositions; mp > 0 && len(ids) > mp { // keep the end: the prompt loses its start
				cut := len(ids) - mp
				ids, start = ids[cut:], max(start-cut, 1)
			}
			seqs, starts = append(seqs, ids), append(starts, start)
		}
		lps := m.prefixLogProbs(o.context(), seqs, starts, st, o.batch)
		for i, lp := range lps {
			out[i] = perplexityOf(lp)
		}
		return out
	}
	seqs := make([][]int, len(texts))
	for i, s := range texts {
		if o.prompts != nil {
			s = o.prompts[i] + s
		}
		ids := tok.Encode(s, true)
		if maxLen > 0 && len(ids) > maxLen {
			ids = ids[:maxLen]
		}
		seqs[i] = ids
	}
	lps, err := m.tokenLogProbs(o.context(), seqs, st, o.batch)
	must(err)
	for i, lp := range lps {
		out[i] = perplexityOf(lp[1:])
	}
	return out
}

// Perplexity is the mean over texts of [Model.Perplexities] (NaN ones left
// out, as numpy's nanmean): what ml-act reports as perplexity-wikipedia
// (the paper's PPL-Wiki) and as the mean of model_perplexity's column.
// NaN when no text has two tokens. Options as for Perplexities.
func (m *Model) Perplexity(texts []string, t *Transport, lambda float64, opts ...Option) float64 {
	return NanMean(m.Perplexities(texts, t, lambda, opts...))
}

// NanMean is the mean of the values that are not NaN (numpy's nanmean);
// NaN when there are none.
func NanMean(xs []float64) float64 {
	var s float64
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

// perplexityOf is exp of the mean negative log-likelihood; NaN for none.
func perplexityOf(lp []float64) float64 {
	if len(lp) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range lp {
		s -= v
	}
	return math.Exp(s / float64(len(lp)))
}

// LogLikelihood returns, for each continuation, Σ log p(continuation
// tokens | context) under the model with t at strength λ, as
// lm-evaluation-harness's Hugging Face model computes it for multiple
// choice tasks (MMLU, TruthfulQA): trailing spaces of the context move to
// the start of the continuation; context+continuation is encoded as one
// text and the context's own tokens are dropped from its front, so the
// continuation's tokens are those of the joint encoding; no special tokens
// are added, except BOS for Gemma models (as the harness does for them),
// and an empty context is the BOS token (EOS without one). A sequence
// longer than the model's context keeps its end. The transport acts as in
// one forward pass over the whole sequence (with position "last", on its
// last token only). Options: Batch (sequences per pass, default 8).
func (m *Model) LogLikelihood(ctx string, conts []string, t *Transport, lambda float64, opts ...Option) []float64 {
	const call = "LogLikelihood"
	o := collect(opts)
	if len(conts) == 0 {
		fail("%s: no continuations", call)
	}
	st := m.steeringAt(call, t, lambda, o.position)
	out, err := m.logLikelihoods(o.context(), call, []llRequest{{ctx, conts}}, st, o.batch)
	must(err)
	return out[0]
}

// llRequest is one context and its continuations.
type llRequest struct {
	ctx   string
	conts []string
}

// logLikelihoods is LogLikelihood for many contexts at once, batched
// across them. A continuation of one token is scored from the pass over
// its context alone (the harness's input is context+continuation without
// its last token, i.e. the context): continuations that share a context
// share one pass, and only that pass's last logits come back, as the
// harness does for one-token choices. Longer continuations are scored on
// the device over their whole sequence. It panics with the call's name
// on a continuation without tokens.
func (m *Model) logLikelihoods(ctx context.Context, call string, reqs []llRequest, st *engine.Steering, batch int) ([][]float64, error) {
	if batch <= 0 {
		batch = 8
	}
	out := make([][]float64, len(reqs))
	type ref struct{ req, cont, id int }
	groups := map[string][]ref{} // one-token continuations by their input
	var inputs [][]int           // the groups' inputs, in first-seen order
	var multi [][]int            // longer continuations: whole sequences
	var multiRef []ref
	var multiN []int
	for r, q := range reqs {
		out[r] = make([]float64, len(q.conts))
		for i, c := range q.conts {
			ctxIDs, contIDs := m.encodePair(call, q.ctx, c)
			if len(contIDs) == 0 {
				fail("%s: continuation %d (%q) has no tokens of its own after context %q", call, i, clip(c), clip(q.ctx))
			}
			seq := append(ctxIDs, contIDs...)
			if mp := m.m.Info().MaxPositions; mp > 0 && len(seq) > mp+1 {
				seq = seq[len(seq)-mp-1:] // the harness's [-(max_length+1):]
			}
			if len(contIDs) >= len(seq) {
				fail("%s: continuation %d has %d tokens, more than the model's context", call, i, len(contIDs))
			}
			if len(contIDs) > 1 {
				multi, multiRef, multiN = append(multi, seq), append(multiRef, ref{r, i, 0}), append(multiN, len(contIDs))
				continue
			}
			in := seq[:len(seq)-1]
			k := fmt.Sprint(in)
			if _, ok := groups[k]; !ok {
				inputs = append(inputs, in)
			}
			groups[k] = append(groups[k], ref{r, i, seq[len(seq)-1]})
		}
	}
	for lo := 0; lo < len(inputs); lo += batch {
		part := inputs[lo:min(lo+batch, len(inputs))]
		res, err := m.m.Forward(ctx, part, engine.ForwardOptions{Steering: st, LastLogits: true})
		if err != nil {
			return nil, err
		}
		for j, in := range part {
			row := res.Logits[j][0]
			lse := logSumExp(row)
			for _, g := range groups[fmt.Sprint(in)] {
				out[g.req][g.cont] = float64(row[g.id]) - lse
			}
		}
	}
	if len(multi) > 0 {
		lps, err := m.tokenLogProbs(ctx, multi, st, batch)
		if err != nil {
			return nil, err
		}
		for i, lp := range lps {
			for _, v := range lp[len(lp)-multiN[i]:] {
				out[multiRef[i].req][multiRef[i].cont] += v
			}
		}
	}
	return out, nil
}

// logSumExp is log Σ exp(row) in float64.
func logSumExp(row []float32) float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}

// encodePair splits context and continuation into token ids as
// lm-evaluation-harness's HFLM._encode_pair does.
func (m *Model) encodePair(call, ctx, cont string) (ctxIDs, contIDs []int) {
	tok := m.tokenizer(call)
	bos := strings.HasPrefix(m.m.Info().Family, "gemma")
	if n := len(ctx) - len(strings.TrimRightFunc(ctx, pyIsSpace)); n > 0 {
		cont, ctx = ctx[len(ctx)-n:]+cont, ctx[:len(ctx)-n]
	}
	if ctx == "" {
		prefix := m.m.Info().BOS
		if prefix < 0 {
			prefix = m.m.Info().EOS
		}
		if prefix < 0 {
			fail("%s: an empty context needs a BOS or EOS id, and model %s has neither", call, m.m.Name())
		}
		return []int{prefix}, tok.Encode(cont, bos)
	}
	whole := tok.Encode(ctx+cont, bos)
	ctxIDs = tok.Encode(ctx, bos)
	if len(ctxIDs) > len(whole) {
		return ctxIDs, nil
	}
	return ctxIDs, whole[len(ctxIDs):]
}

// maxLen is the number of tokens a text keeps: Truncate's n, bounded by
// the model's context (0: unbounded).
func (m *Model) maxLen(truncate int) int {
	n := m.m.Info().MaxPositions
	if truncate > 0 && (n <= 0 || truncate < n) {
		n = truncate
	}
	return n
}

// steeringAt is m.steering with Position's override ("" keeps the
// transport's own).
func (m *Model) steeringAt(call string, t *Transport, lambda float64, position string) *engine.Steering {
	st := m.steering(t, lambda)
	switch position {
	case "":
	case "all", "last":
		if st != nil {
			st.LastOnly = position == "last"
		}
	default:
		fail("%s: Position(%q): want \"all\" or \"last\"", call, position)
	}
	return st
}

// tokenLogProbs returns, for each sequence, log p(ids[i] | ids[:i]) at
// every i ≥ 1 (index 0 is NaN), from one pass over ids[:len-1] per
// sequence, in batches of batch (default 8), scored on the device
// (engine.ScoreTokens). Sequences of one token get just the NaN.
func (m *Model) tokenLogProbs(ctx context.Context, seqs [][]int, st *engine.Steering, batch int) ([][]float64, error) {
	if batch <= 0 {
		batch = 8
	}
	out := make([][]float64, len(seqs))
	var idx []int
	for i, s := range seqs {
		out[i] = make([]float64, max(len(s), 1))
		out[i][0] = math.NaN()
		if len(s) >= 2 {
			idx = append(idx, i)
		}
	}
	for lo := 0; lo < len(idx); lo += batch {
		part := idx[lo:min(lo+batch, len(idx))]
		in, tg := make([][]int, len(part)), make([][]int, len(part))
		for j, i := range part {
			in[j], tg[j] = seqs[i][:len(seqs[i])-1], seqs[i][1:]
		}
		lp, err := m.m.ScoreTokens(ctx, in, tg, engine.ForwardOptions{Steering: st})
		if err != nil {
			return nil, err
		}
		for j, i := range part {
			for p, v := range lp[j] {
				out[i][p+1] = float64(v)
			}
		}
	}
	return out, nil
}

// prefixLogProbs scores seqs[i][k] for every k ≥ starts[i] with one pass
// over the prefix seqs[i][:k] each (for steering at the last token only),
// batching prefixes across sequences.
func (m *Model) prefixLogProbs(ctx context.Context, seqs [][]int, starts []int, st *engine.Steering, batch int) [][]float64 {
	if batch <= 0 {
		batch = 8
	}
	type job struct{ seq, k int }
	var jobs []job
	out := make([][]float64, len(seqs))
	for i, s := range seqs {
		for k := max(starts[i], 1); k < len(s); k++ {
			jobs = append(jobs, job{i, k})
		}
		out[i] = make([]float64, 0, len(s))
	}
	for lo := 0; lo < len(jobs); lo += batch {
		part := jobs[lo:min(lo+batch, len(jobs))]
		in, tg := make([][]int, len(part)), make([][]int, len(part))
		for j, jb := range part {
			in[j] = seqs[jb.seq][:jb.k]
			tg[j] = make([]int, jb.k)
			for t := range tg[j] {
				tg[j][t] = -1
			}
			tg[j][jb.k-1] = seqs[jb.seq][jb.k]
		}
		lp, err := m.m.ScoreTokens(ctx, in, tg, engine.ForwardOptions{Steering: st})
		must(err)
		for j, jb := range part {
			out[jb.seq] = append(out[jb.seq], float64(lp[j][jb.k-1]))
		}
	}
	return out
}
