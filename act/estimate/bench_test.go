package estimate_test

import (
	"math/rand/v2"
	"testing"

	"github.com/actsh/actsh/act/estimate"
)

// benchResponses returns n source and target samples of width d, the size
// of one Gemma-2-2B post-LN point at (512, 2304).
func benchResponses(n, d int) (src, dst [][]float32) {
	r := rand.New(rand.NewPCG(7, 8))
	for range n {
		s, t := make([]float32, d), make([]float32, d)
		for j := range d {
			s[j], t[j] = float32(r.NormFloat64()), float32(1+2*r.NormFloat64())
		}
		src, dst = append(src, s), append(dst, t)
	}
	return src, dst
}

// BenchmarkLinearOT fits Linear-AcT on one Gemma-2-2B-sized point: 2304
// units, 512 source and 512 target samples (multiply by 52 points for the
// whole model).
func BenchmarkLinearOT(b *testing.B) {
	src, dst := benchResponses(512, 2304)
	for b.Loop() {
		if _, err := estimate.LinearOT(src, dst, "q_0_100"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLinearOTGemma2 fits Linear-AcT on responses the size of all of
// Gemma-2-2B's post-LN points: 52 points × 2304 units, 512 source and 512
// target samples each (about 490 MB of float32), reporting whole-model
// fits/s. `actsh bench -workloads fit` times the same against ml-act's
// fitting code in PyTorch.
func BenchmarkLinearOTGemma2(b *testing.B) {
	const points = 52
	src, dst := make([][][]float32, points), make([][][]float32, points)
	for p := range points {
		src[p], dst[p] = benchResponses(512, 2304)
	}
	for b.Loop() {
		for p := range points {
			if _, err := estimate.LinearOT(src[p], dst[p], "q_0_100"); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fits/s")
}

// BenchmarkGaussianOT is the same for Gaussian OT with the q_all support.
func BenchmarkGaussianOT(b *testing.B) {
	src, dst := benchResponses(512, 2304)
	for b.Loop() {
		if _, err := estimate.GaussianOT(src, dst, ""); err != nil {
			b.Fatal(err)
		}
	}
}
