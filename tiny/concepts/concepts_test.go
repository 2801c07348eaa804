package concepts

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/actsh/actsh/tiny/corpus"
	"github.com/actsh/actsh/tiny/wordnet"
)

// vehicle > ship > {whaler, hero}; "hero" is first a person (offset 900),
// so it must not join the ship lexicon.
const nounData = `00000100 06 n 01 vehicle 0 001 ~ 00000200 n 0000 | a conveyance
00000200 06 n 02 ship 0 vessel 0 003 @ 00000100 n 0000 ~ 00000300 n 0000 ~ 00000400 n 0000 | a vessel that carries passengers
00000300 06 n 02 whaler 0 whaling_ship 0 001 @ 00000200 n 0000 | a ship for hunting whales
00000400 06 n 01 hero 0 001 @ 00000200 n 0000 | a made-up ship sense
00000900 18 n 01 hero 0 000 | a person admired for courage
`

const nounIndex = `ship n 1 1 @ 1 1 00000200
vessel n 1 1 @ 1 1 00000200
whaler n 1 1 @ 1 1 00000300
whaling_ship n 1 1 @ 1 1 00000300
hero n 2 1 @ 2 1 00000900 00000400
vehicle n 1 1 ~ 1 1 00000100
`

func testDB(t testing.TB) *wordnet.DB {
	t.Helper()
	ss, err := wordnet.Parse([]byte(nounData))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := wordnet.ParseIndex([]byte(nounIndex))
	if err != nil {
		t.Fatal(err)
	}
	db := wordnet.NewDB(ss)
	db.SetIndex(idx)
	return db
}

