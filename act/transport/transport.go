package transport

// Map is one intervention point's per-unit map. All slices have one entry per
// unit; Lo and Hi may be nil, meaning no bound on that side.
//
//	T(z) = W·z + B, applied only where Lo < z < Hi (strict).
type Map struct {
	W, B   []float32
	Lo, Hi []float32
	// Knots, when not nil, replaces W·z + B by a piecewise-linear map (see
	// [Knots]); W and B then hold its affine approximation.
	Knots *Knots
}

// Transport is a set of per-point maps plus what describes them.
type Transport struct {
	// Points lists the intervention points in module order (the order maps
	// were added or fitted). Points without an entry in Maps are ignored.
	Points []string
	// Maps holds one map per intervention point (Hugging Face module name).
	Maps map[string]*Map
	// Meta describes how the maps were fitted and how to apply them.
	Meta Meta
}

// Meta describes a transport. Its fields are stored in the header of a saved
// transport file.
type Meta struct {
	Method string // linear_ot, mean_ot, gaussian_ot, aura, actadd, itic, affine, ...
	Model  string // model it was fitted on: "tiny", a Hugging Face id, or an absolute folder path
	// Family and Architecture name the fitted model's family ("gpt2",
	// "llama") and its Hugging Face architectures entry
	// ("GPT2LMHeadModel"); empty when unknown (hand-built maps, raw
	// responses, files written before they were recorded).
	Family       string
	Architecture string
	Pooling      string // mean, max, min, median, last
	Support      string // q_all, q_0_100, q_5_95, ...
	Dataset      string // dataset name or path
	Source       string // source subset(s)
	Target       string // target subset(s)
	Position     string // "all" (every token) or "last" (only the last position)
}

// New returns an empty transport.
func New() *Transport { return &Transport{Maps: map[string]*Map{}} }
