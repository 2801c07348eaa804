package sched

import "math"

// The schedules are small tables, but diffusers builds them with a mix of
// torch float32 kernels and numpy float64 code, and a sigma near 14.6 moves
// by 2 ulps when one float32 beta is rounded the other way. The helpers
// here reproduce each library's rounding, so the tables equal diffusers'
// bit for bit rather than within a tolerance.

// torchLinspace32 returns torch.linspace(start, end, n, dtype=float32) as
// torch's CPU kernel computes it (torch 1.13, AVX2 kernels, the build the
// reference fixtures were made with): step = (end − start)/(n − 1) in
// float32; the first half counts up from start, the second down from end,
// each anchor rounded once (the compiler fuses start + step·i into one
// multiply-add); the vectorised loop takes 8-lane vectors two at a time
// and fills each vector's lanes as anchor + lane·step, rounded twice; the
// elements after the last pair of vectors are computed one by one.
// Correctly rounded linspace values differ from torch's in about a third
// of the elements by one ulp.
func torchLinspace32(start, end float64, n int) []float32 {
	out := make([]float32, n)
	if n == 0 {
		return out
	}
	s, e := float32(start), float32(end)
	if n == 1 {
		out[0] = s
		return out
	}
	step := (e - s) / float32(n-1)
	half := n / 2
	anchor := func(i int) float32 {
		if i < half {
			return fma32(step, float32(i), s)
		}
		return fma32(-step, float32(n-1-i), e)
	}
	const lanes = 8
	i := 0
	for ; i+2*lanes <= n; i += lanes {
		a := anchor(i)
		for l := 0; l < lanes; l++ {
			out[i+l] = a + float32(float32(l)*step)
		}
	}
	for ; i < n; i++ {
		out[i] = anchor(i)
	}
	return out
}

// fma32 returns a·b + c rounded once to float32. The product of two
// float32 values is exact in float64; the sum is rounded to float64 and
// then to float32, which can differ from a single rounding only when the
// float64 sum falls exactly halfway between two float32 values, so that
// case is settled by the sign of the sum's rounding error (TwoSum).
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	r := float32(s)
	if float64(r) == s {
		return r
	}
	bv := s - p
	err := (p - (s - bv)) + (float64(c) - bv)
	if err == 0 {
		return r
	}
	other := math.Nextafter32(r, float32(math.Inf(1)))
	if float64(r) > s {
		other = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	if s != (float64(r)+float64(other))/2 {
		return r
	}
	// s is a tie: the exact value lies on err's side of it.
	if (err > 0) == (float64(other) > s) {
		return other
	}
	return r
}

// cumprod32 returns torch.cumprod of float32 values on the CPU: the running
// product is kept in float64 (torch's accumulation type for float on CPU)
// and each prefix stored as float32.
func cumprod32(x []float32) []float32 {
	out := make([]float32, len(x))
	acc := 1.0
	for i, v := range x {
		acc *= float64(v)
		out[i] = float32(acc)
	}
	return out
}

// sqrt32 is the correctly rounded float32 square root (torch's x**0.5);
// rounding the float64 root to float32 cannot double-round.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// numpyLinspace returns np.linspace(start, stop, n) in float64:
// y[i] = i·step + start with step = (stop − start)/(n − 1), and the last
// element set to stop.
func numpyLinspace(start, stop float64, n int) []float64 {
	out := make([]float64, n)
	if n == 0 {
		return out
	}
	if n == 1 {
		out[0] = start
		return out
	}
	step := (stop - start) / float64(n-1)
	for i := range out {
		out[i] = float64(float64(i)*step) + start
	}
	out[n-1] = stop
	return out
}

// numpyArange returns np.arange(start, stop, step) for float arguments:
// ceil((stop − start)/step) elements, start + i·delta where delta is
// (start + step) − start as numpy's fill recomputes it. The count can be
// one more than the real quotient suggests (np.arange(1000, 0, -1000/61)
// has 62 elements), which diffusers' trailing spacing inherits.
func numpyArange(start, stop, step float64) []float64 {
	n := int(math.Ceil((stop - start) / step))
	if n <= 0 {
		return nil
	}
	out := make([]float64, n)
	out[0] = start
	if n > 1 {
		second := start + step
		delta := second - start
		out[1] = second
		for i := 2; i < n; i++ {
			out[i] = start + float64(float64(i)*delta)
		}
	}
	return out
}

// numpyInterp returns np.interp(x, arange(len(fp)), fp) in float64 (the
// table's abscissae are 0, 1, …): fp[j] at integer points, otherwise
// slope·(x − j) + fp[j] on the interval [j, j+1], and the end values
// outside the table.
func numpyInterp(x float64, fp []float32) float64 {
	last := len(fp) - 1
	switch {
	case math.IsNaN(x):
		return x
	case x <= 0:
		return float64(fp[0])
	case x >= float64(last):
		return float64(fp[last])
	}
	j := int(math.Floor(x))
	if float64(j) == x {
		return float64(fp[j])
	}
	lo, hi := float64(fp[j]), float64(fp[j+1])
	slope := hi - lo
	return float64(slope*(x-float64(j))) + lo
}
