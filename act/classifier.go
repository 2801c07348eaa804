package act

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/hub"
	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/tiny"
)

// Classifier is a loaded sequence classifier, such as the toxicity judge
// of the AcT paper (s-nlp/roberta_toxicity_classifier, a
// RobertaForSequenceClassification): texts in, one score per label out.
type Classifier struct {
	m       *engine.Model
	tok     *tokenizer.Tokenizer
	name    string
	problem string
}

// LoadClassifier loads a sequence classifier by name, a checkpoint folder
// or a Hugging Face id, as [Load] resolves names: config.json naming a
// …ForSequenceClassification architecture (RobertaForSequenceClassification
// today), safetensors weights and, for the text calls, tokenizer.json (or
// the vocab.json and merges.txt of older RoBERTa checkpoints). It panics
// with one line when the checkpoint is missing, incomplete or not a
// sequence classifier.
func LoadClassifier(name string) *Classifier {
	if name == tiny.Name {
		fail("LoadClassifier(%q): the embedded model is a language model, not a sequence classifier; use Load", name)
	}
	dir, err := hub.Resolve(Context(), name, hub.Options{})
	if err != nil {
		fail("LoadClassifier(%q): %w", name, err)
	}
	arch, err := configArchitecture(dir)
	if err != nil {
		fail("LoadClassifier(%q): %w", name, err)
	}
	if !strings.HasSuffix(arch, "ForSequenceClassification") {
		fail("LoadClassifier(%q): %s names %s, not a sequence classifier (want a …ForSequenceClassification checkpoint such as RobertaForSequenceClassification); use Load for language models",
			name, filepath.Join(dir, "config.json"), arch)
	}
	m, err := engine.Load(Context(), dir, engine.LoadOptions{})
	if err != nil {
		if onlyPickleWeights(dir) {
			fail("LoadClassifier(%q): %s holds pytorch_model.bin but no safetensors weights; actsh reads safetensors only: convert the checkpoint (transformers: from_pretrained then save_pretrained(dir, safe_serialization=True)) or download a safetensors revision", name, dir)
		}
		fail("LoadClassifier(%q): %w", name, err)
	}
	if len(m.Info().Labels) == 0 {
		fail("LoadClassifier(%q): %s (%s) has no labels: not a sequence classifier", name, m.Info().Family, arch)
	}
	c := &Classifier{m: m, tok: m.Tokenizer(), name: name}
	if c.tok == nil {
		// Older checkpoints ship only the slow tokenizer's files.
		tok, err := tokenizer.LoadVocabMerges(dir)
		switch {
		case err == nil:
			c.tok = tok
		case !errors.Is(err, fs.ErrNotExist):
			fail("LoadClassifier(%q): %w", name, err)
		}
	}
	if p, ok := m.Arch().(interface{ ProblemType() string }); ok {
		c.problem = p.ProblemType()
	}
	return c
}

