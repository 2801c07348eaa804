package wordnet

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Synset is one line of a WordNet data file.
type Synset struct {
	// Offset is the synset's byte offset in its file, its id within POS.
	Offset int
	// POS is the synset type: 'n', 'v', 'a', 's' (satellite adjective) or 'r'.
	POS byte
	// Lemmas are the synonyms, underscores replaced by spaces.
	Lemmas []string
	// Hypernyms and Hyponyms are offsets of noun synsets pointed to by "@"/"@i"
	// and "~"/"~i".
	Hypernyms, Hyponyms []int
	// Definition is the gloss without its examples.
	Definition string
	// Examples are the quoted usage examples of the gloss, without quotes.
	Examples []string
}

// Parse reads the synsets of one data.* file. License header lines (which
// start with two spaces) are skipped.
func Parse(data []byte) ([]Synset, error) {
	var out []Synset
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if strings.HasPrefix(t, "  ") || strings.TrimSpace(t) == "" {
			continue
		}
		s, err := parseLine(t)
		if err != nil {
			return nil, fmt.Errorf("wordnet: line %d: %w", line, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wordnet: %w", err)
	}
	return out, nil
}

func parseLine(t string) (Synset, error) {
	var s Synset
	head, gloss, _ := strings.Cut(t, "|")
	f := strings.Fields(head)
	if len(f) < 4 {
		return s, fmt.Errorf("%d fields before the gloss, want at least 4", len(f))
	}
	off, err := strconv.Atoi(f[0])
	if err != nil {
		return s, fmt.Errorf("offset %q: %w", f[0], err)
	}
	s.Offset = off
	if len(f[2]) != 1 {
		return s, fmt.Errorf("synset type %q", f[2])
	}
	s.POS = f[2][0]
	nw, err := strconv.ParseInt(f[3], 16, 32)
	if err != nil {
		return s, fmt.Errorf("word count %q: %w", f[3], err)
	}
	i := 4
	for k := 0; k < int(nw); k++ {
		if i+1 >= len(f) {
			return s, fmt.Errorf("word %d of %d missing", k, nw)
		}
		w := f[i]
		// Adjectives may carry a syntactic marker such as "(a)".
		if j := strings.IndexByte(w, '('); j > 0 {
			w = w[:j]
		}
		s.Lemmas = append(s.Lemmas, strings.ReplaceAll(w, "_", " "))
		i += 2
	}
	if i >= len(f) {
		return s, fmt.Errorf("pointer count missing")
	}
	np, err := strconv.Atoi(f[i])
	if err != nil {
		return s, fmt.Errorf("pointer count %q: %w", f[i], err)
	}
	i++
	for k := 0; k < np; k++ {
		if i+3 >= len(f) {
			return s, fmt.Errorf("pointer %d of %d missing", k, np)
		}
		sym, o, pos := f[i], f[i+1], f[i+2]
		i += 4
		if pos != "n" {
			continue
		}
		po, err := strconv.Atoi(o)
		if err != nil {
			return s, fmt.Errorf("pointer offset %q: %w", o, err)
		}
		switch sym {
		case "@", "@i":
			s.Hypernyms = append(s.Hypernyms, po)
		case "~", "~i":
			s.Hyponyms = append(s.Hyponyms, po)
		}
	}
	for _, part := range strings.Split(gloss, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, "\"") {
			ex := strings.Trim(part, "\" ")
			if ex != "" {
				s.Examples = append(s.Examples, ex)
			}
			continue
		}
		if s.Definition == "" {
			s.Definition = part
		} else if len(s.Examples) == 0 {
			s.Definition += "; " + part
		}
	}
	return s, nil
}

// DB indexes noun synsets by offset and lemma.
type DB struct {
	nouns  map[int]*Synset
	byWord map[string][]int
	index  map[string][]int
}

// NewDB indexes the given noun synsets (other parts of speech are ignored).
func NewDB(nouns []Synset) *DB {
	db := &DB{nouns: map[int]*Synset{}, byWord: map[string][]int{}}
	for i := range nouns {
		s := &nouns[i]
		if s.POS != 'n' {
			continue
		}
		db.nouns[s.Offset] = s
		for _, l := range s.Lemmas {
			k := strings.ToLower(l)
			db.byWord[k] = append(db.byWord[k], s.Offset)
		}
	}
	return db
}

// Synsets returns the noun synsets whose lemmas include word (case folded).
func (db *DB) Synsets(word string) []*Synset {
	var out []*Synset
	for _, o := range db.byWord[strings.ToLower(word)] {
		out = append(out, db.nouns[o])
	}
	return out
}

// Synset returns the noun synset at offset, or nil.
func (db *DB) Synset(offset int) *Synset { return db.nouns[offset] }

// Hyponyms returns the offsets of root and every synset below it,
// following hyponym pointers transitively, sorted.
func (db *DB) Hyponyms(root int) []int {
	seen := map[int]bool{}
	stack := []int{root}
	for len(stack) > 0 {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[o] {
			continue
		}
		seen[o] = true
		if s := db.nouns[o]; s != nil {
			stack = append(stack, s.Hyponyms...)
		}
	}
	out := make([]int, 0, len(seen))
	for o := range seen {
		out = append(out, o)
	}
	sort.Ints(out)
	return out
}

// Lexicon returns the sorted, lower-cased lemmas of the given synsets and
// all their hyponyms.
func (db *DB) Lexicon(roots []int) []string {
	set := map[string]bool{}
	for _, r := range roots {
		for _, o := range db.Hyponyms(r) {
			if s := db.nouns[o]; s != nil {
				for _, l := range s.Lemmas {
					set[strings.ToLower(l)] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for w := range set {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}
