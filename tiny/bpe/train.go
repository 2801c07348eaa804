package bpe

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"
)

// EndOfText is the special token GPT-2 uses between documents; [Options]
// adds it by default.
const EndOfText = "<|endoftext|>"

// Options configures [Trainer.Train]. The zero value trains 4096 tokens
// with <|endoftext|> and no minimum pair count beyond 2.
type Options struct {
	// VocabSize is the final vocabulary size, special tokens included
	// (default 4096). It must leave room for the 256 byte tokens.
	VocabSize int
	// MinFrequency stops training when the most frequent pair occurs fewer
	// times (default 2).
	MinFrequency int
	// Special are the special tokens appended after the merges (default
	// [EndOfText]).
	Special []string
}

// Trainer accumulates the word-frequency table that BPE is learned from.
type Trainer struct {
	words map[string]int
}

// NewTrainer returns an empty trainer.
func NewTrainer() *Trainer { return &Trainer{words: map[string]int{}} }

// Add pre-tokenizes text ([Split]) and counts its pieces, byte-level mapped.
func (tr *Trainer) Add(text string) {
	for _, p := range Split(text) {
		tr.words[ByteLevel(p)]++
	}
}

// Words returns the number of distinct pre-tokenized pieces seen.
func (tr *Trainer) Words() int { return len(tr.words) }

type pair struct{ a, b int32 }

type entry struct {
	count int
	p     pair
}

// pairHeap orders entries by count, then by the pair's token strings
// (left, then right) ascending, so ties break the same way every run.
type pairHeap struct {
	e   []entry
	tok []string
}

func (h *pairHeap) Len() int { return len(h.e) }
func (h *pairHeap) Less(i, j int) bool {
	x, y := h.e[i], h.e[j]
	if x.count != y.count {
		return x.count > y.count
	}
	if h.tok[x.p.a] != h.tok[y.p.a] {
		return h.tok[x.p.a] < h.tok[y.p.a]
	}
	return h.tok[x.p.b] < h.tok[y.p.b]
}
func (h *pairHeap) Swap(i, j int) { h.e[i], h.e[j] = h.e[j], h.e[i] }
func (h *pairHeap) Push(x any)    { h.e = append(h.e, x.(entry)) }
func (h *pairHeap) Pop() any {
	x := h.e[len(h.e)-1]
	h.e = h.e[:len(h.e)-1]
	return x
}

// Train learns merges until the vocabulary holds opts.VocabSize tokens or
// no pair occurs opts.MinFrequency times. Each step merges the adjacent
// pair with the highest count over the word-frequency table (count of a
// pair = Σ over words of occurrences × word frequency), ties broken by the
// lexicographically smallest (left, right) token strings. Pair counts are
// kept incrementally: only the words containing the merged pair are
// recounted.
func (tr *Trainer) Train(opts Options) (*Tokenizer, error) {
	if opts.VocabSize == 0 {
		opts.VocabSize = 4096
	}
	if opts.MinFrequency == 0 {
		opts.MinFrequency = 2
	}
	if opts.Special == nil {
		opts.Special = []string{EndOfText}
	}
	nMerges := opts.VocabSize - 256 - len(opts.Special)
	if nMerges < 0 {
		return nil, fmt.Errorf("bpe: vocab size %d is below 256 bytes + %d special tokens", opts.VocabSize, len(opts.Special))
	}
	tok := make([]string, 0, opts.VocabSize)
	id := map[string]int32{}
	for _, b := range byteOrder {
		id[string(byteChars[b])] = int32(len(tok))
		tok = append(tok, string(byteChars[b]))
	}
	// Words in sorted order, as symbol-id sequences.
	keys := make([]string, 0, len(tr.words))
	for w := range tr.words {
		keys = append(keys, w)
	}
	sort.Strings(keys)
	syms := make([][]int32, len(keys))
	freq := make([]int, len(keys))
	for i, w := range keys {
		freq[i] = tr.words[w]
		for _, r := range w {
			syms[i] = append(syms[i], id[string(r)])
		}
	}
	counts := map[pair]int{}
	where := map[pair][]int32{}
	for i, s := range syms {
		for k := 0; k+1 < len(s); k++ {
			p := pair{s[k], s[k+1]}
			if counts[p] == 0 {
				where[p] = append(where[p], int32(i))
			} else if l := where[p]; l[len(l)-1] != int32(i) {
				where[p] = append(where[p], int32(i))
			}
			counts[p] += freq[i]
		}
	}
	h := &pairHeap{tok: tok}
	for p, c := range counts {
		h.e = append(h.e, entry{c, p})
	}
	heap.Init(h)
	var merges [][2]string
	for len(merges) < nMerges && h.Len() > 0 {
		e := heap.Pop(h).(entry)
		cur := counts[e.p]
		if cur != e.count {
			// Stale: re-queue with the lower current count; higher counts
			// were queued when they rose.
			if cur > 0 && cur < e.count {
				heap.Push(h, entry{cur, e.p})
			}
			continue
		}
		if cur < opts.MinFrequency {
			break
		}
		newID := int32(len(tok))
		tok = append(tok, tok[e.p.a]+tok[e.p.b])
		h.tok = tok
		merges = append(merges, [2]string{tok[e.p.a], tok[e.p.b]})
		changed := map[pair]bool{}
		for _, wi := range where[e.p] {
			s := syms[wi]
			if !contains(s, e.p) {
				continue
			}
			f := freq[wi]
			for k := 0; k+1 < len(s); k++ {
				p := pair{s[k], s[k+1]}
				counts[p] -= f
				changed[p] = true
			}
			s = apply(s, e.p, newID)
			syms[wi] = s
			for k := 0; k+1 < len(s); k++ {
				p := pair{s[k], s[k+1]}
				if l := where[p]; len(l) == 0 || l[len(l)-1] != wi {
					where[p] = append(where[p], wi)
				}
				counts[p] += f
				changed[p] = true
			}
		}
		delete(where, e.p)
		// Queue the pairs whose counts rose (in a fixed order so the heap's
		// layout, though not its results, is reproducible too).
		var up []pair
		for p := range changed {
			if counts[p] > 0 {
				up = append(up, p)
			}
		}
		sort.Slice(up, func(i, j int) bool {
			if up[i].a != up[j].a {
				return up[i].a < up[j].a
			}
			return up[i].b < up[j].b
		})
		for _, p := range up {
			heap.Push(h, entry{counts[p], p})
		}
		for p := range changed {
			if counts[p] <= 0 {
				delete(counts, p)
			}
		}
	}
	t := &Tokenizer{Vocab: tok, Merges: merges}
	t.Vocab = append(t.Vocab, opts.Special...)
	t.Special = append([]string(nil), opts.Special...)
	t.index()
	return t, nil
}

