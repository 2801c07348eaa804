package act

import (
	"encoding/binary"
	"math"
	"slices"
)

// BLEUOrder sets the longest n-gram [SelfBLEU] counts (default 4); the
// orders 1..n get equal weights 1/n. It panics when n < 1.
func BLEUOrder(n int) Option {
	if n < 1 {
		fail("BLEUOrder(%d): the longest n-gram must have at least 1 word", n)
	}
	return func(o *options) { o.bleuOrder = n }
}

// bleuEpsilon is the count NLTK's SmoothingFunction().method1 gives an
// n-gram order with no match.
const bleuEpsilon = 0.1

// SelfBLEU returns the Self-BLEU of a set of generations (Zhu et al. 2018,
// Texygen; the diversity column of the AcT paper's Table 7): the mean over
// texts of the BLEU of each text against all the others as references.
// Higher means more alike, less diverse. It reads [BLEUOrder] (default 4).
//
//	texts := []string{"The cat sat on the mat.", "The cat sat on a mat.", "A dog ran."}
//	SelfBLEU(texts)                 // 4-gram Self-BLEU
//	SelfBLEU(texts, BLEUOrder(2))   // bigram Self-BLEU
//	SelfBLEUScores(texts)           // one BLEU per text
//
// It is Texygen's computation: each text is split by [WordTokens] (NLTK's
// word tokenizer, not lowercased), and scored with NLTK's
// sentence_bleu(others, text, weights=(1/N,)*N,
// smoothing_function=SmoothingFunction().method1). For a text of c tokens
// whose n-grams g (n = 1..N) occur count(g) times in it and at most max(g)
// times in any single other text,
//
//	p_n  = Σ_g min(count(g), max(g)) / max(1, Σ_g count(g))   (0.1 / denominator when no n-gram matches)
//	BP   = 1 if c > r, else exp(1 − r/c)                     (r: the other texts' length closest to c, the shorter on ties)
//	BLEU = BP · exp(Σ_n log(p_n) / N)                           (N: BLEUOrder)
//
// and BLEU is 0 when no word of the text occurs in any other (an empty text
// included). Texygen scores only the first 500 texts of a file; pass
// texts[:500] to do the same. The result matches NLTK 3.8 to 1e-12 relative.
//
// It panics with fewer than 2 texts.
func SelfBLEU(texts []string, opts ...Option) float64 {
	scores := SelfBLEUScores(texts, opts...)
	var sum float64
	for _, s := range scores {
		sum += s
	}
	return sum / float64(len(scores))
}

// SelfBLEUScores returns, for each text, its BLEU against all the other
// texts as references: the terms whose mean is [SelfBLEU]. It reads
// [BLEUOrder] and panics with fewer than 2 texts.
func SelfBLEUScores(texts []string, opts ...Option) []float64 {
	if len(texts) < 2 {
		fail("SelfBLEU needs at least 2 texts (each is scored against the others), got %d", len(texts))
	}
	tokens := make([][]string, len(texts))
	for i, t := range texts {
		tokens[i] = WordTokens(t)
	}
	return SelfBLEUTokens(tokens, opts...)
}

// SelfBLEUTokens is [SelfBLEUScores] on texts already split into tokens,
// for a tokenisation other than [WordTokens].
func SelfBLEUTokens(tokens [][]string, opts ...Option) []float64 {
	if len(tokens) < 2 {
		fail("SelfBLEU needs at least 2 texts (each is scored against the others), got %d", len(tokens))
	}
	order := collect(opts).bleuOrder
	if order == 0 {
		order = 4
	}
	ids := internTokens(tokens)

	// matches[i][n-1] is text i's clipped n-gram matches. For every n-gram
	// the two largest counts any text has of it, and the text with the
	// largest, give its clipping count over the others: the largest, or the
	// second when the largest is the text's own. This keeps Self-BLEU linear
	// in the number of texts.
	matches := make([][]int, len(ids))
	for i := range matches {
		matches[i] = make([]int, order)
	}
	for n := 1; n <= order; n++ {
		per := make([]map[string]int32, len(ids))
		top := map[string]*topCounts{}
		for j, seq := range ids {
			per[j] = ngramCounts(seq, n)
			for g, c := range per[j] {
				t := top[g]
				if t == nil {
					t = &topCounts{owner: -1}
					top[g] = t
				}
				t.add(j, c)
			}
		}
		for j, counts := range per {
			for g, c := range counts {
				matches[j][n-1] += int(min(c, top[g].others(j)))
			}
		}
	}

	sorted := make([]int, len(ids))
	for i, seq := range ids {
		sorted[i] = len(seq)
	}
	slices.Sort(sorted)
	scores := make([]float64, len(ids))
	for i, seq := range ids {
		scores[i] = bleu(matches[i], len(seq), closestOtherLength(sorted, len(seq)))
	}
	return scores
}

