package dataset

import (
	"github.com/actsh/actsh/internal/fixture"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReaders(t *testing.T) {
	tests := []struct {
		name string
		read func() (*Dataset, error)
		want map[string][]string // subset -> texts, in order
		ord  []string            // subset order
	}{
		{"json-subsets", func() (*Dataset, error) { return ReadJSONSubsets("testdata/subsets.json") },
			map[string][]string{"zebra": {"Zebras have stripes.", "A zebra runs."}, "none": {"The sky is blue.", "Bread is baked.", "Rivers flow."}, "empty": nil},
			[]string{"zebra", "none", "empty"}},
		{"jigsaw default", func() (*Dataset, error) { return ReadJigsaw("testdata/jigsaw.csv") },
			map[string][]string{"toxic": {"a toxic\nmulti-line comment, with \"quotes\""}, "non-toxic": {"a clean comment", "another clean one"}},
			[]string{"toxic", "non-toxic"}},
		{"jigsaw all", func() (*Dataset, error) { return ReadJigsaw("testdata/jigsaw.csv", "all", "non-toxic") },
			map[string][]string{"all": {"a toxic\nmulti-line comment, with \"quotes\"", "only obscene", "threat and insult"}, "non-toxic": {"a clean comment", "another clean one"}},
			[]string{"all", "non-toxic"}},
		{"jigsaw first requested category", func() (*Dataset, error) { return ReadJigsaw("testdata/jigsaw.csv", "insult", "obscene") },
			map[string][]string{"insult": {"threat and insult"}, "obscene": {"a toxic\nmulti-line comment, with \"quotes\"", "only obscene"}},
			[]string{"insult", "obscene"}},
		{"rtp", func() (*Dataset, error) { return ReadRealToxicityPrompts("testdata/rtp.jsonl") },
			map[string][]string{"toxic": {"a rude prompt", "a ruder prompt"}, "non-toxic": {"a mild prompt"}},
			[]string{"toxic", "non-toxic"}},
		{"coco", func() (*Dataset, error) { return ReadCOCOCaptions("testdata/coco.json") },
			map[string][]string{"captions": {"A cat on a mat.", "A dog in the park."}}, []string{"captions"}},
		{"jsonl", func() (*Dataset, error) { return ReadJSONL("testdata/labelled.jsonl", "text", "label") },
			map[string][]string{"pos": {"good day", "fine day"}, "neg": {"bad day"}, "1": {"rated"}}, []string{"pos", "neg", "1"}},
		{"jsonl no label", func() (*Dataset, error) { return ReadJSONL("testdata/labelled.jsonl", "text", "") },
			map[string][]string{"labelled": {"good day", "bad day", "fine day", "rated"}}, []string{"labelled"}},
		{"csv", func() (*Dataset, error) { return ReadCSV("testdata/labelled.csv", "text", "label") },
			map[string][]string{"pos": {"good\nday"}, "neg": {"bad day"}}, []string{"pos", "neg"}},
		{"text", func() (*Dataset, error) { return ReadText("testdata/toxic.txt") },
			map[string][]string{"toxic": {"first line", "second line", "third line"}}, []string{"toxic"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := tc.read()
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
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		err  func() error
		want []string // substrings of the message
	}{
		{"missing file", func() error { _, err := ReadJSONSubsets("testdata/nope.json"); return err }, []string{"nope.json", "no such file"}},
		{"bad json line", func() error { _, err := ReadJSONSubsets("testdata/bad.json"); return err }, []string{"bad.json", "line 3"}},
		{"bad jsonl line", func() error {
			_, err := ReadJSONL(writeTemp(t, "x.jsonl", "{\"text\":\"a\"}\n{oops\n"), "text", "")
			return err
		}, []string{"line 2"}},
		{"jsonl missing field", func() error { _, err := ReadJSONL("testdata/labelled.jsonl", "body", "label"); return err }, []string{`"body"`, "label, text"}},
		{"csv missing column", func() error { _, err := ReadCSV("testdata/labelled.csv", "comment", "label"); return err }, []string{`"comment"`, "text, label, source"}},
		{"jigsaw not jigsaw", func() error { _, err := ReadJigsaw("testdata/labelled.csv"); return err }, []string{`"comment_text"`, "text, label, source"}},
		{"jigsaw unknown subset", func() error { _, err := ReadJigsaw("testdata/jigsaw.csv", "rude"); return err }, []string{`"rude"`, "non-toxic"}},
		{"coco not coco", func() error { _, err := ReadCOCOCaptions("testdata/subsets.json"); return err }, []string{"annotations"}},
		{"unknown subset", func() error {
			ds, _ := ReadJSONSubsets("testdata/subsets.json")
			_, _, err := ds.Balance([]string{"giraffe"}, []string{"none"}, 0, 1)
			return err
		}, []string{`"giraffe"`, "zebra, none, empty"}},
		{"nothing to balance", func() error {
			ds, _ := ReadJSONSubsets("testdata/subsets.json")
			_, _, err := ds.Balance([]string{"empty"}, []string{"none"}, 0, 1)
			return err
		}, []string{"nothing to balance"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
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
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBalance(t *testing.T) {
	ds := New("synthetic")
	for i := range 50 {
		ds.Add("a", strings.Repeat("a", i+1))
	}
	for i := range 20 {
		ds.Add("b", strings.Repeat("b", i+1))
	}
	ds.Add("c", "c1", "c2")
	tests := []struct {
		name     string
		src, dst []string
		n, want  int
	}{
		{"min of both", []string{"a"}, []string{"b"}, 0, 20},
		{"requested n", []string{"a"}, []string{"b"}, 7, 7},
		{"n above min", []string{"a"}, []string{"b"}, 100, 20},
		{"union of subsets", []string{"a"}, []string{"b", "c"}, 0, 22},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s1, d1, err := ds.Balance(tc.src, tc.dst, tc.n, 42)
			if err != nil {
				t.Fatal(err)
			}
			if len(s1) != tc.want || len(d1) != tc.want {
				t.Fatalf("got %d/%d texts, want %d each", len(s1), len(d1), tc.want)
			}
			s2, d2, _ := ds.Balance(tc.src, tc.dst, tc.n, 42)
			if !slices.Equal(s1, s2) || !slices.Equal(d1, d2) {
				t.Error("same seed gave different samples")
			}
			s3, _, _ := ds.Balance(tc.src, tc.dst, tc.n, 43)
			if slices.Equal(s1, s3) {
				t.Error("another seed gave the same source sample")
			}
			seen := map[string]bool{}
			for _, s := range s1 {
				if seen[s] || s[0] != 'a' {
					t.Fatalf("source sample %q repeated or from the wrong subset", s)
				}
				seen[s] = true
			}
		})
	}
	sm := ds.Sample(5, 1)
	if got := sm.String(); got != "synthetic: 12 texts (a 5, b 5, c 2)" {
		t.Errorf("Sample(5).String() = %q", got)
	}
}

func TestMLActSamples(t *testing.T) {
	dir := fixture.Shared(t, "data", "ml-act")
	tests := []struct {
		name    string
		read    func(dir string) (*Dataset, error)
		subsets []string
	}{
		{"giraffes", func(d string) (*Dataset, error) { return ReadJSONSubsets(filepath.Join(d, "giraffes.json")) }, []string{"giraffe", "none"}},
		{"diffusion prompts", func(d string) (*Dataset, error) { return ReadJSONSubsets(filepath.Join(d, "diffusion_prompts.json")) }, []string{"none", "trees"}},
		{"jigsaw", func(d string) (*Dataset, error) { return ReadJigsaw(filepath.Join(d, "jigsaw_train.csv")) }, []string{"toxic", "non-toxic"}},
		{"rtp", func(d string) (*Dataset, error) {
			return ReadRealToxicityPrompts(filepath.Join(d, "prompted_gens_gpt2.jsonl"))
		}, []string{"non-toxic"}},
		{"coco train", func(d string) (*Dataset, error) {
			return ReadCOCOCaptions(filepath.Join(d, "coco_captions_2017_captions_train2017.json"))
		}, []string{"captions"}},
		{"coco val", func(d string) (*Dataset, error) {
			return ReadCOCOCaptions(filepath.Join(d, "coco_captions_2017_captions_val2017.json"))
		}, []string{"captions"}},
		{"wikipedia csv", func(d string) (*Dataset, error) {
			return ReadCSV(filepath.Join(d, "wikipedia_sentences.csv"), "text", "concept")
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := tc.read(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(ds)
			for _, s := range tc.subsets {
				texts, err := ds.Texts(s)
				if err != nil {
					t.Fatal(err)
				}
				if len(texts) == 0 {
					t.Errorf("subset %s is empty", s)
				}
				for _, x := range texts {
					if strings.TrimSpace(x) == "" {
						t.Errorf("subset %s has a blank text", s)
					}
				}
			}
			if ds.Len() == 0 {
				t.Error("no texts")
			}
		})
	}
}
