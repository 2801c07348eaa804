package estimate

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"github.com/actsh/actsh/act/transport"
)

// ActAdd fits the ActAdd baseline (Turner et al., used in the AcT paper's
// comparisons): a steering vector added at every unit,
//
//	T(z) = z + beta·(a⁺ − a⁻),  i.e. w = 1, b = beta·(a⁺ − a⁻),
//
// where a⁺ is the target activation and a⁻ the source activation of one
// prompt pair, typically at the last token (pool responses with "last").
// With more than one row on a side, ActAdd uses the mean of the rows, which
// makes it Mean-AcT without the std mask or the support. There are no
// support bounds; out = λ·T(z) + (1−λ)·z = z + λ·beta·(a⁺ − a⁻).
func ActAdd(src, dst [][]float32, beta float64) (*transport.Map, error) {
	ns, nd, d, err := pair(src, dst)
	if err != nil {
		return nil, fmt.Errorf("estimate: actadd: %w", err)
	}
	m := &transport.Map{W: make([]float32, d), B: make([]float32, d)}
	x, y := make([]float64, ns), make([]float64, nd)
	for j := range d {
		column(x, src, j)
		column(y, dst, j)
		m.W[j] = 1
		m.B[j] = float32(beta * (floats.Sum(y)/float64(nd) - floats.Sum(x)/float64(ns)))
	}
	return m, nil
}

// ITIc fits the ITI-c baseline (Li et al., "Inference-Time Intervention",
// classifier direction, as compared in the AcT paper): the unit normal n of
// the separating hyperplane of an L2-regularised logistic regression that
// tells target (label 1) from source (label 0) responses, pointing towards
// the target, and the map
//
//	T(z) = z + beta·n,  i.e. w = 1, b = beta·n, no support bounds.
//
// The classifier is fitted by our own code: mean log-loss plus
// l2/2·‖weights‖² (bias not penalised), minimised with gonum's L-BFGS on
// standardised units; the normal is mapped back to raw units and
// normalised. beta = 0 picks the distance between the class means along n,
// so that λ = 1 moves the source mean's projection onto the target mean's.
// ITIc also returns n.
func ITIc(src, dst [][]float32, beta, l2 float64) (*transport.Map, []float64, error) {
	ns, nd, d, err := pair(src, dst)
	if err != nil {
		return nil, nil, fmt.Errorf("estimate: itic: %w", err)
	}
	if l2 < 0 || math.IsNaN(l2) {
		return nil, nil, fmt.Errorf("estimate: itic: l2 penalty %g must be ≥ 0", l2)
	}
	n := ns + nd
	// Standardise each unit over both sets so that L-BFGS is well conditioned.
	mu, sd := make([]float64, d), make([]float64, d)
	col := make([]float64, n)
	for j := range d {
		column(col[:ns], src, j)
		column(col[ns:], dst, j)
		m, s := meanStd(col)
		mu[j], sd[j] = m, s
		if sd[j] == 0 {
			sd[j] = 1
		}
	}
	xs := make([][]float64, n)
	labels := make([]float64, n)
	for i := range n {
		row, lab := src, 0.0
		k := i
		if i >= ns {
			row, lab, k = dst, 1, i-ns
		}
		xs[i] = make([]float64, d)
		for j := range d {
			xs[i][j] = (float64(row[k][j]) - mu[j]) / sd[j]
		}
		labels[i] = lab
	}
	// Parameters: d weights, then the bias.
	loss := func(grad, p []float64) float64 {
		if grad != nil {
			clear(grad)
		}
		var f float64
		for i, x := range xs {
			z := p[d] + floats.Dot(p[:d], x)
			// log(1+e^z) − y·z, computed stably.
			f += softplus(z) - labels[i]*z
			if grad != nil {
				g := sigmoid(z) - labels[i]
				floats.AddScaled(grad[:d], g, x)
				grad[d] += g
			}
		}
		f /= float64(n)
		if grad != nil {
			floats.Scale(1/float64(n), grad)
			floats.AddScaled(grad[:d], l2, p[:d])
		}
		return f + l2/2*floats.Dot(p[:d], p[:d])
	}
	prob := optimize.Problem{
		Func: func(p []float64) float64 { return loss(nil, p) },
		Grad: func(g, p []float64) { loss(g, p) },
	}
	res, err := optimize.Minimize(prob, make([]float64, d+1), &optimize.Settings{GradientThreshold: 1e-8, MajorIterations: 1000}, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, nil, fmt.Errorf("estimate: itic: logistic regression: %w", err)
	}
	// The hyperplane p·(x−mu)/sd + bias = 0 has raw-space normal p/sd.
	normal := make([]float64, d)
	for j := range d {
		normal[j] = res.X[j] / sd[j]
	}
	norm := floats.Norm(normal, 2)
	if norm == 0 || math.IsNaN(norm) {
		return nil, nil, fmt.Errorf("estimate: itic: the classifier found no direction (norm %g): are source and target identical?", norm)
	}
	floats.Scale(1/norm, normal)
	if beta == 0 {
		var ps, pd float64
		for _, r := range src {
			ps += dot32(normal, r)
		}
		for _, r := range dst {
			pd += dot32(normal, r)
		}
		beta = pd/float64(nd) - ps/float64(ns)
	}
	m := &transport.Map{W: make([]float32, d), B: make([]float32, d)}
	for j := range d {
		m.W[j], m.B[j] = 1, float32(beta*normal[j])
	}
	return m, normal, nil
}

func dot32(a []float64, b []float32) float64 {
	var s float64
	for i := range a {
		s += a[i] * float64(b[i])
	}
	return s
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}
