package gemm

import (
	"runtime"
	"sync"
	"unsafe"
)

// job is one call: batch products of m×n outputs over k, with operand
// addresses, batch strides and leading dimensions in elements.
type job struct {
	nn             bool
	packed         bool // NT computed on NN tiles from transposed blocks of B
	elem           int  // element type of B for NT
	batch, m, n, k int
	a, b, c        unsafe.Pointer
	strideA, lda   int
	strideB, ldb   int
	strideC, ldc   int
}

// minParallel is the number of multiply-adds below which a call runs on
// one goroutine: under it, starting a second one costs more than it saves.
const minParallel = 1 << 17

// Cache blocking. NT tiles run over at most ntKC steps of K at a time
// (whole K when it is at most ntKMax) so that a tile's rows of A and B
// stay in L1, and over a block of B rows of about blockBytes, kept in L2
// while every row of A passes by. NN tiles do the same with nnKC steps
// (nnKMax) and panels of nnNV·vw columns of B.
const (
	ntKC       = 1024
	ntKMax     = 1536
	nnKC       = 512
	nnKMax     = 768
	blockBytes = 256 << 10
)

// run computes j with the active kernels, on several goroutines when it
// is big enough. Each output element is computed by one goroutine with a
// summation order fixed by the shape alone, so the result does not depend
// on the number of goroutines.
func run(j job) {
	ks := active
	j.packed = !j.nn && ks.pack[j.elem] != nil && j.m >= ks.packMinRows[j.elem]
	workers := runtime.GOMAXPROCS(0)
	work := j.batch * j.m * j.n * max(j.k, 1)
	if workers == 1 || work < minParallel {
		for t := range j.batch {
			j.product(ks, t, 0, j.m, 0, j.n)
		}
		return
	}
	c := calls.Get().(*call)
	c.job, c.ks = j, ks
	if j.batch >= workers {
		c.split(splitBatch, 0, j.batch, 1, workers)
	} else {
		// Split rows or columns in whole tiles, so every element keeps
		// the tile shape it has in a serial run.
		mr, nr := ks.mr, ks.nr
		rowsFirst := j.m >= 2*mr*workers
		if j.nn || j.packed {
			// Columns first: goroutines then pack disjoint parts of B.
			mr, nr = ks.nnMR, ks.nnNV*ks.vw
			rowsFirst = j.n < 2*nr*workers && j.m >= 2*mr*workers
		}
		for t := range j.batch {
			if rowsFirst {
				c.split(splitRows, t, j.m, mr, workers)
			} else {
				c.split(splitCols, t, j.n, nr, workers)
			}
		}
	}
	c.job = job{}
	calls.Put(c)
}

// How a call is split among goroutines.
const (
	splitBatch = iota // whole products
	splitRows         // rows of C of product t
	splitCols         // columns of C of product t
)

// call is a job shared by the goroutines computing its parts.
type call struct {
	job
	ks *kernels
	wg sync.WaitGroup
}

// calls recycles calls, so that a product allocates nothing.
var calls = sync.Pool{New: func() any { return new(call) }}

// part is a piece of a call for a worker: units [lo, hi) of the split.
type part struct {
	c             *call
	how, t        int
	lo, hi, units int
}

// do computes the part.
func (p part) do() {
	c := p.c
	switch p.how {
	case splitBatch:
		for t := p.lo; t < p.hi; t++ {
			c.product(c.ks, t, 0, c.m, 0, c.n)
		}
	case splitRows:
		c.product(c.ks, p.t, p.lo, min(p.hi, c.m), 0, c.n)
	case splitCols:
		c.product(c.ks, p.t, 0, c.m, p.lo, min(p.hi, c.n))
	}
}

// split computes n items (products, rows or columns) of the call in
// parts of whole units of step items, one part on this goroutine and the
// others on workers, and returns when all are done.
func (c *call) split(how, t, n, step, workers int) {
	units := (n + step - 1) / step
	parts := min(units, workers)
	per := (units + parts - 1) / parts * step
	startWorkers(parts - 1)
	for lo := per; lo < n; lo += per {
		c.wg.Add(1)
		work <- part{c: c, how: how, t: t, lo: lo, hi: min(lo+per, n)}
	}
	part{c: c, how: how, t: t, lo: 0, hi: min(per, n)}.do()
	c.wg.Wait()
}

