package concepts

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/actsh/actsh/tiny/wordnet"
)

// Spec names a concept and the WordNet noun senses that define it, written
// "lemma.n.NN" as in NLTK ("ship.n.01" is the first sense of ship).
type Spec struct {
	Name   string   `json:"name"`
	Senses []string `json:"senses"`
	// Exclude lists lemmas to leave out, chosen by reading the matches:
	// names and words that WordNet files under the concept through a rare
	// sense or multiple inheritance.
	Exclude []string `json:"exclude,omitempty"`
}

// Lexicon is the word list a concept is recognised by.
type Lexicon struct {
	// Name is the concept's name, also its subset name in the dataset.
	Name string `json:"name"`
	// Senses are the defining WordNet senses.
	Senses []string `json:"senses"`
	// Words are lower-case lemmas and phrases (words separated by one space),
	// matched on [Words] of a text, plural forms included.
	Words []string `json:"words"`

	set    map[string]bool
	first  map[string]bool // first words of the multi-word entries
	maxLen int
}

// BuildLexicon collects the lemmas of spec's senses and of all their
// hyponyms. For precision, a hyponym's lemma is kept only when its most
// frequent noun sense lies inside the concept ("hero", a sandwich under
// food, is dropped because a hero is first a person); the lemmas of the
// defining senses are always kept. Lemmas shorter than 3 letters or with
// characters other than letters, spaces and hyphens are dropped, and so
// are the lemmas in spec.Exclude and those for which keep (if not nil)
// returns false.
func BuildLexicon(db *wordnet.DB, spec Spec, keep func(lemma string) bool) (*Lexicon, error) {
	var roots []int
	always := map[string]bool{}
	for _, s := range spec.Senses {
		lemma, n, err := parseSense(s)
		if err != nil {
			return nil, fmt.Errorf("concepts: %s: %w", spec.Name, err)
		}
		o, err := db.Sense(lemma, n)
		if err != nil {
			return nil, fmt.Errorf("concepts: %s: %w", spec.Name, err)
		}
		roots = append(roots, o)
		for _, l := range db.Synset(o).Lemmas {
			always[strings.ToLower(l)] = true
		}
	}
	inside := map[int]bool{}
	for _, r := range roots {
		for _, o := range db.Hyponyms(r) {
			inside[o] = true
		}
	}
	excluded := map[string]bool{}
	for _, w := range spec.Exclude {
		excluded[strings.Join(Words(w), " ")] = true
	}
	var words []string
	for _, w := range db.Lexicon(roots) {
		if !usable(w) || excluded[strings.Join(Words(w), " ")] {
			continue
		}
		if !always[w] {
			if keep != nil && !keep(w) {
				continue
			}
			if first, ok := db.FirstSense(w); !ok || !inside[first] {
				continue
			}
		}
		words = append(words, strings.Join(Words(w), " "))
	}
	sort.Strings(words)
	words = compact(words)
	if len(words) == 0 {
		return nil, fmt.Errorf("concepts: %s: no usable lemmas under %v", spec.Name, spec.Senses)
	}
	l := &Lexicon{Name: spec.Name, Senses: spec.Senses, Words: words}
	l.index()
	return l, nil
}

func compact(s []string) []string {
	out := s[:0]
	for i, w := range s {
		if w != "" && (i == 0 || w != s[i-1]) {
			out = append(out, w)
		}
	}
	return out
}

func usable(w string) bool {
	letters := 0
	for _, r := range w {
		switch {
		case r >= 'a' && r <= 'z':
			letters++
		case r == ' ' || r == '-':
		default:
			return false
		}
	}
	return letters >= 3
}

func parseSense(s string) (string, int, error) {
	i := strings.LastIndex(s, ".n.")
	if i <= 0 {
		return "", 0, fmt.Errorf("sense %q: want lemma.n.NN", s)
	}
	n, err := strconv.Atoi(s[i+3:])
	if err != nil {
		return "", 0, fmt.Errorf("sense %q: want lemma.n.NN", s)
	}
	return strings.ReplaceAll(s[:i], "_", " "), n, nil
}

// NewLexicon returns the lexicon of a concept named by words: each is
// lower-cased and its whitespace collapsed (a phrase is words separated by
// one space); plurals match as for a WordNet-built lexicon. Empty words
// are dropped; with none left it fails.
func NewLexicon(name string, words ...string) (*Lexicon, error) {
	l := &Lexicon{Name: name}
	for _, w := range words {
		if w = strings.Join(Words(w), " "); w != "" {
			l.Words = append(l.Words, w)
		}
	}
	slices.Sort(l.Words)
	l.Words = compact(l.Words)
	if len(l.Words) == 0 {
		return nil, fmt.Errorf("concepts: lexicon %q: no words", name)
	}
	l.index()
	return l, nil
}

func (l *Lexicon) index() {
	l.set = make(map[string]bool, len(l.Words))
	l.first = map[string]bool{}
	l.maxLen = 1
	for _, w := range l.Words {
		l.set[w] = true
		if n := strings.Count(w, " ") + 1; n > 1 {
			l.first[w[:strings.IndexByte(w, ' ')]] = true
			if n > l.maxLen {
				l.maxLen = n
			}
		}
	}
}

// singulars returns w and the singular forms it may be the plural of.
func singulars(w string) []string {
	out := []string{w}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		out = append(out, w[:len(w)-3]+"y")
	case strings.HasSuffix(w, "es") && len(w) > 3:
		out = append(out, w[:len(w)-2], w[:len(w)-1])
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && len(w) > 3:
		out = append(out, w[:len(w)-1])
	}
	if strings.HasSuffix(w, "men") {
		out = append(out, w[:len(w)-3]+"man")
	}
	return out
}

// Matches returns the lexicon entries found in text, in order of
// appearance (a phrase's last word may be plural).
func (l *Lexicon) Matches(text string) []string {
	if l.set == nil {
		l.index()
	}
	ws := Words(text)
	var out []string
	for i := range ws {
		for n := l.maxLen; n >= 1; n-- {
			if i+n > len(ws) || (n > 1 && !l.first[ws[i]]) {
				continue
			}
			head := strings.Join(ws[i:i+n-1], " ")
			found := ""
			for _, last := range singulars(ws[i+n-1]) {
				cand := last
				if head != "" {
					cand = head + " " + last
				}
				if l.set[cand] {
					found = cand
					break
				}
			}
			if found != "" {
				out = append(out, found)
				break
			}
		}
	}
	return out
}

// Present reports whether text mentions the concept at all.
func (l *Lexicon) Present(text string) bool { return len(l.Matches(text)) > 0 }

// Score is 1 when the concept is present in text and 0 otherwise, so that
// a [Lexicon] is a [Scorer].
func (l *Lexicon) Score(text string) float64 {
	if l.Present(text) {
		return 1
	}
	return 0
}

// Scorer scores how present a concept or register is in a text, in [0, 1].
type Scorer interface {
	Score(text string) float64
}

// Rate is the mean score over texts: for a [Lexicon], the concept rate of
// the AcT paper's concept-induction experiments (the share of generations
// that mention the concept); for a [Classifier], the mean probability.
// It is 0 for no texts.
func Rate(s Scorer, texts []string) float64 {
	if len(texts) == 0 {
		return 0
	}
	sum := 0.0
	for _, t := range texts {
		sum += s.Score(t)
	}
	return sum / float64(len(texts))
}
