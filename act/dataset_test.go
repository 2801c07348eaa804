package act

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDatasets(t *testing.T) {
	dir := "dataset/testdata"
	tests := []struct {
		name string
		ds   func() *Dataset
		want string // String()
	}{
		{"json subsets", func() *Dataset { return JSONSubsets(filepath.Join(dir, "subsets.json")) }, "dataset/testdata/subsets.json: 5 texts (zebra 2, none 3, empty 0)"},
		{"jigsaw", func() *Dataset { return Jigsaw(filepath.Join(dir, "jigsaw.csv")) }, "dataset/testdata/jigsaw.csv: 3 texts (toxic 1, non-toxic 2)"},
		{"jigsaw all", func() *Dataset { return Jigsaw(filepath.Join(dir, "jigsaw.csv"), "all", "non-toxic") }, "dataset/testdata/jigsaw.csv: 5 texts (all 3, non-toxic 2)"},
		{"rtp", func() *Dataset { return RealToxicityPrompts(filepath.Join(dir, "rtp.jsonl")) }, "dataset/testdata/rtp.jsonl: 3 texts (toxic 2, non-toxic 1)"},
		{"coco", func() *Dataset { return COCOCaptions(filepath.Join(dir, "coco.json")) }, "dataset/testdata/coco.json: 2 texts (captions 2)"},
		{"jsonl", func() *Dataset { return JSONL(filepath.Join(dir, "labelled.jsonl"), "text", "label") }, "dataset/testdata/labelled.jsonl: 4 texts (pos 2, neg 1, 1 1)"},
		{"csv", func() *Dataset { return CSV(filepath.Join(dir, "labelled.csv"), "text", "label") }, "dataset/testdata/labelled.csv: 2 texts (pos 1, neg 1)"},
		{"text file", func() *Dataset { return TextFile(filepath.Join(dir, "toxic.txt")) }, "dataset/testdata/toxic.txt: 3 texts (toxic 3)"},
		{"texts", func() *Dataset { return Texts("mine", []string{"a", "b"}).Add("other", "c") }, "mine: 3 texts (mine 2, other 1)"},
		{"sample", func() *Dataset { return JSONSubsets(filepath.Join(dir, "subsets.json")).Sample(2, 1) }, "dataset/testdata/subsets.json: 4 texts (zebra 2, none 2, empty 0)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ds().String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
	ds := JSONSubsets(filepath.Join(dir, "subsets.json"))
	if got := ds.Subsets(); !slices.Equal(got, []string{"zebra", "none", "empty"}) {
		t.Errorf("Subsets() = %v", got)
	}
	if got := ds.Subset("zebra"); len(got) != 2 || ds.Len() != 5 {
		t.Errorf("Subset(zebra) = %q, Len() = %d", got, ds.Len())
	}
}

func TestDatasetErrors(t *testing.T) {
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"missing file", func() { JSONSubsets("nope.json") }, "act: dataset: open nope.json"},
		{"missing column", func() { CSV("dataset/testdata/labelled.csv", "body", "label") }, `no column "body" (columns: text, label, source)`},
		{"unknown subset", func() { Texts("x", []string{"a"}).Subset("y") }, `no subset "y" (have x)`},
		{"nil", func() { var ds *Dataset; ds.Len() }, "act: dataset is nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := panics(tc.call)
			if err == nil || !strings.Contains(err.Msg, tc.want) {
				t.Errorf("panic %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMLActGiraffes(t *testing.T) {
	p := filepath.Join("..", "..", "shared", "data", "ml-act", "giraffes.json")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("ml-act data samples missing: %s", p)
	}
	ds := JSONSubsets(p)
	if got := ds.Subsets(); !slices.Equal(got, []string{"giraffe", "none"}) {
		t.Errorf("subsets %v", got)
	}
}
