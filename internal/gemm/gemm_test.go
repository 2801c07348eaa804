package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// Tolerance. Whatever order a kernel adds k float32 products in (vector
// lanes, a reduction tree, K blocks), each partial sum is rounded once per
// addition, so |C - exact| ≤ (k-1)·u·Σ|A[i,p]·B[p,j]| to first order, with
// u = 2⁻²⁴ (products are exact in fused multiply-adds or rounded once, one
// more u). tolSlack adds room for the handful of extra additions (tree
// levels, block merges) so the bound is (k+tolSlack)·u·Σ|a·b|; it is tight
// enough that dropping a single product or lane is caught (see
// TestCheckerCatchesBrokenKernel).
const tolSlack = 32

const unit = 1.0 / (1 << 24)

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

// operand is a row-major matrix inside a slice padded with sentinels.
type operand struct {
	rows, cols, ld, stride, batch int
}

func (o operand) size() int {
	if o.rows == 0 || o.cols == 0 || o.batch == 0 {
		return 0
	}
	return (o.batch-1)*o.stride + (o.rows-1)*o.ld + o.cols
}

func (o operand) at(t, r, c int) int { return t*o.stride + r*o.ld + c }

// randF32 fills n values uniform in [-1, 1).
func randF32(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.Float64()*2 - 1)
	}
	return s
}

// randHalf fills n 16-bit values of the element type with random finite
// numbers of magnitude about 2⁻⁶…2⁶, and for f16 some subnormals.
func randHalf(rng *rand.Rand, elem, n int) []uint16 {
	s := make([]uint16, n)
	for i := range s {
		sign := uint16(rng.IntN(2)) << 15
		switch elem {
		case elemBF16:
			s[i] = sign | uint16(121+rng.IntN(12))<<7 | uint16(rng.IntN(128))
		case elemF16:
			e := uint16(9 + rng.IntN(12))
			if rng.IntN(10) == 0 {
				e = 0
			}
			s[i] = sign | e<<10 | uint16(rng.IntN(1024))
		}
	}
	return s
}

// widen returns the float64 value of element i of b.
func widen(elem int, f []float32, h []uint16, i int) float64 {
	switch elem {
	case elemBF16:
		return float64(BF16ToFloat32(h[i]))
	case elemF16:
		return float64(F16ToFloat32(h[i]))
	}
	return float64(f[i])
}

// reference computes the exact (float64) products and their error bounds.
func reference(nn bool, elem, batch, m, n, k int, a []float32, oa operand, bf []float32, bh []uint16, ob operand) (want, bound []float64) {
	want = make([]float64, batch*m*n)
	bound = make([]float64, batch*m*n)
	for t := range batch {
		for i := range m {
			for j := range n {
				var s, abs float64
				for p := range k {
					bi := ob.at(t, j, p)
					if nn {
						bi = ob.at(t, p, j)
					}
					x := float64(a[oa.at(t, i, p)]) * widen(elem, bf, bh, bi)
					s += x
					abs += math.Abs(x)
				}
				want[(t*m+i)*n+j] = s
				bound[(t*m+i)*n+j] = float64(k+tolSlack) * unit * abs
			}
		}
	}
	return want, bound
}

// sentinel fills the padding of C; it must survive every product.
const sentinel = float32(-12345.5)

// compare checks C against the reference and its padding against the
// sentinel, returning the first difference.
func compare(c []float32, oc operand, want, bound []float64) error {
	inside := make([]bool, len(c))
	for t := range oc.batch {
		for i := range oc.rows {
			for j := range oc.cols {
				idx := oc.at(t, i, j)
				inside[idx] = true
				w := want[(t*oc.rows+i)*oc.cols+j]
				got := float64(c[idx])
				if !(math.Abs(got-w) <= bound[(t*oc.rows+i)*oc.cols+j]) {
					return fmt.Errorf("C[%d][%d,%d] = %g, want %g ± %.3g", t, i, j, got, w, bound[(t*oc.rows+i)*oc.cols+j])
				}
			}
		}
	}
	for i, v := range c {
		if !inside[i] && v != sentinel {
			return fmt.Errorf("padding C[%d] = %g was written", i, v)
		}
	}
	return nil
}

