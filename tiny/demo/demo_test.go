package demo_test

import (
	"bytes"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/tiny/demo"
)

func panics(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*act.Error)
			if !ok {
				panic(r)
			}
			msg = e.Msg
		}
	}()
	f()
	return ""
}

func TestShipped(t *testing.T) {
	cs := demo.Concepts()
	if len(cs) < 3 {
		t.Fatalf("Concepts() = %v, want at least 3", cs)
	}
	for _, c := range cs {
		ds := demo.Dataset(c)
		if n, m := len(ds.Subset(c)), len(ds.Subset("none")); n != 500 || m != 500 {
			t.Errorf("%s: %d concept and %d other sentences, want 500 and 500", c, n, m)
		}
		// The data set is built from the lexicon: every concept sentence
		// mentions it and no other sentence does.
		if r := demo.Rate(c, ds.Subset(c)); r != 1 {
			t.Errorf("%s: mention rate of its own sentences %.3f, want 1", c, r)
		}
		if r := demo.Rate(c, ds.Subset("none")); r != 0 {
			t.Errorf("%s: mention rate of the other sentences %.3f, want 0", c, r)
		}
	}
	if msg := panics(func() { demo.Dataset("unicorn") }); !strings.Contains(msg, `unknown concept "unicorn" (known: `) {
		t.Errorf("unknown concept: %q", msg)
	}
	if msg := panics(func() { demo.Sweep(nil, demo.Options{}) }); !strings.Contains(msg, "Concept is empty") {
		t.Errorf("empty concept: %q", msg)
	}
}

// TestPerplexity checks Perplexity against a direct computation from one
// logits call, and that the model finds its own greedy continuation far
// likelier than a shuffled one.
func TestPerplexity(t *testing.T) {
	m := act.Load("tiny")
	prompt := "The man said that"
	ids := m.Tokenize(prompt)
	cont := m.GenerateIDs(ids, nil, 0, act.MaxTokens(12))
	if len(cont) == 0 {
		t.Fatal("empty greedy continuation")
	}
	all := append(append([]int(nil), ids...), cont...)
	logits := m.Logits(all)
	var nll float64
	for i := len(ids); i < len(all); i++ {
		row := logits[i-1]
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v))
		}
		nll -= float64(row[all[i]]) - math.Log(s)
	}
	want := math.Exp(nll / float64(len(cont)))
	got := demo.Perplexity(m, []string{prompt}, [][]int{cont})
	// Perplexity runs one padded batch, so its float32 logits differ from
	// this single-sequence pass by rounding (~1e-6): 1e-5 relative.
	if math.Abs(got-want) > 1e-5*want {
		t.Errorf("Perplexity %v, direct %v", got, want)
	}
	rev := make([]int, len(cont))
	for i := range cont {
		rev[i] = (cont[len(cont)-1-i] + 977) % 4095
	}
	if worse := demo.Perplexity(m, []string{prompt}, [][]int{rev}); worse < 2*got {
		t.Errorf("perplexity of scrambled tokens %.1f, not clearly above the greedy continuation's %.1f", worse, got)
	}
	if !math.IsNaN(demo.Perplexity(m, []string{prompt}, [][]int{nil})) {
		t.Error("Perplexity of no tokens is not NaN")
	}
}

