package concepts

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"

	"gonum.org/v1/gonum/optimize"
)

// Features returns the distinct unigram and bigram features of text, over
// [Words]: "the ship" gives [the ship "the ship"].
func Features(text string) []string {
	ws := Words(text)
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for i, w := range ws {
		add(w)
		if i > 0 {
			add(ws[i-1] + " " + w)
		}
	}
	return out
}

// Classifier is an L2-regularized logistic regression over binary
// unigram and bigram presence features ([Features]):
//
//	P(positive | text) = σ(Bias + Σ_{f ∈ Features(text)} Weights[f])
type Classifier struct {
	// Name is what the positive class is, e.g. "religion".
	Name string `json:"name"`
	// Negative names the other class, e.g. "other".
	Negative string `json:"negative"`
	// Bias is the intercept.
	Bias float64 `json:"bias"`
	// Weights holds the weight of every feature kept; absent features weigh 0.
	Weights map[string]float64 `json:"weights"`
}

// Score returns P(positive | text), making a Classifier a [Scorer].
func (c *Classifier) Score(text string) float64 {
	z := c.Bias
	for _, f := range Features(text) {
		z += c.Weights[f]
	}
	return 1 / (1 + math.Exp(-z))
}

// Accuracy is the share of pos scored ≥ 0.5 and of neg scored < 0.5, over
// both sets together.
func (c *Classifier) Accuracy(pos, neg []string) float64 {
	ok := 0
	for _, t := range pos {
		if c.Score(t) >= 0.5 {
			ok++
		}
	}
	for _, t := range neg {
		if c.Score(t) < 0.5 {
			ok++
		}
	}
	return float64(ok) / float64(len(pos)+len(neg))
}

// TrainOptions configures [TrainClassifier]; the zero value works.
type TrainOptions struct {
	// L2 is the penalty λ in the objective (default 1e-3).
	L2 float64
	// MinCount drops features seen in fewer training texts (default 3).
	MinCount int
	// MaxIter bounds the L-BFGS iterations (default 200).
	MaxIter int
}

// TrainClassifier fits a [Classifier] named name (negative class
// negative) on positive and negative texts by minimizing, with gonum's
// L-BFGS from zero weights (so the result is deterministic),
//
//	(1/N) Σ_i log(1 + exp(−y_i·z_i)) + (λ/2)·‖w‖²,   y_i ∈ {−1, +1}
//
// where z_i = b + Σ_f w_f over the features of text i and the bias b is not
// penalized. Weights below 1e-4 in magnitude are dropped from the result.
func TrainClassifier(name, negative string, pos, neg []string, opts TrainOptions) (*Classifier, error) {
	if len(pos) == 0 || len(neg) == 0 {
		return nil, fmt.Errorf("concepts: train %s: %d positive and %d negative texts, need both", name, len(pos), len(neg))
	}
	if opts.L2 == 0 {
		opts.L2 = 1e-3
	}
	if opts.MinCount == 0 {
		opts.MinCount = 3
	}
	if opts.MaxIter == 0 {
		opts.MaxIter = 200
	}
	texts := append(append([]string(nil), pos...), neg...)
	feats := make([][]string, len(texts))
	df := map[string]int{}
	for i, t := range texts {
		feats[i] = Features(t)
		for _, f := range feats[i] {
			df[f]++
		}
	}
	var vocab []string
	for f, n := range df {
		if n >= opts.MinCount {
			vocab = append(vocab, f)
		}
	}
	sort.Strings(vocab)
	id := make(map[string]int, len(vocab))
	for i, f := range vocab {
		id[f] = i + 1 // 0 is the bias
	}
	x := make([][]int, len(texts))
	y := make([]float64, len(texts))
	for i := range texts {
		for _, f := range feats[i] {
			if j, ok := id[f]; ok {
				x[i] = append(x[i], j)
			}
		}
		y[i] = -1
		if i < len(pos) {
			y[i] = 1
		}
	}
	n := float64(len(texts))
	lambda := opts.L2
	p := optimize.Problem{
		Func: func(w []float64) float64 {
			loss := 0.0
			for i, xi := range x {
				z := w[0]
				for _, j := range xi {
					z += w[j]
				}
				loss += softplus(-y[i] * z)
			}
			reg := 0.0
			for _, v := range w[1:] {
				reg += v * v
			}
			return loss/n + lambda/2*reg
		},
		Grad: func(g, w []float64) {
			for j := range g {
				g[j] = 0
			}
			for i, xi := range x {
				z := w[0]
				for _, j := range xi {
					z += w[j]
				}
				// d/dz log(1+exp(-y z)) = -y σ(-y z)
				d := -y[i] / (1 + math.Exp(y[i]*z)) / n
				g[0] += d
				for _, j := range xi {
					g[j] += d
				}
			}
			for j := 1; j < len(g); j++ {
				g[j] += lambda * w[j]
			}
		},
	}
	res, err := optimize.Minimize(p, make([]float64, len(vocab)+1), &optimize.Settings{
		MajorIterations:   opts.MaxIter,
		GradientThreshold: 1e-6,
	}, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, fmt.Errorf("concepts: train %s: %w", name, err)
	}
	c := &Classifier{Name: name, Negative: negative, Bias: res.X[0], Weights: map[string]float64{}}
	for i, f := range vocab {
		if w := res.X[i+1]; math.Abs(w) >= 1e-4 {
			c.Weights[f] = math.Round(w*1e6) / 1e6
		}
	}
	return c, nil
}

// softplus is log(1 + exp(t)), computed without overflow.
func softplus(t float64) float64 {
	if t > 30 {
		return t
	}
	return math.Log1p(math.Exp(t))
}

// LoadClassifier reads a classifier saved as JSON (see [Save]).
func LoadClassifier(path string) (*Classifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("concepts: %w", err)
	}
	c, err := ParseClassifier(data)
	if err != nil {
		return nil, fmt.Errorf("concepts: load %s: %w", path, err)
	}
	return c, nil
}

// ParseClassifier reads a classifier from the JSON bytes [Save] writes.
func ParseClassifier(data []byte) (*Classifier, error) {
	var c Classifier
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if c.Weights == nil {
		return nil, fmt.Errorf("no weights")
	}
	return &c, nil
}

// LoadLexicon reads a lexicon saved as JSON (see [Save]).
func LoadLexicon(path string) (*Lexicon, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("concepts: %w", err)
	}
	l, err := ParseLexicon(data)
	if err != nil {
		return nil, fmt.Errorf("concepts: load %s: %w", path, err)
	}
	return l, nil
}

// ParseLexicon reads a lexicon from the JSON bytes [Save] writes.
func ParseLexicon(data []byte) (*Lexicon, error) {
	var l Lexicon
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, err
	}
	if len(l.Words) == 0 {
		return nil, fmt.Errorf("no words")
	}
	l.index()
	return &l, nil
}
