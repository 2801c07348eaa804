package transport

import (
	"fmt"
	"sort"
)

// Knots is an optional monotone piecewise-linear map per unit (the exact
// 1-D optimal transport map): unit j maps X[j][k] to Y[j][k], linearly in
// between, with slope 1 beyond the outer knots. Every unit has the same
// number of knots (at least 2) and X[j] is non-decreasing.
//
// The engine's steering op applies only W and B for now; [Transport.Apply]
// applies Knots where present.
type Knots struct {
	X, Y [][]float32
}

// Units returns the number of units of the map.
func (m *Map) Units() int { return len(m.W) }

// Validate checks that W, B and the optional Lo, Hi and Knots agree in
// length and that knots are non-decreasing.
func (m *Map) Validate() error {
	n := len(m.W)
	if n == 0 {
		return fmt.Errorf("transport: map has no units")
	}
	if len(m.B) != n {
		return fmt.Errorf("transport: len(b)=%d, want len(w)=%d", len(m.B), n)
	}
	if m.Lo != nil && len(m.Lo) != n {
		return fmt.Errorf("transport: len(lo)=%d, want len(w)=%d", len(m.Lo), n)
	}
	if m.Hi != nil && len(m.Hi) != n {
		return fmt.Errorf("transport: len(hi)=%d, want len(w)=%d", len(m.Hi), n)
	}
	if k := m.Knots; k != nil {
		if len(k.X) != n || len(k.Y) != n {
			return fmt.Errorf("transport: knots cover %d and %d units, want %d", len(k.X), len(k.Y), n)
		}
		nk := len(k.X[0])
		if nk < 2 {
			return fmt.Errorf("transport: %d knots per unit, want at least 2", nk)
		}
		for j := range n {
			if len(k.X[j]) != nk || len(k.Y[j]) != nk {
				return fmt.Errorf("transport: unit %d has %d x and %d y knots, want %d", j, len(k.X[j]), len(k.Y[j]), nk)
			}
			for i := 1; i < nk; i++ {
				if !(k.X[j][i] >= k.X[j][i-1]) {
					return fmt.Errorf("transport: unit %d knot x[%d]=%g < x[%d]=%g: knots must be non-decreasing", j, i, k.X[j][i], i-1, k.X[j][i-1])
				}
			}
		}
	}
	return nil
}

// T returns the map of unit j at z, ignoring the support: the knots'
// piecewise-linear interpolation if present, else W[j]·z + B[j].
func (m *Map) T(j int, z float32) float32 {
	if m.Knots == nil {
		return m.W[j]*z + m.B[j]
	}
	x, y := m.Knots.X[j], m.Knots.Y[j]
	last := len(x) - 1
	if z <= x[0] {
		return z - x[0] + y[0]
	}
	if z >= x[last] {
		return z - x[last] + y[last]
	}
	// First knot strictly above z; x[i-1] ≤ z < x[i].
	i := sort.Search(len(x), func(i int) bool { return x[i] > z })
	x0, x1, y0, y1 := x[i-1], x[i], y[i-1], y[i]
	return y0 + (z-x0)*(y1-y0)/(x1-x0)
}

// Inside reports whether z lies strictly inside unit j's support.
func (m *Map) Inside(j int, z float32) bool {
	return (m.Lo == nil || m.Lo[j] < z) && (m.Hi == nil || z < m.Hi[j])
}

// ApplyTo writes the map with strength s applied to z [unit] into dst
// (allocating when dst is nil) and returns dst:
//
//	dst = s·T(z) + (1 − s)·z where lo < z < hi, else z.
//
// Computation is in float32, in that order, as ml-act's hooks do it.
func (m *Map) ApplyTo(dst, z []float32, s float32) []float32 {
	if dst == nil {
		dst = make([]float32, len(z))
	}
	for j, v := range z {
		if m.Inside(j, v) {
			dst[j] = s*m.T(j, v) + (1-s)*v
		} else {
			dst[j] = v
		}
	}
	return dst
}

// Apply applies the map of point to z [position][unit] with strength s, at
// every position or, with lastOnly, only at the last one (the others are
// copied unchanged). It returns a new matrix.
func (t *Transport) Apply(point string, z [][]float32, s float32, lastOnly bool) ([][]float32, error) {
	m, ok := t.Maps[point]
	if !ok {
		return nil, fmt.Errorf("transport: no map for point %q (have %v)", point, t.PointNames())
	}
	out := make([][]float32, len(z))
	for i, row := range z {
		if len(row) != m.Units() {
			return nil, fmt.Errorf("transport: apply %s: position %d has %d units, the map has %d", point, i, len(row), m.Units())
		}
		if lastOnly && i != len(z)-1 {
			out[i] = append([]float32(nil), row...)
			continue
		}
		out[i] = m.ApplyTo(nil, row, s)
	}
	return out, nil
}

// PointNames returns the points that have a map: those of Points in order,
// then any others in Maps sorted by name.
func (t *Transport) PointNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, p := range t.Points {
		if _, ok := t.Maps[p]; ok && !seen[p] {
			names = append(names, p)
			seen[p] = true
		}
	}
	var rest []string
	for p := range t.Maps {
		if !seen[p] {
			rest = append(rest, p)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}

// Set stores the map of a point, appending the point to Points if new.
func (t *Transport) Set(point string, m *Map) {
	if t.Maps == nil {
		t.Maps = map[string]*Map{}
	}
	if _, ok := t.Maps[point]; !ok {
		t.Points = append(t.Points, point)
	}
	t.Maps[point] = m
}
