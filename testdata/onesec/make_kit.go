//go:build ignore

// make_kit writes testdata/onesec/OneSecConcepts-100_1.5.0, a small
// OneSec-format kit for the embedded model: for each of its concepts food,
// family and money, the first 100 sentences of tiny/data/concepts/<c>.json
// that mention the concept (sentences.positive) and the first 100 that do
// not (its "none" subset: sentences.negative), in ml-act's layout
// (concept_list.csv with group and concept columns, sense/<concept>.json).
//
//	go run testdata/onesec/make_kit.go      # from the repository root
package main

import (
	"encoding/json"
	"log"
	"os"
	"path/filepath"
	"strings"
)

const (
	src = "tiny/data/concepts"
	out = "testdata/onesec/OneSecConcepts-100_1.5.0"
	n   = 100
)

func main() {
	concepts := []string{"food", "family", "money"}
	if err := os.MkdirAll(filepath.Join(out, "sense"), 0o755); err != nil {
		log.Fatal(err)
	}
	list := "group,concept\n"
	for _, c := range concepts {
		data, err := os.ReadFile(filepath.Join(src, c+".json"))
		if err != nil {
			log.Fatal(err)
		}
		var subsets map[string][]string
		if err := json.Unmarshal(data, &subsets); err != nil {
			log.Fatal(err)
		}
		pos, neg := subsets[c], subsets["none"]
		if len(pos) < n || len(neg) < n {
			log.Fatalf("%s: %d and %d sentences, want %d each", c, len(pos), len(neg), n)
		}
		doc := map[string]any{
			"concept": c, "group": "sense", "source": "actsh: tiny/data/concepts/" + c + ".json",
			"sentences": map[string][]string{"positive": pos[:n], "negative": neg[:n]},
		}
		b, err := json.MarshalIndent(doc, "", " ")
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, "sense", c+".json"), append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
		list += "sense," + c + "\n"
	}
	if err := os.WriteFile(filepath.Join(out, "concept_list.csv"), []byte(list), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s: %s, %d + %d sentences each", out, strings.Join(concepts, ", "), n, n)
}
