package engine

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/act/transport"
)

// runPoints builds a one-point graph on x [B, C, H, W] (or [B, T, D]) with
// the plan of steering s and a capture of the point, and returns the
// point's output, its capture and its mean pooling.
func runPoints(t *testing.T, x []float32, dims []int, s *Steering) (out, captured, pooled []float32) {
	t.Helper()
	b, _, err := Backend()
	if err != nil {
		t.Fatal(err)
	}
	width := func(string) int { return dims[1] }
	if len(dims) == 3 {
		width = func(string) int { return dims[2] }
	}
	plan := PlanPoints(s, []string{"p"})
	g := NewGraph(b, "points_test")
	in := Parameter(g, "x", shapes.Make(dtypes.Float32, dims...))
	pts := plan.Build(g, width)
	y := pts.Point("p", in)
	caps, err := pts.Captured()
	if err != nil {
		t.Fatal(err)
	}
	pool, err := PoolPoint(caps[0], "mean")
	if err != nil {
		t.Fatal(err)
	}
	g.Compile(y, caps[0], pool)
	inputs := []any{tensors.FromFlatDataAndDimensions(x, dims...)}
	pin, err := plan.Inputs(s, width)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pin {
		inputs = append(inputs, p)
	}
	res := g.Run(inputs...)
	flat := func(r *tensors.Tensor) []float32 {
		return append([]float32(nil), tensors.MustCopyFlatData[float32](r)...)
	}
	return flat(res[0]), flat(res[1]), flat(res[2])
}

// TestFeatureMapPoint checks ml-act's rule for [B, C, H, W] points: the
// map acts on each channel's spatial mean and shifts every position alike,
// gated on the mean; capture and pooling see the steered value.
func TestFeatureMapPoint(t *testing.T) {
	const B, C, H, W = 2, 3, 2, 3
	x := make([]float32, B*C*H*W)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*1.7)) * 2
	}
	w := []float32{0.5, -1, 2}
	bias := []float32{0.1, 0.2, -0.3}
	lo := []float32{-10, -10, 5} // channel 2's mean is below its lower bound: not steered
	hi := []float32{10, 10, 10}
	const lambda = 0.7
	s := &Steering{Maps: map[string]*transport.Map{"p": {W: w, B: bias, Lo: lo, Hi: hi}}, Strength: lambda}
	out, captured, pooled := runPoints(t, x, []int{B, C, H, W}, s)
	for b := range B {
		for c := range C {
			base := (b*C + c) * H * W
			var m float64
			for k := range H * W {
				m += float64(x[base+k])
			}
			m /= H * W
			shift := 0.0
			if float32(m) > lo[c] && float32(m) < hi[c] {
				shift = lambda * (float64(w[c])*m + float64(bias[c]) - m)
			}
			for k := range H * W {
				want := float64(x[base+k]) + shift
				if d := math.Abs(float64(out[base+k]) - want); d > 1e-5 {
					t.Fatalf("b%d c%d pos %d: got %g, want %g", b, c, k, out[base+k], want)
				}
				if captured[base+k] != out[base+k] {
					t.Fatalf("capture differs from the point's output at b%d c%d", b, c)
				}
			}
			if d := math.Abs(float64(pooled[b*C+c]) - (m + shift)); d > 1e-5 {
				t.Fatalf("pooled b%d c%d: got %g, want %g", b, c, pooled[b*C+c], m+shift)
			}
		}
	}
	// λ = 0 and no steering are bit-identical to the input.
	for _, s := range []*Steering{nil, {Maps: s.Maps, Strength: 0}} {
		out, _, _ := runPoints(t, x, []int{B, C, H, W}, s)
		for i := range x {
			if out[i] != x[i] {
				t.Fatalf("unsteered output differs at %d: %g vs %g", i, out[i], x[i])
			}
		}
	}
}

// TestSequencePointStandalone checks that a [B, T, D] point in a
// standalone graph is steered at every position, per unit.
func TestSequencePointStandalone(t *testing.T) {
	const B, T, D = 1, 3, 2
	x := []float32{1, -2, 3, 0.5, -1, 4}
	s := &Steering{Maps: map[string]*transport.Map{"p": {W: []float32{2, 0}, B: []float32{1, 1}}}, Strength: 0.5}
	out, _, pooled := runPoints(t, x, []int{B, T, D}, s)
	for i, v := range x {
		d := i % D
		want := 0.5*(float64(s.Maps["p"].W[d])*float64(v)+float64(s.Maps["p"].B[d])) + 0.5*float64(v)
		if math.Abs(float64(out[i])-want) > 1e-6 {
			t.Fatalf("position %d unit %d: got %g, want %g", i/D, d, out[i], want)
		}
	}
	for d := range D {
		want := (float64(out[d]) + float64(out[D+d]) + float64(out[2*D+d])) / 3
		if math.Abs(float64(pooled[d])-want) > 1e-6 {
			t.Fatalf("pooled unit %d: got %g, want %g", d, pooled[d], want)
		}
	}
}

// TestPlanErrors: a map of the wrong width is refused with the point's
// name, and pooling a rank-5 value or with an unknown reduction errs.
func TestPlanErrors(t *testing.T) {
	s := &Steering{Maps: map[string]*transport.Map{"p": {W: []float32{1}, B: []float32{0}}}, Strength: 1}
	if _, err := PlanPoints(s, nil).Inputs(s, func(string) int { return 3 }); err == nil {
		t.Fatal("a 1-unit map on a 3-unit point was accepted")
	}
	if a, b := PlanPoints(s, []string{"b", "a", "b"}), PlanPoints(s, []string{"a", "b"}); a.Key() != b.Key() {
		t.Fatalf("capture order changes the key: %q vs %q", a.Key(), b.Key())
	}
	b, _, err := Backend()
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(b, "pool_err")
	if _, err := PoolPoint(Parameter(g, "x", shapes.Make(dtypes.Float32, 1, 1, 1, 1, 1)), "mean"); err == nil {
		t.Fatal("pooled a rank-5 value")
	}
	if _, err := PoolPoint(Parameter(g, "y", shapes.Make(dtypes.Float32, 1, 2, 3)), "median"); err == nil {
		t.Fatal("pooled with median in the graph")
	}
}
