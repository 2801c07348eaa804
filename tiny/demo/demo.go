package demo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/tiny"
	"github.com/actsh/actsh/tiny/concepts"
)

// fail panics with an act error, as the functions of package act do.
func fail(format string, args ...any) {
	panic(&act.Error{Msg: "act: demo: " + fmt.Sprintf(format, args...)})
}

// Concepts returns the names of the shipped concepts, sorted.
func Concepts() []string {
	names, err := fs.Glob(tiny.ConceptFiles(), "*.lexicon.json")
	if err != nil {
		fail("%v", err)
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(n, ".lexicon.json")
	}
	sort.Strings(out)
	return out
}

func read(concept, suffix string) []byte {
	b, err := fs.ReadFile(tiny.ConceptFiles(), concept+suffix)
	if err != nil {
		fail("unknown concept %q (shipped: %s)", concept, strings.Join(Concepts(), ", "))
	}
	return b
}

// Dataset returns the concept's data set: subset "<concept>" holds 500
// corpus sentences that mention the concept and subset "none" 500 that do
// not (drawn with a fixed seed from the training split).
func Dataset(concept string) *act.Dataset {
	subsets := load(&datasets, concept, func() map[string][]string {
		var subsets map[string][]string
		if err := json.Unmarshal(read(concept, ".json"), &subsets); err != nil {
			fail("concept %q: %v", concept, err)
		}
		if len(subsets[concept]) == 0 || len(subsets["none"]) == 0 {
			fail("concept %q: data set lacks the %q or \"none\" subset", concept, concept)
		}
		return subsets
	})
	return act.Texts(concept, subsets[concept]).Add("none", subsets["none"]...)
}

// The parsed concept files and trained classifiers, by concept: each is
// read or trained once per process.
var datasets, lexicons, classifiers sync.Map

// load returns the value cached under concept in m, building it on first
// use.
func load[T any](m *sync.Map, concept string, build func() T) T {
	if v, ok := m.Load(concept); ok {
		return v.(T)
	}
	v, _ := m.LoadOrStore(concept, build())
	return v.(T)
}

// Lexicon returns the concept's word list (WordNet lemmas of the concept's
// senses and their hyponyms), which decides whether a text mentions it.
func Lexicon(concept string) *concepts.Lexicon {
	return load(&lexicons, concept, func() *concepts.Lexicon {
		l, err := concepts.ParseLexicon(read(concept, ".lexicon.json"))
		if err != nil {
			fail("concept %q: lexicon: %v", concept, err)
		}
		return l
	})
}

// Rate is the mention rate of texts: the share that name the concept (any
// word of its lexicon, plurals included). It is stricter than the paper's
// measure ([Score]): a text can be about food without naming a food.
func Rate(concept string, texts []string) float64 {
	return concepts.Rate(Lexicon(concept), texts)
}

// Classifier returns the concept's classifier: an L2-regularized logistic
// regression on unigram and bigram presence features
// (concepts.TrainClassifier) trained on the concept's data set, its 500
// sentences against the 500 others. It is trained on first use
// (deterministically: L-BFGS from zero weights) and kept.
func Classifier(concept string) *concepts.Classifier {
	return load(&classifiers, concept, func() *concepts.Classifier {
		ds := Dataset(concept)
		c, err := concepts.TrainClassifier(concept, "none", ds.Subset(concept), ds.Subset("none"), concepts.TrainOptions{})
		if err != nil {
			fail("concept %q: %v", concept, err)
		}
		return c
	})
}

// Score is the concept's presence in texts: the mean probability, by the
// concept's [Classifier], that a text is one of the concept's sentences.
// It plays the part of the judge in the AcT paper's concept induction
// (ml-act's zero-shot evaluation: the probability that Llama-3-8B-Instruct
// answers "yes" to whether the text is about the concept), with a judge
// we train ourselves. Unlike [Rate], which needs one of the lexicon's
// words, it also moves with the words and register that come with the
// concept in the corpus.
func Score(concept string, texts []string) float64 {
	return concepts.Rate(Classifier(concept), texts)
}

// Prompts returns short neutral prompts for the demos: openings of the
// kinds of sentences the corpus holds, none mentioning a shipped concept.
func Prompts() []string {
	return []string{
		"It was",
		"The man said that",
		"In the morning",
		"She looked at the",
		"There is a",
		"We have",
		"He thought of the",
		"At last the",
	}
}

// Perplexity is the perplexity the unsteered model m assigns to the
// continuations after their prompts: exp of the mean negative
// log-likelihood per continuation token, over all pairs. It is the fluency
// measure of the demos (steering that wrecks the text raises it).
// Continuations with no tokens are skipped; with none at all it is NaN.
func Perplexity(m *act.Model, prompts []string, continuations [][]int) float64 {
	if len(prompts) != len(continuations) {
		fail("Perplexity: %d prompts for %d continuations", len(prompts), len(continuations))
	}
	var seqs [][]int
	var starts []int
	for i, p := range prompts {
		if len(continuations[i]) == 0 {
			continue
		}
		ids := append(m.Tokenize(p), continuations[i]...)
		seqs = append(seqs, ids)
		starts = append(starts, len(ids)-len(continuations[i]))
	}
	if len(seqs) == 0 {
		return math.NaN()
	}
	inputs, targets := make([][]int, len(seqs)), make([][]int, len(seqs))
	for s, ids := range seqs {
		inputs[s], targets[s] = ids[:len(ids)-1], slices.Clone(ids[1:])
		for pos := 0; pos < starts[s]-1; pos++ {
			targets[s][pos] = -1 // prompt tokens are not scored
		}
	}
	lps, err := m.Engine().ScoreTokens(act.Context(), inputs, targets, engine.ForwardOptions{})
	if err != nil {
		fail("Perplexity: %v", err)
	}
	var nll float64
	var n int
	for s, lp := range lps {
		for pos := starts[s] - 1; pos < len(lp); pos++ {
			nll -= float64(lp[pos])
			n++
		}
	}
	return math.Exp(nll / float64(n))
}
