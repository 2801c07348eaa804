package concepts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/dataset"
)

// TestShipped checks the committed datasets under tiny/data/concepts
// (made by recipes/tiny_concepts.go): each concept file has both subsets,
// its lexicon separates them exactly (that is how they were drawn), and the
// register classifier scores the religious subset above the other.
func TestShipped(t *testing.T) {
	dir := filepath.Join("..", "data", "concepts")
	lexFiles, err := filepath.Glob(filepath.Join(dir, "*.lexicon.json"))
	if err != nil || len(lexFiles) < 5 {
		t.Fatalf("want at least 5 lexicons in %s, found %d (%v)", dir, len(lexFiles), err)
	}
	read := func(t *testing.T, path string) map[string][]string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var ds map[string][]string
		if err := json.Unmarshal(data, &ds); err != nil {
			t.Fatal(err)
		}
		return ds
	}
	for _, lf := range lexFiles {
		name := strings.TrimSuffix(filepath.Base(lf), ".lexicon.json")
		t.Run(name, func(t *testing.T) {
			l, err := LoadLexicon(lf)
			if err != nil {
				t.Fatal(err)
			}
			ds := read(t, filepath.Join(dir, name+".json"))
			if len(ds[name]) != 500 || len(ds["none"]) != 500 {
				t.Fatalf("subsets %d and %d, want 500 each", len(ds[name]), len(ds["none"]))
			}
			if r := Rate(l, ds[name]); r != 1 {
				t.Errorf("rate on the concept subset %v, want 1", r)
			}
			if r := Rate(l, ds["none"]); r != 0 {
				t.Errorf("rate on none %v, want 0", r)
			}
			// The act package's json-subsets reader takes the file as is.
			d, err := dataset.ReadJSONSubsets(filepath.Join(dir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := d.Texts(name); err != nil || len(got) != 500 {
				t.Errorf("act/dataset reads %d texts of %s (%v), want 500", len(got), name, err)
			}
		})
	}
	t.Run("religion_register", func(t *testing.T) {
		c, err := LoadClassifier(filepath.Join(dir, "religion_register.classifier.json"))
		if err != nil {
			t.Fatal(err)
		}
		ds := read(t, filepath.Join(dir, "religion_register.json"))
		// Training sentences: the fit must separate them well above chance.
		if acc := c.Accuracy(ds["religion"], ds["other"]); acc < 0.8 {
			t.Errorf("accuracy on the shipped subsets %.3f, want >= 0.8", acc)
		}
		if c.Score("We pray that God in his grace forgives our sins.") <= c.Score("The team scored twice in the second half of the game.") {
			t.Error("religious sentence does not score above a sports one")
		}
	})
}
