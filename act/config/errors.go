package config

import (
	"fmt"
	"strings"
)

// Error is a config problem: a bad override, an unknown key or option, a
// broken interpolation, a value of the wrong type. Its message is one line
// that names the key (when there is one) and what was expected.
type Error struct {
	Key string // the dotted key concerned, "" when none
	Msg string
}

func (e *Error) Error() string { return e.Msg }

func errorf(key, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	msg = strings.ReplaceAll(msg, "\n", " ")
	return &Error{Key: key, Msg: msg}
}

// Nearest returns the candidate closest to name by edit distance, or ""
// when none is close enough to be a likely typo.
func Nearest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		a, b := strings.ToLower(name), strings.ToLower(c)
		d := distance(a, b)
		if len(a) >= 3 && (strings.HasPrefix(b, a) || strings.HasPrefix(a, b)) {
			d = min(d, 1) // a prefix is a likely shorthand
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(2, len(name)/3) {
		return ""
	}
	return best
}

// didYouMean is "; did you mean X?" when a candidate is close, else the
// list of valid names (shortened).
func didYouMean(name string, candidates []string) string {
	if n := Nearest(name, candidates); n != "" {
		return fmt.Sprintf("; did you mean %q?", n)
	}
	if len(candidates) == 0 {
		return ""
	}
	list := candidates
	if len(list) > 12 {
		list = append(append([]string(nil), list[:12]...), "…")
	}
	return " (valid: " + strings.Join(list, ", ") + ")"
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
