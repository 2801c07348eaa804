package responses

import (
	"context"
	"errors"
	"fmt"
	"github.com/actsh/actsh/internal/fixture"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine"
	_ "github.com/actsh/actsh/engine/families" // the GPT-2 family
)

// fake is a Forwarder whose pooled response of point j for sequence s is
// [sum(s)+j, len(s), j]; it counts the sequences it ran and can cancel a
// context after a number of calls.
type fake struct {
	seqs        int
	calls       int
	cancelAfter int
	cancel      context.CancelFunc
}

func (f *fake) Forward(ctx context.Context, batch [][]int, o engine.ForwardOptions) (*engine.Output, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.calls++
	f.seqs += len(batch)
	out := &engine.Output{Pooled: map[string][][]float32{}}
	for j, p := range o.Capture {
		for _, s := range batch {
			sum := 0
			for _, id := range s {
				sum += id
			}
			out.Pooled[p] = append(out.Pooled[p], []float32{float32(sum + j), float32(len(s)), float32(j)})
		}
	}
	if f.cancelAfter > 0 && f.calls == f.cancelAfter {
		f.cancel()
	}
	return out, nil
}

func request(n int) Request {
	r := Request{
		Meta:   Meta{Model: "fake", Dataset: "synthetic", Source: "a", Target: "b", Seed: 7},
		Points: []string{"p0", "p1"},
		Batch:  3,
	}
	for i := range n {
		r.Src = append(r.Src, []int{i, 1})
		r.Dst = append(r.Dst, []int{100 + i, 2, 3})
	}
	return r
}

func checkRows(t *testing.T, s *Set, n int) {
	t.Helper()
	for j, p := range []string{"p0", "p1"} {
		src, dst, err := s.Point(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(src) != n || len(dst) != n {
			t.Fatalf("%s: %d source and %d target rows, want %d each", p, len(src), len(dst), n)
		}
		for i := range n {
			// Exact: small integers are exact in float32.
			if want := float32(i + 1 + j); src[i][0] != want || src[i][1] != 2 {
				t.Errorf("%s source %d = %v, want [%v 2 %d]", p, i, src[i], want, j)
			}
			if want := float32(105 + i + j); dst[i][0] != want || dst[i][1] != 3 {
				t.Errorf("%s target %d = %v, want [%v 3 %d]", p, i, dst[i], want, j)
			}
		}
	}
}

// noTemp fails when a temporary file is left in dir.
func noTemp(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name  string
		cache bool
	}{{"in memory", false}, {"cached", true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request(8)
			if tc.cache {
				req.Cache = filepath.Join(t.TempDir(), "cache")
			}
			f := &fake{}
			s, err := Extract(context.Background(), f, req)
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, s, 8)
			if s.Meta.Samples != 8 || s.Meta.Pooling != "mean" || s.Meta.Model != "fake" {
				t.Errorf("meta %+v", s.Meta)
			}
			if !tc.cache {
				return
			}
			noTemp(t, req.Cache)
			again, err := Extract(context.Background(), f, req)
			if err != nil {
				t.Fatal(err)
			}
			if f.seqs != 16 {
				t.Errorf("reusing a finished cache ran %d sequences, want none more than the first 16", f.seqs)
			}
			checkRows(t, again, 8)
			opened, err := Open(req.Cache)
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, opened, 8)
		})
	}
}

func TestResume(t *testing.T) {
	req := request(8) // 16 sequences, batches of 3: 6 calls
	req.Cache = filepath.Join(t.TempDir(), "cache")
	ctx, cancel := context.WithCancel(context.Background())
	f := &fake{cancelAfter: 2, cancel: cancel}
	_, err := Extract(ctx, f, req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: err %v, want context.Canceled", err)
	}
	noTemp(t, req.Cache)
	if _, err := Open(req.Cache); err == nil || !strings.Contains(err.Error(), "incomplete (6 of 16 samples)") {
		t.Errorf("Open of an interrupted cache: %v", err)
	}
	f2 := &fake{}
	req.Batch = 5 // the batch size is not part of the key: shards may differ in size
	s, err := Extract(context.Background(), f2, req)
	if err != nil {
		t.Fatal(err)
	}
	if f2.seqs != 10 {
		t.Errorf("resumed run computed %d sequences, want the 10 left", f2.seqs)
	}
	checkRows(t, s, 8)
	noTemp(t, req.Cache)
}

