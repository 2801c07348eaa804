package estimate

import (
	"fmt"

	"github.com/actsh/actsh/act/transport"
)

// StdThreshold is the smallest standard deviation, on either side, for
// which Gaussian OT and Mean-AcT move a unit: units with std ≤ StdThreshold
// on the source or the target keep the identity map (ml-act's mask).
const StdThreshold = 1e-4

// Gaussian holds the per-unit moments Gaussian OT and Mean-AcT are fitted
// from: means and unbiased standard deviations of the source (Mu1, Std1)
// and target (Mu2, Std2), computed in float64 and rounded to float32, and
// Mask, true where both stds exceed [StdThreshold].
type Gaussian struct {
	Mu1, Std1, Mu2, Std2 []float32
	Mask                 []bool
}

// FitGaussian computes the per-unit moments of src and dst [sample][unit].
// The two sides may have different counts.
func FitGaussian(src, dst [][]float32) (*Gaussian, error) {
	ns, nd, d, err := pair(src, dst)
	if err != nil {
		return nil, fmt.Errorf("estimate: gaussian moments: %w", err)
	}
	g := &Gaussian{
		Mu1: make([]float32, d), Std1: make([]float32, d),
		Mu2: make([]float32, d), Std2: make([]float32, d),
		Mask: make([]bool, d),
	}
	x, y := make([]float64, ns), make([]float64, nd)
	for j := range d {
		column(x, src, j)
		column(y, dst, j)
		m1, s1 := meanStd(x)
		m2, s2 := meanStd(y)
		g.Mu1[j], g.Std1[j], g.Mu2[j], g.Std2[j] = float32(m1), float32(s1), float32(m2), float32(s2)
		g.Mask[j] = g.Std1[j] > StdThreshold && g.Std2[j] > StdThreshold
	}
	return g, nil
}

// GaussianOT fits the optimal transport between two per-unit Gaussians
// (ml-act's gaussian_ot):
//
//	T(z) = (std2/std1)·(z − mu1) + mu2,  i.e. w = std2/std1, b = mu2 − w·mu1,
//
// with the identity (w = 1, b = 0) on units masked by [StdThreshold]. The
// support "" means q_all, ml-act's default for this method.
func GaussianOT(src, dst [][]float32, support string) (*transport.Map, error) {
	return gaussianMap("gaussian_ot", src, dst, support, true)
}

// MeanOT fits Mean-AcT (ml-act's mean_ot): a shift by the difference of
// means, T(z) = z − mu1 + mu2 (w = 1, b = mu2 − mu1), with the identity on
// units masked by [StdThreshold]. The support "" means q_all.
func MeanOT(src, dst [][]float32, support string) (*transport.Map, error) {
	return gaussianMap("mean_ot", src, dst, support, false)
}

func gaussianMap(method string, src, dst [][]float32, support string, scale bool) (*transport.Map, error) {
	if support == "" {
		support = "q_all"
	}
	g, err := FitGaussian(src, dst)
	if err != nil {
		return nil, fmt.Errorf("estimate: %s: %w", method, err)
	}
	lo, hi, err := quantiles(support, src, true)
	if err != nil {
		return nil, fmt.Errorf("estimate: %s: %w", method, err)
	}
	d := len(g.Mu1)
	m := &transport.Map{W: make([]float32, d), B: make([]float32, d), Lo: lo, Hi: hi}
	for j := range d {
		if !g.Mask[j] {
			m.W[j], m.B[j] = 1, 0
			continue
		}
		w := float32(1)
		if scale {
			w = g.Std2[j] / g.Std1[j]
		}
		// In float32 like ml-act's hook: w·z + (mu2 − w·mu1).
		m.W[j], m.B[j] = w, g.Mu2[j]-w*g.Mu1[j]
	}
	return m, nil
}
