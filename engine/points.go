package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Points is the intervention-point machinery of one graph being built: the
// steering maps of the steered points and the captures. Every kind of
// model shares it — the causal LMs and encoders through [Pass] (which
// embeds it), standalone graphs such as the diffusion UNet through
// [PointPlan.Build] — so a point behaves the same whatever model it is in.
//
// A point's value is either a sequence of vectors, z [B, T, D], steered per
// position and unit (at the selected positions, see [Steering]); or a
// feature map, z [B, C, H, W], steered as ml-act's transport hooks do for
// diffusion models: the map acts on m, the spatial mean of each channel,
// and every position moves by the same amount,
//
//	m   = mean of z over H and W                      [B, C]
//	out = z + λ·(T(m) − m)   where Lo_c < m < Hi_c    (strict)
//	out = z                  elsewhere, and when λ = 0
//
// so the deviations z − m of each position from its channel's mean are
// kept. The width of a feature-map point is its channel count.
type Points struct {
	steer    map[string]*steerInputs
	lambda   *Node // float32 scalar
	selected *Node // bool [Batch, Len] for sequence points; nil: every position

	capture  map[string]bool
	order    []string // capture order
	captured map[string]*Node
}

// Point marks z as the value of the intervention point name: it applies
// the steering map of that point when one is active, records the (steered)
// value when it is captured, and returns the value the model must continue
// with. z is [B, T, D] or [B, C, H, W].
func (p *Points) Point(name string, z *Node) *Node {
	if s, ok := p.steer[name]; ok {
		switch z.Rank() {
		case 3:
			sel := p.selected
			if sel == nil {
				d := z.Shape().Dimensions
				sel = Ones(z.Graph(), shapes.Make(dtypes.Bool, d[0], d[1]))
			}
			z = s.apply(z, p.lambda, sel)
		case 4:
			z = s.applyMap(z, p.lambda)
		default:
			panic(fmt.Sprintf("engine: point %s has rank %d; points are [B, T, D] or [B, C, H, W]", name, z.Rank()))
		}
	}
	if p.capture[name] {
		p.captured[name] = z
	}
	return z
}

// Captured returns the captured values in the order of the plan's Capture
// list; an error names a point the graph never produced.
func (p *Points) Captured() ([]*Node, error) {
	out := make([]*Node, 0, len(p.order))
	for _, n := range p.order {
		z, ok := p.captured[n]
		if !ok {
			return nil, fmt.Errorf("engine: the graph never produced point %s", n)
		}
		out = append(out, z)
	}
	return out, nil
}

// applyMap is the feature-map rule on z [B, C, H, W] (see [Points]).
func (s *steerInputs) applyMap(z, lambda *Node) *Node {
	dims := z.Shape().Dimensions
	B, C := dims[0], dims[1]
	m := Reshape(ReduceMean(z, 2, 3), B, 1, C) // [B, 1, C]: the per-token rule on one "token"
	all := Ones(z.Graph(), shapes.Make(dtypes.Bool, B, 1))
	shift := Sub(s.apply(m, lambda, all), m) // λ·(T(m) − m) where the gate holds, else 0
	return Add(z, BroadcastToDims(Reshape(shift, B, C, 1, 1), dims...))
}

// PoolPoint reduces a point's value to one vector per batch item, [B, units]:
// over the positions of a [B, T, D] sequence or over H and W of a
// [B, C, H, W] feature map (ml-act's pooling ops in their "auto" mode).
// op is "mean", "max" or "min". Sequences with padding are pooled by
// [Model.Forward] instead, which knows the real tokens.
func PoolPoint(z *Node, op string) (*Node, error) {
	var axes []int
	switch z.Rank() {
	case 2:
		return z, nil
	case 3:
		axes = []int{1}
	case 4:
		axes = []int{2, 3}
	default:
		return nil, fmt.Errorf("engine: cannot pool a rank-%d value (want [B, T, D] or [B, C, H, W])", z.Rank())
	}
	switch op {
	case "mean":
		return ReduceMean(z, axes...), nil
	case "max":
		return ReduceMax(z, axes...), nil
	case "min":
		return ReduceMin(z, axes...), nil
	}
	return nil, fmt.Errorf("engine: pooling %q is not available here (want mean, max or min)", op)
}

// PointPlan is the steering and capture of one pass of a graph: which
// points are steered (sorted, with the graph form of each map, see
// mapKind) and which are captured. Everything else — the maps' values, λ —
// is a graph input, so a plan's graph is compiled once and reused.
type PointPlan struct {
	Steer   []string
	Kinds   map[string]string
	Capture []string
}

// PlanPoints returns the plan of a pass with steering s (nil: none) and
// the captured points (sorted, repeats dropped).
func PlanPoints(s *Steering, capture []string) PointPlan {
	pl := PointPlan{Kinds: map[string]string{}}
	if s != nil {
		for name, m := range s.Maps {
			pl.Steer = append(pl.Steer, name)
			pl.Kinds[name] = mapKind(m)
		}
		sort.Strings(pl.Steer)
	}
	pl.Capture = append([]string(nil), capture...)
	sort.Strings(pl.Capture)
	pl.Capture = dedup(pl.Capture)
	return pl
}

// Key identifies the plan's graph: part of a compiled-graph cache key.
func (pl PointPlan) Key() string {
	sk := make([]string, len(pl.Steer))
	for i, n := range pl.Steer {
		sk[i] = n + "=" + pl.Kinds[n]
	}
	return strings.Join(sk, ",") + "|" + strings.Join(pl.Capture, ",")
}

// Build declares the plan's graph parameters in g — λ, then each steered
// point's map inputs in Steer order — and returns the Points that the graph
// builder calls Point on. width(name) is a point's unit count. Every
// position of a sequence point is steered (standalone graphs have no
// padding and no generation).
func (pl PointPlan) Build(g *Graph, width func(string) int) *Points {
	p := &Points{
		lambda:   Parameter(g, "lambda", shapes.Make(dtypes.Float32)),
		steer:    map[string]*steerInputs{},
		capture:  map[string]bool{},
		order:    pl.Capture,
		captured: map[string]*Node{},
	}
	for _, n := range pl.Steer {
		p.steer[n] = newSteerInputs(g, n, width(n), pl.Kinds[n])
	}
	for _, n := range pl.Capture {
		p.capture[n] = true
	}
	return p
}

// Inputs returns the values of the parameters Build declared, in the same
// order: λ (0 without steering), then each steered point's map tensors.
func (pl PointPlan) Inputs(s *Steering, width func(string) int) ([]*tensors.Tensor, error) {
	var lambda float32
	if s != nil {
		lambda = s.Strength
	}
	out := []*tensors.Tensor{tensors.FromScalar(lambda)}
	for _, n := range pl.Steer {
		ts, err := steerTensors(n, s.Maps[n], width(n))
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}
