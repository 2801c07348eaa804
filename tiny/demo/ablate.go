package demo

import (
	"fmt"
	"strings"

	"github.com/actsh/actsh/act"
)

// AblationPoints are the intervention places [Ablate] compares, by name:
// the paper's choice for GPT-2 (every layer norm) and its parts, and the
// attention and MLP outputs.
var AblationPoints = []struct{ Name, Pattern string }{
	{"all layer norms", DefaultPoints},
	{"ln_1 (before attention)", `.*ln_1`},
	{"ln_2 (before the MLP)", `.*ln_2`},
	{"attention outputs", `.*attn\.c_proj`},
	{"MLP outputs", `.*mlp\.c_proj`},
}

// AblationRow is one setting of [Ablate]: where and how the transport was
// fitted, and its effect at λ = 1 against the unsteered model.
type AblationRow struct {
	Points  string  // a name of [AblationPoints]
	Pool    string  // the fit's pooling
	Rate0   float64 // mentions of the unsteered model
	Rate    float64 // mentions at λ = 1
	Score0  float64 // the judge's presence, unsteered
	Score   float64 // presence at λ = 1
	PPL0    float64 // perplexity of the unsteered continuations
	PPL     float64 // perplexity of the steered ones under the unsteered model
	Words   float64 // share of corpus words at λ = 1
	Samples int     // continuations per cell
}

// Ablate is the concept-induction counterpart of the paper's ablations
// (pooling, its Table 6, and where to intervene): for each pooling and
// each place of [AblationPoints] it fits o.Methods[0] (Linear-AcT by
// default) for o.Concept and measures the continuations at λ = 1 beside
// the unsteered model's (generated once), with [Sweep]'s prompts, seeds
// and measures. poolings defaults to mean, max and last.
func Ablate(m *act.Model, o Options, poolings ...string) []AblationRow {
	if len(poolings) == 0 {
		poolings = []string{"mean", "max", "last"}
	}
	o.Lambdas = []float64{1}
	if len(o.Methods) == 0 {
		o.Methods = []string{"linear_ot"}
	}
	o.Methods = o.Methods[:1]
	o.defaults()
	Lexicon(o.Concept)
	measure := func(texts []string) (float64, float64) { return Rate(o.Concept, texts), Score(o.Concept, texts) }
	zero := generate(m, o, nil, 0, measure)
	var rows []AblationRow
	for _, pool := range poolings {
		for _, pt := range AblationPoints {
			o.Pool, o.Points = pool, pt.Pattern
			r := responses(m, o.Concept, o.Points, o.Pool, o.Fit)
			t := Fit(m, o.Concept, o.Methods[0], r)
			one := generate(m, o, t, 1, measure)
			rows = append(rows, AblationRow{Points: pt.Name, Pool: pool, Rate0: zero.Rate, Rate: one.Rate,
				Score0: zero.Score, Score: one.Score, PPL0: zero.PPL, PPL: one.PPL, Words: one.Words, Samples: len(one.Texts)})
		}
	}
	return rows
}

// AblationReport formats the rows of [Ablate] as a plain-text table.
func AblationReport(rows []AblationRow) string {
	var b strings.Builder
	if len(rows) > 0 {
		fmt.Fprintf(&b, "unsteered: mentions %.1f%%, presence %.3f, ppl %.1f (%d continuations a row)\n",
			100*rows[0].Rate0, rows[0].Score0, rows[0].PPL0, rows[0].Samples)
	}
	fmt.Fprintf(&b, "%-6s %-24s %8s %8s %6s %7s\n", "pool", "points", "mentions", "presence", "words", "ppl")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-6s %-24s %7.1f%% %8.3f %5.1f%% %7.1f\n", r.Pool, r.Points, 100*r.Rate, r.Score, 100*r.Words, r.PPL)
	}
	return b.String()
}
