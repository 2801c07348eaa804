package act

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// WordTokens splits text into words and punctuation as NLTK 3.8's
// word_tokenize(text, preserve_line=True) does: the Penn Treebank rules of
// NLTK's NLTKWordTokenizer applied to the whole text, with no sentence
// splitting first. It is the tokenisation [SelfBLEU] scores.
//
// Texygen, whose Self-BLEU everyone quotes, calls word_tokenize(text), which
// first splits text into sentences with the Punkt model. That model is NLTK
// data, not code, and this package does not depend on it; without it only
// the text's final period is split off, so "It rained. We left." gives
// [It rained. We left .] where Texygen has [It rained . We left .]. On
// one-sentence texts, Texygen's input, the two agree.
//
// The rules: double quotes become the Treebank's opening and closing quote
// tokens (two backquotes, two apostrophes), a final period,
// ? ! ; @ # $ % & * brackets, "--" and ellipses are split off, commas and
// colons too unless a digit follows (3,000 stays whole), and clitics
// ('s 're n't 'll ...) and can|not, gon|na, wan|na ... are separated. Text
// is not lowercased. Character classes follow Python's Unicode rules (a
// word character is a letter, a number or _), so non-ASCII text splits as
// NLTK splits it; invalid UTF-8 reads as U+FFFD.
func WordTokens(text string) []string {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	for _, r := range treebankStart {
		text = r.apply(text)
	}
	text = splitQuoteClitic(text)
	for _, r := range treebankPunct {
		text = r.apply(text)
	}
	text = " " + text + " "
	for _, r := range treebankEnd {
		text = r.apply(text)
	}
	for _, c := range treebankContractions {
		text = c.apply(text)
	}
	return strings.FieldsFunc(text, isPySpace)
}

// pySpace is the character class of Python's \s on str, which str.split()
// also splits on: Go's unicode.IsSpace plus the separators U+001C–U+001F.
const pySpace = `\t\n\v\f\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

// isPySpace reports whether Python's str.isspace holds for r.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// isPyWord reports whether r is in Python's \w on str: a letter, a number
// (any of Nd, Nl, No) or the underscore.
func isPyWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' }

// rewrite is one substitution of the tokenizer; Python's re.sub and Go's
// ReplaceAllString agree for these patterns, none of which matches empty.
type rewrite struct {
	re   *regexp.Regexp
	repl string
}

func (r rewrite) apply(s string) string { return r.re.ReplaceAllString(s, r.repl) }

func rw(pattern, repl string) rewrite { return rewrite{regexp.MustCompile(pattern), repl} }

// finalPeriod is NLTK's `\s*$` after a sentence-final period: Python's $
// also matches before a final newline, but the greedy \s* has eaten it by
// then, so the end of text (\z) is the same place.
const finalPeriod = `[` + pySpace + `]*\z`

var (
	treebankStart = []rewrite{
		rw("([«“‘„]|`+)", " $1 "),
		rw(`^"`, "``"),
		rw("(``)", " $1 "),
		rw(`([ (\[{<])("|'{2})`, "$1 `` "),
	}
	treebankPunct = []rewrite{
		rw(`([^.])(\.)([\])}>"'»”’ ]*)`+finalPeriod, "$1 $2 $3 "),
		rw(`([:,])([^\p{Nd}])`, " $1 $2"),
		rw(`([:,])\z`, " $1 "), // Python's $ also matches before a final newline, but the rule above took [:,]\n
		rw(`\.{2,}`, " $0 "),
		rw(`[;@#$%&]`, " $0 "),
		rw(`([^.])(\.)([\])}>"']*)`+finalPeriod, "$1 $2$3 "),
		rw(`[?!]`, " $0 "),
		rw(`([^'])' `, "$1 ' "),
		rw(`\*`, " $0 "),
		rw(`[\][(){}<>]`, " $0 "),
		rw(`--`, " -- "),
	}
	treebankEnd = []rewrite{
		rw(`([»”’])`, " $1 "),
		rw(`''`, " '' "),
		rw(`"`, " '' "),
		rw(`([^' ])('[sS]|'[mM]|'[dD]|') `, "$1 $2 "),
		rw(`([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) `, "$1 $2 "),
	}
	// Robert MacIntyre's contractions, split in two, as NLTK's CONTRACTIONS2
	// and CONTRACTIONS3 list them.
	treebankContractions = []contraction{
		{head: "can", tail: "not", before: wordBoundary, after: wordBoundary},
		{head: "d", tail: "'ye", before: wordBoundary, after: wordBoundary},
		{head: "gim", tail: "me", before: wordBoundary, after: wordBoundary},
		{head: "gon", tail: "na", before: wordBoundary, after: wordBoundary},
		{head: "got", tail: "ta", before: wordBoundary, after: wordBoundary},
		{head: "lem", tail: "me", before: wordBoundary, after: wordBoundary},
		{head: "more", tail: "'n", before: wordBoundary, after: wordBoundary},
		{head: "wan", tail: "na", before: wordBoundary, after: spaceFollows},
		{lead: " ", head: "'t", tail: "is", after: wordBoundary},
		{lead: " ", head: "'t", tail: "was", after: wordBoundary},
	}
)