// bleu is NLTK's sentence_bleu with uniform weights and method1 smoothing
// for a hypothesis of c tokens with matches[n-1] clipped n-gram matches and
// closest reference length r.
func bleu(matches []int, c, r int) float64 {
	if matches[0] == 0 {
		return 0 // NLTK's BLEU is 0 without a single matching word
	}
	w := 1 / float64(len(matches))
	var logSum float64
	for k, m := range matches {
		den := float64(max(1, c-k)) // the number of (k+1)-grams, at least 1
		p := float64(m) / den
		if m == 0 {
			p = bleuEpsilon / den
		}
		logSum += w * math.Log(p)
	}
	return brevityPenalty(r, c) * math.Exp(logSum)
}

// topCounts tracks the largest and second largest count of one n-gram over
// the texts, and which text has the largest.
type topCounts struct {
	first, second int32
	owner         int
}

func (t *topCounts) add(text int, c int32) {
	if c > t.first {
		t.first, t.second, t.owner = c, t.first, text
	} else if c > t.second {
		t.second = c
	}
}

// others returns the largest count among the texts other than text.
func (t *topCounts) others(text int) int32 {
	if t.owner == text {
		return t.second
	}
	return t.first
}

// internTokens maps tokens to small integers, equal tokens to equal ones.
func internTokens(tokens [][]string) [][]uint32 {
	index := map[string]uint32{}
	out := make([][]uint32, len(tokens))
	for i, seq := range tokens {
		out[i] = make([]uint32, len(seq))
		for k, tok := range seq {
			id, ok := index[tok]
			if !ok {
				id = uint32(len(index))
				index[tok] = id
			}
			out[i][k] = id
		}
	}
	return out
}

// ngramCounts counts the n-grams of seq, each keyed by its ids' bytes.
func ngramCounts(seq []uint32, n int) map[string]int32 {
	counts := map[string]int32{}
	key := make([]byte, 4*n)
	for k := 0; k+n <= len(seq); k++ {
		for j, id := range seq[k : k+n] {
			binary.LittleEndian.PutUint32(key[4*j:], id)
		}
		counts[string(key)]++
	}
	return counts
}

// closestOtherLength returns the length, among the texts other than one of
// length c, closest to c, the shorter on ties (NLTK's closest_ref_length).
// sorted holds every text's length, c's own included, in increasing order.
func closestOtherLength(sorted []int, c int) int {
	k, _ := slices.BinarySearch(sorted, c) // sorted[k] == c: the text itself
	if k+1 < len(sorted) && sorted[k+1] == c {
		return c // another text has the same length
	}
	switch {
	case k == 0:
		return sorted[1]
	case k+1 == len(sorted):
		return sorted[k-1]
	}
	below, above := sorted[k-1], sorted[k+1]
	if above-c < c-below {
		return above
	}
	return below
}

// brevityPenalty is BLEU's BP for a hypothesis of c tokens and the closest
// reference length r.
func brevityPenalty(r, c int) float64 {
	switch {
	case c > r:
		return 1
	case c == 0:
		return 0
	}
	return math.Exp(1 - float64(r)/float64(c))
}
