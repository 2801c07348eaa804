package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	_ "github.com/actsh/actsh/engine/gpt2" // GPT2LMHeadModel
	"github.com/actsh/actsh/engine/safetensors"
)

// gpt2Shape is the model and the batches of the prefill and decode
// workloads.
type gpt2Shape struct {
	layers, width, heads, vocab, positions  int
	batch, prefillLen, promptLen, newTokens int
	// shortCache and longCache are the cache lengths of the longcache rows
	// after their last step; steps is the number of steps timed (the
	// prompts have cache−steps tokens); cacheBatches are their batches.
	shortCache, longCache, steps int
	cacheBatches                 []int
}

func modelShape(quick bool) gpt2Shape {
	if quick {
		return gpt2Shape{layers: 2, width: 64, heads: 4, vocab: 512, positions: 128,
			batch: 2, prefillLen: 16, promptLen: 8, newTokens: 4,
			shortCache: 32, longCache: 128, steps: 4, cacheBatches: []int{1, 2}}
	}
	return gpt2Shape{layers: 12, width: 768, heads: 12, vocab: 50257, positions: 1024,
		batch: 8, prefillLen: 128, promptLen: 16, newTokens: 48,
		shortCache: 64, longCache: 1024, steps: 16, cacheBatches: []int{1, 8}}
}

// steeredPoints selects the layernorm outputs.
const steeredPoints = `transformer\.(h\.\d+\.ln_[12]|ln_f)`

// strength is λ in the steered variants.
const strength = 0.5

func (s gpt2Shape) config() string {
	return fmt.Sprintf(`{"architectures":["GPT2LMHeadModel"],"model_type":"gpt2","n_embd":%d,"n_layer":%d,"n_head":%d,`+
		`"vocab_size":%d,"n_positions":%d,"layer_norm_epsilon":1e-05,"activation_function":"gelu_new","eos_token_id":%d}`,
		s.width, s.layers, s.heads, s.vocab, s.positions, s.vocab-1)
}

// tensor is one named weight with its shape.
type tensor struct {
	shape []int
	data  []float32
}

// weights is an in-memory engine.Weights.
type weights map[string]tensor

func (w weights) Names() []string {
	out := make([]string, 0, len(w))
	for n := range w {
		out = append(out, n)
	}
	return out
}

func (w weights) Float32(name string) ([]float32, []int, error) {
	t, ok := w[name]
	if !ok {
		return nil, nil, fmt.Errorf("bench: tensor %s not found", name)
	}
	return t.data, t.shape, nil
}

// randomGPT2 returns GPT-2 weights of shape s: normal with std 0.02 (as
// GPT-2's initialisation), layernorm weights 1 and biases 0; each tensor
// from its own PCG stream so the values do not depend on map order.
func randomGPT2(s gpt2Shape) weights {
	D, F := s.width, 4*s.width
	shapes := map[string][]int{
		"transformer.wte.weight": {s.vocab, D}, "transformer.wpe.weight": {s.positions, D},
		"transformer.ln_f.weight": {D}, "transformer.ln_f.bias": {D},
	}
	for i := range s.layers {
		h := fmt.Sprintf("transformer.h.%d.", i)
		for n, sh := range map[string][]int{
			"ln_1.weight": {D}, "ln_1.bias": {D}, "ln_2.weight": {D}, "ln_2.bias": {D},
			"attn.c_attn.weight": {D, 3 * D}, "attn.c_attn.bias": {3 * D},
			"attn.c_proj.weight": {D, D}, "attn.c_proj.bias": {D},
			"mlp.c_fc.weight": {D, F}, "mlp.c_fc.bias": {F},
			"mlp.c_proj.weight": {F, D}, "mlp.c_proj.bias": {D},
		} {
			shapes[h+n] = sh
		}
	}
	w := weights{}
	for name, sh := range shapes {
		n := 1
		for _, d := range sh {
			n *= d
		}
		data := make([]float32, n)
		switch {
		case strings.Contains(name, "ln_") && strings.HasSuffix(name, ".weight"):
			for i := range data {
				data[i] = 1
			}
		case strings.Contains(name, "ln_"):
		default:
			r := rand.New(rand.NewPCG(1, seedOf(name)))
			for i := range data {
				data[i] = float32(0.02 * r.NormFloat64())
			}
		}
		w[name] = tensor{shape: sh, data: data}
	}
	return w
}