func init() {
	for i := range treebankContractions {
		treebankContractions[i].compile()
	}
}

// splitQuoteClitic puts a space between an apostrophe and the single word
// character after it, as NLTK 3.8's (?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b
// does: "'a" in "'a rose" splits, "'s" and "'t" stay (clitics), "'em"
// stays (two word characters).
func splitQuoteClitic(s string) string {
	if !strings.Contains(s, "'") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '\'' {
			continue
		}
		w, n := utf8.DecodeRuneInString(s[i+1:])
		if n == 0 || !isPyWord(w) || isCliticLetter(w) {
			continue
		}
		if next, m := utf8.DecodeRuneInString(s[i+1+n:]); m > 0 && isPyWord(next) {
			continue
		}
		b.WriteString(s[last : i+1])
		b.WriteByte(' ')
		last = i + 1
		i += n
	}
	b.WriteString(s[last:])
	return b.String()
}

// isCliticLetter reports whether r matches m, t, s, d or n under Python's
// case-insensitive matching (which also folds ſ to s).
func isCliticLetter(r rune) bool {
	switch r {
	case 'm', 'M', 't', 'T', 's', 'S', 'ſ', 'd', 'D', 'n', 'N':
		return true
	}
	return false
}

// contraction splits lead+head+tail into " head tail " where the context
// checks hold, as NLTK's `(?i)\b(head)(tail)\b` patterns do.
type contraction struct {
	lead, head, tail string
	before, after    func(s string, at int) bool // nil: no check
	re               *regexp.Regexp
}

// compile builds the case-insensitive pattern with Python's case folding,
// which differs from Go's (?i) in one place that matters: i also matches
// İ and ı.
func (c *contraction) compile() {
	c.re = regexp.MustCompile(regexp.QuoteMeta(c.lead) + "(" + pyFold(c.head) + ")(" + pyFold(c.tail) + ")")
}

func pyFold(word string) string {
	var b strings.Builder
	for _, r := range word {
		switch {
		case r == 'i':
			b.WriteString("[iIİı]")
		case r == 's':
			b.WriteString("[sSſ]")
		case unicode.IsLetter(r):
			b.WriteString("[" + string(r) + string(unicode.ToUpper(r)) + "]")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

// apply rewrites every match, scanning as Python's re.sub does: a candidate
// whose context fails is skipped by one character, not by its length.
func (c *contraction) apply(s string) string {
	var b strings.Builder
	last, from := 0, 0
	for from <= len(s) {
		loc := c.re.FindStringSubmatchIndex(s[from:])
		if loc == nil {
			break
		}
		start, end := from+loc[0], from+loc[1]
		if (c.before != nil && !c.before(s, start)) || (c.after != nil && !c.after(s, end)) {
			_, n := utf8.DecodeRuneInString(s[start:])
			from = start + n
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(" " + s[from+loc[2]:from+loc[3]] + " " + s[from+loc[4]:from+loc[5]] + " ")
		last, from = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// wordBoundary is Python's \b at byte offset at of s.
func wordBoundary(s string, at int) bool {
	before, after := false, false
	if r, n := utf8.DecodeLastRuneInString(s[:at]); n > 0 {
		before = isPyWord(r)
	}
	if r, n := utf8.DecodeRuneInString(s[at:]); n > 0 {
		after = isPyWord(r)
	}
	return before != after
}

// spaceFollows is Python's (?=\s) at byte offset at of s.
func spaceFollows(s string, at int) bool {
	r, n := utf8.DecodeRuneInString(s[at:])
	return n > 0 && isPySpace(r)
}
