package imagetrain

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/unet"
)

// Config sizes the whole model: the denoiser and the text encoder whose
// last hidden state conditions it (its width is the UNet's
// cross_attention_dim).
type Config struct {
	UNet UNetConfig
	Text TextConfig
}

// DefaultConfig is the embedded model's size: 32×32 RGB images; a UNet
// with levels of 32, 64 and 64 channels (32², 16², 8²), one resnet per
// level and cross-attention at 16² and 8² (and in the mid block); a
// 2-layer CLIP text encoder 64 wide over the tokenizer's vocab (vocab
// ids, positions and eos come from the tokenizer in the recipe).
func DefaultConfig() Config {
	return Config{
		UNet: UNetConfig{SampleSize: 32, Channels: 3, BlockOutChannels: []int{32, 64, 64},
			CrossAttn: []bool{false, true, true}, LayersPerBlock: 1, Heads: []int{1, 2, 2}, NormGroups: 8},
		Text: TextConfig{Vocab: 4096, Hidden: 64, Layers: 2, Heads: 2, Intermediate: 256, Positions: 32, EOS: 4095},
	}
}

// Validate reports the first size that cannot build a model.
func (c Config) Validate() error {
	if err := c.Text.validate(); err != nil {
		return err
	}
	return c.UNet.validate(c.Text.Hidden)
}

func (c Config) params() []param {
	var ps []param
	for _, p := range c.Text.params() {
		p.name = textPrefix + p.name
		ps = append(ps, p)
	}
	for _, p := range c.UNet.params(c.Text.Hidden) {
		p.name = unetPrefix + p.name
		ps = append(ps, p)
	}
	return ps
}

// Parameter names carry their component's folder as a prefix inside the
// trainer; the checkpoints have the plain names.
const (
	textPrefix = "text_encoder/"
	unetPrefix = "unet/"
)

// NumParams is the number of trained parameters: text encoder, UNet.
func (c Config) NumParams() (text, unet int) {
	for _, p := range c.Text.params() {
		text += size(p.dims)
	}
	for _, p := range c.UNet.params(c.Text.Hidden) {
		unet += size(p.dims)
	}
	return text, unet
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// Sample is one training image with what its caption can say.
type Sample struct {
	// Pixels are RGB bytes, Size×Size×3, row-major.
	Pixels []uint8
	// Name is the untagged caption; Tagged the caption with the style tag.
	Name, Tagged string
}

// Options tune a training run. Zero fields take the defaults noted.
type Options struct {
	Model Config
	// Encode tokenizes a caption without special tokens (required).
	Encode func(string) []int
	// Steps is the number of optimizer steps (required, > 0).
	Steps int
	// Batch is the number of images per step (default 32).
	Batch int
	// LR is AdamW's peak learning rate (default 1e-3), reached after
	// Warmup steps (default Steps/20) and decayed by a cosine to LR/10.
	LR     float64
	Warmup int
	// WeightDecay applies to weights of rank ≥ 2 (default 0.01;
	// negative: none).
	WeightDecay float64
	// Clip is the global gradient-norm clip (default 1).
	Clip float64
	// EMA is the decay of the weights' exponential moving average, which
	// is what Save writes (default 0.999, with the warm-up
	// min(EMA, (1+s)/(10+s)); negative: no average, the raw weights).
	EMA float64
	// DropCaption is the share of images trained with the empty caption,
	// for classifier-free guidance (default 0.1; negative: none), and
	// Untagged the share trained with the caption without the style tag
	// (default 0.3; negative: none); the rest get the tagged caption.
	DropCaption, Untagged float64
	// Seed fixes the initialisation and everything drawn during training.
	Seed uint64
	// EvalEvery reports the validation loss every so many steps and at
	// the end (default 100; negative: only at the end); EvalBatches
	// bounds its batches (default 4).
	EvalEvery, EvalBatches int
	// Log receives the progress reports; nil discards them.
	Log func(Progress)
	// After, when not nil, is called after every step (and its report)
	// with the trainer, e.g. to save a checkpoint; an error stops the run.
	After func(*Trainer, Progress) error
}

// Progress is one report of a run.
type Progress struct {
	Step int     // steps done
	Loss float64 // training loss of the last step (mean squared error of the velocity)
	LR   float64 // learning rate of the last step
	Norm float64 // gradient norm before clipping
	// Valid is the validation loss of the raw weights and ValidEMA of
	// the average; 0 when not evaluated.
	Valid, ValidEMA float64
}

const beta1, beta2, adamEps = 0.9, 0.999, 1e-8

func (o *Options) defaults() error {
	if err := o.Model.Validate(); err != nil {
		return err
	}
	if o.Encode == nil {
		return fmt.Errorf("imagetrain: Options.Encode (the tokenizer) is required")
	}
	if o.Steps <= 0 {
		return fmt.Errorf("imagetrain: steps must be positive, got %d", o.Steps)
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		} else if *v < 0 {
			*v = 0
		}
	}
	if o.Batch == 0 {
		o.Batch = 32
	}
	if o.Batch < 0 {
		return fmt.Errorf("imagetrain: batch must be positive, got %d", o.Batch)
	}
	if o.LR == 0 {
		o.LR = 1e-3
	}
	if o.LR < 0 || math.IsNaN(o.LR) {
		return fmt.Errorf("imagetrain: learning rate must be positive, got %g", o.LR)
	}
	if o.Warmup == 0 {
		o.Warmup = o.Steps / 20
	}
	def(&o.WeightDecay, 0.01)
	def(&o.Clip, 1)
	def(&o.EMA, 0.999)
	def(&o.DropCaption, 0.1)
	def(&o.Untagged, 0.3)
	if o.DropCaption+o.Untagged > 1 {
		return fmt.Errorf("imagetrain: DropCaption (%g) + Untagged (%g) exceed 1", o.DropCaption, o.Untagged)
	}
	if o.EvalEvery == 0 {
		o.EvalEvery = 100
	}
	if o.EvalBatches == 0 {
		o.EvalBatches = 4
	}
	return nil
}

