//go:build ignore

// Recipe tiny_concepts builds the demo datasets of the embedded default
// model "tiny" from its corpus, and the scorers that measure them in
// generated text.
//
//	go run recipes/tiny_concepts.go [-out tiny/data/concepts] [-cache DIR]
//
// Concepts. Each candidate concept is a set of WordNet noun senses; its
// lexicon is their lemmas and those of all their hyponyms (kept only when
// the lemma's first sense lies inside the concept and Brown tags it mostly
// as a noun; a short hand-made exclusion list, written after reading the
// matches, removes names and stray senses). We count the corpus
// sentences (Brown, State of the Union, Moby Dick; 6-40 words) that
// mention each candidate and keep those mentioned in at least 0.8% of the
// training sentences. For each kept concept we write a json-subsets file,
// {"<concept>": [500 sentences mentioning it], "none": [500 that do not]},
// like the paper's concept-induction data, and its lexicon, whose presence
// rate over generations is the concept rate.
//
// Mitigation. The Brown "religion" genre is the register to suppress: we
// write {"religion": [...], "other": [...]} from Brown sentences and train
// a logistic-regression classifier on unigram and bigram features that
// scores how religious a text reads, reporting its accuracy on a held-out
// fifth (chosen by a hash of the sentence).
//
// Sentence pool. A sample of 60,000 training sentences of the running
// text (Brown, State of the Union, Moby Dick, King James Bible), shipped
// gzipped, from which tiny/demo.DefineConcept draws the data set of any
// concept a user names by its words.
//
// Everything is deterministic: the corpus comes from pinned tarballs, the
// samples from fixed seeds, the classifier from L-BFGS started at zero.
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/actsh/actsh/tiny/concepts"
	"github.com/actsh/actsh/tiny/corpus"
)

// candidates are the concepts considered, with their WordNet senses.
var candidates = []concepts.Spec{
	{Name: "ship", Senses: []string{"ship.n.01", "boat.n.01"}, Exclude: []string{"launch", "mayflower"}},
	{Name: "sea", Senses: []string{"sea.n.01", "ocean.n.01"}},
	{Name: "whale", Senses: []string{"whale.n.02"}},
	{Name: "war", Senses: []string{"war.n.01", "battle.n.01", "military_personnel.n.01"},
		Exclude: []string{"friendly", "engagement", "blenheim", "ticonderoga"}},
	{Name: "religion", Senses: []string{"god.n.01", "deity.n.01", "church.n.01", "church.n.02", "religion.n.01", "clergyman.n.01"},
		Exclude: []string{"george", "martin", "lawrence", "david", "peter", "graham", "bridget", "apollo", "santa", "metropolitan", "cardinal", "minister", "mary", "john", "paul", "james", "thomas", "mark", "luke", "matthew", "andrew", "francis", "patrick", "stephen", "joseph", "anthony", "thor", "mercury", "mars", "jupiter", "saturn", "venus", "neptune", "pluto", "cupid", "hercules", "phoebus", "atlas", "hymen", "elli", "immortal"}},
	{Name: "money", Senses: []string{"money.n.01", "money.n.02", "money.n.03"}},
	{Name: "food", Senses: []string{"food.n.01", "food.n.02"},
		Exclude: []string{"produce", "provisions", "treat", "bitter", "cordial", "steamer", "gyro", "spirits", "feed", "java", "hero", "sub", "mocha", "organs", "murphy"}},
	{Name: "horse", Senses: []string{"horse.n.01"}},
	{Name: "music", Senses: []string{"music.n.01", "musical_instrument.n.01", "song.n.01"},
		Exclude: []string{"section", "acts", "numbers", "chapter", "judges", "bones", "lay", "gradual", "trad", "above", "keen", "spiritual", "classical", "passage", "movement", "part", "number", "act", "book", "record", "lead-in", "romans", "deuteronomy", "i john", "preamble", "swoop", "excerpt", "vocal"}},
	{Name: "family", Senses: []string{"family.n.01", "relative.n.01"},
		Exclude: []string{"home", "house", "relation", "partner", "mary", "menage", "the virgin", "virgin mary", "sarah", "albert", "judah", "pop", "antecedent", "in-law", "babe"}},
	{Name: "weather", Senses: []string{"weather.n.01", "precipitation.n.03", "wind.n.01"},
		Exclude: []string{"conditions", "condition", "elements", "low", "quiet", "thermal", "atmospheric condition"}},
}

const (
	minShare = 0.008 // share of training sentences a kept concept appears in
	perSet   = 500   // sentences per subset
	seed     = 6
)