// product is one test case.
type product struct {
	nn               bool
	elem             int
	batch, m, n, k   int
	padA, padB, padC int // extra leading dimension
	gapA, gapB, gapC int // extra batch stride
	shareA           bool
}

func (p product) String() string {
	op := "NT"
	if p.nn {
		op = "NN"
	}
	return fmt.Sprintf("%s%s/b%d_%dx%dx%d_pad%d%d%d", op, [...]string{"f32", "bf16", "f16"}[p.elem],
		p.batch, p.m, p.n, p.k, p.padA, p.padB, p.padC)
}

// run computes the product with the active kernels and checks it.
func (p product) run(seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 7))
	oa := operand{rows: p.m, cols: p.k, ld: p.k + p.padA, batch: p.batch}
	oa.stride = oa.rows*oa.ld + p.gapA
	if p.shareA {
		oa.stride = 0
	}
	ob := operand{rows: p.n, cols: p.k, ld: p.k + p.padB, batch: p.batch}
	if p.nn {
		ob = operand{rows: p.k, cols: p.n, ld: p.n + p.padB, batch: p.batch}
	}
	ob.stride = ob.rows*ob.ld + p.gapB
	oc := operand{rows: p.m, cols: p.n, ld: p.n + p.padC, batch: p.batch}
	oc.stride = oc.rows*oc.ld + p.gapC

	a := randF32(rng, oa.size())
	var bf []float32
	var bh []uint16
	if p.elem == elemF32 {
		bf = randF32(rng, ob.size())
	} else {
		bh = randHalf(rng, p.elem, ob.size())
	}
	c := make([]float32, oc.size())
	for i := range c {
		c[i] = sentinel
	}
	switch {
	case p.nn:
		NNBatch(p.batch, p.m, p.n, p.k, a, oa.stride, oa.ld, bf, ob.stride, ob.ld, c, oc.stride, oc.ld)
	case p.elem == elemBF16:
		NTBF16(p.m, p.n, p.k, a, oa.ld, bh, ob.ld, c, oc.ld)
	case p.elem == elemF16:
		NTF16(p.m, p.n, p.k, a, oa.ld, bh, ob.ld, c, oc.ld)
	default:
		NTBatch(p.batch, p.m, p.n, p.k, a, oa.stride, oa.ld, bf, ob.stride, ob.ld, c, oc.stride, oc.ld)
	}
	want, bound := reference(p.nn, p.elem, p.batch, p.m, p.n, p.k, a, oa, bf, bh, ob)
	return compare(c, oc, want, bound)
}

