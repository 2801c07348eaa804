// Package estimate fits Activation Transport maps from source and target
// responses: matrices [sample][unit] of pooled activations at one
// intervention point. Every estimator returns a [transport.Map], the
// per-unit affine map T(z) = w·z + b with an optional support lo < z < hi,
// and reproduces apple/ml-act's numbers on the same inputs (checked against
// its own fits in testdata/reference/act). Statistics are computed in
// float64 and stored in float32; errors are returned, never panicked.
//
// # Methods
//
//   - [LinearOT] (ml-act's linear_ot, Linear-AcT): per unit, least squares
//     through the sorted source and target values. No noise is added (ml-act
//     adds 1e-8·randn); a constant source unit gets w = 0, b = mean(target).
//     Different counts are accepted: the larger sorted set is resampled at
//     the smaller count's quantile levels (ml-act refuses).
//   - [MeanOT] (mean_ot, Mean-AcT): T(z) = z + mu2 − mu1.
//   - [GaussianOT] (gaussian_ot): T(z) = (std2/std1)·(z − mu1) + mu2, with
//     unbiased stds; both leave units with a std ≤ [StdThreshold] unchanged.
//     [FitGaussian] returns the moments and the mask.
//   - [AurA] (aura): dampening w = 1 − 2·(auroc − 0.5) where the unit's
//     [AUROC] exceeds 0.5, b = 0, no support.
//   - [ActAdd]: w = 1, b = beta·(a⁺ − a⁻) from one prompt pair.
//   - [ITIc]: w = 1, b = beta·n, n the unit normal of an L2-regularised
//     logistic regression fitted with gonum's L-BFGS.
//   - [ExactOT]: beyond the paper, the exact 1-D optimal transport map per
//     unit, monotone piecewise linear through matched quantiles, stored as
//     [transport.Knots] alongside its affine approximation.
//
// # Supports
//
// [Quantiles] computes the support interval named "q_all" (the strict
// interval (−1e6, 1e6), ml-act's "no gating"), "q_0_100" (the source
// minimum and maximum) or "q_A_B" (the A % and B % source quantiles,
// torch.quantile's linear interpolation); [Supports] lists the names.
// Gating is strict: a value equal to a bound is not moved. ml-act's
// defaults are q_0_100 for Linear-AcT and q_all for the others, which the
// estimators use for an empty support name.
//
// # Pooling
//
// [Pool] reduces one sequence's per-token activations to one vector over
// its valid (non-padding) positions: mean, max, min, median or last, as
// ml-act's pooling ops do. ml-act pools with mean for the OT methods and
// with max for AurA.
package estimate
