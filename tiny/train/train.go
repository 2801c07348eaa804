package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// Options tune a training run. Zero fields take the defaults noted.
type Options struct {
	Model Config
	// Steps is the number of optimizer steps (required, > 0).
	Steps int
	// Batch is the number of sequences per step (default 16); each has
	// Model.Positions tokens of input.
	Batch int
	// LR is AdamW's peak learning rate (default 1e-3), reached after
	// Warmup steps of linear warm-up and decayed by a cosine to LR/10 at
	// the last step.
	LR float64
	// Warmup is the number of warm-up steps (default Steps/20).
	Warmup int
	// WeightDecay applies to the 2-D weights only (default 0.1; negative
	// means none).
	WeightDecay float64
	// Clip is the global gradient-norm clip (default 1).
	Clip float64
	// Seed fixes the initialisation and the batches.
	Seed uint64
	// EvalEvery reports validation perplexity every so many steps and at
	// the end (default 100; <0: only at the end).
	EvalEvery int
	// EvalBatches bounds the validation batches per evaluation (default 8).
	EvalBatches int
	// Log receives the progress reports; nil discards them.
	Log func(Progress)
}

// Progress is one report of a run.
type Progress struct {
	Step  int     // steps done
	Loss  float64 // training loss of the last step (nats/token)
	LR    float64 // learning rate of the last step
	Valid float64 // validation loss (nats/token); 0 when not evaluated
	PPL   float64 // exp(Valid); 0 when not evaluated
}

const (
	beta1, beta2, adamEps = 0.9, 0.95, 1e-8
)

func (o *Options) defaults() error {
	if err := o.Model.Validate(); err != nil {
		return err
	}
	if o.Steps <= 0 {
		return fmt.Errorf("train: steps must be positive, got %d", o.Steps)
	}
	if o.Batch == 0 {
		o.Batch = 16
	}
	if o.Batch < 0 {
		return fmt.Errorf("train: batch must be positive, got %d", o.Batch)
	}
	if o.LR == 0 {
		o.LR = 1e-3
	}
	if o.LR < 0 || math.IsNaN(o.LR) {
		return fmt.Errorf("train: learning rate must be positive, got %g", o.LR)
	}
	if o.Warmup == 0 {
		o.Warmup = o.Steps / 20
	}
	if o.WeightDecay == 0 {
		o.WeightDecay = 0.1
	} else if o.WeightDecay < 0 {
		o.WeightDecay = 0
	}
	if o.Clip == 0 {
		o.Clip = 1
	}
	if o.EvalEvery == 0 {
		o.EvalEvery = 100
	}
	if o.EvalBatches == 0 {
		o.EvalBatches = 8
	}
	return nil
}

// Trainer holds a model being trained: its parameters and AdamW moments on
// the host, and the compiled step and evaluation graphs.
type Trainer struct {
	cfg     Config
	opts    Options
	backend backends.Backend
	ps      []param
	params  []*tensors.Tensor
	m, v    []*tensors.Tensor
	step    int
	rng     *rand.Rand

	stepG, evalG *Graph
	logitsG      map[[2]int]*Graph
}

// New initialises a model of opts.Model with opts.Seed and compiles its
// training step on the engine's backend.
func New(opts Options) (*Trainer, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	b, _, err := engine.Backend()
	if err != nil {
		return nil, fmt.Errorf("train: backend: %w", err)
	}
	t := &Trainer{cfg: opts.Model, opts: opts, backend: b, ps: opts.Model.params(),
		rng: rand.New(rand.NewPCG(opts.Seed, 0x7469_6e79)), logitsG: map[[2]int]*Graph{}}
	init := initParams(t.cfg, rand.New(rand.NewPCG(opts.Seed, 0x696e_6974)))
	for i, p := range t.ps {
		t.params = append(t.params, tensors.FromFlatDataAndDimensions(init[i], p.dims...))
		t.m = append(t.m, tensors.FromFlatDataAndDimensions(make([]float32, size(p.dims)), p.dims...))
		t.v = append(t.v, tensors.FromFlatDataAndDimensions(make([]float32, size(p.dims)), p.dims...))
	}
	if err := t.build(); err != nil {
		return nil, err
	}
	return t, nil
}