// TestDirection is the main job's claim, with its settings: for its three
// concepts, steering with Linear-AcT and with Mean-AcT at λ = 1 raises the
// concept's presence (the judge classifier's mean probability over 32
// sampled continuations) above the unsteered model's, on the same prompts
// and seed, while the perplexity stays under the README's bound; and
// Plot/Table render the result. The lexicon mentions are not checked:
// the small model rarely names a concept (README).
func TestDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("generates ~300 continuations")
	}
	m := act.Load("tiny")
	for i, c := range []string{"food", "family", "money"} {
		rows := demo.Sweep(m, demo.Options{Concept: c, Lambdas: []float64{0, 1}})
		if len(rows) != 4 {
			t.Fatalf("%s: %d rows, want 4", c, len(rows))
		}
		for _, r := range rows {
			if len(r.Texts) != 32 || math.IsNaN(r.PPL) || r.PPL <= 1 || r.Score <= 0 || r.Score >= 1 {
				t.Errorf("%s %s λ=%g: %d texts, perplexity %v, presence %v", c, r.Method, r.Lambda, len(r.Texts), r.PPL, r.Score)
			}
		}
		t.Logf("%s:\n%s", c, demo.Report(rows, "", false))
		for _, k := range []int{1, 3} {
			if rows[k].Score <= rows[k-1].Score {
				t.Errorf("%s %s: concept presence %.3f at λ=1, not above %.3f at λ=0", c, rows[k].Method, rows[k].Score, rows[k-1].Score)
			}
			// The README's fluency bound: at λ = 1 the unsteered model's
			// perplexity on the continuations stays under twice its
			// perplexity on its own (measured: at most 1.8×).
			if rows[k].PPL >= 2*rows[k-1].PPL {
				t.Errorf("%s %s: perplexity %.1f at λ=1, not under 2 × %.1f at λ=0", c, rows[k].Method, rows[k].PPL, rows[k-1].PPL)
			}
		}
		if i > 0 {
			continue
		}
		img, err := png.Decode(bytes.NewReader(demo.Plot(rows)))
		if err != nil {
			t.Fatalf("Plot: %v", err)
		}
		if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 200 {
			t.Errorf("Plot is %v", b)
		}
		if tab := demo.Table(rows); strings.Count(tab, "<tr>") != 5 {
			t.Errorf("Table has %d rows, want 5 (header + 4):\n%s", strings.Count(tab, "<tr>"), tab)
		}
	}
}

// TestDefineConcept makes a concept from its words: its data set comes from
// the sentence pool, every concept sentence names it and no other does,
// and the usual functions take its name; too rare or wordless concepts
// fail with a message that says what to do.
func TestDefineConcept(t *testing.T) {
	n := demo.DefineConcept("royalty", "king", "queen", "prince", "princess", "throne", "crown")
	if n < 500 {
		t.Fatalf("royalty: %d pool sentences, want at least 500 (measured 1,074)", n)
	}
	ds := demo.Dataset("royalty")
	yes, no := ds.Subset("royalty"), ds.Subset("none")
	if len(yes) != 500 || len(no) != 500 {
		t.Fatalf("royalty: %d and %d sentences, want 500 and 500", len(yes), len(no))
	}
	if r := demo.Rate("royalty", yes); r != 1 {
		t.Errorf("mention rate of the concept's sentences %.3f, want 1", r)
	}
	if r := demo.Rate("royalty", no); r != 0 {
		t.Errorf("mention rate of the other sentences %.3f, want 0", r)
	}
	if r := demo.Rate("royalty", []string{"The kings rode out.", "A crown of gold."}); r != 1 {
		t.Errorf("plurals and phrases: rate %.3f, want 1", r)
	}
	if s, o := demo.Score("royalty", yes[:50]), demo.Score("royalty", no[:50]); s <= o {
		t.Errorf("judge: concept sentences %.3f, not above the others' %.3f", s, o)
	}
	if cs := demo.Concepts(); !slices.Contains(cs, "royalty") || !slices.Contains(cs, "food") {
		t.Errorf("Concepts() = %v, want the shipped ones and royalty", cs)
	}
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"zygote"}, "only 0 of the 60000 pool sentences contain zygote; at least 100"},
		{[]string{" ", ""}, "no words name it"},
	} {
		if msg := panics(func() { demo.DefineConcept("x", c.words...) }); !strings.Contains(msg, c.want) {
			t.Errorf("DefineConcept(%q): %q, want it to contain %q", c.words, msg, c.want)
		}
	}
	if msg := panics(func() { demo.DefineConcept("none", "king") }); !strings.Contains(msg, `other than "none"`) {
		t.Errorf("DefineConcept(none): %q", msg)
	}
}

