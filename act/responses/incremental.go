package responses

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
)

// FitFunc fits one point's map from its source and target responses
// [sample][unit]. The estimators of act/estimate have this shape once their
// options are bound.
type FitFunc func(point string, src, dst [][]float32) (*transport.Map, error)

// FitOptions tune [Incremental] and [AtOnce]. The zero value steers earlier
// layers with λ = 1 at every position.
type FitOptions struct {
	// Strength is the λ of the already fitted maps while later layers'
	// responses are extracted; 0 means 1 (ml-act's hook default).
	Strength float32
	// LastOnly applies the earlier maps only at the last token.
	LastOnly bool
}

// AtOnce fits every point of req from the responses of the unsteered
// model, extracted in one pass over the data (ml-act's "atonce" mode).
func AtOnce(ctx context.Context, m Forwarder, req Request, fit FitFunc) (*transport.Transport, error) {
	set, err := Extract(ctx, m, req)
	if err != nil {
		return nil, err
	}
	t := newTransport(set.Meta)
	for _, p := range req.Points {
		src, dst, err := set.Point(p)
		if err != nil {
			return nil, err
		}
		mp, err := fit(p, src, dst)
		if err != nil {
			return nil, fmt.Errorf("responses: fit %s: %w", p, err)
		}
		t.Points = append(t.Points, p)
		t.Maps[p] = mp
	}
	return t, nil
}

// Incremental fits the points of req one at a time in the order given
// (module order), ml-act's "incr" mode: the responses of point k are
// extracted with the maps of points 0..k−1 already active, so each map
// corrects what the earlier ones leave. The first point's map is the same
// as [AtOnce]'s. With req.Cache set, each point's responses are cached in
// its own subfolder "<k>-<point>", keyed by the active maps.
func Incremental(ctx context.Context, m Forwarder, req Request, fit FitFunc, opts FitOptions) (*transport.Transport, error) {
	if len(req.Points) == 0 {
		return nil, fmt.Errorf("responses: no intervention points to fit")
	}
	if req.Steering != nil {
		return nil, fmt.Errorf("responses: Incremental steers with its own maps; the request must not carry a steering")
	}
	lambda := opts.Strength
	if lambda == 0 {
		lambda = 1
	}
	var t *transport.Transport
	for k, p := range req.Points {
		sub := req
		sub.Points = []string{p}
		if k > 0 {
			maps := make(map[string]*transport.Map, len(t.Maps))
			for n, mp := range t.Maps {
				maps[n] = mp
			}
			sub.Steering = &engine.Steering{Maps: maps, Strength: lambda, LastOnly: opts.LastOnly}
		}
		if req.Cache != "" {
			sub.Cache = filepath.Join(req.Cache, fmt.Sprintf("%02d-%s", k, strings.ReplaceAll(p, string(filepath.Separator), "_")))
		}
		set, err := Extract(ctx, m, sub)
		if err != nil {
			return nil, fmt.Errorf("responses: incremental fit, point %d of %d (%s): %w", k+1, len(req.Points), p, err)
		}
		if t == nil {
			t = newTransport(set.Meta)
		}
		src, dst, err := set.Point(p)
		if err != nil {
			return nil, err
		}
		mp, err := fit(p, src, dst)
		if err != nil {
			return nil, fmt.Errorf("responses: fit %s: %w", p, err)
		}
		t.Points = append(t.Points, p)
		t.Maps[p] = mp
	}
	return t, nil
}

func newTransport(m Meta) *transport.Transport {
	t := transport.New()
	t.Meta = transport.Meta{Model: m.Model, Pooling: m.Pooling, Dataset: m.Dataset, Source: m.Source, Target: m.Target}
	return t
}