// seedOf hashes a name (FNV-1a) into a PCG stream.
func seedOf(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(name) {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return h
}

// randomMaps returns one affine map per point: w in [0.5, 1.5), b normal
// with std 0.1, bounds ±1e6 (ml-act's q_all), so the gate is evaluated but
// never closes and both sides see identical maps.
func randomMaps(m *engine.Model, points []string) map[string]*transport.Map {
	r := rand.New(rand.NewPCG(2, 3))
	out := map[string]*transport.Map{}
	for _, p := range points {
		n := m.PointWidth(p)
		mp := &transport.Map{W: make([]float32, n), B: make([]float32, n), Lo: make([]float32, n), Hi: make([]float32, n)}
		for i := range n {
			mp.W[i] = float32(0.5 + r.Float64())
			mp.B[i] = float32(0.1 * r.NormFloat64())
			mp.Lo[i], mp.Hi[i] = -1e6, 1e6
		}
		out[p] = mp
	}
	return out
}

func randomIDs(r *rand.Rand, vocab, rows, cols int) [][]int {
	out := make([][]int, rows)
	for i := range out {
		out[i] = make([]int, cols)
		for j := range out[i] {
			out[i][j] = 3 + r.IntN(vocab-10)
		}
	}
	return out
}

// cacheCase is one longcache measurement: batch rows of prompts filling
// the cache to cache tokens after steps decode steps.
type cacheCase struct {
	batch, cache int
	ids          [][]int
}

// name is the key of the case in the input file and in torch's report.
func (c cacheCase) name() string { return fmt.Sprintf("cache%d.b%d", c.cache, c.batch) }

// runModel runs prefill, decode, decode1 and longcache in the selected
// variants on our side, then on PyTorch's, and returns the results and the
// backend's name.
func runModel(ctx context.Context, o *Options, py *python, dir string) ([]Result, string, error) {
	s := modelShape(o.Quick)
	o.logf("building a random GPT-2 (%d layers, %d wide, %d heads, vocab %d)", s.layers, s.width, s.heads, s.vocab)
	w := randomGPT2(s)
	m, err := engine.New([]byte(s.config()), w)
	if err != nil {
		return nil, "", fmt.Errorf("bench: build the GPT-2: %w", err)
	}
	points, err := m.MatchPoints(steeredPoints)
	if err != nil {
		return nil, "", fmt.Errorf("bench: %w", err)
	}
	maps := randomMaps(m, points)
	r := rand.New(rand.NewPCG(4, 5))
	in := modelInput{
		prefill: randomIDs(r, s.vocab, s.batch, s.prefillLen),
		decode:  randomIDs(r, s.vocab, s.batch, s.promptLen),
		decode1: randomIDs(r, s.vocab, 1, s.promptLen),
	}
	for _, b := range s.cacheBatches {
		for _, c := range []int{s.shortCache, s.longCache} {
			in.cache = append(in.cache, cacheCase{batch: b, cache: c, ids: randomIDs(r, s.vocab, b, c-s.steps-1)})
		}
	}

	var input string
	if py != nil {
		input = filepath.Join(dir, "gpt2.safetensors")
		if err := writeModelInput(input, s, w, maps, in); err != nil {
			return nil, "", err
		}
	}
	w = nil // the engine holds its own copy

	var results []Result
	lasts := map[string][][]float32{}
	toks := map[string][][]int{}
	generate := func(workload, variant string, st *engine.Steering, ids [][]int) error {
		var out [][]int
		warm, secs, err := measure(o.Reps, func() (err error) {
			out, err = m.Generate(ctx, ids, engine.GenerateOptions{Steering: st, MaxNewTokens: s.newTokens, StopTokens: []int{}})
			return err
		})
		if err != nil {
			return fmt.Errorf("bench: %s %s: %w", workload, variant, err)
		}
		work := float64(len(ids) * s.newTokens)
		res := Result{Workload: workload, Variant: variant,
			Shape: fmt.Sprintf("%d×(%d+%d)", len(ids), s.promptLen, s.newTokens),
			Unit:  "tokens/s", Work: work, Actsh: newTiming(work, warm, secs), key: variant}
		o.logf("actsh %s %s: warm-up %.2f s, %.3g tokens/s", workload, variant, warm, res.Actsh.Rate)
		toks[workload+" "+variant] = out
		results = append(results, res)
		return nil
	}
	for _, variant := range Variants {
		if !o.wants(o.Variants, variant) {
			continue
		}
		var st *engine.Steering
		if variant == "steered" {
			st = &engine.Steering{Maps: maps, Strength: strength}
		}
		if slices.Contains(o.Workloads, "prefill") {
			var out *engine.Output
			warm, secs, err := measure(o.Reps, func() (err error) {
				out, err = m.Forward(ctx, in.prefill, engine.ForwardOptions{Steering: st, NoLogits: true,
					Capture: []string{"transformer.ln_f"}, Pool: "last"})
				return err
			})
			if err != nil {
				return nil, "", fmt.Errorf("bench: prefill %s: %w", variant, err)
			}
			work := float64(s.batch * s.prefillLen)
			res := Result{Workload: "prefill", Variant: variant, Shape: fmt.Sprintf("%d×%d", s.batch, s.prefillLen),
				Unit: "tokens/s", Work: work, Actsh: newTiming(work, warm, secs), key: variant}
			o.logf("actsh prefill %s: warm-up %.2f s, %.3g tokens/s", variant, warm, res.Actsh.Rate)
			lasts[variant] = out.Pooled["transformer.ln_f"]
			results = append(results, res)
		}
		if slices.Contains(o.Workloads, "decode") {
			if err := generate("decode", variant, st, in.decode); err != nil {
				return nil, "", err
			}
		}
		if slices.Contains(o.Workloads, "decode1") {
			if err := generate("decode1", variant, st, in.decode1); err != nil {
				return nil, "", err
			}
		}
	}
	if slices.Contains(o.Workloads, "longcache") {
		for _, c := range in.cache {
			res, out, err := cacheStep(ctx, o, m, s, c)
			if err != nil {
				return nil, "", err
			}
			toks["longcache "+c.name()] = out
			results = append(results, res)
		}
	}
	backend := m.BackendName()
	m = nil // PyTorch runs without our model in memory
	runtime.GC()
	if py == nil || len(results) == 0 {
		setGrowth(results)
		return results, backend, nil
	}

	var wl, vs []string
	for _, r := range results {
		if !slices.Contains(wl, r.Workload) {
			wl = append(wl, r.Workload)
		}
		if r.Workload != "longcache" && !slices.Contains(vs, r.Variant) {
			vs = append(vs, r.Variant)
		}
	}
	if len(vs) == 0 {
		vs = []string{"plain"}
	}
	o.logf("PyTorch %s (%d threads)", strings.Join(wl, ", "), py.threads)
	var cases []string
	for _, c := range in.cache {
		cases = append(cases, c.name())
	}
	out, err := py.run(ctx, dir, "torch_gpt2.py", "--input", input, "--threads", strconv.Itoa(py.threads),
		"--reps", strconv.Itoa(o.Reps), "--workloads", strings.Join(wl, ","), "--variants", strings.Join(vs, ","),
		"--new-tokens", strconv.Itoa(s.newTokens), "--strength", strconv.FormatFloat(strength, 'g', -1, 64),
		"--cache-cases", strings.Join(cases, ","), "--steps", strconv.Itoa(s.steps))
	if err != nil {
		return nil, "", err
	}
	for i := range results {
		res := &results[i]
		key := res.key
		tr := out.find(res.Workload, key)
		if tr == nil {
			return nil, "", fmt.Errorf("bench: torch_gpt2.py reported no %s %s", res.Workload, key)
		}
		t := newTiming(res.Work, tr.WarmupSec, tr.Secs)
		res.Torch = &t
		switch res.Workload {
		case "prefill":
			res.Check, res.CheckOK = checkLast(lasts[res.Variant], tr.Last)
		default:
			res.Check, res.CheckOK = checkTokens(toks[res.Workload+" "+key], tr.Tokens)
		}
		o.logf("torch %s %s: warm-up %.2f s, %.3g %s; %s", res.Workload, key, tr.WarmupSec, t.Rate, res.Unit, res.Check)
	}
	setGrowth(results)
	return results, backend, nil
}

// modelInput is the token ids of the GPT-2 workloads.
type modelInput struct {
	prefill, decode, decode1 [][]int
	cache                    []cacheCase
}

// stepClock is a context that notes the time of each Err call: Generate
// checks its context once before each forward pass, so the notes mark the
// start of the prompt's pass and of every decode step.
type stepClock struct {
	context.Context
	marks []time.Time
}

func (c *stepClock) Err() error {
	c.marks = append(c.marks, time.Now())
	return c.Context.Err()
}

// cacheStep times the cached decode steps after c's prompt: Generate with
// MaxNewTokens 1+steps is one pass over the prompt and steps single-token
// passes; a timed run is the time from the start of the first step (the
// second check of the context) to Generate's return, so Rate is steps per
// second of decode steps alone. When the engine checks its context other
// than once per pass, it falls back to differencing a run of 1+steps tokens
// and one of 1 token (both in the same compiled cache size).
func cacheStep(ctx context.Context, o *Options, m *engine.Model, s gpt2Shape, c cacheCase) (Result, [][]int, error) {
	var out [][]int
	var warm float64
	var secs []float64
	how := "steps timed alone"
	for i := range o.Reps + 1 {
		clock := &stepClock{Context: ctx}
		t0 := time.Now()
		var err error
		out, err = m.Generate(clock, c.ids, engine.GenerateOptions{MaxNewTokens: 1 + s.steps, StopTokens: []int{}})
		end := time.Now()
		if err != nil {
			return Result{}, nil, fmt.Errorf("bench: longcache %s: %w", c.name(), err)
		}
		d := end.Sub(t0).Seconds()
		if len(clock.marks) == 1+s.steps {
			d = end.Sub(clock.marks[1]).Seconds()
		} else {
			how = "differenced"
			t1 := time.Now()
			if _, err := m.Generate(ctx, c.ids, engine.GenerateOptions{MaxNewTokens: 1, StopTokens: []int{}}); err != nil {
				return Result{}, nil, fmt.Errorf("bench: longcache %s: %w", c.name(), err)
			}
			d -= time.Since(t1).Seconds()
		}
		if i == 0 {
			warm = end.Sub(t0).Seconds()
		} else {
			secs = append(secs, d)
		}
	}
	work := float64(s.steps)
	res := Result{Workload: "longcache", Variant: fmt.Sprintf("%d cached", c.cache),
		Shape: fmt.Sprintf("batch %d, %d+%d", c.batch, len(c.ids[0]), s.steps), Unit: "steps/s", Work: work,
		Actsh: newTiming(work, warm, secs), key: c.name(), cache: &c}
	o.logf("actsh longcache %s: warm-up %.2f s, %.3g ms/step (%s)", c.name(), warm, 1000/res.Actsh.Rate, how)
	return res, out, nil
}

// setGrowth sets Growth on each longcache row of the long cache from the
// row of the short cache at the same batch.
func setGrowth(results []Result) {
	for i := range results {
		long := &results[i]
		if long.cache == nil {
			continue
		}
		for j := range results {
			short := &results[j]
			if short.cache == nil || short.cache.batch != long.cache.batch || short.cache.cache >= long.cache.cache {
				continue
			}
			g := &Growth{Short: short.cache.cache, Long: long.cache.cache, Actsh: short.Actsh.Rate / long.Actsh.Rate}
			if short.Torch != nil && long.Torch != nil {
				x := short.Torch.Rate / long.Torch.Rate
				g.Torch = &x
			}
			long.Growth = g
		}
	}
}

// lastTolerance bounds the difference of the ln_f outputs (values of order
// 1, twelve layers of float32 arithmetic in different orders).
const lastTolerance = 1e-3

// checkLast compares the last-position ln_f outputs of both sides.
func checkLast(ours [][]float32, theirs [][]float64) (string, bool) {
	if len(ours) != len(theirs) {
		return fmt.Sprintf("ln_f outputs: %d rows here, %d in PyTorch", len(ours), len(theirs)), false
	}
	var d float64
	for i := range ours {
		if len(ours[i]) != len(theirs[i]) {
			return fmt.Sprintf("ln_f outputs: row %d has %d units here, %d in PyTorch", i, len(ours[i]), len(theirs[i])), false
		}
		for j := range ours[i] {
			d = math.Max(d, math.Abs(float64(ours[i][j])-theirs[i][j]))
		}
	}
	return fmt.Sprintf("ln_f max|Δ| %.1e", d), d <= lastTolerance
}

// checkTokens compares the greedy tokens of both sides.
func checkTokens(ours, theirs [][]int) (string, bool) {
	same, all := 0, 0
	for i := range ours {
		for j := range ours[i] {
			all++
			if i < len(theirs) && j < len(theirs[i]) && ours[i][j] == theirs[i][j] {
				same++
			}
		}
	}
	return fmt.Sprintf("tokens %d/%d equal", same, all), same == all && all > 0
}

// writeModelInput writes the weights, maps and ids for torch_gpt2.py.
func writeModelInput(path string, s gpt2Shape, w weights, maps map[string]*transport.Map, in modelInput) error {
	var ts []safetensors.Tensor
	for name, t := range w {
		ts = append(ts, safetensors.F32(name, t.shape, t.data))
	}
	for p, mp := range maps {
		n := len(mp.W)
		ts = append(ts, safetensors.F32("steer.w."+p, []int{n}, mp.W), safetensors.F32("steer.b."+p, []int{n}, mp.B),
			safetensors.F32("steer.lo."+p, []int{n}, mp.Lo), safetensors.F32("steer.hi."+p, []int{n}, mp.Hi))
	}
	ids := func(name string, x [][]int) safetensors.Tensor {
		var flat []int64
		for _, row := range x {
			for _, v := range row {
				flat = append(flat, int64(v))
			}
		}
		return safetensors.I64(name, []int{len(x), len(x[0])}, flat)
	}
	ts = append(ts, ids("ids.prefill", in.prefill), ids("ids.decode", in.decode), ids("ids.decode1", in.decode1))
	for _, c := range in.cache {
		ts = append(ts, ids("ids."+c.name(), c.ids))
	}
	if err := safetensors.Write(path, ts, map[string]string{"config": s.config()}); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}