// products lists the shapes every kernel set is checked on: sizes around
// every tile and vector width, strided operands, batches, each dtype, and
// shapes big enough to be blocked along K and split across goroutines.
func products() []product {
	var ps []product
	small := []int{1, 2, 3, 5, 7, 15, 16, 17, 31, 33}
	ks := []int{1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129}
	for _, m := range small {
		for _, n := range small {
			for _, k := range ks {
				for elem := range numElems {
					ps = append(ps, product{elem: elem, batch: 1, m: m, n: n, k: k, padA: m % 3, padB: n % 2, padC: k % 3})
				}
				ps = append(ps, product{nn: true, batch: 1, m: m, n: n, k: k, padA: n % 3, padB: m % 2, padC: k % 3})
			}
		}
	}
	for _, d := range []int{31, 63, 65, 127, 129} {
		for _, nn := range []bool{false, true} {
			ps = append(ps, product{nn: nn, batch: 1, m: d, n: d, k: d, padA: 1, padB: 2, padC: 3})
			ps = append(ps, product{nn: nn, batch: 1, m: 1, n: d * 5, k: d, padC: 1})
			ps = append(ps, product{nn: nn, batch: 1, m: d, n: 1, k: d})
			ps = append(ps, product{nn: nn, batch: 1, m: d, n: d, k: 1})
		}
	}
	big := []product{
		{batch: 1, m: 37, n: 70, k: 1600, padA: 5, padB: 3, padC: 1}, // K blocks, parallel
		{batch: 1, m: 1, n: 3001, k: 300, padB: 1},
		{batch: 1, m: 70, n: 100, k: 1000, padA: 1, padB: 2, padC: 3},          // from gathered B, K blocks
		{elem: elemBF16, batch: 1, m: 70, n: 100, k: 1000, padA: 1, padB: 2},   // from widened B
		{elem: elemF16, batch: 1, m: 130, n: 37, k: 33, padC: 1},               // decode, split along n
		{batch: 1, m: 130, n: 37, k: 90, padC: 2},                              // split along m
		{nn: true, batch: 1, m: 70, n: 150, k: 900, padA: 1, padB: 7, padC: 1}, // K blocks, parallel
		{nn: true, batch: 1, m: 1, n: 3001, k: 100},
		{nn: true, batch: 1, m: 131, n: 65, k: 70},
		{elem: elemBF16, batch: 1, m: 9, n: 203, k: 1601, padA: 3, padB: 1},
		{elem: elemF16, batch: 1, m: 9, n: 203, k: 1601, padA: 3, padB: 1},
		{elem: elemBF16, batch: 1, m: 67, n: 40, k: 77},
		{elem: elemF16, batch: 1, m: 1, n: 1000, k: 333},
		{batch: 3, m: 17, n: 9, k: 33, padA: 1, padB: 2, padC: 3, gapA: 5, gapB: 1, gapC: 2},
		{nn: true, batch: 3, m: 17, n: 9, k: 33, padA: 1, padB: 2, padC: 3, gapA: 5, gapB: 1, gapC: 2},
		{batch: 5, m: 64, n: 64, k: 64, gapC: 1, shareA: true},
		{nn: true, batch: 5, m: 64, n: 64, k: 64, gapB: 3, shareA: true},
		{batch: 1, m: 0, n: 5, k: 5},
		{batch: 1, m: 5, n: 0, k: 5},
		{batch: 0, m: 5, n: 5, k: 5},
		{batch: 2, m: 5, n: 6, k: 0, padC: 1, gapC: 1},
		{nn: true, batch: 2, m: 5, n: 6, k: 0, padC: 1, gapC: 1},
		{elem: elemF16, batch: 1, m: 3, n: 4, k: 0},
	}
	return append(ps, big...)
}

func TestProducts(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for i, p := range products() {
			if err := p.run(uint64(i)); err != nil {
				t.Errorf("%v: %v", p, err)
			}
		}
	})
}

// TestRandomProducts checks products of random shapes (m up to 150 rows,
// across the switch to gathered B at 64; k up to 1700, across the K
// blocks; at most 2M multiply-adds), random padding and batch strides,
// every op and dtype.
func TestRandomProducts(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for i := range 60 {
			p := product{
				nn: rng.IntN(4) == 0, elem: rng.IntN(numElems), batch: 1,
				m: 1 + rng.IntN(150), n: 1 + rng.IntN(150), k: 1 + rng.IntN(1700),
				padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3),
			}
			if p.nn || p.elem == elemF32 {
				p.batch = 1 + rng.IntN(3)
				p.gapA, p.gapB, p.gapC = rng.IntN(5), rng.IntN(5), rng.IntN(5)
			}
			if p.nn {
				p.elem = elemF32
			}
			for p.batch*p.m*p.n*p.k > 1<<21 { // keeps the float64 reference quick
				if p.m > p.n {
					p.m = (p.m + 1) / 2
				} else {
					p.n = (p.n + 1) / 2
				}
			}
			if err := p.run(uint64(1000 + i)); err != nil {
				t.Errorf("%v: %v", p, err)
			}
		}
	})
}

