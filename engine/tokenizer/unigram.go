package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// unigram is SentencePiece's Unigram model as tokenizer.json stores it
// ("type": "Unigram"): pieces with log-probabilities, the segmentation of
// a word being the one whose pieces' scores add up highest.
type unigram struct {
	pieces []string
	scores []float64
	ids    map[string]int // piece -> id; the last one when a piece repeats

	unk          int // -1 without unk_id
	unkScore     float64
	byteFallback bool
	byteTokens   [256]int // id of <0xXX>, -1 when absent

	trie pieceTrie
}

// unkPenalty is how far below the lowest piece score an unknown character
// scores, as in SentencePiece and Hugging Face tokenizers.
const unkPenalty = 10.0

// unigramPiece is one [piece, score] pair of the vocabulary.
type unigramPiece struct {
	piece string
	score float64
}

func (p *unigramPiece) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("vocabulary entry %s is not [piece, score]", truncate(string(b), 40))
	}
	if err := json.Unmarshal(pair[0], &p.piece); err != nil {
		return fmt.Errorf("vocabulary entry %s: %w", truncate(string(b), 40), err)
	}
	if err := json.Unmarshal(pair[1], &p.score); err != nil {
		return fmt.Errorf("vocabulary entry %s: %w", truncate(string(b), 40), err)
	}
	return nil
}

type unigramJSON struct {
	UnkID        *int           `json:"unk_id"`
	Vocab        []unigramPiece `json:"vocab"`
	ByteFallback bool           `json:"byte_fallback"`
}

// newUnigram builds the model from its tokenizer.json object.
func newUnigram(raw json.RawMessage) (*unigram, error) {
	var j unigramJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if len(j.Vocab) > 1<<30 {
		return nil, fmt.Errorf("model: %d pieces is too many", len(j.Vocab))
	}
	m := &unigram{
		pieces:       make([]string, len(j.Vocab)),
		scores:       make([]float64, len(j.Vocab)),
		ids:          make(map[string]int, len(j.Vocab)),
		unk:          -1,
		byteFallback: j.ByteFallback,
	}
	minScore := math.Inf(1)
	for id, p := range j.Vocab {
		m.pieces[id], m.scores[id] = p.piece, p.score
		m.ids[p.piece] = id
		minScore = min(minScore, p.score)
	}
	m.unkScore = minScore - unkPenalty
	if j.UnkID != nil {
		if *j.UnkID < 0 || *j.UnkID >= len(j.Vocab) {
			return nil, fmt.Errorf("model: unk_id %d is outside the vocabulary (%d pieces)", *j.UnkID, len(j.Vocab))
		}
		m.unk = *j.UnkID
	}
	for b := range m.byteTokens {
		m.byteTokens[b] = -1
		if id, ok := m.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteTokens[b] = id
		}
	}
	m.trie = newPieceTrie(m.ids)
	return m, nil
}

func (m *unigram) idToken(id int) (string, bool) {
	if id < 0 || id >= len(m.pieces) {
		return "", false
	}
	return m.pieces[id], true
}

func (m *unigram) tokenID(tok string) (int, bool) {
	id, ok := m.ids[tok]
	return id, ok
}

func (m *unigram) size() int { return len(m.pieces) }

// pieceTrie finds the pieces that start a text, shortest first.
type pieceTrie struct {
	next map[uint64]int32 // node<<8 | byte -> child node; the root is 0
	id   []int32          // piece ending at each node, -1 if none
}

func newPieceTrie(ids map[string]int) pieceTrie {
	t := pieceTrie{next: make(map[uint64]int32, 2*len(ids)), id: []int32{-1}}
	for piece, id := range ids {
		n := int32(0)
		for i := 0; i < len(piece); i++ {
			k := uint64(n)<<8 | uint64(piece[i])
			c, ok := t.next[k]
			if !ok {
				c = int32(len(t.id))
				t.id = append(t.id, -1)
				t.next[k] = c
			}
			n = c
		}
		if n != 0 { // the empty piece matches nothing
			t.id[n] = int32(id)
		}
	}
	return t
}

// bestEnd is the best segmentation of a word's prefix ending at some byte:
// its score, where its last piece starts (-1: not reached yet) and that
// piece's id (the unknown id for an unknown character).
type bestEnd struct {
	score float64
	start int
	id    int
}

// tokenize appends the ids of word's best segmentation: Viterbi over the
// pieces that start at each character, an unknown character scoring
// unkScore. As in Hugging Face tokenizers, a candidate replaces the best
// path to a position only when it scores strictly higher (so shorter
// pieces, found first, win ties), consecutive unknown characters become one
// unknown piece, and a piece is looked up by its text: with byte_fallback
// an unknown piece becomes its <0xXX> tokens when all exist.
func (m *unigram) tokenize(word string, dst []int) []int {
	if word == "" {
		return dst
	}
	n := len(word)
	best := make([]bestEnd, n+1)
	for i := 1; i <= n; i++ {
		best[i].start = -1
	}
	relax := func(start, end, id int, score float64) {
		s := best[start].score + score
		if best[end].start < 0 || s > best[end].score {
			best[end] = bestEnd{score: s, start: start, id: id}
		}
	}
	for start := 0; start < n; {
		_, size := utf8.DecodeRuneInString(word[start:])
		single := false
		node := int32(0)
		for k := start; k < n; k++ {
			c, ok := m.trie.next[uint64(node)<<8|uint64(word[k])]
			if !ok {
				break
			}
			node = c
			if id := int(m.trie.id[node]); id >= 0 {
				relax(start, k+1, id, m.scores[id])
				single = single || k+1-start == size
			}
		}
		if !single {
			relax(start, start+size, m.unk, m.unkScore)
		}
		start += size
	}
	// Walk back from the end, fusing runs of unknown pieces.
	var spans [][2]int
	for end := n; end > 0; {
		b := best[end]
		if b.id == m.unk && len(spans) > 0 && spans[len(spans)-1][1] < 0 {
			spans[len(spans)-1][0] = b.start
		} else if b.id == m.unk {
			spans = append(spans, [2]int{b.start, -end}) // a negative end marks an unknown run
		} else {
			spans = append(spans, [2]int{b.start, end})
		}
		end = b.start
	}
	for i := len(spans) - 1; i >= 0; i-- {
		a, b := spans[i][0], spans[i][1]
		if b < 0 {
			b = -b
		}
		dst = m.emit(word[a:b], dst)
	}
	return dst
}

// emit appends the id of piece, else its byte tokens (byte_fallback), else
// the unknown id; without one the piece is dropped (Hugging Face's
// tokenizers fails on such text instead).
func (m *unigram) emit(piece string, dst []int) []int {
	if id, ok := m.ids[piece]; ok {
		return append(dst, id)
	}
	if m.byteFallback {
		ok := true
		for i := 0; i < len(piece) && ok; i++ {
			ok = m.byteTokens[piece[i]] >= 0
		}
		if ok {
			for i := 0; i < len(piece); i++ {
				dst = append(dst, m.byteTokens[piece[i]])
			}
			return dst
		}
	}
	if m.unk >= 0 {
		dst = append(dst, m.unk)
	}
	return dst
}
