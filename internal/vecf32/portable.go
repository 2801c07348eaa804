package vecf32

import "math"

// goKernels is the pure-Go implementation, on every architecture. Its
// results define the package's semantics; the vector kernels compute the
// same formulas, with fused multiply-adds in exp, tanh and the logistic.
var goKernels = kernels{
	name: "go",
	add:  goAdd, sub: goSub, mul: goMul, div: goDiv, max: goMax, min: goMin,
	addScalar: goAddScalar, mulScalar: goMulScalar,
	exp: goExp, tanh: goTanh, logistic: goLogistic,
}

func goAdd(o, a, b []float32) {
	for i := range o {
		o[i] = a[i] + b[i]
	}
}

func goSub(o, a, b []float32) {
	for i := range o {
		o[i] = a[i] - b[i]
	}
}

func goMul(o, a, b []float32) {
	for i := range o {
		o[i] = a[i] * b[i]
	}
}

func goDiv(o, a, b []float32) {
	for i := range o {
		o[i] = a[i] / b[i]
	}
}

func goMax(o, a, b []float32) {
	for i := range o {
		o[i] = max32(a[i], b[i])
	}
}

func goMin(o, a, b []float32) {
	for i := range o {
		o[i] = min32(a[i], b[i])
	}
}

// max32 and min32 propagate NaN, as XLA's max and min do.
func max32(a, b float32) float32 {
	if a != a || a > b {
		return a
	}
	return b
}

func min32(a, b float32) float32 {
	if a != a || a < b {
		return a
	}
	return b
}

func goAddScalar(o, a []float32, s float32) {
	for i := range o {
		o[i] = a[i] + s
	}
}

func goMulScalar(o, a []float32, s float32) {
	for i := range o {
		o[i] = a[i] * s
	}
}

func goExp(o, x []float32) {
	for i := range o {
		o[i] = exp32(x[i])
	}
}

// Bounds of exp32: below expLo the result is not a normal float32, above
// expHi it overflows.
const (
	expLo = -87.33654
	expHi = 88.72283
)

// exp32 is Cephes' expf: e^v = 2^n·e^r with n = ⌊v·log₂e + ½⌋ and
// r = v − n·ln2 (ln2 split in two so that n·0.693359375 is exact),
// e^r ≈ 1 + r + r²·P(r) with P of degree 5.
func exp32(v float32) float32 {
	switch {
	case v != v:
		return v
	case v > expHi:
		return float32(math.Inf(1))
	case v < expLo:
		return 0
	}
	n := float32(math.Floor(float64(v*1.44269504088896341 + 0.5)))
	r := v - n*0.693359375
	r -= n * -2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	if n > 127 { // 2^n itself overflows; the product may not
		return p * 2 * math.Float32frombits(uint32(int32(n)+126)<<23)
	}
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// goTanh is Cephes' tanhf: x + x³·P(x²) for |x| < 0.625, ±1 for |x| > 9,
// else 1 − 2/(e^{2|x|} + 1) with the sign of x.
func goTanh(o, x []float32) {
	for i := range o {
		v := x[i]
		a := v
		if a < 0 {
			a = -a
		}
		switch {
		case v != v:
			o[i] = v
		case a < 0.625:
			z := v * v
			p := float32(-5.70498872745e-3)
			p = p*z + 2.06390887954e-2
			p = p*z - 5.37397155531e-2
			p = p*z + 1.33314422036e-1
			p = p*z - 3.33332819422e-1
			o[i] = v + v*z*p
		case a > 9:
			o[i] = 1
			if v < 0 {
				o[i] = -1
			}
		default:
			t := 1 - 2/(exp32(2*a)+1)
			if v < 0 {
				t = -t
			}
			o[i] = t
		}
	}
}

// goLogistic computes 1/(1 + e^−x); below −88, where e^−x overflows, the
// result is e^x (which exp32 flushes to 0).
func goLogistic(o, x []float32) {
	for i := range o {
		v := x[i]
		switch {
		case v != v:
			o[i] = v
		case v < -88:
			o[i] = exp32(v)
		default:
			o[i] = 1 / (1 + exp32(-v))
		}
	}
}
