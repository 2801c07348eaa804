package sched

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// exactFMA32 rounds a·b + c computed exactly (big.Float) to float32.
func exactFMA32(a, b, c float32) float32 {
	p := new(big.Float).SetPrec(0).SetMode(big.ToNearestEven)
	x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
	p.SetPrec(24).Set(x)
	f, _ := p.Float32()
	return f
}

func TestFMA32(t *testing.T) {
	// (1+2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴ is a float32 tie; ±2⁻⁸⁰ decides it, and
	// the float64 sum loses it: a double rounding the function must avoid.
	one := float32(1 + 1.0/4096)
	tiny := float32(math.Ldexp(1, -80))
	tests := []struct {
		name    string
		a, b, c float32
		want    float32
	}{
		{"tie up", one, one, tiny, float32(1 + math.Ldexp(1, -11) + math.Ldexp(1, -23))},
		{"tie down", one, one, -tiny, float32(1 + math.Ldexp(1, -11))},
		{"exact", 3, 0.5, 0.25, 1.75},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fma32(tc.a, tc.b, tc.c); got != tc.want {
				t.Errorf("fma32 = %v, want %v", got, tc.want)
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		a := float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
		b := float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
		c := float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(80)-40)))
		if got, want := fma32(a, b, c), exactFMA32(a, b, c); got != want {
			t.Fatalf("fma32(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
	}
}

func TestNumpyHelpers(t *testing.T) {
	if got := numpyLinspace(1, 0.25, 4); !slices.Equal(got, []float64{1, 0.75, 0.5, 0.25}) {
		t.Errorf("numpyLinspace(1, 0.25, 4) = %v", got)
	}
	if got := numpyLinspace(2, 5, 1); !slices.Equal(got, []float64{2}) {
		t.Errorf("numpyLinspace(2, 5, 1) = %v", got)
	}
	// np.arange(1000, 0, -1000/7) printed by numpy 1.24.
	// Its fill accumulates from the first step as numpy recomputes it:
	// start + i·((start + step) − start), not start + i·step.
	want := []float64{1000, 857.1428571428571, 714.2857142857142, 571.4285714285713, 428.57142857142844, 285.71428571428555, 142.85714285714266}
	if got := numpyArange(1000, 0, -1000.0/7); !slices.Equal(got, want) {
		t.Errorf("numpyArange(1000, 0, -1000/7) = %v, want %v", got, want)
	}
	if got := len(numpyArange(1000, 0, -1000.0/61)); got != 62 {
		t.Errorf("len(np.arange(1000, 0, -1000/61)) = %d, want 62", got)
	}
	fp := []float32{1, 3, 7}
	for _, tc := range []struct{ x, want float64 }{{-1, 1}, {0, 1}, {0.5, 2}, {1, 3}, {1.25, 4}, {2, 7}, {9, 7}} {
		if got := numpyInterp(tc.x, fp); got != tc.want {
			t.Errorf("numpyInterp(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}
