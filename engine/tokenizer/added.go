package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// addedToken is one entry of tokenizer.json's added_tokens.
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// trie finds added tokens in a text, leftmost first and longest at a
// position, as Hugging Face's Aho-Corasick automaton (LeftmostLongest) does.
type trie struct {
	root  trieNode
	first [256]bool
}

type trieNode struct {
	next  map[byte]*trieNode
	token int // index into Tokenizer.added, -1 if no token ends here
}

func (t *trie) add(pattern string, token int) {
	if pattern == "" {
		return
	}
	t.first[pattern[0]] = true
	n := &t.root
	for i := 0; i < len(pattern); i++ {
		if n.next == nil {
			n.next = map[byte]*trieNode{}
		}
		c, ok := n.next[pattern[i]]
		if !ok {
			c = &trieNode{token: -1}
			n.next[pattern[i]] = c
		}
		n = c
	}
	n.token = token
}

// find returns the leftmost-longest match at or after from: its bounds and token.
func (t *trie) find(s string, from int) (start, end, token int) {
	for i := from; i < len(s); i++ {
		if !t.first[s[i]] {
			continue
		}
		n, best, bestEnd := &t.root, -1, -1
		for j := i; j < len(s); j++ {
			n = n.next[s[j]]
			if n == nil {
				break
			}
			if n.token >= 0 {
				best, bestEnd = n.token, j+1
			}
		}
		if best >= 0 {
			return i, bestEnd, best
		}
	}
	return -1, -1, -1
}

// segment is a piece of the input: an added token (token >= 0) or text.
type segment struct {
	text    string
	token   int // index into Tokenizer.added, or -1
	atStart bool
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' }

// splitAdded cuts s at the added tokens t finds, honouring their
// single_word, lstrip and rstrip flags.
func splitAdded(s string, atStart bool, t *trie, added []addedToken) []segment {
	var out []segment
	last := 0 // end of the previous segment
	for from := 0; from < len(s); {
		start, stop, tok := t.find(s, from)
		if tok < 0 {
			break
		}
		from = stop
		at := added[tok]
		if at.SingleWord {
			before, _ := utf8.DecodeLastRuneInString(s[:start])
			after, _ := utf8.DecodeRuneInString(s[stop:])
			if start > 0 && isWordRune(before) || stop < len(s) && isWordRune(after) {
				continue
			}
		}
		if at.LStrip {
			for start > last {
				r, n := utf8.DecodeLastRuneInString(s[:start])
				if !unicode.IsSpace(r) {
					break
				}
				start -= n
			}
		}
		if at.RStrip {
			for stop < len(s) {
				r, n := utf8.DecodeRuneInString(s[stop:])
				if !unicode.IsSpace(r) {
					break
				}
				stop += n
			}
			from = stop
		}
		if start > last {
			out = append(out, segment{text: s[last:start], token: -1, atStart: atStart && last == 0})
		}
		out = append(out, segment{text: s[start:stop], token: tok})
		last = stop
	}
	if last < len(s) {
		out = append(out, segment{text: s[last:], token: -1, atStart: atStart && last == 0})
	}
	return out
}
