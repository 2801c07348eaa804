package act

import (
	"fmt"
	"strings"

	"github.com/actsh/actsh/act/estimate"
	"github.com/actsh/actsh/act/transport"
)

// Methods lists the method names [Fit] accepts, as ml-act's configs spell
// them (plus actadd, itic and exact_ot, which ml-act lacks).
var Methods = []string{"linear_ot", "mean_ot", "gaussian_ot", "aura", "actadd", "itic", "exact_ot", "none"}

// exactOTKnots caps the knots per unit of [FitExactOT].
const exactOTKnots = 256

// FitLinearOT fits Linear-AcT on every point of r: per unit, the
// least-squares line through the sorted source and target values,
// T(z) = w·z + b, applied where lo < z < hi. Options: Support (default
// "q_0_100"), Position ("all" or "last", default "all"). Unlike ml-act,
// different source and target counts are accepted: the larger sorted set
// is resampled at the smaller count's quantile levels.
func FitLinearOT(r *Responses, opts ...Option) *Transport {
	return fitEach(r, "linear_ot", opts, func(src, dst [][]float32, o options) (*transport.Map, error) {
		return estimate.LinearOT(src, dst, o.support)
	})
}

// FitMeanOT fits Mean-AcT: T(z) = z + (mean(target) − mean(source)) on
// every unit whose source and target stds exceed 1e-4 (others unchanged).
// Options: Support (default "q_all"), Position.
func FitMeanOT(r *Responses, opts ...Option) *Transport {
	return fitEach(r, "mean_ot", opts, func(src, dst [][]float32, o options) (*transport.Map, error) {
		return estimate.MeanOT(src, dst, o.support)
	})
}

// FitGaussianOT fits the optimal transport between per-unit Gaussians:
// T(z) = (std2/std1)·(z − mu1) + mu2 on every unit whose stds exceed 1e-4.
// Options: Support (default "q_all"), Position.
func FitGaussianOT(r *Responses, opts ...Option) *Transport {
	return fitEach(r, "gaussian_ot", opts, func(src, dst [][]float32, o options) (*transport.Map, error) {
		return estimate.GaussianOT(src, dst, o.support)
	})
}

// FitAurA fits AurA: each unit whose AUROC (source vs target) exceeds 0.5
// is dampened, T(z) = alpha·z with alpha = 1 − 2·(auroc − 0.5); no support.
// ml-act pools AurA's responses with "max". Options: Position.
func FitAurA(r *Responses, opts ...Option) *Transport {
	return fitEach(r, "aura", opts, func(src, dst [][]float32, o options) (*transport.Map, error) {
		m, _, err := estimate.AurA(src, dst)
		return m, err
	})
}

// FitActAdd fits the ActAdd baseline: the steering vector
// b = beta·(a⁺ − a⁻) added to every unit, T(z) = z + b, no support. a⁺ is
// the target response and a⁻ the source response of one prompt pair (build
// r with ResponsesOf(point, [][]float32{a_minus}, [][]float32{a_plus}) or
// pool with "last"); with more samples, the means are used. So λ·beta
// scales the vector. Options: Position.
func FitActAdd(r *Responses, beta float64, opts ...Option) *Transport {
	return fitEach(r, "actadd", opts, func(src, dst [][]float32, o options) (*transport.Map, error) {
		return estimate.ActAdd(src, dst, beta)
	})
}

// FitITI fits the ITI-c baseline: the unit normal n of an L2-regularised
// (0.01) logistic-regression hyperplane between source and target, towards
// the target, added as T(z) = z + beta·n, no support. beta = 0 picks the
// distance between the class means along n, so that λ = 1 moves the source
// mean's projection onto the target mean's. Options: Position.
func FitITI(r *Responses, beta float64, opts ...Option) *Transport {
	return fitEach(r, "itic", opts, func(src, dst [][]float32, o options) (*transport.Map, error) {
		m, _, err := estimate.ITIc(src, dst, beta, 0.01)
		return m, err
	})
}

