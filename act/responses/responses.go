// Package responses holds a model's pooled activations ("responses") per
// intervention point for source and target samples: the input of every
// transport fit.
package responses

import (
	"fmt"
	"slices"
)

// Set holds, per intervention point, one pooled activation vector per
// source sample and per target sample.
type Set struct {
	// Points lists the intervention points in module order.
	Points []string
	// Meta describes where the responses came from.
	Meta Meta

	mem map[string][2][][]float32
}

// Meta describes a response set.
type Meta struct {
	Model, Dataset, Pooling string
	Source, Target          string
	Seed                    uint64
}

// FromMatrices returns an in-memory set for one point from raw matrices
// [sample][unit].
func FromMatrices(point string, src, dst [][]float32) *Set {
	return &Set{Points: []string{point}, mem: map[string][2][][]float32{point: {src, dst}}}
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
func (s *Set) Point(name string) (src, dst [][]float32, err error) {
	m, ok := s.mem[name]
	if !ok {
		return nil, nil, fmt.Errorf("responses: no point %q (have %v)", name, s.Points)
	}
	return m[0], m[1], nil
}
