package estimate

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Unbounded is the bound the q_all support uses on each side: ml-act's
// "no gating" is really the strict interval (−1e6, 1e6).
const Unbounded = 1e6

// supports maps each support name to its lower and upper quantile levels.
// q_all is marked with negative levels.
var supports = []struct {
	name   string
	lo, hi float64
}{
	{"q_all", -1, -1},
	{"q_0_100", 0, 1},
	{"q_0.5_99.5", 0.005, 0.995},
	{"q_1_99", 0.01, 0.99},
	{"q_2_98", 0.02, 0.98},
	{"q_5_95", 0.05, 0.95},
	{"q_10_90", 0.10, 0.90},
	{"q_20_80", 0.20, 0.80},
	{"q_30_70", 0.30, 0.70},
	{"q_40_60", 0.40, 0.60},
}

// Supports returns the valid support names, widest first.
func Supports() []string {
	names := make([]string, len(supports))
	for i, s := range supports {
		names[i] = s.name
	}
	return names
}

// Quantiles returns the per-unit support interval named by support, computed
// from the source responses src [sample][unit]:
//
//   - "q_all": lo = −1e6, hi = 1e6 on every unit (ml-act's "no gating");
//   - "q_0_100": the source minimum and maximum;
//   - "q_A_B": the A % and B % quantiles of the source, with torch.quantile's
//     linear interpolation (position q·(N−1) in the sorted values).
//
// Statistics are computed in float64 and rounded to float32. An empty
// support name means "q_all".
func Quantiles(support string, src [][]float32) (lo, hi []float32, err error) {
	return quantiles(support, src, false)
}

// quantiles computes a support in float32 like torch.quantile on a float32
// tensor (Linear-AcT's and compute_quantiles' case), or in float64 and
// rounded (Gaussian OT's and Mean-AcT's case) when wide is true.
func quantiles(support string, src [][]float32, wide bool) (lo, hi []float32, err error) {
	qlo, qhi, err := supportLevels(support)
	if err != nil {
		return nil, nil, err
	}
	_, d, err := shape("source", src)
	if err != nil {
		return nil, nil, fmt.Errorf("estimate: quantiles %s: %w", support, err)
	}
	lo, hi = make([]float32, d), make([]float32, d)
	if qlo < 0 {
		for j := range d {
			lo[j], hi[j] = -Unbounded, Unbounded
		}
		return lo, hi, nil
	}
	cols := columns(src)
	parallel(d, func(j int) {
		slices.Sort(cols[j])
		lo[j], hi[j] = bounds(cols[j], qlo, qhi, wide)
	})
	return lo, hi, nil
}

// bounds returns the support interval of one sorted unit at quantile
// levels qlo, qhi (negative: q_all), in float32 like torch.quantile on
// float32 or, when wide, in float64 then rounded.
func bounds(sorted []float64, qlo, qhi float64, wide bool) (lo, hi float32) {
	switch {
	case qlo < 0:
		return -Unbounded, Unbounded
	case wide:
		return float32(quantileSorted(sorted, qlo)), float32(quantileSorted(sorted, qhi))
	}
	return quantileSorted32(sorted, qlo), quantileSorted32(sorted, qhi)
}

// parallel calls f(j) for j in [0, n) on GOMAXPROCS goroutines; f must
// only write to its own j.
func parallel(n int, f func(j int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || n < 64 {
		for j := range n {
			f(j)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := start; j < end; j++ {
				f(j)
			}
		}()
	}
	wg.Wait()
}

// supportLevels returns the quantile levels of a support name (−1, −1 for
// q_all).
func supportLevels(support string) (lo, hi float64, err error) {
	if support == "" {
		support = "q_all"
	}
	for _, s := range supports {
		if s.name == support {
			return s.lo, s.hi, nil
		}
	}
	return 0, 0, fmt.Errorf("estimate: unknown support %q (valid: %s)", support, strings.Join(Supports(), ", "))
}

// quantileSorted is torch.quantile's "linear" interpolation on sorted
// values: position q·(n−1), linear between its two neighbours.
func quantileSorted(x []float64, q float64) float64 {
	n := len(x)
	if n == 1 {
		return x[0]
	}
	pos := q * float64(n-1)
	i := int(math.Floor(pos))
	if i >= n-1 {
		return x[n-1]
	}
	f := pos - float64(i)
	return x[i] + f*(x[i+1]-x[i])
}

// quantileSorted32 is torch.quantile on a float32 tensor: the level and
// the rank q·(n−1) in float32, then torch.lerp's two-sided formula.
func quantileSorted32(x []float64, q float64) float32 {
	n := len(x)
	if n == 1 {
		return float32(x[0])
	}
	rank := float32(q) * float32(n-1)
	i := int(math.Floor(float64(rank)))
	if i >= n-1 {
		return float32(x[n-1])
	}
	w := rank - float32(i)
	a, b := float32(x[i]), float32(x[i+1])
	if w < 0.5 {
		return a + w*(b-a)
	}
	return b - (b-a)*(1-w)
}

// resample returns the values of sorted x at the m evenly spaced quantile
// levels k/(m−1), k = 0..m−1 (torch.quantile interpolation).
func resample(x []float64, m int) []float64 {
	if len(x) == m {
		return slices.Clone(x)
	}
	out := make([]float64, m)
	for k := range m {
		q := 0.0
		if m > 1 {
			q = float64(k) / float64(m-1)
		}
		out[k] = quantileSorted(x, q)
	}
	return out
}

// shape checks that x is a non-empty rectangular matrix and returns its
// rows and columns.
func shape(name string, x [][]float32) (n, d int, err error) {
	if len(x) == 0 {
		return 0, 0, fmt.Errorf("%s responses are empty", name)
	}
	d = len(x[0])
	if d == 0 {
		return 0, 0, fmt.Errorf("%s responses have 0 units", name)
	}
	for i, row := range x {
		if len(row) != d {
			return 0, 0, fmt.Errorf("%s row %d has %d units, row 0 has %d", name, i, len(row), d)
		}
	}
	return len(x), d, nil
}

// pair checks src and dst and returns their row counts and common width.
func pair(src, dst [][]float32) (ns, nd, d int, err error) {
	ns, d, err = shape("source", src)
	if err != nil {
		return 0, 0, 0, err
	}
	nd, dd, err := shape("target", dst)
	if err != nil {
		return 0, 0, 0, err
	}
	if dd != d {
		return 0, 0, 0, fmt.Errorf("source has %d units, target has %d", d, dd)
	}
	return ns, nd, d, nil
}

// columns returns x [sample][unit] transposed to float64 [unit][sample],
// reading rows in blocks so that both sides stay in cache.
func columns(x [][]float32) [][]float64 {
	n, d := len(x), len(x[0])
	flat := make([]float64, n*d)
	cols := make([][]float64, d)
	for j := range d {
		cols[j] = flat[j*n : (j+1)*n]
	}
	const block = 64
	for i0 := 0; i0 < n; i0 += block {
		i1 := min(i0+block, n)
		for j0 := 0; j0 < d; j0 += block {
			j1 := min(j0+block, d)
			for i := i0; i < i1; i++ {
				row := x[i]
				for j := j0; j < j1; j++ {
					cols[j][i] = float64(row[j])
				}
			}
		}
	}
	return cols
}

// column copies unit j of x into dst as float64.
func column(dst []float64, x [][]float32, j int) {
	for i, row := range x {
		dst[i] = float64(row[j])
	}
}

// meanStd returns the mean and the unbiased (N−1) standard deviation; the
// std of a single value is 0.
func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}