// Config is the model's size.
func (t *Trainer) Config() Config { return t.cfg }

// Steps is the number of optimizer steps taken so far.
func (t *Trainer) Steps() int { return t.step }

func (t *Trainer) paramNodes(g *Graph) ([]*Node, map[string]*Node) {
	nodes := make([]*Node, len(t.ps))
	byName := map[string]*Node{}
	for i, p := range t.ps {
		nodes[i] = Parameter(g, p.name, shapes.Make(dtypes.Float32, p.dims...))
		byName[p.name] = nodes[i]
	}
	return nodes, byName
}

// build compiles the training step (loss, gradients, clipped AdamW update)
// and the evaluation loss for [Batch, Positions+1] token windows.
func (t *Trainer) build() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("train: build graphs: %v", r)
		}
	}()
	B, T := t.opts.Batch, t.cfg.Positions
	window := func(g *Graph) (*Node, *Node) {
		w := Parameter(g, "tokens", shapes.Make(dtypes.Int32, B, T+1))
		return Slice(w, AxisRange(), AxisRange(0, T)), Slice(w, AxisRange(), AxisRange(1, T+1))
	}

	g := NewGraph(t.backend, "tiny_train_step")
	ps, byName := t.paramNodes(g)
	ms := make([]*Node, len(ps))
	vs := make([]*Node, len(ps))
	for i, p := range t.ps {
		ms[i] = Parameter(g, "m."+p.name, shapes.Make(dtypes.Float32, p.dims...))
	}
	for i, p := range t.ps { // inputs are positional: all m, then all v
		vs[i] = Parameter(g, "v."+p.name, shapes.Make(dtypes.Float32, p.dims...))
	}
	scalar := func(name string) *Node { return Parameter(g, name, shapes.Make(dtypes.Float32)) }
	lr, c1, c2 := scalar("lr"), scalar("bias_correction1"), scalar("bias_correction2")
	x, y := window(g)
	loss := crossEntropy(forward(t.cfg, byName, x), y)
	grads := Gradient(loss, ps...)
	var sq *Node
	for _, gr := range grads {
		s := ReduceAllSum(Square(gr))
		if sq == nil {
			sq = s
		} else {
			sq = Add(sq, s)
		}
	}
	norm := Sqrt(sq)
	clip := Min(Const(g, float32(1)), Div(Const(g, float32(t.opts.Clip)), AddScalar(norm, 1e-6)))
	outs := []*Node{loss, norm}
	var newP, newM, newV []*Node
	for i, gr := range grads {
		gr = Mul(gr, clip)
		m := Add(MulScalar(ms[i], beta1), MulScalar(gr, 1-beta1))
		v := Add(MulScalar(vs[i], beta2), MulScalar(Square(gr), 1-beta2))
		upd := Div(Mul(m, c1), AddScalar(Sqrt(Mul(v, c2)), adamEps))
		if len(t.ps[i].dims) == 2 && t.opts.WeightDecay > 0 {
			upd = Add(upd, MulScalar(ps[i], t.opts.WeightDecay))
		}
		newP = append(newP, Sub(ps[i], Mul(upd, lr)))
		newM, newV = append(newM, m), append(newV, v)
	}
	outs = append(append(append(outs, newP...), newM...), newV...)
	g.Compile(outs...)
	t.stepG = g

	e := NewGraph(t.backend, "tiny_train_eval")
	_, byName = t.paramNodes(e)
	x, y = window(e)
	e.Compile(crossEntropy(forward(t.cfg, byName, x), y))
	t.evalG = e
	return nil
}

// lrAt is the learning rate of step s (0-based): linear warm-up, then a
// cosine from LR to LR/10.
func (t *Trainer) lrAt(s int) float64 {
	o := t.opts
	if s < o.Warmup {
		return o.LR * float64(s+1) / float64(o.Warmup)
	}
	span := o.Steps - o.Warmup
	if span <= 1 {
		return o.LR
	}
	frac := math.Min(1, float64(s-o.Warmup)/float64(span-1))
	return o.LR * (0.1 + 0.9*0.5*(1+math.Cos(math.Pi*frac)))
}

