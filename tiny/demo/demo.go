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
	"github.com/actsh/actsh/tiny/corpus"
)

// fail panics with an act error, as the functions of package act do.
func fail(format string, args ...any) {
	panic(&act.Error{Msg: "act: demo: " + fmt.Sprintf(format, args...)})
}

// Concepts returns the names of the shipped concepts and of those made
// with [DefineConcept], sorted.
func Concepts() []string {
	names, err := fs.Glob(tiny.ConceptFiles(), "*.lexicon.json")
	if err != nil {
		fail("%v", err)
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(n, ".lexicon.json")
	}
	defined.Range(func(k, _ any) bool {
		if !slices.Contains(out, k.(string)) {
			out = append(out, k.(string))
		}
		return true
	})
	sort.Strings(out)
	return out
}

func read(concept, suffix string) []byte {
	b, err := fs.ReadFile(tiny.ConceptFiles(), concept+suffix)
	if err != nil {
		fail("unknown concept %q (known: %s; DefineConcept makes a new one from its words)", concept, strings.Join(Concepts(), ", "))
	}
	return b
}

// MinSentences is the fewest pool sentences that must name a concept for
// [DefineConcept] to accept it.
const MinSentences = 100

// DefineConcept makes a new concept, or redefines one, from the words that
// name it (nouns, their plurals match too; phrases are words separated by
// spaces): its lexicon is the words, and its data set is drawn from the
// shipped sentence pool (tiny.Sentences, 60,000 corpus sentences) like a
// shipped concept's, up to 500 pool sentences that name it against 500
// that do not, sampled with seed 1. It returns the number of pool
// sentences that name it and fails when fewer than [MinSentences] do.
// [Dataset], [Lexicon], [Rate], [Classifier], [Score] and [Sweep] then
// take the name. The pool's sentences are drawn from the model's training
// text, so the model has seen them: a concept the model knows words for.
//
//	demo.DefineConcept("horse", "horse", "mare", "stallion", "pony", "colt")
func DefineConcept(name string, words ...string) int {
	if strings.TrimSpace(name) == "" || name == "none" {
		fail("DefineConcept: the concept's name is %q; give it a name other than \"none\" (the other subset)", name)
	}
	l, err := concepts.NewLexicon(name, words...)
	if err != nil {
		fail("DefineConcept %q: no words name it: give the words a text must contain, e.g. DefineConcept(%q, %q)", name, name, name)
	}
	pool := tiny.Sentences()
	n := 0
	for _, s := range pool {
		if l.Present(s) {
			n++
		}
	}
	if n < MinSentences {
		fail("DefineConcept %q: only %d of the %d pool sentences contain %s; at least %d are needed to fit and judge it: add words (plurals match already)",
			name, n, len(pool), strings.Join(l.Words, ", "), MinSentences)
	}
	subsets := concepts.ConceptSubsets(l, pool, 500, 1)
	definedMu.Lock()
	defer definedMu.Unlock()
	defined.Store(name, true)
	lexicons.Store(name, l)
	datasets.Store(name, subsets)
	classifiers.Delete(name)
	return n
}

var (
	defined   sync.Map // names made by DefineConcept
	definedMu sync.Mutex
)

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

// WordShare is the share of the words of texts (corpus.VocabWords) that
// are words of the corpus (tiny.Vocabulary: seen at least 3 times in the
// training split): a fluency measure that needs no model. The corpus's own
// validation text scores about 0.99; invented words lower it. With no
// words at all it is NaN.
func WordShare(texts []string) float64 {
	vocabOnce.Do(func() {
		vocab = map[string]bool{}
		for _, w := range tiny.Vocabulary() {
			vocab[w] = true
		}
	})
	var n, in int
	for _, t := range texts {
		for _, w := range corpus.VocabWords(t) {
			n++
			if vocab[w] {
				in++
			}
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return float64(in) / float64(n)
}

var (
	vocabOnce sync.Once
	vocab     map[string]bool
)

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
