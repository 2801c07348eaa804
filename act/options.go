package act

import "context"

// Option tunes a script-facing call: Pool("mean"), Src("toxic"),
// Support("q_5_95"), MaxTokens(40), ... Each function documents which
// options it reads; the others are ignored.
type Option func(*options)

// options collects every option any call reads. Zero values mean "the
// call's default".
type options struct {
	pool     string // Pool
	src, dst []string
	support  string // Support
	position string // Position: "all" or "last"

	maxTokens         int     // MaxTokens
	temperature       float64 // Sample
	topP              float64 // Sample
	topK              int     // TopK
	repetitionPenalty float64 // RepetitionPenalty
	seed              uint64  // Seed
	seedSet           bool

	cache    string   // Cache
	batch    int      // Batch
	limit    int      // Limit
	truncate int      // Truncate
	prompts  []string // Prompts
	second   []string // Second
	prepend  []string // Prepend: two labels
	shots    int      // Shots
	shotsSet bool

	bleuOrder int // BLEUOrder

	steps         int     // Steps
	width, height int     // Size
	guidance      float64 // Guidance
	offload       bool    // OffloadTextEncoders

	beta    float64 // withBeta: Fit's ActAdd and ITI-c coefficient
	betaSet bool

	ctx context.Context // withContext (the pipeline's); nil: Context()
}

// context returns the context a call watches.
func (o options) context() context.Context {
	if o.ctx != nil {
		return o.ctx
	}
	return Context()
}

// withContext makes a call watch ctx instead of [Context] (for
// [RunPipeline], which takes its own).
func withContext(ctx context.Context) Option { return func(o *options) { o.ctx = ctx } }

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// Pool chooses how responses are pooled over a sequence's valid tokens:
// "mean" (default), "max", "min", "median" or "last".
func Pool(name string) Option { return func(o *options) { o.pool = name } }

// Src names the source subsets (the behaviour to move away from).
func Src(subsets ...string) Option { return func(o *options) { o.src = subsets } }

// Dst names the target subsets (the behaviour to move towards).
func Dst(subsets ...string) Option { return func(o *options) { o.dst = subsets } }

// Support chooses the transport support: "q_all", "q_0_100", "q_0.5_99.5",
// "q_1_99", "q_2_98", "q_5_95", "q_10_90", "q_20_80", "q_30_70", "q_40_60".
func Support(name string) Option { return func(o *options) { o.support = name } }

// Position chooses where a transport applies: "all" token positions
// (default) or only the "last".
func Position(where string) Option { return func(o *options) { o.position = where } }

// MaxTokens sets how many new tokens Generate produces (default 32).
func MaxTokens(n int) Option { return func(o *options) { o.maxTokens = n } }

// Sample switches Generate from greedy decoding to sampling with the given
// temperature and nucleus (top-p) threshold.
func Sample(temperature, topP float64) Option {
	return func(o *options) { o.temperature, o.topP = temperature, topP }
}

// TopK keeps only the k most likely tokens when sampling.
func TopK(k int) Option { return func(o *options) { o.topK = k } }

// Seed fixes the random seed of sampling and of balanced dataset sampling.
func Seed(s uint64) Option { return func(o *options) { o.seed, o.seedSet = s, true } }

// Cache keeps the responses of [Model.Responses] and [Model.FitIncremental]
// in a folder on disk: an interrupted extraction resumes there, a finished
// one is reused, one made for another request is refused.
func Cache(dir string) Option { return func(o *options) { o.cache = dir } }

// Batch sets how many texts run through the model at once (default 16).
func Batch(n int) Option { return func(o *options) { o.batch = n } }

// Limit uses at most n source and n target texts (default: as many as the
// smaller side has); for [Model.MMLU], the first n test questions of each
// subject (default: all); for [Model.TruthfulQA], the first n questions.
func Limit(n int) Option { return func(o *options) { o.limit = n } }

// RepetitionPenalty penalises tokens already in the prompt or the
// generation, as Hugging Face's repetition_penalty does: their positive
// logits are divided by p and negative ones multiplied by it (1 = none).
func RepetitionPenalty(p float64) Option { return func(o *options) { o.repetitionPenalty = p } }

// Truncate keeps at most the first n tokens of each text whose responses
// are computed (ml-act's model.seq_len; default: the model's context).
func Truncate(n int) Option { return func(o *options) { o.truncate = n } }

// Steps sets the number of denoising steps of an image generation
// (default 4, SDXL-Lightning's).
func Steps(n int) Option { return func(o *options) { o.steps = n } }

// Size sets the size of generated images in pixels (default: the
// pipeline's, 1024×1024 for SDXL); for image responses, the size of the
// latents the one denoising step sees.
func Size(width, height int) Option { return func(o *options) { o.width, o.height = width, height } }

// Guidance sets the classifier-free guidance scale of an image generation
// (default 0: none, as SDXL-Lightning runs).
func Guidance(g float64) Option { return func(o *options) { o.guidance = g } }

// OffloadTextEncoders makes [LoadImagePipeline] keep a FLUX pipeline's text
// encoders (T5-XXL, 9.5 GB) out of memory between batches of prompts: read
// for each batch and freed once it is encoded.
func OffloadTextEncoders() Option { return func(o *options) { o.offload = true } }

// withBeta sets the coefficient [Fit] gives ActAdd and ITI-c (the
// pipeline's hook_params.beta).
func withBeta(b float64) Option { return func(o *options) { o.beta, o.betaSet = b, true } }