func run(g *Graph, inputs []any) (outs []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return g.Run(inputs...), nil
}

// Step takes one AdamW step on windows, Batch rows of Positions+1 token
// ids each (inputs and next-token targets), and returns the loss before
// the update.
func (t *Trainer) Step(windows [][]int32) (float64, error) {
	tok, err := t.windowTensor(windows)
	if err != nil {
		return 0, err
	}
	s := t.step
	lr := t.lrAt(s)
	c1 := 1 / (1 - math.Pow(beta1, float64(s+1)))
	c2 := 1 / (1 - math.Pow(beta2, float64(s+1)))
	in := make([]any, 0, 3*len(t.ps)+4)
	for _, p := range t.params {
		in = append(in, p)
	}
	for _, p := range t.m {
		in = append(in, p)
	}
	for _, p := range t.v {
		in = append(in, p)
	}
	in = append(in, float32(lr), float32(c1), float32(c2), tok)
	outs, err := run(t.stepG, in)
	if err != nil {
		return 0, fmt.Errorf("train: step %d: %w", s+1, err)
	}
	loss := float64(tensors.ToScalar[float32](outs[0]))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("train: step %d: loss is %g", s+1, loss)
	}
	n := len(t.ps)
	t.params, t.m, t.v = outs[2:2+n], outs[2+n:2+2*n], outs[2+2*n:]
	t.step++
	return loss, nil
}

// Loss is the mean next-token loss (nats/token) of windows, shaped as for
// Step, without updating the model.
func (t *Trainer) Loss(windows [][]int32) (float64, error) {
	tok, err := t.windowTensor(windows)
	if err != nil {
		return 0, err
	}
	in := make([]any, 0, len(t.ps)+1)
	for _, p := range t.params {
		in = append(in, p)
	}
	outs, err := run(t.evalG, append(in, tok))
	if err != nil {
		return 0, fmt.Errorf("train: evaluate: %w", err)
	}
	return float64(tensors.ToScalar[float32](outs[0])), nil
}

// Logits runs the training forward on rows of equal length (≤ Positions)
// and returns [row][position][vocab]; tests compare it with engine.Load.
func (t *Trainer) Logits(rows [][]int32) (out [][][]float32, err error) {
	if len(rows) == 0 || len(rows[0]) == 0 || len(rows[0]) > t.cfg.Positions {
		return nil, fmt.Errorf("train: logits need rows of 1…%d tokens", t.cfg.Positions)
	}
	B, T := len(rows), len(rows[0])
	flat := make([]int32, 0, B*T)
	for _, r := range rows {
		if len(r) != T {
			return nil, fmt.Errorf("train: logits rows differ in length (%d and %d)", T, len(r))
		}
		for _, id := range r {
			if id < 0 || int(id) >= t.cfg.Vocab {
				return nil, fmt.Errorf("train: token id %d outside the vocabulary [0, %d)", id, t.cfg.Vocab)
			}
		}
		flat = append(flat, r...)
	}
	g := t.logitsG[[2]int{B, T}]
	if g == nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("train: build logits graph: %v", r)
				}
			}()
			g = NewGraph(t.backend, "tiny_train_logits")
			_, byName := t.paramNodes(g)
			tok := Parameter(g, "tokens", shapes.Make(dtypes.Int32, B, T))
			g.Compile(forward(t.cfg, byName, tok))
		}()
		if err != nil {
			return nil, err
		}
		t.logitsG[[2]int{B, T}] = g
	}
	in := make([]any, 0, len(t.ps)+1)
	for _, p := range t.params {
		in = append(in, p)
	}
	outs, err := run(g, append(in, tensors.FromFlatDataAndDimensions(flat, B, T)))
	if err != nil {
		return nil, fmt.Errorf("train: logits: %w", err)
	}
	data := tensors.MustCopyFlatData[float32](outs[0])
	V := t.cfg.Vocab
	out = make([][][]float32, B)
	for b := range B {
		out[b] = make([][]float32, T)
		for i := range T {
			out[b][i] = data[(b*T+i)*V : (b*T+i+1)*V]
		}
	}
	return out, nil
}