// configArchitecture reads the first architectures entry of dir/config.json.
func configArchitecture(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s has no config.json", dir)
		}
		return "", err
	}
	var head struct {
		Architectures []string `json:"architectures"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	if len(head.Architectures) == 0 {
		return "", fmt.Errorf("%s has no \"architectures\" entry", filepath.Join(dir, "config.json"))
	}
	return head.Architectures[0], nil
}

// onlyPickleWeights reports whether dir holds pytorch_model.bin but no
// .safetensors file.
func onlyPickleWeights(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "pytorch_model.bin")); err != nil {
		return false
	}
	st, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	return len(st) == 0
}

// Engine returns the engine model underneath, for Go code that wants
// errors instead of panics (its Forward returns the head at every
// position; the classification is position 0's).
func (c *Classifier) Engine() *engine.Model { return c.m }

// Labels returns the class names in id order, from config.json's id2label
// (LABEL_0, LABEL_1, ... when it has none).
func (c *Classifier) Labels() []string { return slices.Clone(c.m.Info().Labels) }

// String summarises the classifier: name, family, labels, size and backend.
func (c *Classifier) String() string {
	if c == nil || c.m == nil {
		return "act.Classifier(nil)"
	}
	i := c.m.Info()
	return fmt.Sprintf("classifier %s: %s (%s), labels [%s], %d layers, hidden %d, up to %d tokens, backend %s",
		c.name, i.Family, i.Architecture, strings.Join(i.Labels, " "), i.NumLayers, i.HiddenSize, i.MaxPositions, c.m.BackendName())
}

// Tokenize returns the ids Classify runs for text: the tokenizer's ids
// with its special tokens (<s> … </s> for RoBERTa), the text's tokens cut
// so that the whole fits the model's positions (512 tokens for
// roberta-base), as transformers' tokenizer(text, truncation=True) does.
func (c *Classifier) Tokenize(text string) []int {
	tok := c.tokenizer("Tokenize")
	before, after := tok.AddsSpecial()
	ids := tok.Encode(text, false)
	if room := c.m.Info().MaxPositions - len(before) - len(after); room > 0 && len(ids) > room {
		ids = ids[:room]
	}
	out := make([]int, 0, len(before)+len(ids)+len(after))
	out = append(append(append(out, before...), ids...), after...)
	return out
}

func (c *Classifier) tokenizer(call string) *tokenizer.Tokenizer {
	if c.tok == nil {
		fail("%s: classifier %s has no tokenizer.json (nor vocab.json and merges.txt); use ClassifyIDs with ids from its tokenizer", call, c.name)
	}
	return c.tok
}

// Classify returns, for each text, one probability per label (in the
// order of [Classifier.Labels]). Texts are tokenized as
// [Classifier.Tokenize] does (truncated to the model's positions) and run
// in padded batches (Batch(n) texts at a time, default 16; each gets
// the scores it has alone). Scores follow transformers'
// text-classification pipeline: softmax over the labels, or for a
// multi_label_classification checkpoint (or a single label) the sigmoid
// of each logit, or for regression the raw logit.
func (c *Classifier) Classify(texts []string, opts ...Option) [][]float32 {
	if len(texts) == 0 {
		fail("Classify: no texts")
	}
	c.tokenizer("Classify")
	ids := make([][]int, len(texts))
	for i, t := range texts {
		ids[i] = c.Tokenize(t)
	}
	return c.scores(c.logits("Classify", ids, opts))
}

// ClassifyIDs is Classify on token ids as the tokenizer returns them, with
// the special tokens (<s> … </s>) and without padding; each sequence must
// fit the model's positions. Options: Batch.
func (c *Classifier) ClassifyIDs(ids [][]int, opts ...Option) [][]float32 {
	return c.scores(c.logits("ClassifyIDs", ids, opts))
}

// LogitsIDs returns the raw logits of each sequence (the head at its first
// token, <s>), before softmax: what transformers' model(ids).logits gives.
// Options: Batch.
func (c *Classifier) LogitsIDs(ids [][]int, opts ...Option) [][]float32 {
	return c.logits("LogitsIDs", ids, opts)
}

// logits checks ids and runs them in batches of similar lengths, returning
// each sequence's logits in input order.
func (c *Classifier) logits(call string, ids [][]int, opts []Option) [][]float32 {
	if len(ids) == 0 {
		fail("%s: no sequences", call)
	}
	info := c.m.Info()
	for i, s := range ids {
		switch {
		case len(s) == 0:
			fail("%s: sequence %d is empty", call, i)
		case info.MaxPositions > 0 && len(s) > info.MaxPositions:
			fail("%s: sequence %d has %d tokens, the model takes at most %d", call, i, len(s), info.MaxPositions)
		}
		for _, id := range s {
			if id < 0 || id >= info.VocabSize {
				fail("%s: sequence %d: token id %d is outside the vocabulary [0, %d)", call, i, id, info.VocabSize)
			}
		}
	}
	o := collect(opts)
	n := o.batch
	if n <= 0 {
		n = 16
	}
	// Longest first, so each batch pads little and the first batch fails
	// early if memory is short.
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(ids[b]) - len(ids[a]) })
	out := make([][]float32, len(ids))
	for lo := 0; lo < len(order); lo += n {
		hi := min(lo+n, len(order))
		batch := make([][]int, 0, hi-lo)
		for _, i := range order[lo:hi] {
			batch = append(batch, ids[i])
		}
		res, err := c.m.Forward(o.context(), batch, engine.ForwardOptions{})
		if err != nil {
			fail("%s: %w", call, err)
		}
		for j, i := range order[lo:hi] {
			out[i] = res.Logits[j][0]
		}
	}
	return out
}

// scores turns logits into the pipeline's scores (see Classify).
func (c *Classifier) scores(logits [][]float32) [][]float32 {
	out := make([][]float32, len(logits))
	for i, l := range logits {
		switch {
		case c.problem == "regression":
			out[i] = slices.Clone(l)
		case c.problem == "multi_label_classification" || len(l) == 1:
			out[i] = make([]float32, len(l))
			for j, v := range l {
				out[i][j] = float32(1 / (1 + math.Exp(-float64(v))))
			}
		default:
			out[i] = softmaxLabels(l)
		}
	}
	return out
}

// softmaxLabels is exp(x − max)/Σ exp(x − max), in float64.
func softmaxLabels(x []float32) []float32 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(math.Exp(float64(v)-m) / s)
	}
	return out
}
