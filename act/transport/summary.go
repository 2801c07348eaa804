package transport

import (
	"fmt"
	"math"
	"strings"
)

// Semantics returns one sentence saying what the strength λ does for a
// method's maps; it is stored in saved files and printed by String.
func Semantics(method string) string {
	switch method {
	case "mean_ot", "actadd", "itic":
		return "out = z + λ·b where lo < z < hi, else z (an additive map: w = 1)"
	case "aura":
		return "out = (1 − λ)·z + λ·w·z (a per-unit dampening, no support)"
	case "exact_ot":
		return "out = λ·T(z) + (1 − λ)·z where lo < z < hi, else z, with T the piecewise-linear map through the knots (engines without knot support apply the affine approximation w·z + b)"
	case "none":
		return "out = z (the identity)"
	}
	return "out = λ·(w·z + b) + (1 − λ)·z where lo < z < hi, else z"
}

// String returns a readable summary: the method and its metadata, then per
// point the number of units, the mean |w − 1|, the mean |b| and the
// support.
func (t *Transport) String() string {
	var sb strings.Builder
	m := t.Meta
	method := m.Method
	if method == "" {
		method = "affine"
	}
	points := t.PointNames()
	fmt.Fprintf(&sb, "transport %s", method)
	if m.Model != "" {
		fmt.Fprintf(&sb, " on %s", m.Model)
		if m.Family != "" {
			fmt.Fprintf(&sb, " (%s)", m.Family)
		}
	}
	fmt.Fprintf(&sb, ": %d point(s)", len(points))
	if m.Support != "" {
		fmt.Fprintf(&sb, ", support %s", m.Support)
	}
	if m.Pooling != "" {
		fmt.Fprintf(&sb, ", pooling %s", m.Pooling)
	}
	if m.Position != "" {
		fmt.Fprintf(&sb, ", position %s", m.Position)
	}
	if m.Dataset != "" || m.Source != "" || m.Target != "" {
		fmt.Fprintf(&sb, ", %s: %s → %s", orDash(m.Dataset), orDash(m.Source), orDash(m.Target))
	}
	fmt.Fprintf(&sb, "\n  %s\n", Semantics(method))
	for _, p := range points {
		mp := t.Maps[p]
		var dw, ab float64
		for j := range mp.W {
			dw += math.Abs(float64(mp.W[j]) - 1)
			ab += math.Abs(float64(mp.B[j]))
		}
		n := float64(max(len(mp.W), 1))
		bounds := supportWord(mp)
		knots := ""
		if mp.Knots != nil && len(mp.Knots.X) > 0 {
			knots = fmt.Sprintf(", %d knots", len(mp.Knots.X[0]))
		}
		fmt.Fprintf(&sb, "  %s: %d units, mean|w−1| %.4g, mean|b| %.4g, %s%s\n", p, len(mp.W), dw/n, ab/n, bounds, knots)
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// supportWord says whether a map gates: "unbounded" without bounds,
// "within ±1e6" for q_all's bounds, else "bounded".
func supportWord(m *Map) string {
	if m.Lo == nil && m.Hi == nil {
		return "unbounded"
	}
	for j := range m.W {
		if m.Lo != nil && m.Lo[j] > -1e6 || m.Hi != nil && m.Hi[j] < 1e6 {
			return "bounded"
		}
	}
	return "within ±1e6"
}