// Trainer holds a model being trained: its parameters, their moving
// average and AdamW's moments on the host, and the compiled graphs.
type Trainer struct {
	cfg     Config
	opts    Options
	backend backends.Backend
	ps      []param
	params  []*tensors.Tensor
	m, v    []*tensors.Tensor
	ema     [][]float32 // nil without EMA
	step    int
	rng     *rand.Rand
	order   []int // the current epoch's permutation of the training samples
	pos     int

	stepG, evalG *Graph
	predictG     map[int]*Graph
	ids          map[string][]int32
}

// New initialises a model of opts.Model with opts.Seed and compiles its
// training step on the engine's backend.
func New(opts Options) (*Trainer, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	b, _, err := engine.Backend()
	if err != nil {
		return nil, fmt.Errorf("imagetrain: backend: %w", err)
	}
	t := &Trainer{cfg: opts.Model, opts: opts, backend: b, ps: opts.Model.params(),
		rng: rand.New(rand.NewPCG(opts.Seed, 0x696d_6167_6573)), predictG: map[int]*Graph{}, ids: map[string][]int32{}}
	init := rand.New(rand.NewPCG(opts.Seed, 0x696e_6974))
	for _, p := range t.ps {
		v := initValues(p, init)
		t.params = append(t.params, tensors.FromFlatDataAndDimensions(v, p.dims...))
		t.m = append(t.m, tensors.FromFlatDataAndDimensions(make([]float32, len(v)), p.dims...))
		t.v = append(t.v, tensors.FromFlatDataAndDimensions(make([]float32, len(v)), p.dims...))
		if opts.EMA > 0 {
			t.ema = append(t.ema, append([]float32(nil), v...))
		}
	}
	if err := t.build(); err != nil {
		return nil, err
	}
	return t, nil
}

// initValues draws a parameter's starting values.
func initValues(p param, rng *rand.Rand) []float32 {
	v := make([]float32, size(p.dims))
	switch p.init {
	case initOne:
		for i := range v {
			v[i] = 1
		}
	case initFanIn:
		std := 1 / math.Sqrt(float64(size(p.dims[1:])))
		for i := range v {
			v[i] = float32(rng.NormFloat64() * std)
		}
	case initSmall:
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.02)
		}
	}
	return v
}

// Config is the model's size.
func (t *Trainer) Config() Config { return t.cfg }

// Steps is the number of optimizer steps taken so far.
func (t *Trainer) Steps() int { return t.step }

