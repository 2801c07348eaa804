package responses

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/internal/progress"
)

// Forwarder runs a model: [engine.Model] is one. Tests may use others.
type Forwarder interface {
	Forward(ctx context.Context, batch [][]int, opts engine.ForwardOptions) (*engine.Output, error)
}

// Request describes an extraction. Src and Dst hold the token ids of the
// source and target samples (usually balanced: equally many).
type Request struct {
	// Meta is recorded with the responses; Pooling defaults to "mean".
	// Samples and Steering are filled in by [Extract].
	Meta Meta
	// Points lists the intervention points to capture, in module order.
	Points []string
	// Src and Dst are the samples' token ids.
	Src, Dst [][]int
	// Batch is the number of sequences per forward pass (default 16).
	Batch int
	// Steering, when not nil, is active during extraction (incremental
	// fitting). Its maps and strength are part of the cache key.
	Steering *engine.Steering
	// Cache, when not empty, is the folder of an on-disk cache: responses
	// are written there in shards, an interrupted run resumes, a finished
	// one is reused. Empty keeps the responses in memory.
	Cache string
	// Progress receives a progress bar (nil: silent).
	Progress io.Writer
	// AfterBatch, when not nil, is called after each batch is done (and,
	// with a cache, on disk) with the samples done so far and the total.
	AfterBatch func(done, total int)
}

const (
	manifestName   = "manifest.json"
	manifestFormat = "actsh-responses/1"
	labelTensor    = "label"
)

// manifest is the cache's description, written atomically after every
// shard: the request's key fields and the completed shards.
type manifest struct {
	Format   string   `json:"format"`
	Model    string   `json:"model"`
	Dataset  string   `json:"dataset"`
	Pooling  string   `json:"pooling"`
	Source   string   `json:"source"`
	Target   string   `json:"target"`
	Seed     uint64   `json:"seed"`
	Samples  int      `json:"samples"`
	Steering string   `json:"steering,omitempty"`
	Points   []string `json:"points"`
	// Inputs is a SHA-256 of the token ids and labels of every sample.
	Inputs   string      `json:"inputs"`
	Shards   []shardInfo `json:"shards"`
	Complete bool        `json:"complete"`
}

type shardInfo struct {
	File    string `json:"file"`
	Samples int    `json:"samples"`
}

func (m *manifest) meta() Meta {
	return Meta{Model: m.Model, Dataset: m.Dataset, Pooling: m.Pooling, Source: m.Source, Target: m.Target,
		Seed: m.Seed, Samples: m.Samples, Steering: m.Steering}
}

// mismatch names the first field in which a cache differs from a request.
func (m *manifest) mismatch(want *manifest) string {
	fields := []struct{ name, have, want string }{
		{"format", m.Format, want.Format},
		{"model", m.Model, want.Model},
		{"dataset", m.Dataset, want.Dataset},
		{"pooling", m.Pooling, want.Pooling},
		{"source", m.Source, want.Source},
		{"target", m.Target, want.Target},
		{"seed", fmt.Sprint(m.Seed), fmt.Sprint(want.Seed)},
		{"samples", fmt.Sprint(m.Samples), fmt.Sprint(want.Samples)},
		{"steering", m.Steering, want.Steering},
		{"points", strings.Join(m.Points, ","), strings.Join(want.Points, ",")},
		{"inputs (token ids)", m.Inputs, want.Inputs},
	}
	for _, f := range fields {
		if f.have != f.want {
			return fmt.Sprintf("%s %q, requested %q", f.name, f.have, f.want)
		}
	}
	return ""
}

// Open reads a finished cache folder written by [Extract].
func Open(dir string) (*Set, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("responses: %s: no %s (not a responses cache)", dir, manifestName)
	}
	if !m.Complete {
		done := 0
		for _, s := range m.Shards {
			done += s.Samples
		}
		return nil, fmt.Errorf("responses: cache %s is incomplete (%d of %d samples); run the extraction again to finish it", dir, done, 2*m.Samples)
	}
	return &Set{Points: m.Points, Meta: m.meta(), dir: dir, man: m}, nil
}

func readManifest(dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("responses: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("responses: %s: %w", filepath.Join(dir, manifestName), err)
	}
	return &m, nil
}

func writeManifest(dir string, m *manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("responses: manifest: %w", err)
	}
	p := filepath.Join(dir, manifestName)
	if err := safetensors.WriteFileAtomic(p, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("responses: write %s: %w", p, err)
	}
	return nil
}

