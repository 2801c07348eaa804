package tokenizer

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// bpe is the byte-pair-encoding model of tokenizer.json ("type": "BPE").
type bpe struct {
	vocab  map[string]int
	tokens []string            // id -> token, "" for holes, when ids are dense
	sparse map[int]string      // id -> token otherwise
	merges map[uint64]mergeRes // (left id, right id) -> merge

	unk           int // -1 without unk_token
	fuseUnk       bool
	byteFallback  bool
	ignoreMerges  bool
	prefix        string // continuing_subword_prefix
	suffix        string // end_of_word_suffix
	byteTokens    [256]int
	hasByteTokens bool

	mu    sync.RWMutex
	cache map[string][]int
}

type mergeRes struct {
	rank, id int32
}

// Words longer than maxCachedWord bytes are not cached, and the cache is
// emptied when it holds maxCacheEntries words: it is a speed-up, never state.
const (
	maxCachedWord   = 256
	maxCacheEntries = 1 << 16
)

func pairKey(a, b int) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

type bpeJSON struct {
	Type                    string            `json:"type"`
	Vocab                   map[string]int    `json:"vocab"`
	Merges                  []json.RawMessage `json:"merges"`
	UnkToken                *string           `json:"unk_token"`
	ContinuingSubwordPrefix *string           `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string           `json:"end_of_word_suffix"`
	FuseUnk                 bool              `json:"fuse_unk"`
	ByteFallback            bool              `json:"byte_fallback"`
	IgnoreMerges            bool              `json:"ignore_merges"`
	Dropout                 *float64          `json:"dropout"`
}

// newBPE builds the model from its tokenizer.json object.
func newBPE(raw json.RawMessage) (*bpe, error) {
	var j bpeJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if j.Dropout != nil && *j.Dropout != 0 {
		return nil, fmt.Errorf("model: BPE dropout %v is not supported (only deterministic encoding)", *j.Dropout)
	}
	m := &bpe{
		vocab:        j.Vocab,
		merges:       make(map[uint64]mergeRes, len(j.Merges)),
		unk:          -1,
		fuseUnk:      j.FuseUnk,
		byteFallback: j.ByteFallback,
		ignoreMerges: j.IgnoreMerges,
		cache:        map[string][]int{},
	}
	if m.vocab == nil {
		m.vocab = map[string]int{}
	}
	if j.ContinuingSubwordPrefix != nil {
		m.prefix = *j.ContinuingSubwordPrefix
	}
	if j.EndOfWordSuffix != nil {
		m.suffix = *j.EndOfWordSuffix
	}
	maxID := -1
	for tok, id := range m.vocab {
		if id < 0 || id > 1<<30 {
			return nil, fmt.Errorf("model: token %q has id %d out of range", tok, id)
		}
		maxID = max(maxID, id)
	}
	if maxID < 2*len(m.vocab)+1024 {
		m.tokens = make([]string, maxID+1)
		for tok, id := range m.vocab {
			m.tokens[id] = tok
		}
	} else { // a few huge ids: a slice would waste memory
		m.sparse = make(map[int]string, len(m.vocab))
		for tok, id := range m.vocab {
			m.sparse[id] = tok
		}
	}
	if j.UnkToken != nil {
		id, ok := m.vocab[*j.UnkToken]
		if !ok {
			return nil, fmt.Errorf("model: unk_token %q is not in the vocabulary", *j.UnkToken)
		}
		m.unk = id
	}
	m.hasByteTokens = true
	for b := range 256 {
		id, ok := m.vocab[fmt.Sprintf("<0x%02X>", b)]
		if !ok {
			m.hasByteTokens = false
			break
		}
		m.byteTokens[b] = id
	}
	rank := 0
	for _, rm := range j.Merges {
		if strings.HasPrefix(string(rm), `"#version`) { // a merges.txt header line
			continue
		}
		rank++
		a, b, err := parseMerge(rm)
		if err != nil {
			return nil, fmt.Errorf("model: merge %d: %w", rank, err)
		}
		ia, okA := m.vocab[a]
		ib, okB := m.vocab[b]
		if !okA || !okB {
			missing := a
			if okA {
				missing = b
			}
			return nil, fmt.Errorf("model: merge %d (%q %q): token %q is not in the vocabulary", rank, a, b, missing)
		}
		// Like Hugging Face, the prefix length is cut off b whatever b starts with.
		merged := a + b[min(len(m.prefix), len(b)):]
		id, ok := m.vocab[merged]
		if !ok {
			return nil, fmt.Errorf("model: merge %d (%q %q): result %q is not in the vocabulary", rank, a, b, merged)
		}
		// A repeated pair takes its last rank, as Hugging Face's map does.
		m.merges[pairKey(ia, ib)] = mergeRes{rank: int32(rank - 1), id: int32(id)}
	}
	return m, nil
}

