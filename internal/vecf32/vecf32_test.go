package vecf32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// Tolerances, against float64 math on the same float32 inputs.
//
//   - Add, Sub, Mul, Div, AddScalar, MulScalar: exact. A float32 operation
//     rounds the exact result once, and so does rounding the float64 result
//     (which is exact for +, −, · and correctly rounded for /, with no
//     double-rounding issue at 24 → 53 → 24 bits), so every path must give
//     float32(float64(a) op float64(b)) bit for bit (NaN: any NaN).
//   - Max, Min: bit for bit the rule "a if a is NaN or a > b (<), else b".
//   - Exp: within expULP units in the last place of e^x where e^x is a
//     normal float32 (Cephes' polynomial is good to about 1 ulp; the
//     reduction, the polynomial's roundings and, on the vector paths,
//     fused multiply-adds instead of two roundings add at most another).
//     Where e^x is below the smallest normal the result must lie in
//     [0, 2⁻¹²⁶]; where it overflows, +Inf.
//   - Tanh, Logistic: within absTol absolute, Cephes' bound: both are
//     1 − (something ≤ 1 computed to a few ulp), so absolute error is what
//     is bounded near ±1; near 0 tanh's polynomial is relative-accurate.
const (
	expULP = 2
	absTol = 2e-7
)

var inf32 = float32(math.Inf(1))
var nan32 = float32(math.NaN())

// forEachKernel runs f once with each kernel set this CPU has.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := active
	defer func() { active = saved }()
	for _, ks := range available() {
		active = ks
		t.Run(ks.name, f)
	}
}

// specials are inputs at the edges of every function's cases.
var specials = []float32{
	0, float32(math.Copysign(0, -1)), inf32, -inf32, nan32,
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-40, -3e-39,
	0x1p-126, -0x1p-126, math.MaxFloat32, -math.MaxFloat32, 1e30, -1e30,
	1, -1, 0.5, -0.5, 0.625, -0.625, 0.62499994, -0.62499994, 9, -9, 9.000001, -9.000001,
	expHi, -expHi, expLo, -expLo, 88.72284, -88.72284, -87.33655, 87.33655,
	88, -88, -88.00001, -87.99999, 100, -100, 128 * math.Ln2, -126 * math.Ln2,
}

// inputs returns n values uniform in [-100, 100], a sixteenth of them
// replaced by special values.
func inputs(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64()*200 - 100)
		if rng.IntN(16) == 0 {
			x[i] = specials[rng.IntN(len(specials))]
		}
	}
	return x
}

// smallInputs returns n values uniform in [-12, 12], where tanh and the
// logistic are not yet saturated, with no special values.
func smallInputs(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64()*24 - 12)
	}
	return x
}

// fn is one function of the package as the tests see it: run calls the
// active kernels on inputs a, b (b unused by the unary and scalar
// functions, whose scalar is b[0]) and check judges one output.
type fn struct {
	name  string
	arity int // 1: unary, 2: binary, 0: array and scalar
	run   func(ks *kernels, o, a, b []float32)
	check func(got, a, b float32) error
}

func exact(op func(a, b float64) float64) func(got, a, b float32) error {
	return func(got, a, b float32) error {
		want := float32(op(float64(a), float64(b)))
		if want != want && got != got || math.Float32bits(got) == math.Float32bits(want) {
			return nil
		}
		return fmt.Errorf("got %v, want %v", got, want)
	}
}

func bits(want func(a, b float32) float32) func(got, a, b float32) error {
	return func(got, a, b float32) error {
		w := want(a, b)
		if math.Float32bits(got) == math.Float32bits(w) {
			return nil
		}
		return fmt.Errorf("got %v (%#x), want %v (%#x)", got, math.Float32bits(got), w, math.Float32bits(w))
	}
}

func checkExp(got, x, _ float32) error {
	w := math.Exp(float64(x))
	switch {
	case x != x:
		if got == got {
			return fmt.Errorf("got %v, want NaN", got)
		}
	case w > math.MaxFloat32:
		if got != inf32 {
			return fmt.Errorf("got %v, want +Inf (e^x = %g)", got, w)
		}
	case w < 0x1p-126:
		if !(got >= 0 && got <= 0x1p-126) {
			return fmt.Errorf("got %v, want a value in [0, 2⁻¹²⁶] (e^x = %g)", got, w)
		}
	default:
		_, e := math.Frexp(w) // w = f·2^e, ½ ≤ f < 1: one ulp is 2^(e−24)
		if ulps := math.Abs(float64(got)-w) / math.Ldexp(1, e-24); !(ulps <= expULP) {
			return fmt.Errorf("got %v, want %v: %.2f ulp", got, w, ulps)
		}
	}
	return nil
}

