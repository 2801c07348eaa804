package view_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/act/view"
)

func TestQuartiles(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		xs        []float64
		q1, m, q3 float64
	}{
		// numpy.percentile(xs, [25, 50, 75]) gives these.
		{"odd", []float64{5, 1, 3, 2, 4}, 2, 3, 4},
		{"even", []float64{4, 1, 3, 2}, 1.75, 2.5, 3.25},
		{"one", []float64{7}, 7, 7, 7},
		{"NaN left out", []float64{nan, 10, 0, nan}, 2.5, 5, 7.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q1, m, q3 := view.Quartiles(tc.xs)
			if q1 != tc.q1 || m != tc.m || q3 != tc.q3 {
				t.Errorf("Quartiles(%v) = %v, %v, %v; want %v, %v, %v", tc.xs, q1, m, q3, tc.q1, tc.m, tc.q3)
			}
		})
	}
	if q1, m, q3 := view.Quartiles([]float64{nan}); !math.IsNaN(q1) || !math.IsNaN(m) || !math.IsNaN(q3) {
		t.Errorf("Quartiles of no numbers = %v, %v, %v; want NaN", q1, m, q3)
	}
}

func TestBandsPNG(t *testing.T) {
	x := []float64{0, 0.5, 1, 1.5}
	samples := func(shift float64) [][]float64 {
		var out [][]float64
		for i := range x {
			out = append(out, []float64{shift * float64(i), shift*float64(i) + 1, shift*float64(i) + 3, math.NaN()})
		}
		return out
	}
	png := view.BandsPNG(
		view.Panel{Title: "p(yes)", XLabel: "λ", YLabel: "p", Curves: []view.Curve{{"a", x, samples(0.1)}, {"b", x, samples(0.2)}}},
		view.Panel{Title: "PPL", XLabel: "λ", YLabel: "PPL", Curves: []view.Curve{{"a", x, samples(10)}}},
	)
	checkPNG(t, png, 800, 300)
	// The same samples as mean ± std: another line and band.
	std := view.BandsPNG(
		view.Panel{Title: "p(yes)", XLabel: "λ", YLabel: "p", Band: view.StdDev, Curves: []view.Curve{{"a", x, samples(0.1)}, {"b", x, samples(0.2)}}},
		view.Panel{Title: "PPL", XLabel: "λ", YLabel: "PPL", Band: view.StdDev, Curves: []view.Curve{{"a", x, samples(10)}}},
	)
	checkPNG(t, std, 800, 300)
	if bytes.Equal(png, std) {
		t.Error("StdDev draws the same picture as IQR")
	}

	defer func() {
		r := recover()
		e, ok := r.(*act.Error)
		if !ok || !strings.Contains(e.Error(), "2 x values and 1 sets") {
			t.Errorf("mismatched curve: recovered %v, want an act error naming the counts", r)
		}
	}()
	view.BandsPNG(view.Panel{Curves: []view.Curve{{"bad", []float64{0, 1}, [][]float64{{1}}}}})
}