// Workers are goroutines started on first need, as many as GOMAXPROCS
// has asked for less one, that wait for parts on work.
var (
	work        = make(chan part)
	workersMu   sync.Mutex
	workersLive int
)

func startWorkers(n int) {
	workersMu.Lock()
	defer workersMu.Unlock()
	for ; workersLive < n; workersLive++ {
		go func() {
			for p := range work {
				p.do()
				p.c.wg.Done()
			}
		}()
	}
}

// product computes rows [i0, i1) × columns [j0, j1) of product t.
func (j *job) product(ks *kernels, t, i0, i1, j0, j1 int) {
	c := unsafe.Add(j.c, t*j.strideC*4)
	if j.k == 0 { // A and B may be empty
		for i := i0; i < i1; i++ {
			clear(unsafe.Slice((*float32)(unsafe.Add(c, (i*j.ldc+j0)*4)), j1-j0))
		}
		return
	}
	a := unsafe.Add(j.a, t*j.strideA*4)
	b := unsafe.Add(j.b, t*j.strideB<<elemShift[j.elem])
	switch {
	case j.nn:
		nnBlock(ks, j.k, a, j.lda, b, j.ldb, c, j.ldc, i0, i1, j0, j1)
	case j.packed:
		ntPacked(ks, j.elem, j.k, a, j.lda, b, j.ldb, c, j.ldc, i0, i1, j0, j1)
	default:
		ntBlock(ks, j.elem, j.k, a, j.lda, b, j.ldb, c, j.ldc, i0, i1, j0, j1)
	}
}

// ntBlock computes C[i0:i1, j0:j1] of an NT product, k > 0.
func ntBlock(ks *kernels, elem, k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, i0, i1, j0, j1 int) {
	tl := &ks.nt[elem]
	mr, nr := ks.mr, ks.nr
	sh := elemShift[elem]
	kc := k
	if k > ntKMax {
		kc = ntKC
	}
	nc := max(blockBytes/(kc<<sh)/nr*nr, nr)
	pa := func(i, p int) unsafe.Pointer { return unsafe.Add(a, (i*lda+p)*4) }
	pb := func(jj, p int) unsafe.Pointer { return unsafe.Add(b, (jj*ldb+p)<<sh) }
	pc := func(i, jj int) unsafe.Pointer { return unsafe.Add(c, (i*ldc+jj)*4) }
	for p := 0; p < k; p += kc {
		kb := min(kc, k-p)
		acc := min(p, 1)
		for jc := j0; jc < j1; jc += nc {
			je := min(jc+nc, j1)
			i := i0
			for ; i+mr <= i1; i += mr {
				jj := jc
				for ; jj+nr <= je; jj += nr {
					tl.tile(kb, pa(i, p), lda, pb(jj, p), ldb, pc(i, jj), ldc, acc)
				}
				for ; jj < je; jj++ {
					tl.col(kb, pa(i, p), lda, pb(jj, p), ldb, pc(i, jj), ldc, acc)
				}
			}
			for ; i < i1; i++ {
				jj := jc
				for ; jj+nr <= je; jj += nr {
					tl.row(kb, pa(i, p), lda, pb(jj, p), ldb, pc(i, jj), ldc, acc)
				}
				for ; jj < je; jj++ {
					tl.one(kb, pa(i, p), lda, pb(jj, p), ldb, pc(i, jj), ldc, acc)
				}
			}
		}
	}
	if elem == elemF32 || ks.halfStep == 0 || k%ks.halfStep == 0 {
		return
	}
	// The kernels stopped at the last multiple of halfStep: add the rest.
	p0 := k - k%ks.halfStep
	for i := i0; i < i1; i++ {
		x := unsafe.Slice((*float32)(pa(i, p0)), k-p0)
		for jj := j0; jj < j1; jj++ {
			y := unsafe.Slice((*uint16)(pb(jj, p0)), k-p0)
			var s float32
			for q, v := range x {
				if elem == elemBF16 {
					s += v * BF16ToFloat32(y[q])
				} else {
					s += v * F16ToFloat32(y[q])
				}
			}
			*(*float32)(pc(i, jj)) += s
		}
	}
}

