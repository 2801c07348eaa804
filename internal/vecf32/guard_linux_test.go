package vecf32

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guarded returns a slice of n float32 that ends where an inaccessible
// page begins, so that a kernel reading or writing one element past it
// faults.
func guarded(t *testing.T, n int) []float32 {
	t.Helper()
	page := syscall.Getpagesize()
	size := (4*n/page + 2) * page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	end := size - page
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[end-4*n])), n)
}

// TestGuardPage runs every function on slices that end at an inaccessible
// page: the masked tails must not touch the lanes past the end.
func TestGuardPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	forEachKernel(t, func(t *testing.T) {
		for _, f := range fns {
			for _, n := range []int{1, 7, 9, 15, 17, 31, 33, 100} {
				a, b, o := guarded(t, n), guarded(t, n), guarded(t, n)
				copy(a, inputs(rng, n))
				copy(b, inputs(rng, n))
				f.run(active, o, a, b)
				for i := range o {
					var bi float32
					switch f.arity {
					case 2:
						bi = b[i]
					case 0:
						bi = b[0]
					}
					if err := f.check(o[i], a[i], bi); err != nil {
						t.Errorf("%s(n=%d) [%d]: %v", f.name, n, i, err)
					}
				}
			}
		}
	})
}