// paramNodes makes the parameters of g, by their prefixed names, and the
// per-component maps with the checkpoint names.
func (t *Trainer) paramNodes(g *Graph) (nodes []*Node, text, un map[string]*Node) {
	text, un = map[string]*Node{}, map[string]*Node{}
	for _, p := range t.ps {
		n := Parameter(g, p.name, shapes.Make(dtypes.Float32, p.dims...))
		nodes = append(nodes, n)
		if name, ok := cut(p.name, textPrefix); ok {
			text[name] = n
		} else if name, ok := cut(p.name, unetPrefix); ok {
			un[name] = n
		}
	}
	return nodes, text, un
}

func cut(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

// batchInputs are the data parameters of the step and evaluation graphs.
func (t *Trainer) batchInputs(g *Graph, B int) (xt, tproj, ids *Node) {
	c := t.cfg.UNet
	S := c.SampleSize
	xt = Parameter(g, "x_t", shapes.Make(dtypes.Float32, B, c.Channels, S, S))
	tproj = Parameter(g, "timestep_proj", shapes.Make(dtypes.Float32, B, c.BlockOutChannels[0]))
	ids = Parameter(g, "input_ids", shapes.Make(dtypes.Int32, B, t.cfg.Text.Positions))
	return
}

func (t *Trainer) predict(text, un map[string]*Node, xt, tproj, ids *Node) (pred, states *Node) {
	states = textForward(t.cfg.Text, text, ids)
	b := &unetBuilder{c: t.cfg.UNet, w: un}
	return b.forward(xt, tproj, states), states
}

// mse is the mean of (pred − target)².
func mse(pred, target *Node) *Node { return ReduceAllMean(Square(Sub(pred, target))) }

// build compiles the training step (loss, gradients, clipped AdamW) and
// the evaluation loss.
func (t *Trainer) build() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("imagetrain: build graphs: %v", r)
		}
	}()
	B := t.opts.Batch
	c := t.cfg.UNet
	S := c.SampleSize
	g := NewGraph(t.backend, "tiny_images_train_step")
	ps, text, un := t.paramNodes(g)
	ms := make([]*Node, len(ps))
	vs := make([]*Node, len(ps))
	for i, p := range t.ps {
		ms[i] = Parameter(g, "m."+p.name, shapes.Make(dtypes.Float32, p.dims...))
	}
	for i, p := range t.ps {
		vs[i] = Parameter(g, "v."+p.name, shapes.Make(dtypes.Float32, p.dims...))
	}
	scalar := func(name string) *Node { return Parameter(g, name, shapes.Make(dtypes.Float32)) }
	lr, c1, c2 := scalar("lr"), scalar("bias_correction1"), scalar("bias_correction2")
	xt, tproj, ids := t.batchInputs(g, B)
	target := Parameter(g, "target", shapes.Make(dtypes.Float32, B, c.Channels, S, S))
	pred, _ := t.predict(text, un, xt, tproj, ids)
	loss := mse(pred, target)
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
		if len(t.ps[i].dims) >= 2 && t.opts.WeightDecay > 0 {
			upd = Add(upd, MulScalar(ps[i], t.opts.WeightDecay))
		}
		newP = append(newP, Sub(ps[i], Mul(upd, lr)))
		newM, newV = append(newM, m), append(newV, v)
	}
	outs = append(append(append(outs, newP...), newM...), newV...)
	g.Compile(outs...)
	t.stepG = g

	e := NewGraph(t.backend, "tiny_images_eval")
	_, text, un = t.paramNodes(e)
	xt, tproj, ids = t.batchInputs(e, B)
	target = Parameter(e, "target", shapes.Make(dtypes.Float32, B, c.Channels, S, S))
	pred, _ = t.predict(text, un, xt, tproj, ids)
	e.Compile(mse(pred, target))
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

// Batch is one batch of the flow-matching objective: the noisy images,
// their timesteps' sinusoids, the caption ids and the target velocity.
type Batch struct {
	XT, TProj, IDs, Target *tensors.Tensor
	// Timesteps are the batch's 1000·t, from which TProj was computed.
	Timesteps []float32
}

// tokens lays a caption out as the pipeline does: its ids, cut to leave
// room for one <|endoftext|>, then <|endoftext|> up to Positions.
func (t *Trainer) tokens(caption string) []int32 {
	if ids, ok := t.ids[caption]; ok {
		return ids
	}
	c := t.cfg.Text
	ids := Tokens(t.opts.Encode(caption), c.Positions, c.EOS)
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	t.ids[caption] = out
	return out
}