// TestMitigation is the mitigation demo's claim: steering from the
// religious register to the other genres with Linear-AcT and Mean-AcT at
// λ = 1 lowers the judge's mean P(religion) of continuations of the
// religious prompts below the unsteered model's, with the perplexity
// under the README's bound.
func TestMitigation(t *testing.T) {
	if testing.Short() {
		t.Skip("generates ~100 continuations")
	}
	m := act.Load("tiny")
	rows := demo.Mitigate(m, demo.Options{Lambdas: []float64{0, 1}})
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	t.Logf("\n%s", demo.MitigationReport(rows, "", false))
	for _, k := range []int{1, 3} {
		if rows[k].Score >= rows[k-1].Score {
			t.Errorf("%s: P(religion) %.3f at λ=1, not below %.3f at λ=0", rows[k].Method, rows[k].Score, rows[k-1].Score)
		}
		if rows[k].PPL >= 2*rows[k-1].PPL {
			t.Errorf("%s: perplexity %.1f at λ=1, not under 2 × %.1f at λ=0", rows[k].Method, rows[k].PPL, rows[k-1].PPL)
		}
	}
	if msg := panics(func() { demo.Mitigate(m, demo.Options{Concept: "food"}) }); !strings.Contains(msg, "register is fixed") {
		t.Errorf("Mitigate with a concept: %q", msg)
	}
}

// newConcepts are concepts no demo code or shipped data names, made from
// their words alone as a new user would, and a shipped one the demos do not
// use.
var newConcepts = []struct {
	name  string
	words []string
}{
	{"royalty", []string{"king", "queen", "prince", "princess", "throne", "crown"}},
	{"gold", []string{"gold", "silver", "golden", "jewel"}},
	{"religion", nil},
}

// TestMentions is issue 18's claim about what the model talks about: for
// three concepts the demos never name, Linear-AcT at λ = 1 raises the
// share of continuations that name the concept by at least 0.2 over the
// unsteered model (measured: +0.84, +0.44, +0.38 at the defaults), while
// the unsteered model's perplexity on the steered continuations stays
// under twice its perplexity on its own (measured: 0.8-0.9×).
func TestMentions(t *testing.T) {
	if testing.Short() {
		t.Skip("generates ~200 continuations")
	}
	m := act.Load("tiny")
	for _, c := range newConcepts {
		if c.words != nil {
			demo.DefineConcept(c.name, c.words...)
		}
		rows := demo.Sweep(m, demo.Options{Concept: c.name, Methods: []string{"linear_ot"}, Lambdas: []float64{0, 1}})
		t.Logf("%s:\n%s", c.name, demo.Report(rows, "", false))
		if rise := rows[1].Rate - rows[0].Rate; rise < 0.2 {
			t.Errorf("%s: mentions %.3f at λ=1, %.3f at λ=0: a rise of %.3f, want at least 0.2", c.name, rows[1].Rate, rows[0].Rate, rise)
		}
		if rows[1].PPL >= 2*rows[0].PPL {
			t.Errorf("%s: perplexity %.1f at λ=1, not under 2 × %.1f at λ=0", c.name, rows[1].PPL, rows[0].PPL)
		}
	}
}

// TestAblate checks the concept-induction ablation's finding on the
// embedded model: with mean pooling, intervening at every layer norm (the
// paper's choice for GPT-2) names the concept more often at λ = 1 than
// any single family of places does (measured for royalty: 88% against
// 9-41%), and more than the unsteered model by at least 0.2.
func TestAblate(t *testing.T) {
	if testing.Short() {
		t.Skip("generates ~200 continuations")
	}
	m := act.Load("tiny")
	demo.DefineConcept("royalty", newConcepts[0].words...)
	rows := demo.Ablate(m, demo.Options{Concept: "royalty"}, "mean")
	t.Logf("\n%s", demo.AblationReport(rows))
	if len(rows) != len(demo.AblationPoints) {
		t.Fatalf("%d rows, want one per place (%d)", len(rows), len(demo.AblationPoints))
	}
	all := rows[0]
	if all.Points != "all layer norms" || all.Pool != "mean" || all.Rate-all.Rate0 < 0.2 {
		t.Errorf("first row %+v: want all layer norms, mean pooling, mentions up by at least 0.2", all)
	}
	for _, r := range rows[1:] {
		if r.Rate >= all.Rate {
			t.Errorf("%s: mentions %.3f, not below all layer norms' %.3f", r.Points, r.Rate, all.Rate)
		}
	}
}