// parseMerge reads one merge, either "a b" or ["a", "b"].
func parseMerge(raw json.RawMessage) (string, string, error) {
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		parts := strings.Split(s, " ")
		if len(parts) != 2 {
			return "", "", fmt.Errorf("%q is not two tokens separated by one space", s)
		}
		return parts[0], parts[1], nil
	}
	var p []string
	if err := json.Unmarshal(raw, &p); err != nil || len(p) != 2 {
		return "", "", fmt.Errorf("%s is neither \"a b\" nor [\"a\", \"b\"]", truncate(string(raw), 60))
	}
	return p[0], p[1], nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// symbol is one part of a word during merging, in a doubly linked list.
type symbol struct {
	id         int
	prev, next int
	size       int // bytes of the word covered; 0 once merged into its left neighbour
}

type mergeItem struct {
	pos      int
	rank, id int32
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// tokenize appends the ids of word to dst.
func (m *bpe) tokenize(word string, dst []int) []int {
	if word == "" {
		return dst
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return append(dst, id)
		}
	}
	cacheable := len(word) <= maxCachedWord
	if cacheable {
		m.mu.RLock()
		ids, ok := m.cache[word]
		m.mu.RUnlock()
		if ok {
			return append(dst, ids...)
		}
	}
	ids := m.merge(m.symbols(word))
	if cacheable {
		m.mu.Lock()
		if len(m.cache) >= maxCacheEntries {
			clear(m.cache)
		}
		m.cache[word] = ids
		m.mu.Unlock()
	}
	return append(dst, ids...)
}

// symbols splits word into its initial symbols: one per rune found in the
// vocabulary (with continuing_subword_prefix after the first rune and
// end_of_word_suffix on the last), else its bytes' <0xXX> tokens under
// byte_fallback, else the unknown token (one per run of unknown runes under
// fuse_unk), else nothing.
func (m *bpe) symbols(word string) []symbol {
	syms := make([]symbol, 0, len(word))
	add := func(id, size int) {
		syms = append(syms, symbol{id: id, prev: len(syms) - 1, next: len(syms) + 1, size: size})
	}
	unkID, unkSize := -1, 0
	for i := 0; i < len(word); {
		_, n := utf8.DecodeRuneInString(word[i:])
		s := word[i : i+n]
		if i > 0 && m.prefix != "" {
			s = m.prefix + s
		}
		if i+n == len(word) && m.suffix != "" {
			s += m.suffix
		}
		if id, ok := m.vocab[s]; ok {
			if unkID >= 0 {
				add(unkID, unkSize)
				unkID = -1
			}
			add(id, n)
		} else if m.byteFallback && m.hasByteTokens {
			// Like Hugging Face, a pending unknown token is not flushed here.
			for k := 0; k < len(s); k++ {
				add(m.byteTokens[s[k]], 1)
			}
		} else if m.unk >= 0 {
			switch {
			case unkID >= 0 && m.fuseUnk:
				unkSize += n
			case unkID >= 0:
				add(unkID, unkSize)
				unkSize = n
			default:
				unkID, unkSize = m.unk, n
			}
		}
		i += n
	}
	if unkID >= 0 {
		add(unkID, unkSize)
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms
}

// merge applies the merges to syms, always the one of lowest rank first and
// the leftmost among equals, and returns the ids left.
func (m *bpe) merge(syms []symbol) []int {
	h := make(mergeHeap, 0, len(syms))
	for i := 0; i+1 < len(syms); i++ {
		if r, ok := m.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			h = append(h, mergeItem{pos: i, rank: r.rank, id: r.id})
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		top := heap.Pop(&h).(mergeItem)
		s := &syms[top.pos]
		if s.size == 0 || s.next < 0 {
			continue
		}
		right := syms[s.next]
		if r, ok := m.merges[pairKey(s.id, right.id)]; !ok || r.id != top.id {
			continue // stale: a neighbour changed since this pair was queued
		}
		s.id = int(top.id)
		s.size += right.size
		syms[s.next].size = 0
		s.next = right.next
		if s.next >= 0 {
			syms[s.next].prev = top.pos
		}
		if s.prev >= 0 {
			if r, ok := m.merges[pairKey(syms[s.prev].id, s.id)]; ok {
				heap.Push(&h, mergeItem{pos: s.prev, rank: r.rank, id: r.id})
			}
		}
		if s.next >= 0 {
			if r, ok := m.merges[pairKey(s.id, syms[s.next].id)]; ok {
				heap.Push(&h, mergeItem{pos: top.pos, rank: r.rank, id: r.id})
			}
		}
	}
	ids := make([]int, 0, len(syms))
	for i := 0; i >= 0 && i < len(syms); i = syms[i].next {
		if syms[i].size > 0 {
			ids = append(ids, syms[i].id)
		}
	}
	return ids
}
