package estimate

import (
	"fmt"
	"slices"

	"github.com/actsh/actsh/act/transport"
)

// LinearOT fits Linear-AcT (ml-act's linear_ot): per unit, independently,
// sort the source values x and the target values y (1-D optimal transport
// pairs them by rank) and solve the least-squares line through the sorted
// pairs in float64:
//
//	w = Σ x̄·ȳ / Σ x̄²,  b = mean(y) − w·mean(x),  x̄ = x − mean(x), ȳ = y − mean(y).
//
// The map is T(z) = w·z + b, gated by the support named by support (see
// [Quantiles]; "" means q_0_100, ml-act's default for this method).
//
// Two deliberate differences from ml-act:
//
//   - ml-act adds 1e-8·randn noise to the sorted source before the sums. We
//     add none; a constant source unit (Σ x̄² = 0), where ml-act's result
//     is 0/0 turned into noise, gets w = 0, b = mean(y), which is what
//     ml-act's map gives on the constant value itself.
//   - ml-act refuses different source and target counts. We resample the
//     larger sorted set at the smaller count's evenly spaced quantile levels
//     k/(n−1) (torch.quantile linear interpolation) and pair them by rank.
func LinearOT(src, dst [][]float32, support string) (*transport.Map, error) {
	if support == "" {
		support = "q_0_100"
	}
	_, _, d, err := pair(src, dst)
	if err != nil {
		return nil, fmt.Errorf("estimate: linear_ot: %w", err)
	}
	qlo, qhi, err := supportLevels(support)
	if err != nil {
		return nil, fmt.Errorf("estimate: linear_ot: %w", err)
	}
	m := &transport.Map{W: make([]float32, d), B: make([]float32, d), Lo: make([]float32, d), Hi: make([]float32, d)}
	xs, ys := columns(src), columns(dst)
	parallel(d, func(j int) {
		x, y := xs[j], ys[j]
		slices.Sort(x)
		slices.Sort(y)
		m.Lo[j], m.Hi[j] = bounds(x, qlo, qhi, false)
		x, y = matchCounts(x, y)
		w, b := leastSquares(x, y)
		m.W[j], m.B[j] = float32(w), float32(b)
	})
	return m, nil
}

// matchCounts resamples the larger of two sorted sets to the smaller
// count.
func matchCounts(x, y []float64) ([]float64, []float64) {
	switch {
	case len(x) > len(y):
		x = resample(x, len(y))
	case len(y) > len(x):
		y = resample(y, len(x))
	}
	return x, y
}

// leastSquares fits y ≈ w·x + b; a constant x gives w = 0, b = mean(y).
func leastSquares(x, y []float64) (w, b float64) {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx float64
	for i := range x {
		dx := x[i] - mx
		sxy += dx * (y[i] - my)
		sxx += dx * dx
	}
	if sxx == 0 {
		return 0, my
	}
	w = sxy / sxx
	return w, my - w*mx
}

// ExactOT fits the exact 1-D optimal transport map per unit, of which
// Linear-AcT is the affine approximation: the monotone piecewise-linear map
// through the matched quantiles (Q_src(q_k), Q_dst(q_k)) at knots evenly
// spaced levels q_k = k/(knots−1), both quantile functions with
// torch.quantile's linear interpolation. knots ≤ 0 means min(N_src, N_dst),
// every sample; it is at least 2. Beyond the outer knots the map continues
// with slope 1 (a shift by the end knot's displacement); the default
// support "" is q_0_100, so by default those values are left alone anyway.
//
// The map's W and B hold the Linear-AcT fit of the same pairs, for
// consumers that can only apply affine maps (the engine's steering op, for
// now); [transport.Map.Knots] holds the exact map.
func ExactOT(src, dst [][]float32, knots int, support string) (*transport.Map, error) {
	if support == "" {
		support = "q_0_100"
	}
	ns, nd, d, err := pair(src, dst)
	if err != nil {
		return nil, fmt.Errorf("estimate: exact_ot: %w", err)
	}
	if knots <= 0 {
		knots = min(ns, nd)
	}
	knots = max(knots, 2)
	m, err := LinearOT(src, dst, support)
	if err != nil {
		return nil, fmt.Errorf("estimate: exact_ot: %w", err)
	}
	k := &transport.Knots{X: make([][]float32, d), Y: make([][]float32, d)}
	xcols, ycols := columns(src), columns(dst)
	for j := range d {
		x, y := xcols[j], ycols[j]
		slices.Sort(x)
		slices.Sort(y)
		xs, ys := resample(x, knots), resample(y, knots)
		k.X[j], k.Y[j] = make([]float32, knots), make([]float32, knots)
		for i := range knots {
			k.X[j][i], k.Y[j][i] = float32(xs[i]), float32(ys[i])
		}
	}
	m.Knots = k
	return m, nil
}
