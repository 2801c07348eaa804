package concepts

import (
	"strings"
	"unicode"
)

// Words returns the lower-cased letter runs of text: "The ship's bell"
// gives [the ship s bell]. Concept matching and classifier features are
// built on these.
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) })
}

// Sentences cuts a paragraph at ".", "?" or "!" (optionally followed by
// closing quotes or brackets) when a space and an upper-case letter or an
// opening quote follow. It is a heuristic: "Mr. Smith" is cut too.
func Sentences(text string) []string {
	var out []string
	rs := []rune(text)
	start := 0
	for i := 0; i < len(rs); i++ {
		if rs[i] != '.' && rs[i] != '?' && rs[i] != '!' {
			continue
		}
		j := i + 1
		for j < len(rs) && strings.ContainsRune(`"')]`, rs[j]) {
			j++
		}
		if j+1 < len(rs) && rs[j] == ' ' && (unicode.IsUpper(rs[j+1]) || rs[j+1] == '"') {
			out = append(out, strings.TrimSpace(string(rs[start:j])))
			start = j + 1
			i = j
		}
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}
