package act

import (
	"github.com/actsh/actsh/act/transport"
)

// Transport is a set of fitted (or hand-written) per-unit maps, one per
// intervention point, that [Model.Generate] and [Model.LogitsWith] apply
// with a strength λ:
//
//	out = λ·(w·z + b) + (1 − λ)·z   where lo < z < hi, else z.
//
// Build one with [NewTransport] and [Transport.Set], fit one with
// [FitLinearOT] and friends, or read one with [LoadTransport].
type Transport struct {
	t *transport.Transport
}

// NewTransport returns an empty transport, applied at every token position.
func NewTransport() *Transport {
	t := transport.New()
	t.Meta.Method = "affine"
	t.Meta.Position = "all"
	return &Transport{t: t}
}

// Set stores the affine map of one point: T(z) = w·z + b on each unit,
// applied only where lo < z < hi. w and b must have one entry per unit; lo
// and hi may be nil (no bound on that side), otherwise they have the same
// length too. Set copies its arguments.
func (t *Transport) Set(point string, w, b, lo, hi []float32) {
	if t == nil || t.t == nil {
		fail("transport is nil")
	}
	if point == "" {
		fail("set transport: empty point name")
	}
	n := len(w)
	if n == 0 {
		fail("set transport %s: w is empty", point)
	}
	if len(b) != n {
		fail("set transport %s: len(b)=%d, want len(w)=%d", point, len(b), n)
	}
	if lo != nil && len(lo) != n {
		fail("set transport %s: len(lo)=%d, want len(w)=%d (or nil)", point, len(lo), n)
	}
	if hi != nil && len(hi) != n {
		fail("set transport %s: len(hi)=%d, want len(w)=%d (or nil)", point, len(hi), n)
	}
	m := &transport.Map{W: clone32(w), B: clone32(b), Lo: clone32(lo), Hi: clone32(hi)}
	if t.t.Maps == nil {
		t.t.Maps = map[string]*transport.Map{}
	}
	if _, ok := t.t.Maps[point]; !ok {
		t.t.Points = append(t.t.Points, point)
	}
	t.t.Maps[point] = m
}

// raw returns the underlying transport (nil for a nil *Transport).
func (t *Transport) raw() *transport.Transport {
	if t == nil {
		return nil
	}
	return t.t
}

func clone32(x []float32) []float32 {
	if x == nil {
		return nil
	}
	return append([]float32(nil), x...)
}