// Extract computes the pooled responses of req.Points for every source and
// target sample, in batches of req.Batch through m. Samples are processed
// source first, then target, and ctx is checked between batches.
//
// With req.Cache set, each batch becomes one shard file in that folder and
// the manifest is rewritten (atomically) after it: a cancelled or failed
// run keeps its finished shards and the next call with the same request
// continues after them; a finished cache is reused without running the
// model. A cache made for a different request (model, dataset, pooling,
// subsets, seed, samples, steering, points or inputs) is an error naming
// the difference; it is never overwritten.
func Extract(ctx context.Context, m Forwarder, req Request) (*Set, error) {
	if len(req.Points) == 0 {
		return nil, errors.New("responses: no intervention points to extract")
	}
	if len(req.Src) == 0 || len(req.Dst) == 0 {
		return nil, fmt.Errorf("responses: need source and target samples (have %d and %d)", len(req.Src), len(req.Dst))
	}
	if len(req.Src) != len(req.Dst) {
		return nil, fmt.Errorf("responses: %d source and %d target samples: balance them first", len(req.Src), len(req.Dst))
	}
	meta := req.Meta
	if meta.Pooling == "" {
		meta.Pooling = "mean"
	}
	meta.Samples = len(req.Src)
	meta.Steering = Fingerprint(req.Steering)
	batch := req.Batch
	if batch <= 0 {
		batch = 16
	}
	inputs := append(append([][]int{}, req.Src...), req.Dst...)
	want := &manifest{Format: manifestFormat, Model: meta.Model, Dataset: meta.Dataset, Pooling: meta.Pooling,
		Source: meta.Source, Target: meta.Target, Seed: meta.Seed, Samples: meta.Samples, Steering: meta.Steering,
		Points: req.Points, Inputs: hashInputs(req.Src, req.Dst)}

	set := &Set{Points: append([]string(nil), req.Points...), Meta: meta}
	var mem [][][]float32 // [point][sample][unit], in-memory runs only
	done := 0
	if req.Cache != "" {
		if err := os.MkdirAll(req.Cache, 0o755); err != nil {
			return nil, fmt.Errorf("responses: %w", err)
		}
		have, err := readManifest(req.Cache)
		if err != nil {
			return nil, err
		}
		if have != nil {
			if d := have.mismatch(want); d != "" {
				return nil, fmt.Errorf("responses: cache %s was made for another request (%s): remove it or use another folder", req.Cache, d)
			}
			want.Shards = have.Shards
			for _, s := range have.Shards {
				done += s.Samples
			}
			if have.Complete {
				set.dir, set.man = req.Cache, have
				return set, nil
			}
		}
	} else {
		mem = make([][][]float32, len(req.Points))
	}

	bar := progress.New(req.Progress, "responses", len(inputs))
	defer bar.Done()
	bar.Add(done)
	for done < len(inputs) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("responses: interrupted after %d of %d samples: %w", done, len(inputs), err)
		}
		end := min(done+batch, len(inputs))
		out, err := m.Forward(ctx, inputs[done:end], engine.ForwardOptions{
			Capture: req.Points, Pool: meta.Pooling, NoLogits: true, Steering: req.Steering})
		if err != nil {
			return nil, fmt.Errorf("responses: samples %d–%d: %w", done, end-1, err)
		}
		for _, p := range req.Points {
			if len(out.Pooled[p]) != end-done {
				return nil, fmt.Errorf("responses: samples %d–%d: model returned %d pooled rows for %s", done, end-1, len(out.Pooled[p]), p)
			}
		}
		if req.Cache == "" {
			for i, p := range req.Points {
				mem[i] = append(mem[i], out.Pooled[p]...)
			}
		} else {
			file := fmt.Sprintf("shard-%06d.safetensors", len(want.Shards))
			if err := safetensors.Write(filepath.Join(req.Cache, file), shardTensors(req.Points, out, done, end, len(req.Src)), map[string]string{"format": manifestFormat}); err != nil {
				return nil, fmt.Errorf("responses: %w", err)
			}
			want.Shards = append(want.Shards, shardInfo{File: file, Samples: end - done})
			want.Complete = end == len(inputs)
			if err := writeManifest(req.Cache, want); err != nil {
				return nil, err
			}
		}
		bar.Add(end - done)
		done = end
		if req.AfterBatch != nil {
			req.AfterBatch(done, len(inputs))
		}
	}
	if req.Cache != "" {
		want.Complete = true
		if err := writeManifest(req.Cache, want); err != nil {
			return nil, err
		}
		set.dir, set.man = req.Cache, want
		return set, nil
	}
	n := len(req.Src)
	for i, p := range req.Points {
		set.Add(p, mem[i][:n:n], mem[i][n:])
	}
	return set, nil
}

// shardTensors lays out one batch: labels (0 source, 1 target) and one
// [samples, units] tensor per point.
func shardTensors(points []string, out *engine.Output, from, to, nSrc int) []safetensors.Tensor {
	labels := make([]float32, to-from)
	for i := range labels {
		if from+i >= nSrc {
			labels[i] = 1
		}
	}
	ts := []safetensors.Tensor{safetensors.F32(labelTensor, []int{len(labels)}, labels)}
	for _, p := range points {
		rows := out.Pooled[p]
		d := len(rows[0])
		flat := make([]float32, 0, len(rows)*d)
		for _, r := range rows {
			flat = append(flat, r...)
		}
		ts = append(ts, safetensors.F32(p, []int{len(rows), d}, flat))
	}
	return ts
}

func hashInputs(src, dst [][]int) string {
	h := sha256.New()
	var b [8]byte
	for side, seqs := range [][][]int{src, dst} {
		for _, s := range seqs {
			binary.LittleEndian.PutUint64(b[:], uint64(side)<<32|uint64(len(s)))
			h.Write(b[:])
			for _, id := range s {
				binary.LittleEndian.PutUint64(b[:], uint64(id))
				h.Write(b[:])
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Fingerprint identifies a steering configuration (maps, strength,
// positions) by a short hash; "" for nil or no maps.
func Fingerprint(s *engine.Steering) string {
	if s == nil || len(s.Maps) == 0 {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "strength=%v last=%v\n", s.Strength, s.LastOnly)
	names := make([]string, 0, len(s.Maps))
	for n := range s.Maps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		mp := s.Maps[n]
		fmt.Fprintf(h, "%s\n", n)
		for _, v := range [][]float32{mp.W, mp.B, mp.Lo, mp.Hi} {
			writeFloats(h, v)
		}
		if mp.Knots != nil {
			fmt.Fprintf(h, "knots %v\n", *mp.Knots)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func writeFloats(w io.Writer, v []float32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(len(v)))
	w.Write(b[:])
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		w.Write(b[:])
	}
}
