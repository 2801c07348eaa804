package act

// Map returns copies of the affine map of one point, as [Transport.Set]
// takes it: T(z) = w·z + b on each unit, applied only where lo < z < hi.
// lo or hi is nil when that side has no bound. For a piecewise-linear map
// ([FitExactOT]) w and b are its affine approximation. An unknown point
// panics, listing the transport's points.
func (t *Transport) Map(point string) (w, b, lo, hi []float32) {
	m, ok := t.must().Maps[point]
	if !ok {
		fail("transport: no map for point %q (have %v)", point, t.Points())
	}
	return clone32(m.W), clone32(m.B), clone32(m.Lo), clone32(m.Hi)
}
