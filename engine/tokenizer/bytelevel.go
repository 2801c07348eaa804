package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// byteToRune maps every byte to the printable rune GPT-2's byte-level BPE
// writes for it: the printable Latin-1 bytes stand for themselves, the other
// 68 bytes take the runes 256, 257, ... in byte order.
var byteToRune [256]rune

// byteToString holds byteToRune's runes as UTF-8 strings.
var byteToString [256]string

// runeToByte inverts byteToRune.
var runeToByte = map[rune]byte{}

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
		byteToString[b] = string(byteToRune[b])
	}
}

// byteLevelString returns s with each byte replaced by its byte-level rune.
func byteLevelString(s string) string {
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		b.WriteString(byteToString[s[i]])
	}
	return b.String()
}

// isSpace reports whether r is Unicode White_Space, which is what `\s`
// matches in Oniguruma, the regex engine of Hugging Face tokenizers.
func isSpace(r rune) bool { return unicode.IsSpace(r) }

func isLetter(r rune) bool { return unicode.IsLetter(r) }

func isNumber(r rune) bool { return unicode.IsNumber(r) }

// runeAt decodes the rune at byte offset i of s (utf8.RuneError, 0 at the end).
func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return utf8.RuneError, 0
	}
	return utf8.DecodeRuneInString(s[i:])
}

// scanWhile advances from i over runes satisfying f and returns the new offset.
func scanWhile(s string, i int, f func(rune) bool) int {
	for i < len(s) {
		r, n := runeAt(s, i)
		if !f(r) {
			break
		}
		i += n
	}
	return i
}

// contraction returns the end of one of 's 't 're 've 'm 'll 'd at i, or -1.
// With fold, ASCII case is ignored, as in Llama 3's `(?i:'s|...)`.
func contraction(s string, i int, fold bool) int {
	if i >= len(s) || s[i] != '\'' {
		return -1
	}
	lower := func(c byte) byte {
		if fold && c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	at := func(k int) byte {
		if i+k < len(s) {
			return lower(s[i+k])
		}
		return 0
	}
	switch at(1) {
	case 's', 't', 'm', 'd':
		return i + 2
	case 'r', 'v':
		if at(2) == 'e' {
			return i + 3
		}
	case 'l':
		if at(2) == 'l' {
			return i + 3
		}
	}
	return -1
}

// spaceRun matches `\s+(?!\S)|\s+` at i, with s[i] a space: the run of
// spaces, less its last rune when a non-space follows and the run is longer
// than one rune (the lookahead backs off one rune).
func spaceRun(s string, i int) int {
	end := scanWhile(s, i, isSpace)
	if end == len(s) {
		return end
	}
	if _, n := runeAt(s, i); i+n < end {
		_, last := utf8.DecodeLastRuneInString(s[:end])
		return end - last
	}
	return end
}

// gpt2Pattern is the pre-tokenization regex of GPT-2, which [gpt2Split] implements.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// gpt2Split returns the end of the match of [gpt2Pattern] starting at i < len(s).
// Every rune is covered by one alternative, so there is always a match.
func gpt2Split(s string, i int) int {
	if e := contraction(s, i, false); e > 0 {
		return e
	}
	j := i
	if s[j] == ' ' {
		j++
	}
	r, _ := runeAt(s, j)
	switch {
	case j < len(s) && isLetter(r):
		return scanWhile(s, j, isLetter)
	case j < len(s) && isNumber(r):
		return scanWhile(s, j, isNumber)
	case j < len(s) && !isSpace(r):
		return scanWhile(s, j, func(r rune) bool { return !isSpace(r) && !isLetter(r) && !isNumber(r) })
	}
	return spaceRun(s, i)
}

// llama3Pattern is the pre-tokenization regex of Llama 3, which
// [llama3Split] implements; qwen2Pattern is the same with single digits.
const (
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Pattern  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

func isCRLF(r rune) bool { return r == '\r' || r == '\n' }

func isOther(r rune) bool { return !isSpace(r) && !isLetter(r) && !isNumber(r) }

// llama3Split returns the end of the match of [llama3Pattern] at i < len(s),
// taking at most maxDigits digits in a number.
func llama3Split(s string, i int, maxDigits int) int {
	if e := contraction(s, i, true); e > 0 {
		return e
	}
	r, n := runeAt(s, i)
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if isLetter(r) {
		return scanWhile(s, i, isLetter)
	}
	if !isCRLF(r) && !isNumber(r) {
		if r2, _ := runeAt(s, i+n); i+n < len(s) && isLetter(r2) {
			return scanWhile(s, i+n, isLetter)
		}
	}
	// \p{N}{1,maxDigits}
	if isNumber(r) {
		j := i
		for k := 0; k < maxDigits && j < len(s); k++ {
			rr, m := runeAt(s, j)
			if !isNumber(rr) {
				break
			}
			j += m
		}
		return j
	}
	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	j := i
	if s[j] == ' ' {
		j++
	}
	if r2, _ := runeAt(s, j); j < len(s) && isOther(r2) {
		j = scanWhile(s, j, isOther)
		return scanWhile(s, j, isCRLF)
	}
	// \s*[\r\n]+ : the space run up to and including its last \r or \n.
	end := scanWhile(s, i, isSpace)
	for k := end - 1; k >= i; k-- {
		if s[k] == '\r' || s[k] == '\n' {
			return k + 1
		}
	}
	return spaceRun(s, i)
}