func contains(s []int32, p pair) bool {
	for k := 0; k+1 < len(s); k++ {
		if s[k] == p.a && s[k+1] == p.b {
			return true
		}
	}
	return false
}

// apply replaces the non-overlapping occurrences of p in s, left to right,
// by id.
func apply(s []int32, p pair, id int32) []int32 {
	out := make([]int32, 0, len(s))
	for k := 0; k < len(s); k++ {
		if k+1 < len(s) && s[k] == p.a && s[k+1] == p.b {
			out = append(out, id)
			k++
			continue
		}
		out = append(out, s[k])
	}
	return out
}

// Tokenizer is a trained byte-level BPE model.
type Tokenizer struct {
	// Vocab lists the token strings by id: the 256 byte characters in GPT-2's
	// order, one token per merge, then the special tokens.
	Vocab []string
	// Merges are the learned merges in rank order, as (left, right) strings.
	Merges [][2]string
	// Special are the special tokens, also at the end of Vocab.
	Special []string

	ids   map[string]int
	ranks map[[2]string]int
	cache map[string][]int
}

func (t *Tokenizer) index() {
	t.ids = make(map[string]int, len(t.Vocab))
	for i, s := range t.Vocab {
		t.ids[s] = i
	}
	t.ranks = make(map[[2]string]int, len(t.Merges))
	for i, m := range t.Merges {
		t.ranks[m] = i
	}
	t.cache = map[string][]int{}
}

// Encode returns the ids of text: special tokens written literally are
// matched first, the rest is split ([Split]), byte-level mapped and merged
// by applying, repeatedly, the lowest-ranked merge present.
func (t *Tokenizer) Encode(text string) []int {
	if t.ids == nil {
		t.index()
	}
	var out []int
	for len(text) > 0 {
		at, sp := len(text), ""
		for _, s := range t.Special {
			if i := strings.Index(text, s); i >= 0 && i < at {
				at, sp = i, s
			}
		}
		for _, p := range Split(text[:at]) {
			out = append(out, t.word(ByteLevel(p))...)
		}
		if sp == "" {
			break
		}
		out = append(out, t.ids[sp])
		text = text[at+len(sp):]
	}
	return out
}

func (t *Tokenizer) word(w string) []int {
	if ids, ok := t.cache[w]; ok {
		return ids
	}
	var parts []string
	for _, r := range w {
		parts = append(parts, string(r))
	}
	for len(parts) > 1 {
		best, at := -1, -1
		for k := 0; k+1 < len(parts); k++ {
			if r, ok := t.ranks[[2]string{parts[k], parts[k+1]}]; ok && (best < 0 || r < best) {
				best, at = r, k
			}
		}
		if at < 0 {
			break
		}
		m := t.Merges[best]
		var next []string
		for k := 0; k < len(parts); k++ {
			if k+1 < len(parts) && parts[k] == m[0] && parts[k+1] == m[1] {
				next = append(next, m[0]+m[1])
				k++
				continue
			}
			next = append(next, parts[k])
		}
		parts = next
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = t.ids[p]
	}
	if len(t.cache) < 1<<20 {
		t.cache[w] = ids
	}
	return ids
}

// EncodeDocuments encodes each text and appends the first special token
// (<|endoftext|>) after it, as GPT-2 separates documents in its training
// stream. The result is one flat token stream, ready to be cut into
// fixed-length training blocks.
func (t *Tokenizer) EncodeDocuments(texts []string) []int32 {
	eot := -1
	if len(t.Special) > 0 {
		eot = len(t.Vocab) - len(t.Special)
	}
	var out []int32
	for _, tx := range texts {
		for _, id := range t.Encode(tx) {
			out = append(out, int32(id))
		}
		if eot >= 0 {
			out = append(out, int32(eot))
		}
	}
	return out
}

// Decode turns ids back into text: special tokens as written, the others
// through the inverse byte mapping. Out-of-range ids are skipped.
func (t *Tokenizer) Decode(ids []int) string {
	var b []byte
	nSpecial := len(t.Special)
	for _, id := range ids {
		if id < 0 || id >= len(t.Vocab) {
			continue
		}
		if id >= len(t.Vocab)-nSpecial {
			b = append(b, t.Vocab[id]...)
			continue
		}
		b = append(b, FromByteLevel(t.Vocab[id])...)
	}
	return string(b)
}