// failing is a Forwarder that fails on its second call.
type failing struct{ fake }

func (f *failing) Forward(ctx context.Context, batch [][]int, o engine.ForwardOptions) (*engine.Output, error) {
	if f.calls == 1 {
		return nil, errors.New("device lost")
	}
	return f.fake.Forward(ctx, batch, o)
}

func TestFailureKeepsShards(t *testing.T) {
	req := request(4)
	req.Cache = filepath.Join(t.TempDir(), "cache")
	_, err := Extract(context.Background(), &failing{}, req)
	if err == nil || !strings.Contains(err.Error(), "samples 3–5: device lost") {
		t.Fatalf("err %v, want the failing batch named", err)
	}
	noTemp(t, req.Cache)
	f := &fake{}
	s, err := Extract(context.Background(), f, req)
	if err != nil {
		t.Fatal(err)
	}
	if f.seqs != 5 {
		t.Errorf("after a failure, the next run computed %d sequences, want the 5 left", f.seqs)
	}
	checkRows(t, s, 4)
}

func TestMismatch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	base := request(4)
	base.Cache = dir
	if _, err := Extract(context.Background(), &fake{}, base); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(r *Request)
		want   string
	}{
		{"model", func(r *Request) { r.Meta.Model = "other" }, `model "fake", requested "other"`},
		{"pooling", func(r *Request) { r.Meta.Pooling = "max" }, "pooling"},
		{"seed", func(r *Request) { r.Meta.Seed = 8 }, "seed"},
		{"points", func(r *Request) { r.Points = []string{"p0"} }, "points"},
		{"inputs", func(r *Request) { r.Src[0] = []int{9, 9} }, "inputs"},
		{"samples", func(r *Request) { r.Src, r.Dst = r.Src[:2], r.Dst[:2] }, "samples"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request(4)
			req.Cache = dir
			tc.change(&req)
			_, err := Extract(context.Background(), &fake{}, req)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "another request") {
				t.Errorf("err %v, want a mismatch naming %q", err, tc.want)
			}
		})
	}
	if s, err := Open(dir); err != nil {
		t.Fatal(err)
	} else {
		checkRows(t, s, 4)
	}
}

func TestExtractErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Request)
		want   string
	}{
		{"no points", func(r *Request) { r.Points = nil }, "no intervention points"},
		{"unbalanced", func(r *Request) { r.Dst = r.Dst[:1] }, "balance them"},
		{"no samples", func(r *Request) { r.Src = nil }, "need source and target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request(3)
			tc.change(&req)
			_, err := Extract(context.Background(), &fake{}, req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "manifest.json") {
		t.Errorf("Open of an empty folder: %v", err)
	}
}

func TestFromMatrices(t *testing.T) {
	s := FromMatrices("p", [][]float32{{1}}, [][]float32{{2}})
	s.Add("q", [][]float32{{3}}, [][]float32{{4}})
	if _, _, err := s.Point("r"); err == nil || !strings.Contains(err.Error(), "[p q]") {
		t.Errorf("unknown point: %v", err)
	}
	src, dst, err := s.Point("q")
	if err != nil || src[0][0] != 3 || dst[0][0] != 4 {
		t.Errorf("Point(q) = %v %v %v", src, dst, err)
	}
}

func loadGPT2(t *testing.T) *engine.Model {
	t.Helper()
	m, err := engine.Load(context.Background(), fixture.Reference(t, "gpt2", "checkpoint"), engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sequences returns n token sequences of lengths 3..9 from a fixed pattern.
func sequences(n, offset int) [][]int {
	out := make([][]int, n)
	for i := range out {
		s := make([]int, 3+(i*5+offset)%7)
		for k := range s {
			s[k] = (i*37 + k*11 + offset*13) % 300
		}
		out[i] = s
	}
	return out
}

// handPool reduces rows [position][unit] by op, in float64 where it sums.
// median is the lower middle value, as torch.median.
func handPool(op string, rows [][]float32) []float64 {
	out := make([]float64, len(rows[0]))
	for u := range out {
		col := make([]float64, len(rows))
		for i, r := range rows {
			col[i] = float64(r[u])
		}
		switch op {
		case "mean":
			for _, v := range col {
				out[u] += v
			}
			out[u] /= float64(len(col))
		case "max":
			out[u] = slices.Max(col)
		case "min":
			out[u] = slices.Min(col)
		case "median":
			slices.Sort(col)
			out[u] = col[(len(col)-1)/2]
		case "last":
			out[u] = col[len(col)-1]
		}
	}
	return out
}

// TestEnginePooling compares Extract's batched, padded pooling on the
// reference GPT-2 with each pooling op computed here from every position
// captured for each sequence alone.
func TestEnginePooling(t *testing.T) {
	m := loadGPT2(t)
	points := []string{"transformer.h.0.ln_2", "transformer.h.1.mlp.c_proj"}
	for _, p := range points {
		if m.PointWidth(p) == 0 {
			t.Fatalf("point %s not in the model (have %v)", p, m.Points())
		}
	}
	src, dst := sequences(5, 0), sequences(5, 3) // lengths 3..9: padded batches
	all := append(append([][]int{}, src...), dst...)
	captured := map[string][][][]float32{} // point -> sequence -> rows, each run alone
	for _, p := range points {
		for _, seq := range all {
			out, err := m.Forward(context.Background(), [][]int{seq}, engine.ForwardOptions{Capture: []string{p}, Pool: "all", NoLogits: true})
			if err != nil {
				t.Fatal(err)
			}
			captured[p] = append(captured[p], out.Captured[p][0])
		}
	}
	for _, op := range []string{"mean", "max", "min", "median", "last"} {
		t.Run(op, func(t *testing.T) {
			req := Request{Meta: Meta{Model: "gpt2-ref", Pooling: op}, Points: points, Src: src, Dst: dst, Batch: 4}
			s, err := Extract(context.Background(), m, req)
			if err != nil {
				t.Fatal(err)
			}
			// Batched, padded passes differ from single ones only by
			// float32 rounding: 1e-4 on values of order 1.
			const tol = 1e-4
			worst := 0.0
			for _, p := range points {
				ps, pd, err := s.Point(p)
				if err != nil {
					t.Fatal(err)
				}
				got := append(append([][]float32{}, ps...), pd...)
				for i := range all {
					want := handPool(op, captured[p][i])
					for u, w := range want {
						d := math.Abs(w - float64(got[i][u]))
						worst = max(worst, d)
						if d > tol {
							t.Fatalf("%s sample %d unit %d: pooled %v, by hand %v", p, i, u, got[i][u], w)
						}
					}
				}
			}
			t.Logf("max |extracted − pooled by hand| = %.3g", worst)
		})
	}
}

// cancelling wraps a model and cancels the context after its first batch.
type cancelling struct {
	m      *engine.Model
	cancel context.CancelFunc
}

func (c *cancelling) Forward(ctx context.Context, batch [][]int, o engine.ForwardOptions) (*engine.Output, error) {
	out, err := c.m.Forward(ctx, batch, o)
	c.cancel()
	return out, err
}

// TestEngineResume interrupts an extraction on the reference GPT-2 after
// one batch, resumes it, and compares with an uninterrupted run: equal
// bits, since every batch is computed the same way.
func TestEngineResume(t *testing.T) {
	m := loadGPT2(t)
	req := Request{Meta: Meta{Model: "gpt2-ref"}, Points: []string{"transformer.h.1.ln_2"}, Src: sequences(4, 1), Dst: sequences(4, 5), Batch: 3}
	whole, err := Extract(context.Background(), m, req)
	if err != nil {
		t.Fatal(err)
	}
	req.Cache = filepath.Join(t.TempDir(), "cache")
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := Extract(ctx, &cancelling{m: m, cancel: cancel}, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	resumed, err := Extract(context.Background(), m, req)
	if err != nil {
		t.Fatal(err)
	}
	ws, wd, _ := whole.Point("transformer.h.1.ln_2")
	rs, rd, err := resumed.Point("transformer.h.1.ln_2")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ws, wd) != fmt.Sprint(rs, rd) {
		t.Error("resumed cache differs from an uninterrupted run")
	}
}

// TestIncrementalVsAtOnce fits a mean-shift map (w = 1, b = mean(dst) −
// mean(src)) both ways on the reference GPT-2.
func TestIncrementalVsAtOnce(t *testing.T) {
	m := loadGPT2(t)
	points := []string{"transformer.h.0.ln_2", "transformer.h.1.ln_2"}
	shift := func(point string, src, dst [][]float32) (*transportMap, error) {
		return meanShift(src, dst), nil
	}
	req := Request{Meta: Meta{Model: "gpt2-ref"}, Points: points, Src: sequences(6, 0), Dst: sequences(6, 2), Batch: 6}
	at, err := AtOnce(context.Background(), m, req, shift)
	if err != nil {
		t.Fatal(err)
	}
	req.Cache = filepath.Join(t.TempDir(), "incr")
	inc, err := Incremental(context.Background(), m, req, shift, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	diff := func(p string) float64 {
		d := 0.0
		for u := range at.Maps[p].B {
			d = max(d, math.Abs(float64(at.Maps[p].B[u]-inc.Maps[p].B[u])))
		}
		return d
	}
	// The first layer sees the same unsteered activations both ways: equal
	// up to batching rounding (1e-5).
	if d := diff(points[0]); d > 1e-5 {
		t.Errorf("first layer: incremental and at-once maps differ by %g", d)
	}
	// The second layer's inputs are shifted by the first map, so its fit
	// must change by far more than rounding.
	if d := diff(points[1]); d < 1e-3 {
		t.Errorf("second layer: incremental and at-once maps differ by only %g", d)
	} else {
		t.Logf("second layer: max |Δb| = %.3g", d)
	}
	if got := fmt.Sprint(inc.Points); got != fmt.Sprint(points) {
		t.Errorf("points %s, want %v", got, points)
	}
	entries, _ := os.ReadDir(req.Cache)
	if len(entries) != 2 {
		t.Fatalf("incremental cache has %d subfolders, want 2", len(entries))
	}
	// Layer 1's responses were computed with layer 0's map active at λ = 1:
	// the same bits as an extraction steered by that map alone.
	cached, err := Open(filepath.Join(req.Cache, "01-"+points[1]))
	if err != nil {
		t.Fatal(err)
	}
	steered, err := Extract(context.Background(), m, Request{Meta: req.Meta, Points: points[1:], Src: req.Src, Dst: req.Dst, Batch: req.Batch,
		Steering: &engine.Steering{Maps: map[string]*transportMap{points[0]: inc.Maps[points[0]]}, Strength: 1}})
	if err != nil {
		t.Fatal(err)
	}
	cs, cd, err := cached.Point(points[1])
	if err != nil {
		t.Fatal(err)
	}
	ss, sd, _ := steered.Point(points[1])
	if fmt.Sprint(cs, cd) != fmt.Sprint(ss, sd) {
		t.Error("layer 1's incremental responses differ from responses steered by layer 0's map")
	}
	if cached.Meta.Steering == "" {
		t.Error("layer 1's cache does not record the steering it was computed under")
	}
}
