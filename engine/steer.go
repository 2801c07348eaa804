package engine

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/act/transport"
)

// Steering is the intervention of a run: one map per point, a strength λ,
// and where it applies.
//
// For every unit d of a steered point's output z, at the selected positions,
//
//	out = λ·(W_d·z + B_d) + (1 − λ)·z   where Lo_d < z < Hi_d (strict)
//	out = z                               elsewhere, and everywhere when λ = 0
//
// Nil Lo or Hi means no bound on that side. A map with Knots uses its
// piecewise-linear T(z) instead of W·z + B (as transport.Map.T). The maps
// and λ are graph parameters: changing their values never recompiles.
type Steering struct {
	// Maps holds one per-unit affine map per intervention point.
	Maps map[string]*transport.Map
	// Strength is λ, usually in [0, 1].
	Strength float32
	// LastOnly applies the maps only at the last real token of each
	// sequence in each forward pass (during generation: the last prompt
	// token, then every generated token); otherwise at every real token.
	LastOnly bool
}

// mapKind names the graph form of a map: "affine" (W·z + B) or "knots/K"
// (a piecewise-linear map with K knots per unit). The kind is part of the
// compiled-graph key, so a new form adds inputs without changing callers.
func mapKind(m *transport.Map) string {
	if m != nil && m.Knots != nil && len(m.Knots.X) > 0 {
		return fmt.Sprintf("knots/%d", len(m.Knots.X[0]))
	}
	return "affine"
}

// steerInputs are the graph parameters of one steered point: w and b
// [width] for an affine map, or knots x and y [width, K]; lo and hi [width].
type steerInputs struct {
	w, b, lo, hi   *Node
	knotsX, knotsY *Node
}

func newSteerInputs(g *Graph, name string, width int, kind string) *steerInputs {
	s := shapes.Make(dtypes.Float32, width)
	in := &steerInputs{}
	var k int
	if _, err := fmt.Sscanf(kind, "knots/%d", &k); err == nil {
		ks := shapes.Make(dtypes.Float32, width, k)
		in.knotsX = Parameter(g, "steer.x."+name, ks)
		in.knotsY = Parameter(g, "steer.y."+name, ks)
	} else {
		in.w = Parameter(g, "steer.w."+name, s)
		in.b = Parameter(g, "steer.b."+name, s)
	}
	in.lo = Parameter(g, "steer.lo."+name, s)
	in.hi = Parameter(g, "steer.hi."+name, s)
	return in
}

// apply is the steering op on z [B, T, D]. Selecting z where the gate is
// false (λ = 0 included) keeps unsteered values bit-identical.
func (s *steerInputs) apply(z, lambda, selected *Node) *Node {
	dims := z.Shape().Dimensions
	B, T, D := dims[0], dims[1], dims[2]
	vec := func(x *Node) *Node { return BroadcastToDims(Reshape(x, 1, 1, D), B, T, D) }
	lam := BroadcastToDims(lambda, B, T, D)
	var mapped *Node
	if s.knotsX != nil {
		mapped = piecewise(z, s.knotsX, s.knotsY)
	} else {
		mapped = Add(Mul(vec(s.w), z), vec(s.b))
	}
	steered := Add(Mul(lam, mapped), Mul(OneMinus(lam), z))
	gate := LogicalAnd(GreaterThan(z, vec(s.lo)), LessThan(z, vec(s.hi)))
	gate = LogicalAnd(gate, BroadcastToDims(Reshape(selected, B, T, 1), B, T, D))
	gate = LogicalAnd(gate, NotEqual(lam, ZerosLike(lam)))
	return Where(gate, steered, z)
}

// piecewise evaluates per unit d the monotone piecewise-linear map through
// the knots (x[d][k], y[d][k]) at z [B, T, D]: slope 1 beyond the outer
// knots, y0 + (z − x0)·(y1 − y0)/(x1 − x0) on the segment with
// x0 ≤ z < x1 (the first knot above z is found by binary search).
func piecewise(z, x, y *Node) *Node {
	g := z.Graph()
	dims := z.Shape().Dimensions
	B, T, D := dims[0], dims[1], dims[2]
	K := x.Shape().Dimensions[1]
	unit := Iota(g, shapes.Make(dtypes.Int32, B, T, D), 2)
	at := func(tab, idx *Node) *Node { // tab[d, idx[b,t,d]]
		// Flattened: the pure-Go backend wants the index axis within the
		// table's rank.
		pairs := Reshape(Stack([]*Node{unit, idx}, -1), B*T*D, 2)
		return Reshape(Gather(tab, pairs), B, T, D)
	}
	full := func(v int) *Node { return BroadcastToDims(Const(g, int32(v)), B, T, D) }
	// count = #{k : x[d][k] ≤ z}, by bisection on the non-decreasing knots:
	// ⌊log2 K⌋ + 1 halvings settle its K + 1 possible values.
	lo, hi := full(0), full(K)
	for n := K; n > 0; n /= 2 {
		open := LessThan(lo, hi)
		mid := DivScalar(Add(lo, hi), 2)
		le := LessOrEqual(at(x, Min(mid, full(K-1))), z)
		lo = Where(LogicalAnd(open, le), AddScalar(mid, 1), lo)
		hi = Where(LogicalAnd(open, LogicalNot(le)), mid, hi)
	}
	i := Max(Min(lo, full(K-1)), full(1))
	x0, x1 := at(x, SubScalar(i, 1)), at(x, i)
	y0, y1 := at(y, SubScalar(i, 1)), at(y, i)
	inner := Add(y0, Div(Mul(Sub(z, x0), Sub(y1, y0)), Sub(x1, x0)))
	first, last := at(x, full(0)), at(x, full(K-1))
	yFirst, yLast := at(y, full(0)), at(y, full(K-1))
	out := Where(GreaterOrEqual(z, last), Add(Sub(z, last), yLast), inner)
	return Where(LessOrEqual(z, first), Add(Sub(z, first), yFirst), out)
}

// steerTensors checks a map against the point width and returns its input
// tensors in the order of newSteerInputs: w, b (or knots x, y), lo, hi, with
// infinite bounds where Lo or Hi is nil.
func steerTensors(point string, m *transport.Map, width int) ([]*tensors.Tensor, error) {
	if m == nil {
		return nil, fmt.Errorf("engine: steering map for %s is nil", point)
	}
	if len(m.W) != width {
		return nil, fmt.Errorf("engine: steering map for %s: W has %d values, the point has %d units", point, len(m.W), width)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("engine: steering map for %s: %w", point, err)
	}
	bound := func(v []float32, def float32) []float32 {
		if v != nil {
			return append([]float32(nil), v...)
		}
		out := make([]float32, width)
		for i := range out {
			out[i] = def
		}
		return out
	}
	vec := func(v []float32) *tensors.Tensor { return tensors.FromFlatDataAndDimensions(v, width) }
	var out []*tensors.Tensor
	if k := m.Knots; k != nil {
		K := len(k.X[0])
		xs, ys := make([]float32, 0, width*K), make([]float32, 0, width*K)
		for j := range width {
			xs = append(xs, k.X[j]...)
			ys = append(ys, k.Y[j]...)
		}
		out = append(out, tensors.FromFlatDataAndDimensions(xs, width, K), tensors.FromFlatDataAndDimensions(ys, width, K))
	} else {
		out = append(out, vec(append([]float32(nil), m.W...)), vec(append([]float32(nil), m.B...)))
	}
	return append(out, vec(bound(m.Lo, float32(math.Inf(-1)))), vec(bound(m.Hi, float32(math.Inf(1))))), nil
}