func absWithin(ref func(float64) float64) func(got, x, _ float32) error {
	return func(got, x, _ float32) error {
		w := ref(float64(x))
		if x != x {
			if got == got {
				return fmt.Errorf("got %v, want NaN", got)
			}
			return nil
		}
		if d := math.Abs(float64(got) - w); !(d <= absTol) {
			return fmt.Errorf("got %v, want %v: error %.3g", got, w, d)
		}
		return nil
	}
}

func logistic64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

var fns = []fn{
	{"Add", 2, func(ks *kernels, o, a, b []float32) { ks.add(o, a, b) }, exact(func(a, b float64) float64 { return a + b })},
	{"Sub", 2, func(ks *kernels, o, a, b []float32) { ks.sub(o, a, b) }, exact(func(a, b float64) float64 { return a - b })},
	{"Mul", 2, func(ks *kernels, o, a, b []float32) { ks.mul(o, a, b) }, exact(func(a, b float64) float64 { return a * b })},
	{"Div", 2, func(ks *kernels, o, a, b []float32) { ks.div(o, a, b) }, exact(func(a, b float64) float64 { return a / b })},
	{"Max", 2, func(ks *kernels, o, a, b []float32) { ks.max(o, a, b) }, bits(func(a, b float32) float32 {
		if a != a || a > b {
			return a
		}
		return b
	})},
	{"Min", 2, func(ks *kernels, o, a, b []float32) { ks.min(o, a, b) }, bits(func(a, b float32) float32 {
		if a != a || a < b {
			return a
		}
		return b
	})},
	{"AddScalar", 0, func(ks *kernels, o, a, b []float32) { ks.addScalar(o, a, b[0]) }, exact(func(a, b float64) float64 { return a + b })},
	{"MulScalar", 0, func(ks *kernels, o, a, b []float32) { ks.mulScalar(o, a, b[0]) }, exact(func(a, b float64) float64 { return a * b })},
	{"Exp", 1, func(ks *kernels, o, a, b []float32) { ks.exp(o, a) }, checkExp},
	{"Tanh", 1, func(ks *kernels, o, a, b []float32) { ks.tanh(o, a) }, absWithin(math.Tanh)},
	{"Logistic", 1, func(ks *kernels, o, a, b []float32) { ks.logistic(o, a) }, absWithin(logistic64)},
}

// call runs f on kernel set ks over a and b (the scalar functions take
// b[i]'s first element as s for every i) into a fresh slice padded with
// sentinels, and checks every output and that the padding is untouched.
func (f fn) verify(ks *kernels, a, b []float32) error {
	n := len(a)
	const pad = 17
	buf := make([]float32, n+2*pad)
	for i := range buf {
		buf[i] = -12345
	}
	o := buf[pad : pad+n : pad+n]
	sb := b
	if f.arity == 0 {
		sb = []float32{0}
		if len(b) > 0 {
			sb[0] = b[0]
		}
	}
	f.run(ks, o, a, sb)
	for i := range buf {
		if (i < pad || i >= pad+n) && buf[i] != -12345 {
			return fmt.Errorf("%s(n=%d): wrote outside the output, at %d", f.name, n, i-pad)
		}
	}
	var errs []string
	for i := range o {
		bi := float32(0)
		switch {
		case f.arity == 2:
			bi = b[i]
		case f.arity == 0:
			bi = sb[0]
		}
		if err := f.check(o[i], a[i], bi); err != nil {
			errs = append(errs, fmt.Sprintf("[%d] (%v, %v): %v", i, a[i], bi, err))
		}
	}
	if len(errs) > 0 {
		if len(errs) > 5 {
			errs = append(errs[:5], fmt.Sprintf("… %d in all", len(errs)))
		}
		return fmt.Errorf("%s(n=%d): %s", f.name, n, strings.Join(errs, "; "))
	}
	return nil
}

// testLengths cover every tail of both vector widths, the unrolled loops'
// boundaries and the fused loops' chunk.
func testLengths() []int {
	var ns []int
	for n := range 101 {
		ns = append(ns, n)
	}
	return append(ns, 127, 128, 129, 1000, 1023, 1024, 1025, 4099)
}

func TestFunctions(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for _, f := range fns {
			t.Run(f.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(len(f.name))))
				for _, n := range testLengths() {
					for _, gen := range []func(*rand.Rand, int) []float32{inputs, smallInputs} {
						a, b := gen(rng, n), gen(rng, n)
						if err := f.verify(active, a, b); err != nil {
							t.Error(err)
						}
					}
				}
			})
		}
	})
}

