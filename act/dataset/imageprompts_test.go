package dataset

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cocoKit is the repository's synthetic text-to-image kit, laid out as a
// data_dir: coco_captions_2017/ (64 train, 32 val captions), our own
// style_prompts.json (twelve tags per style), diffusion_concept_prompts.json
// (five phrases per key) and diffusion_prompts.json.
const cocoKit = "../../testdata/coco"

// kitJSON reads one of the kit's files.
func kitJSON[T any](t *testing.T, name string) T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cocoKit, name))
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The kit's captions files are COCO captions files.
func TestCOCOKitFormat(t *testing.T) {
	for split, n := range map[string]int{"train": 64, "val": 32} {
		path, err := COCOCaptionsPath(cocoKit, split)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := ReadCOCOCaptions(path)
		if err != nil || ds.Len() != n {
			t.Errorf("%s: %v, %v; want %d captions", path, ds, err, n)
		}
	}
}

func TestReadCOCOStyles(t *testing.T) {
	styles := kitJSON[map[string]string](t, StylePromptsFile)
	subsets := []string{"none", "art_nouveau", "cyberpunk"}
	tests := []struct {
		name      string
		numTags   int
		important int // tags always kept, in order: numTags/2, at most all
		drawn     int // tags drawn from the rest
	}{
		{"ml-act's default", 10, 5, 5},
		{"odd", 3, 1, 2},
		{"one", 1, 0, 1},
		{"more than there are", 30, 12, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ReadCOCOStyles(cocoKit, "", "train", subsets, tc.numTags, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != 64 {
				t.Fatalf("%d items, want 64", len(p.Items))
			}
			// COCO's annotations are not grouped by image: the kit's first
			// two are ids 1001 and 1053.
			if p.Items[0].ID != 1001 || p.Items[1].ID != 1053 {
				t.Errorf("ids %d, %d: want the annotation ids 1001, 1053", p.Items[0].ID, p.Items[1].ID)
			}
			for i, it := range p.Items {
				if want := subsets[i%len(subsets)]; it.Subset != want {
					t.Fatalf("item %d in subset %q, want %q (cycling through %v)", i, it.Subset, want, subsets)
				}
				if it.Subset == "none" {
					if it.Prompt != it.Original {
						t.Errorf("item %d: none keeps the caption; prompt %q", i, it.Prompt)
					}
					continue
				}
				tail, ok := strings.CutPrefix(it.Prompt, it.Original+" ")
				if !ok {
					t.Fatalf("item %d: prompt %q does not start with its caption %q", i, it.Prompt, it.Original)
				}
				all := strings.Split(styles[it.Subset], ", ")
				got := strings.Split(tail, ", ")
				if len(got) != tc.important+tc.drawn {
					t.Fatalf("item %d: %d tags %q, want %d", i, len(got), got, tc.important+tc.drawn)
				}
				if !slices.Equal(got[:tc.important], all[:tc.important]) {
					t.Errorf("item %d: first tags %q, want the style's first %d", i, got, tc.important)
				}
				for j, tag := range got[tc.important:] {
					if !slices.Contains(all[tc.important:], tag) || slices.Contains(got[tc.important+j+1:], tag) {
						t.Errorf("item %d: tag %q is not one of the style's other tags or repeats (%q)", i, tag, got)
					}
				}
			}
		})
	}
}

// The same seed gives the same prompts; another seed other tags.
func TestReadCOCOStylesSeed(t *testing.T) {
	read := func(seed uint64) []ImagePrompt {
		p, err := ReadCOCOStyles(cocoKit, "", "val", []string{"watercolor", "sketch"}, 10, seed)
		if err != nil {
			t.Fatal(err)
		}
		return p.Items
	}
	a, b, c := read(1), read(1), read(2)
	if !slices.Equal(a, b) {
		t.Error("seed 1 twice gave different prompts")
	}
	if slices.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same prompts")
	}
	for i := range a {
		if a[i].ID != c[i].ID || a[i].Original != c[i].Original || a[i].Subset != c[i].Subset {
			t.Fatalf("item %d: the seed changed more than the drawn tags: %+v, %+v", i, a[i], c[i])
		}
	}
}

