package concepts

import (
	"bufio"
	"encoding/json"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/actsh/actsh/tiny/corpus"
)

// Sentence is one sentence of the corpus with its record's labels.
type Sentence struct {
	Text   string
	Source string
	Genre  string
	// Split is the corpus record's split, "train" or "valid".
	Split string
}

// CorpusSentences cuts the records of the given sources into
// [Sentences], keeping those of minWords to maxWords words, deduplicated,
// in record order.
func CorpusSentences(recs []corpus.Record, sources []string, minWords, maxWords int) []Sentence {
	want := map[string]bool{}
	for _, s := range sources {
		want[s] = true
	}
	seen := map[string]bool{}
	var out []Sentence
	for _, r := range recs {
		if !want[r.Source] {
			continue
		}
		for _, s := range Sentences(r.Text) {
			n := len(strings.Fields(s))
			if n < minWords || n > maxWords || seen[s] {
				continue
			}
			seen[s] = true
			out = append(out, Sentence{Text: s, Source: r.Source, Genre: r.Genre, Split: r.Split})
		}
	}
	return out
}

// Fold returns FNV-1a-64(text) mod k: a split of texts into k folds that
// depends on the text alone.
func Fold(text string, k int) int {
	h := fnv.New64a()
	h.Write([]byte(text))
	return int(h.Sum64() % uint64(k))
}

// Held reports whether a text falls in the classifier's held-out fifth,
// Fold(text, 5) == 0.
func Held(text string) bool { return Fold(text, 5) == 0 }

// Sample returns up to n texts drawn without replacement from texts by a
// PCG generator seeded with (seed, 0), in the order drawn. The input order
// matters, so pass texts in a deterministic order.
func Sample(texts []string, n int, seed uint64) []string {
	idx := make([]int, len(texts))
	for i := range idx {
		idx[i] = i
	}
	r := rand.New(rand.NewPCG(seed, 0))
	r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	if n > len(idx) {
		n = len(idx)
	}
	out := make([]string, n)
	for i := 0; i < n; i++ {
		out[i] = texts[idx[i]]
	}
	return out
}

// Count is how many sentences of a set mention a concept.
type Count struct {
	Concept   string `json:"concept"`
	Sentences int    `json:"sentences"`
	Total     int    `json:"total"`
}

// CountConcepts counts, for each lexicon, the sentences that mention it,
// sorted by decreasing count then name.
func CountConcepts(lex []*Lexicon, sents []string) []Count {
	var out []Count
	for _, l := range lex {
		c := Count{Concept: l.Name, Total: len(sents)}
		for _, s := range sents {
			if l.Present(s) {
				c.Sentences++
			}
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Sentences != out[j].Sentences {
			return out[i].Sentences > out[j].Sentences
		}
		return out[i].Concept < out[j].Concept
	})
	return out
}

// ConceptSubsets builds a json-subsets dataset for one concept in the
// spirit of the AcT paper's concept-induction data: up to n sentences that
// mention it (subset l.Name) and n random sentences that do not (subset
// "none"), each drawn by [Sample] with the given seed.
func ConceptSubsets(l *Lexicon, sents []string, n int, seed uint64) map[string][]string {
	var yes, no []string
	for _, s := range sents {
		if l.Present(s) {
			yes = append(yes, s)
		} else {
			no = append(no, s)
		}
	}
	return map[string][]string{
		l.Name: Sample(yes, n, seed),
		"none": Sample(no, n, seed+1),
	}
}

// Save writes v as indented JSON to path atomically.
func Save(path string, v any) error {
	return corpus.WriteFileAtomic(path, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", " ")
		return enc.Encode(v)
	})
}