// Tokens is a caption's model input: ids (without special tokens), cut to
// length−1, then eos repeated to length (the text encoder's end of text
// and padding, as CLIP's tokenizer pads with it).
func Tokens(ids []int, length, eos int) []int {
	if len(ids) > length-1 {
		ids = ids[:length-1]
	}
	out := make([]int, 0, length)
	out = append(out, ids...)
	for len(out) < length {
		out = append(out, eos)
	}
	return out
}

// MakeBatch draws the flow-matching inputs for samples from rng: for
// each image x₀ (pixels scaled to [−1, 1]) a time t = sigmoid(n),
// n ~ N(0, 1) (the logit-normal of SD3), noise ε ~ N(0, I), the caption
// (empty, untagged or tagged by the shares of Options), and
//
//	x_t = (1 − t)·x₀ + t·ε,   target v = ε − x₀,   timestep 1000·t
//
// (the denoiser predicts the velocity that FlowMatchEulerDiscreteScheduler
// integrates from σ = 1 to 0).
func (t *Trainer) MakeBatch(samples []Sample, rng *rand.Rand) (*Batch, error) {
	c := t.cfg.UNet
	S, C := c.SampleSize, c.Channels
	n := S * S * C
	B := len(samples)
	xt := make([]float32, 0, B*n)
	target := make([]float32, 0, B*n)
	ts := make([]float32, B)
	ids := make([]int32, 0, B*t.cfg.Text.Positions)
	for i, s := range samples {
		if len(s.Pixels) != n {
			return nil, fmt.Errorf("imagetrain: sample %d has %d bytes, want %d×%d×%d", i, len(s.Pixels), S, S, C)
		}
		tt := float32(1 / (1 + math.Exp(-rng.NormFloat64())))
		ts[i] = 1000 * tt
		u := rng.Float64()
		caption := s.Tagged
		switch {
		case u < t.opts.DropCaption:
			caption = ""
		case u < t.opts.DropCaption+t.opts.Untagged:
			caption = s.Name
		}
		ids = append(ids, t.tokens(caption)...)
		// Channels first: the bytes are [y][x][c].
		for ch := range C {
			for p := range S * S {
				x0 := float32(s.Pixels[p*C+ch])/127.5 - 1
				e := float32(rng.NormFloat64())
				xt = append(xt, (1-tt)*x0+tt*e)
				target = append(target, e-x0)
			}
		}
	}
	tdim := c.BlockOutChannels[0]
	return &Batch{
		XT:        tensors.FromFlatDataAndDimensions(xt, B, C, S, S),
		TProj:     tensors.FromFlatDataAndDimensions(unet.Sinusoids(nil, ts, tdim, true, 0), B, tdim),
		IDs:       tensors.FromFlatDataAndDimensions(ids, B, t.cfg.Text.Positions),
		Target:    tensors.FromFlatDataAndDimensions(target, B, C, S, S),
		Timesteps: ts,
	}, nil
}

// Step takes one AdamW step on a batch of Options.Batch images and
// returns the loss before the update and the gradient norm.
func (t *Trainer) Step(b *Batch) (loss, norm float64, err error) {
	s := t.step
	lr := t.lrAt(s)
	c1 := 1 / (1 - math.Pow(beta1, float64(s+1)))
	c2 := 1 / (1 - math.Pow(beta2, float64(s+1)))
	in := make([]any, 0, 3*len(t.ps)+7)
	for _, p := range t.params {
		in = append(in, p)
	}
	for _, p := range t.m {
		in = append(in, p)
	}
	for _, p := range t.v {
		in = append(in, p)
	}
	in = append(in, float32(lr), float32(c1), float32(c2), b.XT, b.TProj, b.IDs, b.Target)
	outs, err := run(t.stepG, in)
	if err != nil {
		return 0, 0, fmt.Errorf("imagetrain: step %d: %w", s+1, err)
	}
	loss = float64(tensors.ToScalar[float32](outs[0]))
	norm = float64(tensors.ToScalar[float32](outs[1]))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, norm, fmt.Errorf("imagetrain: step %d: loss is %g", s+1, loss)
	}
	n := len(t.ps)
	t.params, t.m, t.v = outs[2:2+n], outs[2+n:2+2*n], outs[2+2*n:]
	t.step++
	if t.ema != nil {
		d := float32(min(t.opts.EMA, float64(1+t.step)/float64(10+t.step)))
		for i, p := range t.params {
			cur := tensors.MustCopyFlatData[float32](p)
			e := t.ema[i]
			for j, x := range cur {
				e[j] = d*e[j] + (1-d)*x
			}
		}
	}
	return loss, norm, nil
}