func TestReadCOCOConcepts(t *testing.T) {
	phrases := kitJSON[map[string][]string](t, ConceptPromptsFile)
	for _, subsets := range [][]string{{"pink_elephant", "none"}, {"no_gorilla"}, {"white_bear", "no_white_bear", "none"}} {
		t.Run(strings.Join(subsets, "+"), func(t *testing.T) {
			p, err := ReadCOCOConcepts(cocoKit, "", "val", subsets)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) != 32 {
				t.Fatalf("%d items, want 32", len(p.Items))
			}
			for i, it := range p.Items {
				s := subsets[i%len(subsets)]
				want := it.Original
				if s != "none" {
					// the phrase by the item's index in the whole data set
					want += " " + phrases[s][i%len(phrases[s])]
				}
				if it.Subset != s || it.Prompt != want {
					t.Errorf("item %d: %q in %q, want %q in %q", i, it.Prompt, it.Subset, want, s)
				}
			}
			ds := p.Dataset()
			if got := ds.Subsets(); !slices.Equal(got, slices.Compact(slices.Clone(subsets))) {
				t.Errorf("data set subsets %v, want %v", got, subsets)
			}
			if ds.Len() != 32 {
				t.Errorf("data set has %d prompts, want 32", ds.Len())
			}
		})
	}
}

// Dataset groups the prompts by subset for Balance.
func TestImagePromptsDataset(t *testing.T) {
	p, err := ReadCOCOStyles(cocoKit, "", "train", []string{"none", "anime", "none"}, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	ds := p.Dataset()
	if got := ds.Subsets(); !slices.Equal(got, []string{"none", "anime"}) {
		t.Errorf("subsets %v", got)
	}
	none, _ := ds.Texts("none")
	anime, _ := ds.Texts("anime")
	if len(none) != 43 || len(anime) != 21 { // 64 items cycling none, anime, none
		t.Errorf("none %d, anime %d: want 43 and 21", len(none), len(anime))
	}
	if anime[0] != p.Items[1].Prompt {
		t.Errorf("anime's first prompt %q, want item 1's %q", anime[0], p.Items[1].Prompt)
	}
	src, dst, err := ds.Balance([]string{"none"}, []string{"anime"}, 0, 3)
	if err != nil || len(src) != 21 || len(dst) != 21 {
		t.Errorf("Balance: %d, %d, %v", len(src), len(dst), err)
	}
}

func TestReadDiffusionPrompts(t *testing.T) {
	path := filepath.Join(cocoKit, "diffusion_prompts.json")
	tests := []struct {
		name     string
		patterns []string
		subsets  []string
		n        int
	}{
		{"all", nil, []string{"none", "no_trees", "trees"}, 16},
		{"ml-act's responses", []string{"no_trees", "trees"}, []string{"no_trees", "trees"}, 12},
		{"file order, not pattern order", []string{"trees", "none"}, []string{"none", "trees"}, 10},
		{"pattern", []string{"*trees"}, []string{"no_trees", "trees"}, 12},
		{"negated class", []string{"[!n]*"}, []string{"trees"}, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ReadDiffusionPrompts(path, tc.patterns)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Subsets, tc.subsets) || len(p.Items) != tc.n {
				t.Fatalf("subsets %v, %d items; want %v, %d", p.Subsets, len(p.Items), tc.subsets, tc.n)
			}
			for i, it := range p.Items {
				if it.ID != int64(i) || it.Prompt != it.Original {
					t.Errorf("item %d: %+v: want id %d and the prompt as read", i, it, i)
				}
			}
		})
	}
}

