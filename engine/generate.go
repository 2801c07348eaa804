package engine

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// GenerateOptions tune [Model.Generate]. The zero value decodes greedily,
// unsteered, up to 32 new tokens, stopping at the model's EOS ids.
type GenerateOptions struct {
	// MaxNewTokens bounds the continuation (default 32).
	MaxNewTokens int
	// Steering, when not nil, is active in every forward pass.
	Steering *Steering
	// Temperature > 0 switches to sampling; 0 is greedy (argmax, lowest id
	// on ties).
	Temperature float32
	// TopK keeps the k highest logits when sampling (ties with the k-th
	// kept); 0 = off.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches TopP when sampling; 0 or 1 = off.
	TopP float32
	// RepetitionPenalty divides positive logits and multiplies negative
	// ones of every token already in the row (prompt included); 0 or 1 = off.
	// It also applies to greedy decoding, as in Hugging Face.
	RepetitionPenalty float32
	// Seed seeds the sampler (a PCG with state (Seed, Seed)).
	Seed uint64
	// StopTokens end a row when generated (not included in the result).
	// Nil means the model's EOS ids; an empty non-nil slice disables stops.
	StopTokens []int
	// NoCache recomputes the whole sequence at every step instead of using
	// the KV cache (for tests: the tokens must be the same).
	NoCache bool
}

// Generate continues each prompt and returns the new tokens only. Prompts
// are left-padded into one batch; each row stops at a stop token or after
// MaxNewTokens. It returns ctx.Err() when ctx is cancelled.
func (m *Model) Generate(ctx context.Context, prompts [][]int, opts GenerateOptions) ([][]int, error) {
	if len(prompts) == 0 {
		return nil, nil
	}
	if len(m.info.Labels) > 0 {
		return nil, fmt.Errorf("engine: %s (%s) is a sequence classifier: it classifies, it does not generate", m.info.Family, m.info.Architecture)
	}
	if m.info.EmbedWidth > 0 {
		return nil, fmt.Errorf("engine: %s (%s) is a text encoder: it embeds text, it does not generate", m.info.Family, m.info.Architecture)
	}
	maxNew := opts.MaxNewTokens
	if maxNew <= 0 {
		maxNew = 32
	}
	stops := opts.StopTokens
	if stops == nil {
		stops = m.info.StopTokens
	}
	if err := m.checkSteering(opts.Steering); err != nil {
		return nil, err
	}
	P := 0
	for i, s := range prompts {
		if len(s) == 0 {
			return nil, fmt.Errorf("engine: prompt %d is empty", i)
		}
		if err := m.checkIDs(s); err != nil {
			return nil, fmt.Errorf("engine: prompt %d: %w", i, err)
		}
		P = max(P, len(s))
	}
	if mp := m.info.MaxPositions; mp > 0 {
		for i, s := range prompts {
			if len(s)+maxNew > mp {
				return nil, fmt.Errorf("engine: prompt %d: %d tokens + %d new exceed the model's %d positions", i, len(s), maxNew, mp)
			}
		}
	}
	g := &generation{m: m, opts: opts, stops: stops, maxNew: maxNew,
		rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed))}
	g.rows = make([][]int, len(prompts))
	for i, s := range prompts {
		g.rows[i] = append([]int(nil), s...)
	}
	g.plen = make([]int, len(prompts))
	for i, s := range prompts {
		g.plen[i] = len(s)
	}
	if opts.NoCache {
		return g.runNoCache(ctx)
	}
	return g.runCached(ctx, P)
}

type generation struct {
	m      *Model
	opts   GenerateOptions
	stops  []int
	maxNew int
	rng    *rand.Rand
	rows   [][]int // prompt + generated, per row
	plen   []int
	out    [][]int
	done   []bool
}

func (g *generation) init() {
	g.out = make([][]int, len(g.rows))
	g.done = make([]bool, len(g.rows))
}

// accept picks the next token of every live row from its logits and
// reports whether any row is still live.
func (g *generation) accept(logits [][]float32) bool {
	live := false
	for i := range g.rows {
		if g.done[i] {
			continue
		}
		tok := g.pick(logits[i], g.rows[i])
		g.rows[i] = append(g.rows[i], tok)
		stop := false
		for _, s := range g.stops {
			if tok == s {
				stop = true
			}
		}
		if stop {
			g.done[i] = true
			continue
		}
		g.out[i] = append(g.out[i], tok)
		if len(g.out[i]) >= g.maxNew {
			g.done[i] = true
			continue
		}
		live = true
	}
	return live
}

func (g *generation) runNoCache(ctx context.Context) ([][]int, error) {
	g.init()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var live []int
		var batch [][]int
		for i := range g.rows {
			if !g.done[i] {
				live = append(live, i)
				batch = append(batch, g.rows[i])
			}
		}
		logits, err := g.m.lastLogits(batch, g.opts.Steering, g.plenOf(live))
		if err != nil {
			return nil, err
		}
		full := make([][]float32, len(g.rows))
		for j, i := range live {
			full[i] = logits[j]
		}
		if !g.accept(full) {
			return g.out, nil
		}
	}
}

func (g *generation) plenOf(idx []int) []int {
	out := make([]int, len(idx))
	for j, i := range idx {
		out[j] = g.plen[i]
	}
	return out
}

