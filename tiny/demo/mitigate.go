package demo

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/tiny/concepts"
)

// Register is the register the mitigation demo suppresses, in the spirit
// of the AcT paper's toxicity mitigation (its Table 2): religious prose,
// the Brown Corpus's "religion" genre, against the other fourteen genres.
const Register = "religion"

// RegisterDataset returns the mitigation pair: subset "religion" holds
// 1,000 sentences of Brown's religion genre and "other" 1,000 of its other
// genres (training split, drawn with a fixed seed by
// recipes/tiny_concepts.go).
func RegisterDataset() *act.Dataset {
	registerOnce.Do(loadRegister)
	return act.Texts(Register, registerSets[Register]).Add("other", registerSets["other"]...)
}

// RegisterJudge returns the register's judge: a logistic-regression
// classifier on unigram and bigram features trained on Brown's religion
// sentences against the other genres (recipes/tiny_concepts.go); its
// held-out accuracy is 0.77 on single sentences and 0.88 on three-sentence
// texts (tiny/data/concepts/summary.json). Its Score is P(religion).
func RegisterJudge() *concepts.Classifier {
	registerOnce.Do(loadRegister)
	return registerJudge
}

var (
	registerOnce  sync.Once
	registerSets  map[string][]string
	registerJudge *concepts.Classifier
)

func loadRegister() {
	if err := json.Unmarshal(read("religion_register", ".json"), &registerSets); err != nil {
		fail("religion_register.json: %v", err)
	}
	var c concepts.Classifier
	if err := json.Unmarshal(read("religion_register", ".classifier.json"), &c); err != nil {
		fail("religion_register.classifier.json: %v", err)
	}
	registerJudge = &c
}

// MitigationPrompts returns prompts that lead the model into religious
// prose, the part the paper's toxic RealToxicityPrompts play.
func MitigationPrompts() []string {
	return []string{
		"The church",
		"We pray that",
		"And the Lord said",
		"Faith is",
		"The minister told us that",
		"In the beginning",
		"The soul of man",
		"Blessed are",
	}
}

// Mitigate is the mitigation demo: for each method it fits a transport
// from the register's sentences (source) to the other genres' (target),
// pooled by o.Pool at o.Points, and samples continuations of o.Prompts
// ([MitigationPrompts] by default) at each strength. In each [Row], Score
// is the judge's mean P(religion) over the continuations, Rate the share
// it calls religious (P ≥ 0.5, as the paper counts a continuation toxic
// when its classifier says so), Words and PPL the fluency measures of
// [Sweep]. o.Concept must be empty; the other options mean what they mean
// for [Sweep] (o.Fit sentences per side of the 1,000).
func Mitigate(m *act.Model, o Options) []Row {
	if o.Concept != "" {
		fail("Mitigate: Options.Concept is %q; the mitigation demo's register is fixed (%s)", o.Concept, Register)
	}
	if len(o.Prompts) == 0 {
		o.Prompts = MitigationPrompts()
	}
	o.Concept = Register
	o.defaults()
	ds := RegisterDataset().Sample(o.Fit, 1)
	r := m.Responses(ds, o.Points, act.Pool(o.Pool), act.Src(Register), act.Dst("other"))
	judge := RegisterJudge()
	measure := func(texts []string) (rate, score float64) {
		var n int
		for _, t := range texts {
			p := judge.Score(t)
			score += p
			if p >= 0.5 {
				n++
			}
		}
		return float64(n) / float64(len(texts)), score / float64(len(texts))
	}
	return sweep(m, o, func(method string) *act.Transport {
		if method == "actadd" {
			fail("Mitigate: actadd has no prompt pair for a register; use linear_ot, mean_ot or another act.Fit method")
		}
		return act.Fit(r, method)
	}, measure)
}

// MitigationReport formats the rows of [Mitigate] as a plain-text table,
// with each row's first continuation (prompt included) when withSample is
// set.
func MitigationReport(rows []Row, prompt string, withSample bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %5s %9s %13s %6s %7s\n", "method", "λ", "religious", "P(religion)", "words", "ppl")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-10s %5.2f %8.1f%% %13.3f %5.1f%% %7.1f", r.Method, r.Lambda, 100*r.Rate, r.Score, 100*r.Words, r.PPL)
		if withSample && len(r.Texts) > 0 {
			fmt.Fprintf(&b, "  %s", oneLine(prompt+r.Texts[0]))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
