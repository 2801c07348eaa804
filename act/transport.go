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
//
// A fitted transport records the model it was fitted on (see
// [Transport.Model]); steering another model with it panics with an error
// naming both models and the first point that differs, unless
// [Transport.ForModel] or [Transport.AllowAnyModel] allow it. Points and
// widths must always match the model.
type Transport struct {
	t *transport.Transport

	forModel string // a model accepted besides the recorded one (ForModel)
	anyModel bool   // every model with matching points and widths (AllowAnyModel)
}

// NewTransport returns an empty transport, applied at every token position.
// It records no model, so it steers any model whose points have as many
// units as its maps.
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
	t.t.Set(point, &transport.Map{W: clone32(w), B: clone32(b), Lo: clone32(lo), Hi: clone32(hi)})
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

// Apply returns the activations z [position][unit] of point moved by the
// transport with strength λ (lambda):
//
//	out = λ·T(z) + (1 − λ)·z   where lo < z < hi, else z,
//
// at every position, or only at the last one for a transport fitted with
// Position("last"). This is the map on raw activations, computed on the
// CPU; piecewise-linear maps (FitExactOT) are applied exactly.
func (t *Transport) Apply(point string, z [][]float32, lambda float64) [][]float32 {
	r := t.must()
	out, err := r.Apply(point, z, float32(lambda), r.Meta.Position == "last")
	must(err)
	return out
}

// Points returns the transport's intervention points in module order.
func (t *Transport) Points() []string { return t.must().PointNames() }

// Method returns the name of the method the transport was fitted with
// ("affine" for one built with [NewTransport]).
func (t *Transport) Method() string { return t.must().Meta.Method }

// String summarises the transport: method, model, support, what λ means,
// and per point the units, mean |w − 1| and mean |b|.
func (t *Transport) String() string {
	if t == nil || t.t == nil {
		return "transport <nil>"
	}
	return t.t.String()
}

// Save writes the transport to one .safetensors file (atomically), with
// its method, model (name, family and architecture), points, pooling,
// support, dataset and the meaning of λ in the header. [LoadTransport]
// reads it back identically. ForModel and AllowAnyModel are not saved.
func (t *Transport) Save(path string) {
	must(t.must().Save(path))
}

// LoadTransport reads a transport written by [Transport.Save].
func LoadTransport(path string) *Transport {
	r, err := transport.Load(path)
	must(err)
	return &Transport{t: r}
}

// Cost returns the transport cost of point on the source responses of r:
// the mean over samples of the squared displacement ‖T(z) − z‖² (summed
// over units, at λ = 1, where the support gates).
func (t *Transport) Cost(point string, r *Responses) float64 {
	d, err := t.must().Diagnose(point, r.Source(point))
	must(err)
	return d.Cost
}

// Coverage returns the fraction of the source values of point in r (samples
// × units) that lie strictly inside the support, i.e. that the transport
// moves.
func (t *Transport) Coverage(point string, r *Responses) float64 {
	d, err := t.must().Diagnose(point, r.Source(point))
	must(err)
	return d.Coverage
}

// Histogram draws a PNG at path with the histograms of one unit's source,
// target and transported source values (λ = 1) at point, from r.
func (t *Transport) Histogram(path, point string, unit int, r *Responses) {
	src, dst := r.point(point)
	must(t.must().HistogramPNG(path, point, unit, src, dst))
}

// ExportGGUF writes an additive transport (FitMeanOT with the default
// q_all support, FitActAdd, FitITI) as a llama.cpp control vector: one
// direction.{k} tensor per point, where k is the block whose output the
// point adds into (model.layers.{k}, its mlp or mlp.down_proj,
// post_feedforward_layernorm; transformer.h.{k}, its mlp or mlp.c_proj).
// Use it with llama.cpp's --control-vector-scaled FILE λ. Other maps and
// points are refused with the reason.
func (t *Transport) ExportGGUF(path string) {
	must(t.must().ExportGGUF(path))
}

// must returns the underlying transport, failing on a nil *Transport.
func (t *Transport) must() *transport.Transport {
	if t == nil || t.t == nil {
		fail("transport is nil")
	}
	return t.t
}