// lastLogits runs the left-padded batch without cache and returns the
// logits of each row's last token. With LastOnly steering it selects the
// positions the cached path steers: the last prompt token and every
// generated one.
func (m *Model) lastLogits(batch [][]int, st *Steering, plen []int) ([][]float32, error) {
	maxLen := 0
	for _, s := range batch {
		maxLen = max(maxLen, len(s))
	}
	B, T := batchBucket(len(batch)), bucket(maxLen)
	r := &request{B: B, T: T, steering: st, logits: logitsLast,
		tokens: make([]int32, B*T), positions: make([]int32, B*T),
		keyValid: make([]int32, B*T), selected: make([]int32, B*T), lastIdx: make([]int32, B)}
	for i, s := range batch {
		start := T - len(s)
		m.fillRow(r, i, T, start, s, nil)
		if st != nil {
			for t := range s {
				if !st.LastOnly || t >= plen[i]-1 {
					r.selected[i*T+start+t] = 1
				}
			}
		}
		r.lastIdx[i] = int32(T - 1)
	}
	res, err := m.run(r)
	if err != nil {
		return nil, err
	}
	return splitRows(res.logits, len(batch), m.info.VocabSize), nil
}

func splitRows(t *tensors.Tensor, n, V int) [][]float32 {
	flat := tensors.MustCopyFlatData[float32](t)
	out := make([][]float32, n)
	for i := range out {
		out[i] = flat[i*V : (i+1)*V : (i+1)*V]
	}
	return out
}

// runCached does one prefill pass over the left-padded prompts (P tokens
// bucketed to Tp slots), then one pass per token, all in a cache of
// bucket(Tp + maxNew) slots.
func (g *generation) runCached(ctx context.Context, P int) ([][]int, error) {
	g.init()
	m := g.m
	n := len(g.rows)
	B, Tp := batchBucket(n), bucket(P)
	S := bucket(Tp + g.maxNew)
	st := g.opts.Steering
	info := m.info
	zeros := func() *tensors.Tensor {
		return tensors.FromShape(shapes.Make(dtypes.Float32, B, info.NumKeyValueHeads, S, info.HeadDim))
	}
	cacheK, cacheV := make([]*tensors.Tensor, info.NumLayers), make([]*tensors.Tensor, info.NumLayers)
	for l := range cacheK {
		cacheK[l], cacheV[l] = zeros(), zeros()
	}
	keyValid := make([]int32, B*S)
	next := make([]int32, B) // position id of each row's next token
	steerIn := steerSet{}
	r := &request{B: B, T: Tp, S: S, steering: st, steerIn: steerIn, logits: logitsLast,
		tokens: make([]int32, B*Tp), positions: make([]int32, B*Tp),
		keyValid: make([]int32, B*Tp), selected: make([]int32, B*Tp), lastIdx: make([]int32, B),
		cacheK: cacheK, cacheV: cacheV}
	for i, s := range g.rows {
		m.fillRow(r, i, Tp, Tp-len(s), s, st)
		for t := range Tp {
			keyValid[i*S+t] = r.keyValid[i*Tp+t]
		}
		next[i] = int32(len(s))
	}
	for i := range r.lastIdx {
		r.lastIdx[i] = int32(Tp - 1)
	}
	r.keyValid = keyValid
	for step := 0; ; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := m.run(r)
		if err != nil {
			return nil, err
		}
		if !g.accept(splitRows(res.logits, n, info.VocabSize)) {
			return g.out, nil
		}
		slot := Tp + step
		r = &request{B: B, T: 1, S: S, steering: st, steerIn: steerIn, logits: logitsLast, offset: slot,
			tokens: make([]int32, B), positions: make([]int32, B),
			keyValid: keyValid, selected: make([]int32, B), lastIdx: make([]int32, B),
			cacheK: res.newK, cacheV: res.newV}
		for i := range g.rows {
			if g.done[i] {
				continue
			}
			r.tokens[i] = int32(g.rows[i][len(g.rows[i])-1])
			r.positions[i] = int32(m.clampPos(int(next[i])))
			next[i]++
			keyValid[i*S+slot] = 1
			if st != nil {
				r.selected[i] = 1
			}
		}
	}
}

// pick applies the logits processors to a copy of logits and chooses the
// next token of a row whose ids so far are seen.
func (g *generation) pick(logits []float32, seen []int) int {
	o := g.opts
	l := append([]float32(nil), logits...)
	if p := o.RepetitionPenalty; p > 0 && p != 1 {
		done := map[int]bool{}
		for _, id := range seen {
			if done[id] {
				continue
			}
			done[id] = true
			if l[id] < 0 {
				l[id] *= p
			} else {
				l[id] /= p
			}
		}
	}
	if o.Temperature <= 0 {
		return argmax(l)
	}
	for i := range l {
		l[i] /= o.Temperature
	}
	negInf := float32(math.Inf(-1))
	if k := o.TopK; k > 0 && k < len(l) {
		s := append([]float32(nil), l...)
		sort.Slice(s, func(a, b int) bool { return s[a] > s[b] })
		kth := s[k-1]
		for i := range l {
			if l[i] < kth {
				l[i] = negInf
			}
		}
	}
	if p := o.TopP; p > 0 && p < 1 {
		idx := make([]int, len(l))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return l[idx[a]] < l[idx[b]] })
		probs := softmax(l)
		var cum float64
		for j, i := range idx {
			cum += probs[i]
			if cum <= 1-float64(p) && j < len(idx)-1 {
				l[i] = negInf
			}
		}
	}
	probs := softmax(l)
	u := g.rng.Float64()
	var cum float64
	last := 0
	for i, q := range probs {
		if q == 0 {
			continue
		}
		cum += q
		last = i
		if u < cum {
			return i
		}
	}
	return last
}

func argmax(l []float32) int {
	best := 0
	for i, v := range l {
		if v > l[best] {
			best = i
		}
	}
	return best
}

func softmax(l []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range l {
		mx = math.Max(mx, float64(v))
	}
	out := make([]float64, len(l))
	var s float64
	for i, v := range l {
		if math.IsInf(float64(v), -1) {
			continue
		}
		out[i] = math.Exp(float64(v) - mx)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}
