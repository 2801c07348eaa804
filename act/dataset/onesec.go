package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// OneSecFolder is the folder of ml-act's OneSec concepts inside its data
// directory (ml-act's registry name for the data set).
const OneSecFolder = "OneSecConcepts-100_1.5.0"

// ErrNoOneSec is returned by [ReadOneSec] when the folder holds no
// concept_list.csv. ml-act's OneSec concepts are not published: the error
// says what to build.
var ErrNoOneSec = errors.New("dataset: onesec: no concept_list.csv (ml-act's OneSecConcepts-100_1.5.0 is not published; " +
	"build the folder yourself: concept_list.csv with a \"concept\" column, and sense/<concept>.json holding " +
	"{\"sentences\": {\"positive\": [texts with the concept], \"negative\": [texts without]}}, " +
	"e.g. from OneSeC's sense-annotated sentences, Scarlini et al. 2019; see `actsh download --list`)")

// ReadOneSec reads ml-act's OneSec concepts (OneSecConcepts-100_1.5.0) as
// its OneSecDataset does. dir is that folder, or the data directory that
// holds it. concept_list.csv lists the concepts in its "concept" column;
// sense/<concept>.json holds {"sentences": {"positive": [...],
// "negative": [...]}} (other keys, such as "concept" and "group", are
// ignored).
//
// subsets name "<concept>" (the positive sentences, which mention the
// concept) and "non-<concept>" (the negative ones); ml-act finds the
// concepts by removing "non-" from each name, and so does this. A concept
// missing from concept_list.csv is an error listing nearby ones. With no
// subsets, every listed concept is read, both subsets.
//
// Order: concepts in the order their subsets are first named (ml-act goes
// through a Python set, whose order is arbitrary), and within a concept
// "non-<concept>" before "<concept>", as ml-act appends them.
func ReadOneSec(dir string, subsets ...string) (*Dataset, error) {
	root, err := oneSecRoot(dir)
	if err != nil {
		return nil, err
	}
	listed, err := oneSecConcepts(root)
	if err != nil {
		return nil, err
	}
	if len(subsets) == 0 {
		for _, c := range listed {
			subsets = append(subsets, "non-"+c, c)
		}
	}
	want := map[string]bool{}
	var concepts []string
	for _, s := range subsets {
		want[s] = true
		c := strings.ReplaceAll(s, "non-", "")
		if slices.Contains(concepts, c) {
			continue
		}
		if _, ok := slices.BinarySearch(listed, c); !ok {
			return nil, fmt.Errorf("dataset: onesec %s: subset %q: concept %q is not in concept_list.csv%s (%d concepts: %s)",
				root, s, c, nearest(c, listed), len(listed), preview(listed, 12))
		}
		concepts = append(concepts, c)
	}
	ds := New(root)
	for _, c := range concepts {
		path := filepath.Join(root, "sense", c+".json")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("dataset: onesec: concept %q is listed but its sentences are missing: %w", c, err)
		}
		var doc struct {
			Sentences *struct {
				Positive *[]string `json:"positive"`
				Negative *[]string `json:"negative"`
			} `json:"sentences"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("dataset: onesec: %s: %w", path, jsonErr(data, nil, err))
		}
		if doc.Sentences == nil || doc.Sentences.Positive == nil || doc.Sentences.Negative == nil {
			return nil, fmt.Errorf("dataset: onesec: %s: want {\"sentences\": {\"positive\": [...], \"negative\": [...]}}", path)
		}
		if want["non-"+c] {
			ds.Add("non-"+c, *doc.Sentences.Negative...)
		}
		if want[c] {
			ds.Add(c, *doc.Sentences.Positive...)
		}
	}
	return ds, nil
}

// OneSecConcepts lists the concepts of a OneSec folder (or of the data
// directory holding one), sorted, as ml-act reads concept_list.csv.
func OneSecConcepts(dir string) ([]string, error) {
	root, err := oneSecRoot(dir)
	if err != nil {
		return nil, err
	}
	return oneSecConcepts(root)
}

// oneSecRoot finds the folder holding concept_list.csv: dir itself or
// dir/OneSecConcepts-100_1.5.0.
func oneSecRoot(dir string) (string, error) {
	for _, d := range []string{dir, filepath.Join(dir, OneSecFolder)} {
		if _, err := os.Stat(filepath.Join(d, "concept_list.csv")); err == nil {
			return d, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("dataset: onesec: %w", err)
		}
	}
	return "", fmt.Errorf("%w; looked in %s and %s", ErrNoOneSec, dir, filepath.Join(dir, OneSecFolder))
}

func oneSecConcepts(root string) ([]string, error) {
	var out []string
	err := readCSV(filepath.Join(root, "concept_list.csv"), func(header map[string]int, cols []string) (func(int, []string) error, error) {
		idx, err := columns(header, cols, "concept")
		if err != nil {
			return nil, err
		}
		return func(_ int, rec []string) error {
			out = append(out, rec[idx[0]])
			return nil
		}, nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// nearest suggests the listed concept closest to c, if any is close.
func nearest(c string, listed []string) string {
	best, bestD := "", len(c)/2+1
	for _, l := range listed {
		if d := editDistance(c, l); d < bestD {
			best, bestD = l, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func preview(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:n], ", ") + ", …"
}

// editDistance is the Levenshtein distance between two strings, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
