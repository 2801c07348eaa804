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
// Nil Lo or Hi means no bound on that side. The maps and λ are graph
// parameters: changing their values never recompiles.
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

// mapKind names the graph form of a map. Only "affine" exists; a later
// piecewise-linear map gets its own kind (and its own inputs) without
// changing callers, since the kind is part of the compiled-graph key.
func mapKind(*transport.Map) string { return "affine" }

// steerInputs are the graph parameters of one steered point.
type steerInputs struct {
	w, b, lo, hi *Node // float32 [width]
}

func newSteerInputs(g *Graph, name string, width int) *steerInputs {
	s := shapes.Make(dtypes.Float32, width)
	return &steerInputs{
		w:  Parameter(g, "steer.w."+name, s),
		b:  Parameter(g, "steer.b."+name, s),
		lo: Parameter(g, "steer.lo."+name, s),
		hi: Parameter(g, "steer.hi."+name, s),
	}
}

// apply is the steering op on z [B, T, D]. Selecting z where the gate is
// false (λ = 0 included) keeps unsteered values bit-identical.
func (s *steerInputs) apply(z, lambda, selected *Node) *Node {
	dims := z.Shape().Dimensions
	B, T, D := dims[0], dims[1], dims[2]
	vec := func(x *Node) *Node { return BroadcastToDims(Reshape(x, 1, 1, D), B, T, D) }
	lam := BroadcastToDims(lambda, B, T, D)
	mapped := Add(Mul(vec(s.w), z), vec(s.b))
	steered := Add(Mul(lam, mapped), Mul(OneMinus(lam), z))
	gate := LogicalAnd(GreaterThan(z, vec(s.lo)), LessThan(z, vec(s.hi)))
	gate = LogicalAnd(gate, BroadcastToDims(Reshape(selected, B, T, 1), B, T, D))
	gate = LogicalAnd(gate, NotEqual(lam, ZerosLike(lam)))
	return Where(gate, steered, z)
}

// steerTensors checks a map against the point width and returns the four
// input tensors (infinite bounds where Lo or Hi is nil).
func steerTensors(point string, m *transport.Map, width int) ([]*tensors.Tensor, error) {
	if m == nil {
		return nil, fmt.Errorf("engine: steering map for %s is nil", point)
	}
	fill := func(v []float32, what string, def float32) ([]float32, error) {
		if v == nil && def != 0 {
			out := make([]float32, width)
			for i := range out {
				out[i] = def
			}
			return out, nil
		}
		if len(v) != width {
			return nil, fmt.Errorf("engine: steering map for %s: %s has %d values, the point has %d units", point, what, len(v), width)
		}
		return v, nil
	}
	w, err := fill(m.W, "W", 0)
	if err != nil {
		return nil, err
	}
	b, err := fill(m.B, "B", 0)
	if err != nil {
		return nil, err
	}
	lo, err := fill(m.Lo, "Lo", float32(math.Inf(-1)))
	if err != nil {
		return nil, err
	}
	hi, err := fill(m.Hi, "Hi", float32(math.Inf(1)))
	if err != nil {
		return nil, err
	}
	out := make([]*tensors.Tensor, 4)
	for i, v := range [][]float32{w, b, lo, hi} {
		out[i] = tensors.FromFlatDataAndDimensions(append([]float32(nil), v...), width)
	}
	return out, nil
}
