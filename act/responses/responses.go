package responses

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/actsh/actsh/engine/safetensors"
)

// Set holds, per intervention point, one pooled activation vector per
// source sample and per target sample. Its responses live in memory
// ([FromMatrices], [Set.Add]) or in a cache folder ([Extract], [Open]),
// from which [Set.Point] reads one point at a time.
type Set struct {
	// Points lists the intervention points in module order.
	Points []string
	// Meta describes where the responses came from.
	Meta Meta

	mem map[string][2][][]float32
	dir string    // cache folder, "" for in-memory sets
	man *manifest // the cache's manifest when dir != ""
}

// Meta describes a response set.
type Meta struct {
	// Model names the model the responses come from.
	Model string
	// Dataset names the data set; Pooling the reduction over tokens.
	Dataset, Pooling string
	// Source and Target name the subsets (comma-separated when several).
	Source, Target string
	// Seed is the seed of the balanced sampling.
	Seed uint64
	// Samples is the number of samples per side (source and target).
	Samples int
	// Steering identifies the transport active during extraction ("" for
	// the unsteered model); see [Fingerprint].
	Steering string
}

// FromMatrices returns an in-memory set for one point from raw matrices
// [sample][unit].
func FromMatrices(point string, src, dst [][]float32) *Set {
	return &Set{Points: []string{point}, Meta: Meta{Samples: len(src)}, mem: map[string][2][][]float32{point: {src, dst}}}
}

// Add stores (or replaces) the responses of one point in memory.
func (s *Set) Add(point string, src, dst [][]float32) {
	if s.mem == nil {
		s.mem = map[string][2][][]float32{}
	}
	if !slices.Contains(s.Points, point) {
		s.Points = append(s.Points, point)
	}
	s.mem[point] = [2][][]float32{src, dst}
}

// Point returns the source and target responses of one point, [sample][unit].
// A cached set reads only that point's columns from its shards.
func (s *Set) Point(name string) (src, dst [][]float32, err error) {
	if m, ok := s.mem[name]; ok {
		return m[0], m[1], nil
	}
	if s.dir == "" || !slices.Contains(s.man.Points, name) {
		return nil, nil, fmt.Errorf("responses: no point %q (have %v)", name, s.Points)
	}
	for _, sh := range s.man.Shards {
		f, err := safetensors.Open(filepath.Join(s.dir, sh.File))
		if err != nil {
			return nil, nil, fmt.Errorf("responses: %w", err)
		}
		labels, _, err := f.Float32(labelTensor)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("responses: %w", err)
		}
		data, shape, err := f.Float32(name)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("responses: %w", err)
		}
		if len(shape) != 2 || shape[0] != len(labels) || shape[0] != sh.Samples {
			return nil, nil, fmt.Errorf("responses: shard %s: %s has shape %v for %d labels and %d samples", sh.File, name, shape, len(labels), sh.Samples)
		}
		d := shape[1]
		for i, l := range labels {
			row := data[i*d : (i+1)*d : (i+1)*d]
			if l == 0 {
				src = append(src, row)
			} else {
				dst = append(dst, row)
			}
		}
	}
	return src, dst, nil
}

// Dir returns the cache folder of a set read from or written to disk, ""
// for in-memory sets.
func (s *Set) Dir() string { return s.dir }

// String summarises the set: points, samples per side and origin.
func (s *Set) String() string {
	where := "in memory"
	if s.dir != "" {
		where = "cached in " + s.dir
	}
	return fmt.Sprintf("responses: %d points × %d+%d samples (model %s, dataset %s, %s → %s, pool %s), %s",
		len(s.Points), s.Meta.Samples, s.Meta.Samples, s.Meta.Model, s.Meta.Dataset, s.Meta.Source, s.Meta.Target, s.Meta.Pooling, where)
}
