package act

import (
	"fmt"
	"os"
	"strings"

	"github.com/actsh/actsh/act/responses"
	"github.com/actsh/actsh/act/transport"
)

// Responses computes the responses of the points matching pattern (see
// [Model.Points]) on ds: for each source and target text, each point's
// output pooled over the text's tokens. Source and target get equally many
// texts, chosen at random with the seed (all of the smaller side, or at
// most Limit(n)).
//
// Options: Src and Dst (required: subset names of ds), Pool ("mean"
// default, "max", "min", "median", "last"), Seed (default 0), Limit, Batch
// (texts per forward pass, default 16), Cache(dir) (keep the responses on
// disk: resumable, reused when the request matches). Progress goes to
// stderr; Ctrl-C (the [Context]) interrupts between batches.
func (m *Model) Responses(ds *Dataset, pattern string, opts ...Option) *Responses {
	req := m.responseRequest("responses", ds, pattern, opts)
	set, err := responses.Extract(Context(), m.m, req)
	must(err)
	r := responsesFrom(set)
	r.from = modelOf(m.m)
	return r
}

// FitIncremental fits method (as [Fit] names it) on the points matching
// pattern one layer at a time, in module order: the responses of each point
// are computed with the maps already fitted for the earlier points active
// at strength 1 (ml-act's "incr" mode, its default for linear_ot, mean_ot
// and gaussian_ot). It reads the options of [Model.Responses] and those of
// the method's Fit function (Support, Position); with Cache(dir), each
// point's responses are cached in a subfolder.
func (m *Model) FitIncremental(ds *Dataset, pattern, method string, opts ...Option) *Transport {
	req := m.responseRequest("fit incremental", ds, pattern, opts)
	var meta transport.Meta
	fit := func(point string, src, dst [][]float32) (*transport.Map, error) {
		t := Fit(responsesFrom(responses.FromMatrices(point, src, dst)), method, opts...).t
		meta = t.Meta
		return t.Maps[point], nil
	}
	o := collect(opts)
	t, err := responses.Incremental(Context(), m.m, req, fit, responses.FitOptions{LastOnly: o.position == "last"})
	must(err)
	meta.Model, meta.Dataset, meta.Pooling = t.Meta.Model, t.Meta.Dataset, t.Meta.Pooling
	meta.Source, meta.Target = t.Meta.Source, t.Meta.Target
	info := m.m.Info()
	meta.Family, meta.Architecture = info.Family, info.Architecture
	t.Meta = meta
	return &Transport{t: t}
}

// responseRequest turns a script call's data set, pattern and options into
// an extraction request: balanced, tokenized samples.
func (m *Model) responseRequest(call string, ds *Dataset, pattern string, opts []Option) responses.Request {
	return m.requestFor(call, ds, m.Points(pattern), opts)
}

// requestFor is responseRequest for a list of points.
func (m *Model) requestFor(call string, ds *Dataset, points []string, opts []Option) responses.Request {
	o := collect(opts)
	d := ds.raw()
	if len(o.src) == 0 || len(o.dst) == 0 {
		fail("%s: name the source and target subsets with Src(...) and Dst(...) (%s has %s)", call, d.Name, strings.Join(d.Subsets(), ", "))
	}
	if o.pool == "" {
		o.pool = "mean"
	}
	src, dst, err := d.Balance(o.src, o.dst, o.limit, o.seed)
	must(err)
	tok := m.tokenizer(call)
	maxLen := m.m.Info().MaxPositions
	if o.truncate > 0 && (maxLen <= 0 || o.truncate < maxLen) {
		maxLen = o.truncate
	}
	encode := func(side string, texts []string) [][]int {
		out := make([][]int, len(texts))
		for i, t := range texts {
			ids := tok.Encode(t, true)
			if len(ids) == 0 {
				fail("%s: %s text %d (%q) has no tokens", call, side, i, clip(t))
			}
			if maxLen > 0 && len(ids) > maxLen {
				ids = ids[:maxLen] // truncation, as ml-act's tokenizer(truncation=True)
			}
			out[i] = ids
		}
		return out
	}
	return responses.Request{
		Meta: responses.Meta{
			Model: modelID(m.m), Dataset: d.Name, Pooling: o.pool,
			Source: strings.Join(o.src, ","), Target: strings.Join(o.dst, ","), Seed: o.seed,
		},
		Points:   points,
		Src:      encode("source", src),
		Dst:      encode("target", dst),
		Batch:    o.batch,
		Cache:    o.cache,
		Progress: os.Stderr,
	}
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return fmt.Sprint(string(r[:40]), "…")
	}
	return s
}