// Loss is the mean loss of a batch without updating the model, with the
// raw weights or (ema) their average.
func (t *Trainer) Loss(b *Batch, ema bool) (float64, error) {
	in := make([]any, 0, len(t.ps)+4)
	for _, p := range t.weights(ema) {
		in = append(in, p)
	}
	outs, err := run(t.evalG, append(in, b.XT, b.TProj, b.IDs, b.Target))
	if err != nil {
		return 0, fmt.Errorf("imagetrain: evaluate: %w", err)
	}
	return float64(tensors.ToScalar[float32](outs[0])), nil
}

// weights returns the raw parameters or, with ema and an average, the
// average as tensors.
func (t *Trainer) weights(ema bool) []*tensors.Tensor {
	if !ema || t.ema == nil {
		return t.params
	}
	out := make([]*tensors.Tensor, len(t.ps))
	for i, p := range t.ps {
		out[i] = tensors.FromFlatDataAndDimensions(append([]float32(nil), t.ema[i]...), p.dims...)
	}
	return out
}

// next draws Batch training samples: an epoch's permutation, consumed in
// order and redrawn when exhausted.
func (t *Trainer) next(train []Sample) []Sample {
	out := make([]Sample, t.opts.Batch)
	for i := range out {
		if t.pos >= len(t.order) {
			t.order = t.rng.Perm(len(train))
			t.pos = 0
		}
		out[i] = train[t.order[t.pos]]
		t.pos++
	}
	return out
}

// Evaluate is the mean loss over up to EvalBatches batches of valid, each
// batch's times, noise and captions drawn from a generator seeded by the
// batch's index, so every evaluation sees the same inputs.
func (t *Trainer) Evaluate(valid []Sample, ema bool) (float64, error) {
	B := t.opts.Batch
	var sum float64
	n := 0
	for b := 0; b < t.opts.EvalBatches && (b+1)*B <= len(valid); b++ {
		batch, err := t.MakeBatch(valid[b*B:(b+1)*B], rand.New(rand.NewPCG(uint64(b), 0x7661_6c69_64)))
		if err != nil {
			return 0, err
		}
		l, err := t.Loss(batch, ema)
		if err != nil {
			return 0, err
		}
		sum += l
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("imagetrain: %d validation samples are fewer than one batch (%d)", len(valid), B)
	}
	return sum / float64(n), nil
}

// Run trains for the remaining steps on train, reporting every step to
// Options.Log and the validation losses on valid every EvalEvery steps
// and at the end. It stops with ctx's error when ctx is cancelled.
func (t *Trainer) Run(ctx context.Context, train, valid []Sample) (Progress, error) {
	if len(train) == 0 {
		return Progress{}, fmt.Errorf("imagetrain: no training samples")
	}
	var last Progress
	for t.step < t.opts.Steps {
		if err := ctx.Err(); err != nil {
			return last, fmt.Errorf("imagetrain: stopped at step %d: %w", t.step, err)
		}
		lr := t.lrAt(t.step)
		b, err := t.MakeBatch(t.next(train), t.rng)
		if err != nil {
			return last, err
		}
		loss, norm, err := t.Step(b)
		if err != nil {
			return last, err
		}
		last = Progress{Step: t.step, Loss: loss, LR: lr, Norm: norm}
		if t.step == t.opts.Steps || (t.opts.EvalEvery > 0 && t.step%t.opts.EvalEvery == 0) {
			if last.Valid, err = t.Evaluate(valid, false); err != nil {
				return last, err
			}
			if t.ema != nil {
				if last.ValidEMA, err = t.Evaluate(valid, true); err != nil {
					return last, err
				}
			}
		}
		if t.opts.Log != nil {
			t.opts.Log(last)
		}
		if t.opts.After != nil {
			if err := t.opts.After(t, last); err != nil {
				return last, err
			}
		}
	}
	return last, ctx.Err()
}
