package demo

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/actsh/actsh/act"
)

// DefaultPoints are the intervention points the demos steer on the
// embedded model: every layer norm's output, as the AcT paper does for
// GPT-2 (".+ln_.+" in ml-act's configs).
const DefaultPoints = `.*ln_.*`

// Options configure [Sweep]. Zero fields take the defaults in brackets.
type Options struct {
	Concept   string    // a shipped concept, see [Concepts] (required)
	Methods   []string  // act.Fit method names ["linear_ot", "mean_ot"]; "actadd" uses [ActAddPair]
	Lambdas   []float64 // strengths [0, 0.25, 0.5, 0.75, 1]
	Points    string    // intervention points, a full-match pattern [DefaultPoints]
	Prompts   []string  // prompts to continue [Prompts()]
	PerPrompt int       // sampled continuations per prompt and strength [4]
	MaxTokens int       // new tokens per continuation [40]
	Temp      float64   // sampling temperature [0.9]
	TopP      float64   // nucleus sampling [0.95]
	Seed      uint64    // seed of the batched sampler [1]
	Fit       int       // fitting sentences per side, drawn with seed 1 from the 500 [256]
	Pool      string    // pooling of a sentence's activations for the fit (act.Pool: mean, max, min, median, last) ["mean"]
}

func (o *Options) defaults() {
	if o.Concept == "" {
		fail("Sweep: Options.Concept is empty (shipped: %s)", strings.Join(Concepts(), ", "))
	}
	if len(o.Methods) == 0 {
		o.Methods = []string{"linear_ot", "mean_ot"}
	}
	if len(o.Lambdas) == 0 {
		o.Lambdas = []float64{0, 0.25, 0.5, 0.75, 1}
	}
	if o.Points == "" {
		o.Points = DefaultPoints
	}
	if len(o.Prompts) == 0 {
		o.Prompts = Prompts()
	}
	if o.PerPrompt == 0 {
		o.PerPrompt = 4
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = 40
	}
	if o.Temp == 0 {
		o.Temp = 0.9
	}
	if o.TopP == 0 {
		o.TopP = 0.95
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Fit == 0 {
		o.Fit = 256
	}
	if o.Pool == "" {
		o.Pool = "mean"
	}
	if o.PerPrompt < 0 || o.MaxTokens < 0 || o.Fit < 0 {
		fail("Sweep: PerPrompt (%d), MaxTokens (%d) and Fit (%d) must be positive", o.PerPrompt, o.MaxTokens, o.Fit)
	}
}

// Row is one (method, strength) cell of a sweep.
type Row struct {
	Method string
	Lambda float64
	Rate   float64  // share of continuations naming the concept ([Rate]); in [Mitigate], the share judged religious
	Score  float64  // concept presence: mean probability by the judge classifier ([Score]); in [Mitigate], mean P(religion)
	Words  float64  // share of the continuations' words that are corpus words ([WordShare])
	PPL    float64  // their perplexity under the unsteered model ([Perplexity])
	Texts  []string // the continuations, prompt by prompt
}

// ActAddPair is the prompt pair of the ActAdd baseline for a concept: the
// concept's name against "the", pooled at the last token, so the steering
// vector is the difference of the two prompts' activations.
func ActAddPair(concept string) (plus, minus string) { return concept, "the" }

// Responses computes the fitting responses for a concept at the points
// matching pattern: mean-pooled, source "none", target the concept, n
// sentences per side drawn with seed 1 (n ≤ 0: all 500).
func Responses(m *act.Model, concept, pattern string, n int) *act.Responses {
	return responses(m, concept, pattern, "mean", n)
}

func responses(m *act.Model, concept, pattern, pool string, n int) *act.Responses {
	ds := Dataset(concept).Sample(n, 1)
	return m.Responses(ds, pattern, act.Pool(pool), act.Src("none"), act.Dst(concept))
}

// Fit fits one method on the concept's responses r (see [Responses]);
// "actadd" ignores r and uses the prompt pair of [ActAddPair] at the same
// points instead.
func Fit(m *act.Model, concept, method string, r *act.Responses) *act.Transport {
	if method != "actadd" {
		return act.Fit(r, method)
	}
	plus, minus := ActAddPair(concept)
	var pair *act.Responses
	for _, p := range r.Points() {
		a := m.Capture(m.Tokenize(plus), p)
		b := m.Capture(m.Tokenize(minus), p)
		src, dst := [][]float32{b[len(b)-1]}, [][]float32{a[len(a)-1]}
		if pair == nil {
			pair = act.ResponsesOf(p, src, dst)
		} else {
			pair.Add(p, src, dst)
		}
	}
	return act.FitActAdd(pair, 1)
}

// Sweep fits each method for the concept (on one set of responses, see
// [Responses]) and generates sampled continuations of the prompts at each
// strength, measuring the concept's presence and mentions and the unsteered model's
// perplexity. Every cell uses the same seeds, and λ = 0 (the unsteered
// model) is generated once and shared.
func Sweep(m *act.Model, o Options) []Row {
	o.defaults()
	Lexicon(o.Concept) // fail early on an unknown concept
	r := responses(m, o.Concept, o.Points, o.Pool, o.Fit)
	return sweep(m, o, func(method string) *act.Transport { return Fit(m, o.Concept, method, r) },
		func(texts []string) (float64, float64) { return Rate(o.Concept, texts), Score(o.Concept, texts) })
}

// sweep fits each method with fit and generates the continuations of
// every strength, measuring them with measure (rate, score) and the
// fluency measures. λ = 0 (the unsteered model) is generated once and
// shared.
func sweep(m *act.Model, o Options, fit func(method string) *act.Transport, measure func(texts []string) (rate, score float64)) []Row {
	var zero *Row
	var rows []Row
	for _, method := range o.Methods {
		t := fit(method)
		for _, lambda := range o.Lambdas {
			if lambda == 0 && zero != nil {
				r := *zero
				r.Method = method
				rows = append(rows, r)
				continue
			}
			r := generate(m, o, t, lambda, measure)
			r.Method = method
			if lambda == 0 {
				zero = &r
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// generate samples PerPrompt continuations of every prompt in one batch.
func generate(m *act.Model, o Options, t *act.Transport, lambda float64, measure func([]string) (float64, float64)) Row {
	var prompts []string
	var batch [][]int
	for _, p := range o.Prompts {
		ids := m.Tokenize(p)
		for range o.PerPrompt {
			prompts = append(prompts, p)
			batch = append(batch, ids)
		}
	}
	conts := m.GenerateBatchIDs(batch, t, lambda, act.MaxTokens(o.MaxTokens),
		act.Sample(o.Temp, o.TopP), act.Seed(o.Seed))
	texts := make([]string, len(conts))
	for i, c := range conts {
		texts[i] = m.Decode(c)
	}
	rate, score := measure(texts)
	return Row{Lambda: lambda, Rate: rate, Score: score, Words: WordShare(texts),
		PPL: Perplexity(m, prompts, conts), Texts: texts}
}

// Report formats rows as a plain-text table, one line per row with its
// first continuation (prompt included) when withSample is set.
func Report(rows []Row, prompt string, withSample bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %5s %8s %8s %6s %7s\n", "method", "λ", "presence", "mentions", "words", "ppl")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-10s %5.2f %8.3f %7.1f%% %5.1f%% %7.1f", r.Method, r.Lambda, r.Score, 100*r.Rate, 100*r.Words, r.PPL)
		if withSample && len(r.Texts) > 0 {
			fmt.Fprintf(&b, "  %s", oneLine(prompt+r.Texts[0]))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Table formats rows as an HTML table (method, λ, concept presence,
// mentions, corpus words, perplexity, first continuation), for notebooks.
func Table(rows []Row) string {
	var b strings.Builder
	b.WriteString("<table><tr><th>method</th><th>λ</th><th>concept presence</th><th>mentions</th><th>corpus words</th><th>perplexity</th><th>first continuation</th></tr>\n")
	for _, r := range rows {
		first := ""
		if len(r.Texts) > 0 {
			first = oneLine(r.Texts[0])
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%.2f</td><td>%.3f</td><td>%.1f%%</td><td>%.1f%%</td><td>%.1f</td><td>%s</td></tr>\n",
			html.EscapeString(r.Method), r.Lambda, r.Score, 100*r.Rate, 100*r.Words, r.PPL, html.EscapeString(first))
	}
	b.WriteString("</table>")
	return b.String()
}

// Plot draws the concept's presence, its mentions and the perplexity
// against λ, one line per method, side by side, and returns the PNG bytes.
func Plot(rows []Row) []byte {
	var methods []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Method] {
			seen[r.Method] = true
			methods = append(methods, r.Method)
		}
	}
	panel := func(title, ylabel string, y func(Row) float64) *plot.Plot {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "λ"
		p.Y.Label.Text = ylabel
		p.Legend.Top = true
		p.Legend.Left = true
		for i, meth := range methods {
			var xy plotter.XYs
			for _, r := range rows {
				if r.Method == meth && !math.IsNaN(y(r)) {
					xy = append(xy, plotter.XY{X: r.Lambda, Y: y(r)})
				}
			}
			l, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				fail("Plot: %v", err)
			}
			c := palette[i%len(palette)]
			l.Color, pts.Color = c, c
			l.Width = vg.Points(1.5)
			p.Add(l, pts)
			p.Legend.Add(meth, l, pts)
		}
		p.Add(plotter.NewGrid())
		return p
	}
	score := panel("concept presence (judge)", "mean P(concept)", func(r Row) float64 { return r.Score })
	rate := panel("concept mentions (lexicon)", "% of continuations", func(r Row) float64 { return 100 * r.Rate })
	ppl := panel("perplexity (unsteered model)", "perplexity", func(r Row) float64 { return r.PPL })
	img := vgimg.New(vg.Points(1080), vg.Points(300))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 3, PadX: vg.Points(20), PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(10)}
	canvases := plot.Align([][]*plot.Plot{{score, rate, ppl}}, tiles, dc)
	score.Draw(canvases[0][0])
	rate.Draw(canvases[0][1])
	ppl.Draw(canvases[0][2])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		fail("Plot: %v", err)
	}
	return buf.Bytes()
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}
