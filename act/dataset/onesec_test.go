package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testdata/onesec holds OneSecConcepts-100_1.5.0 in ml-act's layout with
// our own sentences: zebra and kite have sense files, lantern is listed
// without one.
const oneSecData = "testdata/onesec"

func TestReadOneSec(t *testing.T) {
	zebraNeg := []string{"The bread was warm.", "Rain fell all night.", "She wrote a letter."}
	zebraPos := []string{"Zebras have stripes.", "A zebra ran across the plain."}
	tests := []struct {
		name    string
		dir     string
		subsets []string
		ord     []string
		want    map[string][]string
	}{
		{"data dir, ml-act's source and target", oneSecData, []string{"non-zebra", "zebra"},
			[]string{"non-zebra", "zebra"}, map[string][]string{"non-zebra": zebraNeg, "zebra": zebraPos}},
		{"the folder itself, negative after positive asked", filepath.Join(oneSecData, OneSecFolder), []string{"zebra", "non-zebra"},
			[]string{"non-zebra", "zebra"}, map[string][]string{"non-zebra": zebraNeg, "zebra": zebraPos}},
		{"concepts in the order named", oneSecData, []string{"kite", "non-zebra"},
			[]string{"kite", "non-zebra"}, map[string][]string{"kite": {"The kite rose over the hill."}, "non-zebra": zebraNeg}},
		{"positive only", oneSecData, []string{"zebra"}, []string{"zebra"}, map[string][]string{"zebra": zebraPos}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := ReadOneSec(tc.dir, tc.subsets...)
			if err != nil {
				t.Fatal(err)
			}
			if got := ds.Subsets(); !slices.Equal(got, tc.ord) {
				t.Errorf("subsets %v, want %v", got, tc.ord)
			}
			for s, want := range tc.want {
				got, err := ds.Texts(s)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("subset %s: %q, want %q", s, got, want)
				}
			}
		})
	}
	concepts, err := OneSecConcepts(oneSecData)
	if err != nil || !slices.Equal(concepts, []string{"kite", "lantern", "zebra"}) {
		t.Errorf("OneSecConcepts = %v, %v; want the sorted concept list", concepts, err)
	}
}

func TestReadOneSecErrors(t *testing.T) {
	empty := t.TempDir()
	noColumn := t.TempDir()
	if err := os.WriteFile(filepath.Join(noColumn, "concept_list.csv"), []byte("group,name\nsense,zebra\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badJSON := t.TempDir()
	os.MkdirAll(filepath.Join(badJSON, "sense"), 0o755)
	os.WriteFile(filepath.Join(badJSON, "concept_list.csv"), []byte("concept\nzebra\n"), 0o644)
	os.WriteFile(filepath.Join(badJSON, "sense", "zebra.json"), []byte(`{"sentences": {"positive": ["a"]}}`), 0o644)
	tests := []struct {
		name    string
		dir     string
		subsets []string
		want    []string
	}{
		{"no data", empty, nil, []string{"no concept_list.csv", "not published", "sense/<concept>.json", empty, OneSecFolder}},
		{"unknown concept", oneSecData, []string{"non-zebr"}, []string{`"non-zebr"`, `concept "zebr"`, `did you mean "zebra"`, "kite, lantern, zebra"}},
		{"listed, no sense file", oneSecData, []string{"lantern"}, []string{`"lantern"`, "lantern.json"}},
		{"no concept column", noColumn, nil, []string{`"concept"`, "group, name"}},
		{"no negative list", badJSON, []string{"zebra"}, []string{"zebra.json", `"negative"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadOneSec(tc.dir, tc.subsets...)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "dataset: ") {
				t.Errorf("%q lacks the package prefix", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := ReadOneSec(empty); !errors.Is(err, ErrNoOneSec) {
		t.Errorf("missing data: %v is not ErrNoOneSec", err)
	}
}