func main() {
	out := flag.String("out", "tiny/data/concepts", "output folder")
	poolPath := flag.String("pool", "tiny/data/sentences.txt.gz", "output file of the sentence pool (gzip, one sentence a line)")
	cache := flag.String("cache", "", "npm tarball cache (default $XDG_CACHE_HOME/actsh/npm)")
	flag.Parse()
	if *cache == "" {
		d, err := corpus.DefaultCacheDir()
		if err != nil {
			log.Fatal(err)
		}
		*cache = d
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}

	// 1. The corpus, and WordNet's noun hierarchy with its sense order.
	recs, err := corpus.Build(*cache)
	if err != nil {
		log.Fatal(err)
	}
	db, err := corpus.WordNetNouns(*cache)
	if err != nil {
		log.Fatal(err)
	}
	btgz, err := corpus.Fetch(corpus.Brown, *cache)
	if err != nil {
		log.Fatal(err)
	}
	bfiles, err := corpus.Files(btgz, nil)
	if err != nil {
		log.Fatal(err)
	}
	tags := corpus.BrownTagCounts(bfiles)
	// A hyponym's lemma joins a lexicon only if Brown uses it mostly as a
	// noun (or never): "low", "feed" and "above" stay out.
	mostlyNoun := func(lemma string) bool {
		if strings.Contains(lemma, " ") {
			return true
		}
		c := tags[lemma]
		return c.Noun >= c.Other
	}

	// 2. Sentences of the running-text sources (not WordNet's glosses).
	sents := concepts.CorpusSentences(recs, []string{"brown", "sotu", "moby_dick"}, 6, 40)
	var train, valid []string
	for _, s := range sents {
		if s.Split == "valid" {
			valid = append(valid, s.Text)
		} else {
			train = append(train, s.Text)
		}
	}
	fmt.Printf("sentences: %d train, %d valid\n", len(train), len(valid))

	// 3. Lexicons and counts; keep the frequent concepts.
	var lex []*concepts.Lexicon
	byName := map[string]*concepts.Lexicon{}
	for _, spec := range candidates {
		l, err := concepts.BuildLexicon(db, spec, mostlyNoun)
		if err != nil {
			log.Fatal(err)
		}
		lex = append(lex, l)
		byName[l.Name] = l
	}
	counts := concepts.CountConcepts(lex, train)
	type summaryConcept struct {
		concepts.Count
		Words    int     `json:"lexicon_words"`
		Kept     bool    `json:"kept"`
		BaseRate float64 `json:"valid_base_rate"`
	}
	var summary struct {
		Concepts   []summaryConcept `json:"concepts"`
		Mitigation map[string]any   `json:"mitigation"`
	}
	fmt.Printf("%-9s %9s %7s %8s %s\n", "concept", "sentences", "words", "baseRate", "kept")
	for _, c := range counts {
		l := byName[c.Concept]
		kept := float64(c.Sentences) >= minShare*float64(len(train))
		base := concepts.Rate(l, valid)
		summary.Concepts = append(summary.Concepts, summaryConcept{c, len(l.Words), kept, base})
		fmt.Printf("%-9s %9d %7d %8.3f %v\n", c.Concept, c.Sentences, len(l.Words), base, kept)
		if !kept {
			continue
		}
		if err := concepts.Save(filepath.Join(*out, c.Concept+".json"), concepts.ConceptSubsets(l, train, perSet, seed)); err != nil {
			log.Fatal(err)
		}
		if err := concepts.Save(filepath.Join(*out, c.Concept+".lexicon.json"), l); err != nil {
			log.Fatal(err)
		}
	}

	// 4. The mitigation pair: Brown's religion genre against the others.
	var pos, neg, posHeld, negHeld []string
	for _, s := range sents {
		if s.Source != "brown" {
			continue
		}
		switch {
		case s.Genre == "religion" && concepts.Held(s.Text):
			posHeld = append(posHeld, s.Text)
		case s.Genre == "religion":
			pos = append(pos, s.Text)
		case concepts.Held(s.Text):
			negHeld = append(negHeld, s.Text)
		default:
			neg = append(neg, s.Text)
		}
	}
	// Balance the classes: as many "other" sentences as religious ones.
	neg = concepts.Sample(neg, 3*len(pos), seed)
	negHeld = concepts.Sample(negHeld, len(posHeld), seed+1)
	// Choose the L2 penalty on an inner fold of the training sentences.
	var fitPos, fitNeg, tunePos, tuneNeg []string
	for _, s := range pos {
		if concepts.Fold(s, 5) == 1 {
			tunePos = append(tunePos, s)
		} else {
			fitPos = append(fitPos, s)
		}
	}
	for _, s := range neg {
		if concepts.Fold(s, 5) == 1 {
			tuneNeg = append(tuneNeg, s)
		} else {
			fitNeg = append(fitNeg, s)
		}
	}
	bestL2, bestAcc := 0.0, -1.0
	for _, l2 := range []float64{1e-4, 3e-4, 1e-3, 3e-3} {
		c, err := concepts.TrainClassifier("religion", "other", fitPos, fitNeg, concepts.TrainOptions{L2: l2})
		if err != nil {
			log.Fatal(err)
		}
		c.Bias += logRatio(len(fitNeg), len(fitPos))
		acc := c.Accuracy(tunePos, concepts.Sample(tuneNeg, len(tunePos), seed+5))
		fmt.Printf("L2 %g: tuning accuracy %.3f\n", l2, acc)
		if acc > bestAcc {
			bestL2, bestAcc = l2, acc
		}
	}
	clf, err := concepts.TrainClassifier("religion", "other", pos, neg, concepts.TrainOptions{L2: bestL2})
	if err != nil {
		log.Fatal(err)
	}
	// Chance is 0.5 on the balanced held-out set; the prior of the training
	// set (1:3) shifts the bias, so the threshold is moved back to 1:1.
	clf.Bias += logRatio(len(neg), len(pos))
	trainAcc := clf.Accuracy(pos, concepts.Sample(neg, len(pos), seed+2))
	heldAcc := clf.Accuracy(posHeld, negHeld)
	fmt.Printf("religion classifier: %d features, train acc %.3f, held-out acc %.3f (%d+%d sentences)\n",
		len(clf.Weights), trainAcc, heldAcc, len(posHeld), len(negHeld))
	fmt.Printf("religion score: held-out religion %.3f, other %.3f\n", concepts.Rate(clf, posHeld), concepts.Rate(clf, negHeld))
	// Generations are a few sentences long: measure on three held-out
	// sentences of a class joined (in corpus order for religion, in sample
	// order for the others).
	acc3 := clf.Accuracy(join3(posHeld), join3(negHeld))
	fmt.Printf("religion classifier on 3-sentence texts: held-out acc %.3f\n", acc3)
	summary.Mitigation = map[string]any{
		"register": "religion", "against": "other Brown genres",
		"train_religion": len(pos), "train_other": len(neg),
		"held_religion": len(posHeld), "held_other": len(negHeld),
		"features": len(clf.Weights), "l2": bestL2, "train_accuracy": trainAcc, "held_out_accuracy": heldAcc, "held_out_accuracy_3_sentences": acc3,
	}
	subsets := map[string][]string{
		"religion": concepts.Sample(pos, 1000, seed+3),
		"other":    concepts.Sample(neg, 1000, seed+4),
	}
	for name, v := range map[string]any{"religion_register.json": subsets, "religion_register.classifier.json": clf, "summary.json": summary} {
		if err := concepts.Save(filepath.Join(*out, name), v); err != nil {
			log.Fatal(err)
		}
	}
	var kept []string
	for _, c := range summary.Concepts {
		if c.Kept {
			kept = append(kept, c.Concept)
		}
	}
	fmt.Printf("written to %s: %s, religion_register\n", *out, strings.Join(kept, ", "))

	// 5. The sentence pool new concepts are drawn from (tiny/demo's
	// DefineConcept): a sample of the training split's running-text
	// sentences, the King James Bible's included.
	var all []string
	for _, s := range concepts.CorpusSentences(recs, []string{"brown", "sotu", "moby_dick", "kjv"}, 6, 40) {
		if s.Split != "valid" {
			all = append(all, s.Text)
		}
	}
	pool := concepts.Sample(all, poolSize, seed+7)
	if err := corpus.WriteFileAtomic(*poolPath, func(w *bufio.Writer) error {
		// A fixed gzip header (no name, no time) keeps rebuilds byte-identical.
		zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		for _, s := range pool {
			zw.Write([]byte(s))
			zw.Write([]byte{'\n'})
		}
		return zw.Close()
	}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("sentence pool: %d of %d training sentences written to %s\n", len(pool), len(all), *poolPath)
}

// poolSize is the number of sentences in the shipped pool.
const poolSize = 60000

// join3 joins consecutive runs of three texts.
func join3(texts []string) []string {
	var out []string
	for i := 0; i+3 <= len(texts); i += 3 {
		out = append(out, strings.Join(texts[i:i+3], " "))
	}
	return out
}

func logRatio(a, b int) float64 {
	return math.Log(float64(a) / float64(b))
}
