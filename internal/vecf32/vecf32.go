package vecf32

import "fmt"

// Add sets o[i] = a[i] + b[i]. The slices must have the same length; o may
// be a or b.
func Add(o, a, b []float32) { active.add(o, a, check2("Add", o, a, b)) }

// Sub sets o[i] = a[i] − b[i].
func Sub(o, a, b []float32) { active.sub(o, a, check2("Sub", o, a, b)) }

// Mul sets o[i] = a[i]·b[i].
func Mul(o, a, b []float32) { active.mul(o, a, check2("Mul", o, a, b)) }

// Div sets o[i] = a[i] / b[i].
func Div(o, a, b []float32) { active.div(o, a, check2("Div", o, a, b)) }

// Max sets o[i] = a[i] if a[i] is NaN or a[i] > b[i], else b[i]: a NaN in
// either operand gives NaN, and max(−0, +0) is +0 while max(+0, −0) is −0.
func Max(o, a, b []float32) { active.max(o, a, check2("Max", o, a, b)) }

// Min sets o[i] = a[i] if a[i] is NaN or a[i] < b[i], else b[i].
func Min(o, a, b []float32) { active.min(o, a, check2("Min", o, a, b)) }

// AddScalar sets o[i] = a[i] + s.
func AddScalar(o, a []float32, s float32) { active.addScalar(o, check1("AddScalar", "a", o, a), s) }

// MulScalar sets o[i] = a[i]·s.
func MulScalar(o, a []float32, s float32) { active.mulScalar(o, check1("MulScalar", "a", o, a), s) }

// Exp sets o[i] = e^x[i]: 0 for x[i] < −87.33654 (results below the
// smallest normal float32), +Inf for x[i] > 88.72283, NaN for NaN.
func Exp(o, x []float32) { active.exp(o, check1("Exp", "x", o, x)) }

// Tanh sets o[i] = tanh(x[i]) = 1 − 2/(e^{2x[i]} + 1): ±1 for |x[i]| > 9,
// NaN for NaN.
func Tanh(o, x []float32) { active.tanh(o, check1("Tanh", "x", o, x)) }

// Logistic sets o[i] = 1/(1 + e^−x[i]): 0 for x[i] < −88, NaN for NaN.
func Logistic(o, x []float32) { active.logistic(o, check1("Logistic", "x", o, x)) }

// check1 panics unless len(a) == len(o), and returns a; name is the
// argument's name in the message.
func check1(fn, name string, o, a []float32) []float32 {
	if len(a) != len(o) {
		panic(fmt.Sprintf("vecf32: %s: lengths differ: len(o)=%d, len(%s)=%d", fn, len(o), name, len(a)))
	}
	return a
}

// check2 panics unless a and b have the length of o, and returns b.
func check2(fn string, o, a, b []float32) []float32 {
	if len(a) != len(o) || len(b) != len(o) {
		panic(fmt.Sprintf("vecf32: %s: lengths differ: len(o)=%d, len(a)=%d, len(b)=%d", fn, len(o), len(a), len(b)))
	}
	return b
}
