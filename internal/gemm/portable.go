package gemm

import (
	"math"
	"unsafe"
)

// goKernels computes every tile in plain Go; it runs where no assembly
// kernel does and serves as the second opinion in tests.
var goKernels = kernels{
	name: "go",
	mr:   1, nr: 1,
	nt: [numElems]ntTiles{
		elemF32:  {goNTF32, goNTF32, goNTF32, goNTF32},
		elemBF16: {goNTBF16, goNTBF16, goNTBF16, goNTBF16},
		elemF16:  {goNTF16, goNTF16, goNTF16, goNTF16},
	},
	nnMR: 1, nnNV: 1, vw: 16,
	nnTile: goNNTile, nnRow: goNNTile, nnMask: goNN, nnRowMask: goNN,
}

// store writes s to *c, or adds it when acc is not zero.
func store(c unsafe.Pointer, s float32, acc int) {
	p := (*float32)(c)
	if acc != 0 {
		*p += s
	} else {
		*p = s
	}
}

// goNTF32 is the 1×1 NT tile: a dot product in four interleaved partial
// sums, combined as (s0+s1)+(s2+s3).
func goNTF32(k int, a unsafe.Pointer, _ int, b unsafe.Pointer, _ int, c unsafe.Pointer, _ int, acc int) {
	x := unsafe.Slice((*float32)(a), k)
	y := unsafe.Slice((*float32)(b), k)
	var s0, s1, s2, s3 float32
	p := 0
	for ; p+4 <= k; p += 4 {
		s0 += x[p] * y[p]
		s1 += x[p+1] * y[p+1]
		s2 += x[p+2] * y[p+2]
		s3 += x[p+3] * y[p+3]
	}
	for ; p < k; p++ {
		s0 += x[p] * y[p]
	}
	store(c, (s0+s1)+(s2+s3), acc)
}

func goNTBF16(k int, a unsafe.Pointer, _ int, b unsafe.Pointer, _ int, c unsafe.Pointer, _ int, acc int) {
	x := unsafe.Slice((*float32)(a), k)
	y := unsafe.Slice((*uint16)(b), k)
	var s0, s1 float32
	p := 0
	for ; p+2 <= k; p += 2 {
		s0 += x[p] * BF16ToFloat32(y[p])
		s1 += x[p+1] * BF16ToFloat32(y[p+1])
	}
	for ; p < k; p++ {
		s0 += x[p] * BF16ToFloat32(y[p])
	}
	store(c, s0+s1, acc)
}

func goNTF16(k int, a unsafe.Pointer, _ int, b unsafe.Pointer, _ int, c unsafe.Pointer, _ int, acc int) {
	x := unsafe.Slice((*float32)(a), k)
	y := unsafe.Slice((*uint16)(b), k)
	var s0, s1 float32
	p := 0
	for ; p+2 <= k; p += 2 {
		s0 += x[p] * F16ToFloat32(y[p])
		s1 += x[p+1] * F16ToFloat32(y[p+1])
	}
	for ; p < k; p++ {
		s0 += x[p] * F16ToFloat32(y[p])
	}
	store(c, s0+s1, acc)
}

// goNNTile is the 1×16 NN tile.
func goNNTile(k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, acc int, _ int) {
	goNN(k, a, lda, b, ldb, c, ldc, acc, 16)
}

// goNN is the 1×cols NN tile: row p of B scaled by A[p] is added to the
// row of C in the order of p.
func goNN(k int, a unsafe.Pointer, _ int, b unsafe.Pointer, ldb int, c unsafe.Pointer, _ int, acc int, cols int) {
	z := unsafe.Slice((*float32)(c), cols)
	if acc == 0 {
		clear(z)
	}
	if k == 0 {
		return
	}
	x := unsafe.Slice((*float32)(a), k)
	y := unsafe.Slice((*float32)(b), (k-1)*ldb+cols)
	for p, ap := range x {
		row := y[p*ldb : p*ldb+cols]
		for j, v := range row {
			z[j] += ap * v
		}
	}
}

// goPackF32 is a packFunc for float32 B: rows of B are read in fours and
// written as the columns of dst.
func goPackF32(k int, b unsafe.Pointer, ldb int, rows int, dst unsafe.Pointer, ldd int) {
	if k == 0 {
		return
	}
	d := unsafe.Slice((*float32)(dst), (k-1)*ldd+rows)
	r := 0
	for ; r+4 <= rows; r += 4 {
		s0 := unsafe.Slice((*float32)(unsafe.Add(b, r*ldb*4)), k)
		s1 := unsafe.Slice((*float32)(unsafe.Add(b, (r+1)*ldb*4)), k)
		s2 := unsafe.Slice((*float32)(unsafe.Add(b, (r+2)*ldb*4)), k)
		s3 := unsafe.Slice((*float32)(unsafe.Add(b, (r+3)*ldb*4)), k)
		for p := range k {
			q := d[p*ldd+r : p*ldd+r+4]
			q[0], q[1], q[2], q[3] = s0[p], s1[p], s2[p], s3[p]
		}
	}
	for ; r < rows; r++ {
		s0 := unsafe.Slice((*float32)(unsafe.Add(b, r*ldb*4)), k)
		for p, v := range s0 {
			d[p*ldd+r] = v
		}
	}
}

func goPackBF16(k int, b unsafe.Pointer, ldb int, rows int, dst unsafe.Pointer, ldd int) {
	goPack16(k, b, ldb, rows, dst, ldd, BF16ToFloat32)
}

func goPackF16(k int, b unsafe.Pointer, ldb int, rows int, dst unsafe.Pointer, ldd int) {
	goPack16(k, b, ldb, rows, dst, ldd, F16ToFloat32)
}

// goPack16 is a packFunc for 16-bit B widened by widen.
func goPack16(k int, b unsafe.Pointer, ldb int, rows int, dst unsafe.Pointer, ldd int, widen func(uint16) float32) {
	if k == 0 {
		return
	}
	d := unsafe.Slice((*float32)(dst), (k-1)*ldd+rows)
	r := 0
	for ; r+4 <= rows; r += 4 {
		s0 := unsafe.Slice((*uint16)(unsafe.Add(b, r*ldb*2)), k)
		s1 := unsafe.Slice((*uint16)(unsafe.Add(b, (r+1)*ldb*2)), k)
		s2 := unsafe.Slice((*uint16)(unsafe.Add(b, (r+2)*ldb*2)), k)
		s3 := unsafe.Slice((*uint16)(unsafe.Add(b, (r+3)*ldb*2)), k)
		for p := range k {
			q := d[p*ldd+r : p*ldd+r+4]
			q[0], q[1], q[2], q[3] = widen(s0[p]), widen(s1[p]), widen(s2[p]), widen(s3[p])
		}
	}
	for ; r < rows; r++ {
		s0 := unsafe.Slice((*uint16)(unsafe.Add(b, r*ldb*2)), k)
		for p, v := range s0 {
			d[p*ldd+r] = widen(v)
		}
	}
}

// BF16ToFloat32 widens bfloat16 bits to the float32 they stand for
// (exactly: a bfloat16 is the upper half of a float32).
func BF16ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// F16ToFloat32 widens IEEE 754 half-precision bits to float32, exactly,
// as the F16C instruction VCVTPH2PS does (subnormals included).
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		if man != 0 {
			man |= 0x200 // NaNs come out quiet
		}
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	}
	v := float32(man) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}