// TestSpecials runs every pair of special values, in every lane position
// of a vector and of the tail.
func TestSpecials(t *testing.T) {
	var a, b []float32
	for _, x := range specials {
		for _, y := range specials {
			a = append(a, x)
			b = append(b, y)
		}
	}
	forEachKernel(t, func(t *testing.T) {
		for _, f := range fns {
			for shift := range 17 {
				if err := f.verify(active, a[shift:], b[shift:]); err != nil {
					t.Error(err)
				}
			}
		}
	})
}

// TestSpecialValues pins the documented results, bit for bit.
func TestSpecialValues(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	cases := []struct {
		name string
		f    func(o, x []float32)
		x    []float32
		want []float32
	}{
		{"Exp", Exp,
			[]float32{-inf32, inf32, 0, negZero, 89, -88, 1e30, -1e30, 1e-40, expHi + 1e-5, expLo - 1e-5},
			[]float32{0, inf32, 1, 1, inf32, 0, inf32, 0, 1, inf32, 0}},
		{"Tanh", Tanh,
			[]float32{inf32, -inf32, 10, -10, 0, 1e30, -1e30, 1e-40, -1e-40, 9.5, -9.5},
			[]float32{1, -1, 1, -1, 0, 1, -1, 1e-40, -1e-40, 1, -1}},
		{"Logistic", Logistic,
			[]float32{inf32, -inf32, 0, -100, 100, -88.5, 1e30, -1e30},
			[]float32{1, 0, 0.5, 0, 1, 0, 1, 0}},
	}
	forEachKernel(t, func(t *testing.T) {
		for _, c := range cases {
			// Repeat the cases so they also land in the vector body.
			var x, want []float32
			for range 5 {
				x = append(x, c.x...)
				want = append(want, c.want...)
			}
			o := make([]float32, len(x))
			c.f(o, x)
			for i := range o {
				if math.Float32bits(o[i]) != math.Float32bits(want[i]) {
					t.Errorf("%s(%v) = %v, want %v", c.name, x[i], o[i], want[i])
				}
			}
			x[3] = nan32
			c.f(o, x)
			if o[3] == o[3] {
				t.Errorf("%s(NaN) = %v, want NaN", c.name, o[3])
			}
		}
	})
}

// TestAgreesWithGo requires the vector paths to agree with the Go path
// exactly where the results are exact and within the tolerances
// elsewhere: the Go path is the package's semantics.
func TestAgreesWithGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	n := 4099
	a, b := inputs(rng, n), inputs(rng, n)
	s := []float32{1.5}
	forEachKernel(t, func(t *testing.T) {
		for _, f := range fns {
			bb := b
			if f.arity == 0 {
				bb = s
			}
			got, want := make([]float32, n), make([]float32, n)
			f.run(active, got, a, bb)
			f.run(&goKernels, want, a, bb)
			for i := range got {
				g, w := got[i], want[i]
				switch {
				case w != w:
					if g == g {
						t.Errorf("%s: [%d] got %v, Go gives NaN", f.name, i, g)
					}
				case f.arity != 1 || math.IsInf(float64(w), 0) || w == 0:
					if g != w {
						t.Errorf("%s: [%d] (%v) got %v, Go gives %v", f.name, i, a[i], g, w)
					}
				case f.name == "Exp":
					if d := math.Abs(float64(g-w)) / float64(w); d > 4.0/(1<<24) {
						t.Errorf("%s: [%d] (%v) got %v, Go gives %v", f.name, i, a[i], g, w)
					}
				default:
					if d := math.Abs(float64(g - w)); d > absTol {
						t.Errorf("%s: [%d] (%v) got %v, Go gives %v", f.name, i, a[i], g, w)
					}
				}
			}
		}
	})
}

// TestAliasing runs every function with the output on an input.
func TestAliasing(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	forEachKernel(t, func(t *testing.T) {
		for _, f := range fns {
			for _, n := range []int{0, 1, 15, 16, 17, 100, 1025} {
				a, b := inputs(rng, n), inputs(rng, n)
				if f.arity == 0 {
					b = []float32{-2.5}
				}
				want := make([]float32, n)
				f.run(active, want, a, b)
				o := append([]float32(nil), a...)
				f.run(active, o, o, b)
				if !sameBits(o, want) {
					t.Errorf("%s(n=%d) with o == a differs", f.name, n)
				}
				if f.arity == 2 {
					o = append([]float32(nil), b...)
					f.run(active, o, a, o)
					if !sameBits(o, want) {
						t.Errorf("%s(n=%d) with o == b differs", f.name, n)
					}
				}
			}
		}
	})
}

func sameBits(x, y []float32) bool {
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return false
		}
	}
	return len(x) == len(y)
}