// FitExactOT fits the exact 1-D optimal transport map per unit: the
// monotone piecewise-linear map through matched source and target quantiles
// (min(N_src, N_dst, 256) knots), of which Linear-AcT is the affine
// approximation. [Transport.Apply] applies it exactly; the engine's
// steering op (Generate, LogitsWith) applies the Linear-AcT approximation
// stored alongside until it supports knots. Options: Support (default
// "q_0_100"), Position.
func FitExactOT(r *Responses, opts ...Option) *Transport {
	return fitEach(r, "exact_ot", opts, func(src, dst [][]float32, o options) (*transport.Map, error) {
		return estimate.ExactOT(src, dst, min(len(src), len(dst), exactOTKnots), o.support)
	})
}

// Fit fits the method named by method on every point of r: one of
// "linear_ot", "mean_ot", "gaussian_ot", "aura", "actadd" (beta 1), "itic"
// (beta chosen as in [FitITI]), "exact_ot" or "none" (the identity). It
// reads the options of the method's own Fit function.
func Fit(r *Responses, method string, opts ...Option) *Transport {
	switch method {
	case "linear_ot":
		return FitLinearOT(r, opts...)
	case "mean_ot":
		return FitMeanOT(r, opts...)
	case "gaussian_ot":
		return FitGaussianOT(r, opts...)
	case "aura":
		return FitAurA(r, opts...)
	case "actadd":
		beta := 1.0
		if o := collect(opts); o.betaSet {
			beta = o.beta
		}
		return FitActAdd(r, beta, opts...)
	case "itic":
		beta := 0.0
		if o := collect(opts); o.betaSet {
			beta = o.beta
		}
		return FitITI(r, beta, opts...)
	case "exact_ot":
		return FitExactOT(r, opts...)
	case "none":
		return fitEach(r, "none", opts, func(src, dst [][]float32, o options) (*transport.Map, error) {
			m := &transport.Map{W: make([]float32, len(src[0])), B: make([]float32, len(src[0]))}
			for j := range m.W {
				m.W[j] = 1
			}
			return m, nil
		})
	}
	fail("fit: unknown method %q (valid: %s)", method, strings.Join(Methods, ", "))
	return nil
}

// fitEach fits one map per point of r with fit, and fills the metadata.
func fitEach(r *Responses, method string, opts []Option, fit func(src, dst [][]float32, o options) (*transport.Map, error)) *Transport {
	o := collect(opts)
	set := r.set()
	if len(set.Points) == 0 {
		fail("fit %s: responses hold no points", method)
	}
	switch o.position {
	case "":
		o.position = "all"
	case "all", "last":
	default:
		fail("fit %s: position %q: want \"all\" or \"last\"", method, o.position)
	}
	if o.support == "" {
		o.support = defaultSupport(method)
	}
	t := transport.New()
	t.Meta = transport.Meta{
		Method:       method,
		Model:        set.Meta.Model,
		Family:       r.from.family,
		Architecture: r.from.arch,
		Pooling:      set.Meta.Pooling,
		Support:      o.support,
		Dataset:      set.Meta.Dataset,
		Source:       set.Meta.Source,
		Target:       set.Meta.Target,
		Position:     o.position,
	}
	if !supportMatters(method) {
		t.Meta.Support = ""
	}
	for _, p := range set.Points {
		if err := Context().Err(); err != nil {
			must(fmt.Errorf("fit %s: %w", method, err))
		}
		src, dst := r.point(p)
		m, err := fit(src, dst, o)
		if err != nil {
			must(fmt.Errorf("fit %s at %s: %w", method, p, err))
		}
		t.Set(p, m)
	}
	return &Transport{t: t}
}

// defaultSupport is ml-act's default support per method.
func defaultSupport(method string) string {
	switch method {
	case "linear_ot", "exact_ot":
		return "q_0_100"
	}
	return "q_all"
}

// supportMatters reports whether a method's maps use a support.
func supportMatters(method string) bool {
	switch method {
	case "aura", "actadd", "itic", "none":
		return false
	}
	return true
}