// writeCaptions writes a captions_val2017.json holding doc under a new
// data directory.
func writeCaptions(t *testing.T, doc string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, COCOFolder), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, COCOFolder, "captions_val2017.json"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestImagePromptsErrors(t *testing.T) {
	empty := t.TempDir()
	noPrompts := writeCaptions(t, `{"annotations": [{"image_id": 1, "id": 2, "caption": "A cat."}]}`)
	tests := []struct {
		name string
		read func() (*ImagePrompts, error)
		want []string
	}{
		{"no captions file", func() (*ImagePrompts, error) {
			return ReadCOCOStyles(empty, cocoKit, "val", []string{"none", "anime"}, 10, 0)
		}, []string{filepath.Join(empty, COCOFolder, "captions_val2017.json"), "actsh download coco"}},
		{"split", func() (*ImagePrompts, error) {
			return ReadCOCOConcepts(cocoKit, "", "test", []string{"gorilla"})
		}, []string{`split "test"`, "train or val"}},
		{"no style file", func() (*ImagePrompts, error) {
			return ReadCOCOStyles(noPrompts, "", "val", []string{"none", "anime"}, 10, 0)
		}, []string{"style_prompts.json", "not in " + noPrompts, "github.com/apple/ml-act", "data/style_prompts.json"}},
		{"no concept file", func() (*ImagePrompts, error) {
			return ReadCOCOConcepts(noPrompts, empty, "val", []string{"gorilla"})
		}, []string{"diffusion_concept_prompts.json", "not in " + empty, "ml-act", `"no_<concept>"`}},
		{"unknown style", func() (*ImagePrompts, error) {
			return ReadCOCOStyles(cocoKit, "", "val", []string{"none", "watercolour"}, 10, 0)
		}, []string{`unknown style "watercolour"`, `did you mean "watercolor"`, "anime, art_nouveau, cyberpunk, impressionism, sketch, watercolor", `"none" keeps the caption`}},
		{"unknown concept", func() (*ImagePrompts, error) {
			return ReadCOCOConcepts(cocoKit, "", "val", []string{"no_pink_elefant"})
		}, []string{`unknown concept "no_pink_elefant"`, `did you mean "no_pink_elephant"`, "gorilla, no_gorilla"}},
		{"no subsets", func() (*ImagePrompts, error) {
			return ReadCOCOConcepts(cocoKit, "", "val", nil)
		}, []string{"no subsets"}},
		{"num_tags", func() (*ImagePrompts, error) {
			return ReadCOCOStyles(cocoKit, "", "val", []string{"anime"}, 0, 0)
		}, []string{"num_tags=0", "at least 1"}},
		{"no annotations", func() (*ImagePrompts, error) {
			return ReadCOCOStyles(writeCaptions(t, `{"images": []}`), "", "val", []string{"none"}, 10, 0)
		}, []string{`no "annotations"`}},
		{"empty annotations", func() (*ImagePrompts, error) {
			return ReadCOCOStyles(writeCaptions(t, `{"annotations": []}`), "", "val", []string{"none"}, 10, 0)
		}, []string{"no captions"}},
		{"empty caption", func() (*ImagePrompts, error) {
			return ReadCOCOStyles(writeCaptions(t, `{"annotations": [{"id": 5, "caption": "A dog."}, {"id": 9, "caption": " "}]}`), "", "val", []string{"none"}, 10, 0)
		}, []string{"annotation 1 (id 9) has an empty caption"}},
		{"no id", func() (*ImagePrompts, error) {
			return ReadCOCOStyles(writeCaptions(t, `{"annotations": [{"caption": "A dog."}]}`), "", "val", []string{"none"}, 10, 0)
		}, []string{"annotation 0 has no id"}},
		{"diffusion pattern", func() (*ImagePrompts, error) {
			return ReadDiffusionPrompts(filepath.Join(cocoKit, "diffusion_prompts.json"), []string{"tree"})
		}, []string{`no subset matches "tree"`, `did you mean "trees"`, "none, no_trees, trees"}},
		{"diffusion file", func() (*ImagePrompts, error) {
			return ReadDiffusionPrompts(filepath.Join(empty, "diffusion_prompts.json"), nil)
		}, []string{filepath.Join(empty, "diffusion_prompts.json")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.read()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
	// "none" alone needs no prompts file.
	if p, err := ReadCOCOStyles(noPrompts, "", "val", []string{"none"}, 10, 0); err != nil || p.Items[0] != (ImagePrompt{ID: 2, Original: "A cat.", Prompt: "A cat.", Subset: "none"}) {
		t.Errorf("none only: %+v, %v", p, err)
	}
}
