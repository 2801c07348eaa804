package bpe

import (
	"unicode"
	"unicode/utf8"
)

// Split cuts text into the pieces GPT-2's pre-tokenizer makes, the
// semantics of the regular expression
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// tried in that order at each position. Go's regexp has no lookahead, so
// this is a hand-written scanner: a run of whitespace followed by a
// non-space keeps its last character for the next piece (where a single
// ' ' joins the word after it). The pieces concatenate back to text.
func Split(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		j := next(text, i)
		out = append(out, text[i:j])
		i = j
	}
	return out
}

func isOther(r rune) bool { return !unicode.IsSpace(r) && !unicode.IsLetter(r) && !unicode.IsNumber(r) }

// run returns the end of the run of runes satisfying f starting at i.
func run(s string, i int, f func(rune) bool) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !f(r) {
			break
		}
		i += n
	}
	return i
}

// next returns the end of the piece starting at i.
func next(s string, i int) int {
	if s[i] == '\'' {
		for _, c := range []string{"s", "t", "re", "ve", "m", "ll", "d"} {
			if len(s) >= i+1+len(c) && s[i+1:i+1+len(c)] == c {
				return i + 1 + len(c)
			}
		}
	}
	j := i
	if s[i] == ' ' {
		j = i + 1
	}
	if j < len(s) {
		r, _ := utf8.DecodeRuneInString(s[j:])
		for _, f := range []func(rune) bool{unicode.IsLetter, unicode.IsNumber, isOther} {
			if f(r) {
				return run(s, j, f)
			}
		}
	}
	// Whitespace: \s+(?!\S) takes the run but, when a non-space follows,
	// gives its last character back; \s+ then takes a lone character.
	end := run(s, i, unicode.IsSpace)
	if end == len(s) {
		return end
	}
	_, last := utf8.DecodeLastRuneInString(s[i:end])
	if end-last > i {
		return end - last
	}
	return end
}

// byteChars maps each byte to the printable rune GPT-2 uses for it: the
// printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for
// themselves and the other 68 bytes take the runes 256, 257, ... in byte
// order. byteOrder lists the bytes in GPT-2's vocabulary order (printable
// ones first).
var byteChars, charBytes, byteOrder = byteTables()

func byteTables() (chars [256]rune, back map[rune]byte, order []byte) {
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	for b := 0; b < 256; b++ {
		if printable(b) {
			chars[b] = rune(b)
			order = append(order, byte(b))
		}
	}
	n := 0
	for b := 0; b < 256; b++ {
		if !printable(b) {
			chars[b] = rune(256 + n)
			n++
			order = append(order, byte(b))
		}
	}
	back = map[rune]byte{}
	for b, r := range chars {
		back[r] = byte(b)
	}
	return chars, back, order
}

// ByteLevel maps the bytes of s to GPT-2's byte-level characters.
func ByteLevel(s string) string {
	rs := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		rs[i] = byteChars[s[i]]
	}
	return string(rs)
}

// FromByteLevel inverts [ByteLevel]; runes outside the table are dropped.
func FromByteLevel(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if b, ok := charBytes[r]; ok {
			out = append(out, b)
		}
	}
	return out
}
