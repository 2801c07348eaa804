package vecf32

import "os"

// binaryFunc computes o[i] = a[i] op b[i] for i < len(o); the caller has
// checked that the three lengths agree.
type binaryFunc func(o, a, b []float32)

// scalarFunc computes o[i] = a[i] op s for i < len(o).
type scalarFunc func(o, a []float32, s float32)

// unaryFunc computes o[i] = f(x[i]) for i < len(o).
type unaryFunc func(o, x []float32)

// kernels is one implementation of every function of the package. The
// exported functions check lengths and call the active set; they need no
// other knowledge of the instruction set.
type kernels struct {
	name string

	add, sub, mul, div, max, min binaryFunc
	addScalar, mulScalar         scalarFunc
	exp, tanh, logistic          unaryFunc
}

// active is the kernel set the functions use.
var active = chooseKernels(os.Getenv("ACTSH_VEC"))

// available lists the kernel sets this CPU runs, fastest first.
func available() []*kernels {
	return append(platformKernels(), &goKernels)
}

// chooseKernels returns the set named want, or the fastest set when want
// is empty or not available here.
func chooseKernels(want string) *kernels {
	all := available()
	for _, ks := range all {
		if ks.name == want {
			return ks
		}
	}
	return all[0]
}

// useKernels makes the set named name active and reports whether it
// exists on this CPU; tests and benchmarks call it between calls.
func useKernels(name string) bool {
	for _, ks := range available() {
		if ks.name == name {
			active = ks
			return true
		}
	}
	return false
}

// Kernel returns the name of the implementation the functions run:
// "avx512", "avx2" or "go".
func Kernel() string { return active.name }