func TestBuildLexicon(t *testing.T) {
	db := testDB(t)
	tests := []struct {
		name string
		spec Spec
		keep func(string) bool
		want []string
	}{
		{"first sense filter", Spec{Name: "ship", Senses: []string{"ship.n.01"}}, nil, []string{"ship", "vessel", "whaler", "whaling ship"}},
		{"exclude", Spec{Name: "ship", Senses: []string{"ship.n.01"}, Exclude: []string{"whaler"}}, nil, []string{"ship", "vessel", "whaling ship"}},
		{"keep filter spares roots", Spec{Name: "ship", Senses: []string{"ship.n.01"}}, func(w string) bool { return !strings.HasPrefix(w, "v") && w != "whaler" }, []string{"ship", "vessel", "whaling ship"}},
		{"second sense root", Spec{Name: "hero", Senses: []string{"hero.n.01"}}, nil, []string{"hero"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := BuildLexicon(db, tc.spec, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(l.Words, tc.want) {
				t.Errorf("words %q, want %q", l.Words, tc.want)
			}
		})
	}
	for _, bad := range []string{"ship", "ship.n.x", "ship.n.02", "boat.n.01"} {
		if _, err := BuildLexicon(db, Spec{Name: "x", Senses: []string{bad}}, nil); err == nil {
			t.Errorf("sense %q accepted", bad)
		}
	}
}

func TestMatches(t *testing.T) {
	l := &Lexicon{Name: "ship", Words: []string{"ship", "whaling ship", "ferry", "man"}}
	tests := []struct {
		text string
		want []string
	}{
		{"The ship sailed.", []string{"ship"}},
		{"Two ships and three ferries.", []string{"ship", "ferry"}},
		{"A whaling ship's bell.", []string{"whaling ship", "ship"}},
		{"Many men.", []string{"man"}},
		{"Shipping news and shipments.", nil},
		{"", nil},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			if got := l.Matches(tc.text); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Matches = %q, want %q", got, tc.want)
			}
		})
	}
	if r := Rate(l, []string{"a ship", "no", "ferries", "none"}); r != 0.5 {
		t.Errorf("Rate = %v, want 0.5 (exact: two of four)", r)
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"One. Two? Three! four.", []string{"One.", "Two?", "Three! four."}},
		{`He said "go." She went.`, []string{`He said "go."`, "She went."}},
		{"3.5 is a number. Yes", []string{"3.5 is a number.", "Yes"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := Sentences(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConceptSubsets(t *testing.T) {
	recs := []corpus.Record{
		{Text: "The ship left the port at dawn. It was a very cold day indeed.", Source: "brown", Genre: "news", Split: "train"},
		{Text: "A gloss about a ship that we skip here entirely.", Source: "wordnet", Split: "train"},
	}
	for i := 0; i < 40; i++ {
		recs = append(recs, corpus.Record{Text: fmt.Sprintf("Sentence %d has no vessel words at all. Another ship number %d sails away today.", i, i), Source: "sotu", Split: "train"})
	}
	sents := CorpusSentences(recs, []string{"brown", "sotu"}, 5, 40)
	var texts []string
	for _, s := range sents {
		texts = append(texts, s.Text)
	}
	if len(texts) != 82 {
		t.Fatalf("%d sentences, want 82", len(texts))
	}
	l := &Lexicon{Name: "ship", Words: []string{"ship"}}
	ds := ConceptSubsets(l, texts, 10, 1)
	if len(ds["ship"]) != 10 || len(ds["none"]) != 10 {
		t.Fatalf("subset sizes %d, %d", len(ds["ship"]), len(ds["none"]))
	}
	for _, s := range ds["ship"] {
		if !l.Present(s) {
			t.Errorf("%q in ship subset", s)
		}
	}
	for _, s := range ds["none"] {
		if l.Present(s) {
			t.Errorf("%q in none subset", s)
		}
	}
	if again := ConceptSubsets(l, texts, 10, 1); !reflect.DeepEqual(again, ds) {
		t.Error("not deterministic")
	}
	if c := CountConcepts([]*Lexicon{l}, texts); c[0].Sentences != 41 {
		t.Errorf("count %+v, want 41", c[0])
	}
}

// TestClassifier trains on a synthetic register: "churchy" sentences use
// words from one pool, the others from another, with shared filler and
// 10% of words swapped to the wrong pool. The reference is the rule that
// knows the pools (more words of pool a than of pool b, ties counted
// half); the classifier must come within 0.07 of it, room for what 300
// examples per class cost a model that has to learn the pools and sees
// bigrams too.
func TestClassifier(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := []string{"god", "faith", "prayer", "church", "soul", "grace", "holy", "sin"}
	b := []string{"market", "price", "team", "game", "city", "vote", "score", "trade"}
	filler := []string{"the", "a", "of", "and", "to", "in", "is", "was"}
	gen := func(pool, other []string) string {
		var w []string
		for i := 0; i < 8; i++ {
			switch k := r.IntN(10); {
			case k == 0:
				w = append(w, other[r.IntN(len(other))])
			case k < 5:
				w = append(w, pool[r.IntN(len(pool))])
			default:
				w = append(w, filler[r.IntN(len(filler))])
			}
		}
		return strings.Join(w, " ")
	}
	var pos, neg, posT, negT []string
	for i := 0; i < 300; i++ {
		pos, neg = append(pos, gen(a, b)), append(neg, gen(b, a))
	}
	for i := 0; i < 100; i++ {
		posT, negT = append(posT, gen(a, b)), append(negT, gen(b, a))
	}
	c, err := TrainClassifier("religion", "other", pos, neg, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inA := map[string]bool{}
	for _, w := range a {
		inA[w] = true
	}
	inB := map[string]bool{}
	for _, w := range b {
		inB[w] = true
	}
	rule := 0.0
	for i, s := range append(append([]string(nil), posT...), negT...) {
		d := 0
		for _, w := range strings.Fields(s) {
			if inA[w] {
				d++
			} else if inB[w] {
				d--
			}
		}
		switch {
		case d == 0:
			rule += 0.5
		case (d > 0) == (i < len(posT)):
			rule++
		}
	}
	rule /= float64(len(posT) + len(negT))
	if acc := c.Accuracy(posT, negT); acc < rule-0.07 {
		t.Errorf("held-out accuracy %.3f, want >= %.3f (the pool rule's %.3f - 0.07)", acc, rule-0.07, rule)
	}
	if testing.Verbose() {
		t.Logf("held-out accuracy %.3f, pool rule %.3f", c.Accuracy(posT, negT), rule)
	}
	if c.Weights["god"] <= 0 || c.Weights["market"] >= 0 {
		t.Errorf("weights god %v market %v: wrong signs", c.Weights["god"], c.Weights["market"])
	}
	again, _ := TrainClassifier("religion", "other", pos, neg, TrainOptions{})
	if !reflect.DeepEqual(again, c) {
		t.Error("training is not deterministic")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "c.json")
	if err := Save(p, c); err != nil {
		t.Fatal(err)
	}
	back, err := LoadClassifier(p)
	if err != nil {
		t.Fatal(err)
	}
	// Weights are stored rounded to 1e-6, so scores agree to ~1e-5.
	if d := back.Score(posT[0]) - c.Score(posT[0]); d > 1e-5 || d < -1e-5 {
		t.Errorf("score changed by %g after save/load", d)
	}
	if _, err := TrainClassifier("x", "y", nil, neg, TrainOptions{}); err == nil {
		t.Error("no positives accepted")
	}
	l := &Lexicon{Name: "ship", Words: []string{"ship"}}
	lp := filepath.Join(dir, "l.json")
	Save(lp, l)
	if lb, err := LoadLexicon(lp); err != nil || !lb.Present("ships") {
		t.Errorf("lexicon round trip: %v", err)
	}
}

func TestFeatures(t *testing.T) {
	if got, want := Features("The ship, the ship."), []string{"the", "ship", "the ship", "ship the"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