// TestCheckerCatchesBrokenKernel runs the checks against kernels that drop
// the last product of K, and against kernels that perturb one output by a
// relative 2⁻¹², and requires them to fail: the tests above cannot pass by
// checking nothing.
func TestCheckerCatchesBrokenKernel(t *testing.T) {
	dropLast := func(f ntFunc) ntFunc {
		return func(k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, acc int) {
			f(k-1, a, lda, b, ldb, c, ldc, acc)
		}
	}
	dropLastNN := func(f nnFunc) nnFunc {
		return func(k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, acc int, cols int) {
			f(k-1, a, lda, b, ldb, c, ldc, acc, cols)
		}
	}
	perturb := func(f ntFunc) ntFunc {
		return func(k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, acc int) {
			f(k, a, lda, b, ldb, c, ldc, acc)
			*(*float32)(c) *= 1 + 1.0/(1<<12)
		}
	}
	cases := []product{
		{batch: 1, m: 9, n: 9, k: 40},
		{batch: 1, m: 1, n: 9, k: 17},
		{nn: true, batch: 1, m: 13, n: 40, k: 20},
		{elem: elemBF16, batch: 1, m: 5, n: 9, k: 24},
	}
	forEachKernel(t, func(t *testing.T) {
		good := active
		defer func() { active = good }()
		for _, mode := range []string{"drop", "perturb"} {
			broken := *good
			for e := range numElems {
				tl := &broken.nt[e]
				for _, f := range []*ntFunc{&tl.tile, &tl.row, &tl.col, &tl.one} {
					if mode == "drop" {
						*f = dropLast(*f)
					} else {
						*f = perturb(*f)
					}
				}
			}
			if mode == "drop" {
				broken.nnTile = dropLastNN(broken.nnTile)
				broken.nnRow = dropLastNN(broken.nnRow)
				broken.nnMask = dropLastNN(broken.nnMask)
				broken.nnRowMask = dropLastNN(broken.nnRowMask)
			}
			for i, p := range cases {
				if mode == "perturb" && p.nn {
					continue
				}
				active = good
				if err := p.run(uint64(i)); err != nil {
					t.Fatalf("%v: correct kernel fails: %v", p, err)
				}
				active = &broken
				if err := p.run(uint64(i)); err == nil {
					t.Errorf("%v: %s: broken kernel passed the checks", p, mode)
				}
			}
		}
	})
}

// TestDeterministic requires bit-identical results from repeated calls and
// from one or two goroutines.
func TestDeterministic(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		const m, n, k = 67, 259, 1700
		a := randF32(rng, m*k)
		b := randF32(rng, n*k)
		bn := randF32(rng, k*n)
		bh := randHalf(rng, elemBF16, n*k)
		calls := map[string]func(c []float32){
			"NT":     func(c []float32) { NT(m, n, k, a, k, b, k, c, n) },
			"NN":     func(c []float32) { NN(m, n, k, a, k, bn, n, c, n) },
			"NTBF16": func(c []float32) { NTBF16(m, n, k, a, k, bh, k, c, n) },
			"NTdec":  func(c []float32) { NT(1, n, k, a, k, b, k, c, n) },
		}
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
		for name, call := range calls {
			var first []float32
			for _, procs := range []int{1, 2, 2, 3} {
				runtime.GOMAXPROCS(procs)
				c := make([]float32, m*n)
				call(c)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s with GOMAXPROCS %d: C[%d] = %g, first run gave %g", name, procs, i, c[i], first[i])
					}
				}
			}
		}
	})
}

// TestTileShapesAgree requires an element to come out the same whichever
// tile computed it, on both NT paths and on NN, which makes any split of
// the work give the same bits: the products are recomputed on operands
// shifted by a few rows and columns, which moves every element to another
// place in the tiles (full, edge or masked).
func TestTileShapesAgree(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, tc := range []struct {
			nn      bool
			m, n, k int
		}{{false, 13, 14, 45}, {false, 75, 90, 45}, {true, 75, 90, 45}} {
			m, n, k := tc.m, tc.n, tc.k
			const di, dj = 5, 7 // shift; rows stay ≥ 64 where they were
			a := randF32(rng, m*k)
			b := randF32(rng, n*k)
			full := make([]float32, m*n)
			part := make([]float32, m*n)
			if tc.nn {
				NN(m, n, k, a, k, b, n, full, n)
				NN(m-di, n-dj, k, a[di*k:], k, b[dj:], n, part, n)
			} else {
				NT(m, n, k, a, k, b, k, full, n)
				NT(m-di, n-dj, k, a[di*k:], k, b[dj*k:], k, part, n)
			}
			for i := range m - di {
				for j := range n - dj {
					x, y := part[i*n+j], full[(i+di)*n+j+dj]
					if math.Float32bits(x) != math.Float32bits(y) {
						t.Fatalf("nn %v %dx%dx%d: C[%d,%d] %g, shifted %g", tc.nn, m, n, k, i+di, j+dj, y, x)
					}
				}
			}
			if m > 20 {
				continue
			}
			for i := range m {
				for j := range n {
					var c [1]float32
					NT(1, 1, k, a[i*k:], k, b[j*k:], k, c[:], 1)
					if math.Float32bits(c[0]) != math.Float32bits(full[i*n+j]) {
						t.Fatalf("C[%d,%d]: alone %g, in a tile %g", i, j, c[0], full[i*n+j])
					}
				}
			}
		}
	})
}