func (t *Trainer) windowTensor(windows [][]int32) (*tensors.Tensor, error) {
	B, W := t.opts.Batch, t.cfg.Positions+1
	if len(windows) != B {
		return nil, fmt.Errorf("train: got %d windows, want batch %d", len(windows), B)
	}
	flat := make([]int32, 0, B*W)
	for _, w := range windows {
		if len(w) != W {
			return nil, fmt.Errorf("train: window of %d tokens, want %d (positions+1)", len(w), W)
		}
		for _, id := range w {
			if id < 0 || int(id) >= t.cfg.Vocab {
				return nil, fmt.Errorf("train: token id %d outside the vocabulary [0, %d)", id, t.cfg.Vocab)
			}
		}
		flat = append(flat, w...)
	}
	return tensors.FromFlatDataAndDimensions(flat, B, W), nil
}

// sample draws Batch random windows of Positions+1 tokens from stream.
func (t *Trainer) sample(stream []int32) [][]int32 {
	W := t.cfg.Positions + 1
	out := make([][]int32, t.opts.Batch)
	for i := range out {
		s := t.rng.IntN(len(stream) - W + 1)
		out[i] = stream[s : s+W]
	}
	return out
}

// Evaluate is the mean loss over up to EvalBatches batches of consecutive,
// non-overlapping windows from the start of stream.
func (t *Trainer) Evaluate(stream []int32) (float64, error) {
	W := t.cfg.Positions + 1
	B := t.opts.Batch
	var sum float64
	n := 0
	for b := 0; b < t.opts.EvalBatches && (b+1)*B*W <= len(stream); b++ {
		ws := make([][]int32, B)
		for i := range ws {
			s := (b*B + i) * W
			ws[i] = stream[s : s+W]
		}
		l, err := t.Loss(ws)
		if err != nil {
			return 0, err
		}
		sum += l
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("train: validation stream of %d tokens is shorter than one batch (%d×%d)", len(stream), B, W)
	}
	return sum / float64(n), nil
}

// Run trains for the remaining steps on random windows of train,
// reporting the training loss every step to opts.Log and the validation
// perplexity on valid every EvalEvery steps and at the end. It stops with
// ctx's error when ctx is cancelled.
func (t *Trainer) Run(ctx context.Context, train, valid []int32) (Progress, error) {
	W := t.cfg.Positions + 1
	if len(train) < W {
		return Progress{}, fmt.Errorf("train: training stream of %d tokens is shorter than one window (%d)", len(train), W)
	}
	var last Progress
	for t.step < t.opts.Steps {
		if err := ctx.Err(); err != nil {
			return last, fmt.Errorf("train: stopped at step %d: %w", t.step, err)
		}
		lr := t.lrAt(t.step)
		loss, err := t.Step(t.sample(train))
		if err != nil {
			return last, err
		}
		last = Progress{Step: t.step, Loss: loss, LR: lr}
		if t.step == t.opts.Steps || (t.opts.EvalEvery > 0 && t.step%t.opts.EvalEvery == 0) {
			vl, err := t.Evaluate(valid)
			if err != nil {
				return last, err
			}
			last.Valid, last.PPL = vl, math.Exp(vl)
		}
		if t.opts.Log != nil {
			t.opts.Log(last)
		}
	}
	return last, ctx.Err()
}

// TrainAndSave runs t to its last step on train (evaluating on valid) and
// then saves it to dir with the tokenizer files of tokenizerDir (see
// Save). A cancelled ctx stops the run before anything is written.
func TrainAndSave(ctx context.Context, t *Trainer, train, valid []int32, dir, tokenizerDir string) (Progress, error) {
	p, err := t.Run(ctx, train, valid)
	if err != nil {
		return p, err
	}
	if err := ctx.Err(); err != nil {
		return p, fmt.Errorf("train: not saving %s: %w", dir, err)
	}
	return p, t.Save(dir, tokenizerDir)
}
