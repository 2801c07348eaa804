package vae_test

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/vae"
)

// BenchmarkDecode decodes the reference fixture's latents [1, 4, 6, 8]
// (the graph compiled before timing).
func BenchmarkDecode(b *testing.B) {
	m, err := vae.Load(fixtureDir(b))
	if err != nil {
		b.Fatal(err)
	}
	z := fixtureLatents(b)
	if _, err := m.Decode(z); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		out, err := m.Decode(z)
		if err != nil {
			b.Fatal(err)
		}
		out.FinalizeAll()
	}
}

// BenchmarkDecode64 decodes latents [1, 4, 64, 64] with the fixture's
// weights: a 128×128 image.
func BenchmarkDecode64(b *testing.B) {
	m, err := vae.Load(fixtureDir(b))
	if err != nil {
		b.Fatal(err)
	}
	z := tensors.FromFlatDataAndDimensions(make([]float32, 4*64*64), 1, 4, 64, 64)
	if _, err := m.Decode(z); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		out, err := m.Decode(z)
		if err != nil {
			b.Fatal(err)
		}
		out.FinalizeAll()
	}
}