func TestPanics(t *testing.T) {
	s := make([]float32, 100)
	h := make([]uint16, 100)
	cases := []struct {
		name, want string
		f          func()
	}{
		{"negative", "negative size", func() { NT(-1, 2, 2, s, 2, s, 2, s, 2) }},
		{"lda<k", "ld of A (3) is less than its 4 columns", func() { NT(2, 2, 4, s, 3, s, 4, s, 2) }},
		{"ldc<n", "ld of C", func() { NN(2, 5, 4, s, 4, s, 5, s, 4) }},
		{"short A", "A has 100 elements", func() { NT(11, 2, 10, s, 10, s, 10, s, 2) }},
		{"short B", "B has 100 elements", func() { NTBF16(1, 11, 10, s, 10, h, 10, s, 11) }},
		{"short C batch", "C has 100 elements", func() { NTBatch(2, 5, 10, 1, s, 5, 1, s, 10, 1, s, 50, 11) }},
		{"negative stride", "negative batch stride", func() { NNBatch(2, 1, 1, 1, s, -1, 1, s, 1, 1, s, 1, 1) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "gemm.") {
					t.Errorf("panic %q, want one containing %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

func TestF16ToFloat32(t *testing.T) {
	cases := []struct {
		h    uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 1.0 / (1 << 24)},
		{0x03ff, 1023.0 / (1 << 24)}, {0x0400, 1.0 / (1 << 14)}, {0x3555, 0.333251953125},
		{0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	}
	for _, tc := range cases {
		if got := F16ToFloat32(tc.h); got != tc.want {
			t.Errorf("F16ToFloat32(%#04x) = %g, want %g", tc.h, got, tc.want)
		}
	}
	if got := F16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("F16ToFloat32(0x8000) = %g, want -0", got)
	}
	if got := F16ToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("F16ToFloat32(0x7e00) = %g, want NaN", got)
	}
	if got := BF16ToFloat32(0x3fc0); got != 1.5 {
		t.Errorf("BF16ToFloat32(0x3fc0) = %g, want 1.5", got)
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
	if chooseKernels("no-such-kernel") != available()[0] {
		t.Error("an unknown ACTSH_GEMM value does not fall back to the fastest kernels")
	}
	for name := range names {
		if chooseKernels(name).name != name {
			t.Errorf("ACTSH_GEMM=%s not honoured", name)
		}
	}
}

// TestNoAllocs requires products to allocate nothing once warm, serial or
// split among goroutines, on every path.
func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	forEachKernel(t, func(t *testing.T) {
		for _, s := range []struct {
			batch, m, n, k int
			nn             bool
		}{
			{1, 1, 64, 64, false},    // serial
			{1, 1, 3072, 256, false}, // columns split
			{1, 8, 512, 256, false},  // dot tiles
			{1, 128, 256, 64, false}, // gathered B
			{4, 128, 128, 64, false}, // batch split
			{1, 130, 100, 70, true},
		} {
			a := make([]float32, s.batch*s.m*s.k)
			b := make([]float32, s.batch*s.n*s.k)
			c := make([]float32, s.batch*s.m*s.n)
			f := func() {
				if s.nn {
					NNBatch(s.batch, s.m, s.n, s.k, a, s.m*s.k, s.k, b, s.n*s.k, s.n, c, s.m*s.n, s.n)
				} else {
					NTBatch(s.batch, s.m, s.n, s.k, a, s.m*s.k, s.k, b, s.n*s.k, s.k, c, s.m*s.n, s.n)
				}
			}
			if n := testing.AllocsPerRun(20, f); n != 0 {
				t.Errorf("%+v: %v allocations per call", s, n)
			}
		}
	})
}
