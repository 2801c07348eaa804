package act

import (
	"github.com/actsh/actsh/engine"
	_ "github.com/actsh/actsh/engine/families" // every model family
)

// Model is a loaded language model, ready to tokenize, run, capture
// activations and generate under a transport.
type Model struct {
	m *engine.Model
}

// Load loads a model by name: a checkpoint folder (config.json and
// safetensors weights, optionally tokenizer.json) or a Hugging Face id
// found in the local cache. "tiny" loads the default model embedded in the
// binary: a small GPT-2 trained by the project's recipes (see package tiny).
func Load(name string) *Model {
	m, err := engine.Load(Context(), name, engine.LoadOptions{})
	must(err)
	return &Model{m: m}
}

// Engine returns the engine model underneath, for Go code that wants errors
// instead of panics.
func (m *Model) Engine() *engine.Model { return m.m }

// String summarises the model: family, layers, hidden size, vocabulary,
// backend and number of intervention points.
func (m *Model) String() string {
	if m == nil || m.m == nil {
		return "act.Model(nil)"
	}
	return m.m.String()
}

// Points lists the intervention points (Hugging Face module names) in
// module order; with a pattern, only those whose whole name matches the
// regular expression (like Python's re.fullmatch). No match panics with a
// few valid names. A point is its module's output, except names ending in
// ":input", a module's input: model.layers.3.self_attn.o_proj:input holds
// the attention heads o_proj projects, where ITI-c steers.
func (m *Model) Points(pattern ...string) []string {
	if len(pattern) == 0 {
		return m.m.Points()
	}
	var out []string
	for _, p := range pattern {
		pts, err := m.m.MatchPoints(p)
		must(err)
		out = append(out, pts...)
	}
	return out
}

// Tokenize encodes text with the model's tokenizer, adding its special
// tokens (BOS) as Hugging Face's tokenizer(text) does.
func (m *Model) Tokenize(text string) []int {
	return m.tokenizer("Tokenize").Encode(text, true)
}

// Decode turns ids back into text, skipping special tokens.
func (m *Model) Decode(ids []int) string {
	return m.tokenizer("Decode").Decode(ids, true)
}

func (m *Model) tokenizer(call string) interface {
	Encode(string, bool) []int
	Decode([]int, bool) string
} {
	tok := m.m.Tokenizer()
	if tok == nil {
		fail("%s: model %s has no tokenizer.json; use token ids (Logits, GenerateIDs)", call, m.m.Name())
	}
	return tok
}

// Logits returns the logits of every position of ids: [position][vocab].
func (m *Model) Logits(ids []int) [][]float32 {
	return m.LogitsWith(ids, nil, 0)
}

// LogitsWith returns the logits of every position of ids with the
// transport t active at strength λ (t nil: unsteered). t must fit m: every
// point of t is a point of m with as many units, and a fitted t was fitted
// on m (see [Transport.ForModel] to move it to another model).
func (m *Model) LogitsWith(ids []int, t *Transport, lambda float64) [][]float32 {
	out, err := m.m.Forward(Context(), [][]int{ids}, engine.ForwardOptions{Steering: m.steering(t, lambda)})
	must(err)
	return out.Logits[0]
}

// Capture returns the output of one intervention point at every position
// of ids: [position][unit].
func (m *Model) Capture(ids []int, point string) [][]float32 {
	out, err := m.m.Forward(Context(), [][]int{ids}, engine.ForwardOptions{Capture: []string{point}, NoLogits: true})
	must(err)
	return out.Captured[point][0]
}

// Generate continues prompt under the transport t at strength λ (t nil:
// unsteered) and returns the new text. Greedy unless Sample is given;
// options: MaxTokens (default 32), Sample(temperature, topP), TopK,
// RepetitionPenalty, Seed, Position.
// The model's tokenizer must be present, and t must fit m as for
// [Model.LogitsWith].
func (m *Model) Generate(prompt string, t *Transport, lambda float64, opts ...Option) string {
	ids := m.Tokenize(prompt)
	return m.Decode(m.GenerateIDs(ids, t, lambda, opts...))
}

// GenerateIDs continues the token ids under the transport t at strength λ
// and returns the new ids (the prompt excluded, generation stopping before
// an EOS id). Options as for Generate, plus Position("all" or "last") to
// override where the transport applies.
func (m *Model) GenerateIDs(ids []int, t *Transport, lambda float64, opts ...Option) []int {
	return m.GenerateBatchIDs([][]int{ids}, t, lambda, opts...)[0]
}

// GenerateBatch continues every prompt in one batched run (left-padded
// prompts sharing one compiled step and KV cache: much faster than one
// Generate per prompt) and returns the new texts in order. Options as for
// Generate. Greedy continuations equal Generate's; sampled ones draw from
// one random stream for the whole batch, so a prompt's sample depends on
// the batch it is in (the same batch and Seed give the same texts).
func (m *Model) GenerateBatch(prompts []string, t *Transport, lambda float64, opts ...Option) []string {
	batch := make([][]int, len(prompts))
	for i, p := range prompts {
		batch[i] = m.Tokenize(p)
	}
	out := m.GenerateBatchIDs(batch, t, lambda, opts...)
	texts := make([]string, len(out))
	for i, ids := range out {
		texts[i] = m.Decode(ids)
	}
	return texts
}

// GenerateBatchIDs is GenerateBatch on token ids: it returns the new ids
// of each sequence, as GenerateIDs does for one.
func (m *Model) GenerateBatchIDs(batch [][]int, t *Transport, lambda float64, opts ...Option) [][]int {
	if len(batch) == 0 {
		fail("GenerateBatch: no prompts")
	}
	o := collect(opts)
	st := m.steering(t, lambda)
	if st != nil && o.position != "" {
		switch o.position {
		case "all", "last":
			st.LastOnly = o.position == "last"
		default:
			fail("Position(%q): want \"all\" or \"last\"", o.position)
		}
	}
	g := engine.GenerateOptions{
		MaxNewTokens: o.maxTokens,
		Steering:     st,
		Temperature:  float32(o.temperature),
		TopP:         float32(o.topP),
		TopK:         o.topK,
		Seed:         o.seed,

		RepetitionPenalty: float32(o.repetitionPenalty),
	}
	if o.maxTokens < 0 {
		fail("MaxTokens(%d): want a positive count", o.maxTokens)
	}
	if o.temperature < 0 || o.topP < 0 || o.topP > 1 {
		fail("Sample(%g, %g): want temperature ≥ 0 and 0 ≤ topP ≤ 1", o.temperature, o.topP)
	}
	if o.repetitionPenalty < 0 {
		fail("RepetitionPenalty(%g): want a positive factor (1 = none)", o.repetitionPenalty)
	}
	if o.topK > 0 && o.temperature == 0 {
		g.Temperature = 1 // TopK alone asks for sampling
	}
	out, err := m.m.Generate(o.context(), batch, g)
	must(err)
	return out
}

// steering converts a script transport to the engine's steering after
// checking that it fits m; the transport's Meta.Position "last" applies it
// at the last token only.
func (m *Model) steering(t *Transport, lambda float64) *engine.Steering {
	raw := t.raw()
	if raw == nil {
		return nil
	}
	t.checkFits(m)
	switch raw.Meta.Position {
	case "", "all", "last":
	default:
		fail("transport position %q: want \"all\" or \"last\"", raw.Meta.Position)
	}
	return &engine.Steering{Maps: raw.Maps, Strength: float32(lambda), LastOnly: raw.Meta.Position == "last"}
}