// corrupt wraps each function of ks so that it spoils one finite output,
// as a kernel with one wrong lane would.
func corrupt(ks *kernels) *kernels {
	spoil := func(o []float32) {
		for i := len(o) / 2; i < len(o); i++ {
			if v := o[i]; v == v && !math.IsInf(float64(v), 0) {
				o[i] = v + (1+float32(math.Abs(float64(v))))*1e-3
				return
			}
		}
	}
	b := *ks
	b.name += "-broken"
	for _, f := range []*binaryFunc{&b.add, &b.sub, &b.mul, &b.div, &b.max, &b.min} {
		good := *f
		*f = func(o, a, b []float32) { good(o, a, b); spoil(o) }
	}
	for _, f := range []*scalarFunc{&b.addScalar, &b.mulScalar} {
		good := *f
		*f = func(o, a []float32, s float32) { good(o, a, s); spoil(o) }
	}
	for _, f := range []*unaryFunc{&b.exp, &b.tanh, &b.logistic} {
		good := *f
		*f = func(o, x []float32) { good(o, x); spoil(o) }
	}
	return &b
}

// TestCheckerCatchesBrokenKernel requires the checks to fail on kernels
// with one wrong lane: the tests above cannot pass by checking nothing.
func TestCheckerCatchesBrokenKernel(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		broken := corrupt(active)
		for _, f := range fns {
			rng := rand.New(rand.NewPCG(5, 5))
			for _, n := range []int{1, 16, 37} {
				a, b := smallInputs(rng, n), smallInputs(rng, n)
				if err := f.verify(active, a, b); err != nil {
					t.Fatalf("correct kernel fails: %v", err)
				}
				if err := f.verify(broken, a, b); err == nil {
					t.Errorf("%s(n=%d): broken kernel passed the checks", f.name, n)
				}
			}
		}
	})
}

func TestPanics(t *testing.T) {
	x3, x4 := make([]float32, 3), make([]float32, 4)
	cases := []struct {
		name string
		call func()
		want string
	}{
		{"Add", func() { Add(x3, x3, x4) }, "vecf32: Add: lengths differ: len(o)=3, len(a)=3, len(b)=4"},
		{"Max", func() { Max(x3, x4, x3) }, "vecf32: Max: lengths differ: len(o)=3, len(a)=4, len(b)=3"},
		{"MulScalar", func() { MulScalar(x4, x3, 2) }, "vecf32: MulScalar: lengths differ: len(o)=4, len(a)=3"},
		{"Exp", func() { Exp(x3, x4) }, "vecf32: Exp: lengths differ: len(o)=3, len(x)=4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != c.want {
					t.Errorf("panic %v, want %q", r, c.want)
				}
			}()
			c.call()
		})
	}
}

func TestKernel(t *testing.T) {
	names := map[string]bool{}
	for _, ks := range available() {
		names[ks.name] = true
	}
	if !names[Kernel()] {
		t.Errorf("Kernel() = %q, not among the available %v", Kernel(), names)
	}
	if !names["go"] {
		t.Error("the Go kernels are not available")
	}
	if want := chooseKernels(os.Getenv("ACTSH_VEC")).name; Kernel() != want {
		t.Errorf("Kernel() = %q with ACTSH_VEC=%q, want %q", Kernel(), os.Getenv("ACTSH_VEC"), want)
	}
	if chooseKernels("no-such-kernel") != available()[0] {
		t.Error("an unknown ACTSH_VEC value does not fall back to the fastest kernels")
	}
	for name := range names {
		if chooseKernels(name).name != name {
			t.Errorf("ACTSH_VEC=%s not honoured", name)
		}
	}
	saved := active
	defer func() { active = saved }()
	if useKernels("no-such-kernel") {
		t.Error("useKernels accepts an unknown name")
	}
	if !useKernels("go") || Kernel() != "go" {
		t.Error("useKernels(\"go\") does not switch to the Go kernels")
	}
}

// FuzzFunctions checks every function on every path for arbitrary
// operands, repeated so that they reach both the vector body and the
// masked tail.
func FuzzFunctions(f *testing.F) {
	for _, x := range specials {
		f.Add(math.Float32bits(x), math.Float32bits(1.5))
	}
	f.Fuzz(func(t *testing.T, xb, yb uint32) {
		x, y := math.Float32frombits(xb), math.Float32frombits(yb)
		a, b := make([]float32, 37), make([]float32, 37)
		for i := range a {
			a[i], b[i] = x, y
		}
		for _, ks := range available() {
			for _, fn := range fns {
				if err := fn.verify(ks, a, b); err != nil {
					t.Errorf("%s: %v", ks.name, err)
				}
			}
		}
	})
}
