package vecf32

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkFunctions runs every function with every kernel set on the
// fused loops' chunk (1024 elements, in L1) and on 1<<20 elements (in
// memory), and reports Gelem/s, per second of wall-clock time and per
// second of the process's CPU time (steadier on a shared machine); the
// bytes per element (loads and the store) make the MB/s column a memory
// bandwidth.
func BenchmarkFunctions(b *testing.B) {
	saved := active
	defer func() { active = saved }()
	for _, f := range fns {
		for _, n := range []int{1024, 1 << 20} {
			rng := rand.New(rand.NewPCG(1, 1))
			x, y := smallInputs(rng, n), smallInputs(rng, n)
			for i := range y {
				if y[i] == 0 { // keep Div in the normal case
					y[i] = 1
				}
			}
			o := make([]float32, n)
			bytes := int64(8)
			if f.arity == 2 {
				bytes = 12
			}
			for _, ks := range available() {
				b.Run(fmt.Sprintf("%s/n=%d/%s", f.name, n, ks.name), func(b *testing.B) {
					b.SetBytes(bytes * int64(n))
					t0 := cpuNow()
					for b.Loop() {
						f.run(ks, o, x, y)
					}
					elems := float64(n) * float64(b.N)
					if cpu := cpuNow() - t0; cpu > 0 {
						b.ReportMetric(elems/cpu.Seconds()/1e9, "Gelem/cpu-s")
					}
					b.ReportMetric(elems/b.Elapsed().Seconds()/1e9, "Gelem/s")
				})
			}
		}
	}
}
