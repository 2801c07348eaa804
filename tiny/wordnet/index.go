package wordnet

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ParseIndex reads an index.* file into a map from lemma (lower case,
// spaces for underscores) to its synset offsets in sense order: the first
// is the lemma's most frequent sense in WordNet's tagged corpora.
func ParseIndex(data []byte) (map[string][]int, error) {
	out := map[string][]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if strings.HasPrefix(t, "  ") || strings.TrimSpace(t) == "" {
			continue
		}
		f := strings.Fields(t)
		if len(f) < 4 {
			return nil, fmt.Errorf("wordnet: index line %d: %d fields, want at least 4", line, len(f))
		}
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 0 || n > len(f)-4 {
			return nil, fmt.Errorf("wordnet: index line %d: synset count %q", line, f[2])
		}
		var offs []int
		for _, o := range f[len(f)-n:] {
			v, err := strconv.Atoi(o)
			if err != nil {
				return nil, fmt.Errorf("wordnet: index line %d: offset %q: %w", line, o, err)
			}
			offs = append(offs, v)
		}
		out[strings.ReplaceAll(f[0], "_", " ")] = offs
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wordnet: index: %w", err)
	}
	return out, nil
}

// SetIndex attaches a noun index ([ParseIndex]) so that [DB.Sense] and
// [DB.FirstSense] know the sense order.
func (db *DB) SetIndex(index map[string][]int) { db.index = index }

// Sense returns the offset of the n-th sense (1-based, WordNet's numbering
// as in "ship.n.01") of lemma, or an error naming what exists.
func (db *DB) Sense(lemma string, n int) (int, error) {
	offs := db.index[strings.ToLower(lemma)]
	if n < 1 || n > len(offs) {
		return 0, fmt.Errorf("wordnet: %s.n.%02d: the noun has %d senses", lemma, n, len(offs))
	}
	return offs[n-1], nil
}

// FirstSense returns the offset of lemma's most frequent noun sense.
func (db *DB) FirstSense(lemma string) (int, bool) {
	offs := db.index[strings.ToLower(lemma)]
	if len(offs) == 0 {
		return 0, false
	}
	return offs[0], true
}