// nnBlock computes C[i0:i1, j0:j1] of an NN product, k > 0.
func nnBlock(ks *kernels, k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, i0, i1, j0, j1 int) {
	kc := k
	if k > nnKMax {
		kc = nnKC
	}
	for p := 0; p < k; p += kc {
		nnPanel(ks, min(kc, k-p), min(p, 1),
			unsafe.Add(a, p*4), lda, unsafe.Add(b, (p*ldb+j0)*4), ldb, unsafe.Add(c, j0*4), ldc, i0, i1, j1-j0)
	}
}

// ntPacked computes C[i0:i1, j0:j1] of an NT product, k > 0, on the NN
// tiles: blocks of B, one tile wide, are transposed into a scratch buffer
// and used by every row of A.
func ntPacked(ks *kernels, elem, k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, i0, i1, j0, j1 int) {
	w := ks.nnNV * ks.vw
	kc := k
	if k > nnKMax {
		kc = nnKC
	}
	pack, sh := ks.pack[elem], elemShift[elem]
	buf := scratch.Get().(*[]float32)
	if len(*buf) < kc*w {
		*buf = make([]float32, nnKMax*w)
	}
	dst := unsafe.Pointer(&(*buf)[0])
	for p := 0; p < k; p += kc {
		kb := min(kc, k-p)
		for jc := j0; jc < j1; jc += w {
			cols := min(w, j1-jc)
			for r := 0; r < cols; r += ks.packRows {
				pack(kb, unsafe.Add(b, ((jc+r)*ldb+p)<<sh), ldb, min(ks.packRows, cols-r), unsafe.Add(dst, r*4), w)
			}
			nnPanel(ks, kb, min(p, 1), unsafe.Add(a, p*4), lda, dst, w, unsafe.Add(c, jc*4), ldc, i0, i1, cols)
		}
	}
	scratch.Put(buf)
}

// scratch holds the buffers of ntPacked, one K block of a tile's width.
var scratch = sync.Pool{New: func() any { return new([]float32) }}

// nnPanel adds one block of kb steps of K to rows [i0, i1) of C[:, 0:cols]
// (or sets them, when acc is 0): a and b point at the block's first column
// of A and first row of B, c at the first column of C.
func nnPanel(ks *kernels, kb, acc int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, i0, i1, cols int) {
	mr, vw := ks.nnMR, ks.vw
	w := ks.nnNV * vw
	pa := func(i int) unsafe.Pointer { return unsafe.Add(a, i*lda*4) }
	pc := func(i, jj int) unsafe.Pointer { return unsafe.Add(c, (i*ldc+jj)*4) }
	jj := 0
	for ; jj+w <= cols; jj += w {
		pb := unsafe.Add(b, jj*4)
		i := i0
		for ; i+mr <= i1; i += mr {
			ks.nnTile(kb, pa(i), lda, pb, ldb, pc(i, jj), ldc, acc, w)
		}
		for ; i < i1; i++ {
			ks.nnRow(kb, pa(i), lda, pb, ldb, pc(i, jj), ldc, acc, w)
		}
	}
	for ; jj < cols; jj += vw {
		n := min(vw, cols-jj)
		pb := unsafe.Add(b, jj*4)
		i := i0
		for ; i+mr <= i1; i += mr {
			ks.nnMask(kb, pa(i), lda, pb, ldb, pc(i, jj), ldc, acc, n)
		}
		for ; i < i1; i++ {
			ks.nnRowMask(kb, pa(i), lda, pb, ldb, pc(i, jj), ldc, acc, n)
		}
	}
}
