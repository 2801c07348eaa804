//go:build ignore

// gen writes the amd64 micro-kernels of package gemm: kernels_amd64.s (Go
// assembly) and kernels_amd64.go (their declarations). Run it through
// go generate; the output depends on nothing but this file.
//
// Two kernel families are generated for each instruction set, and the
// transposes for AVX-512:
//
//   - NT tiles: C[r, c] (+)= Σ_p A[r, p]·B[c, p] for an mr×nr tile, both
//     operands K-contiguous. Each output has one vector accumulator whose
//     lanes see every vw-th product; the tail of K is loaded with a mask so
//     nothing past a row is read. At the end each accumulator is folded
//     halves-first to four lanes and then summed by two horizontal adds,
//     the same tree in every tile shape, so an element's value does not
//     depend on which tile computed it.
//   - NN tiles: C[r, j:j+vw·nv] (+)= Σ_p A[r, p]·B[p, j:j+vw·nv], one
//     broadcast of A per row and step, products added in the order of p.
//     Masked forms cover the last, partial vector of a row of C.
//   - AVX-512 transposes of blocks of B into a scratch block, widened to
//     float32, so that NT products with many rows can run on the NN
//     tiles: 16 rows by a transpose in registers, fewer (float32 only)
//     by one masked gather per column.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

// isa describes one vector instruction set.
type isa struct {
	name string // suffix of the function names
	vw   int    // float32 lanes per vector
	reg  string // vector register prefix
	mr   int    // rows of A in an NT tile
	nr   int    // rows of B in an NT tile
	nnMR int    // rows of A in an NN tile
	nnNV int    // vectors of C columns in an NN tile
}

var (
	avx512 = isa{name: "AVX512", vw: 16, reg: "Z", mr: 4, nr: 4, nnMR: 6, nnNV: 4}
	avx2   = isa{name: "AVX2", vw: 8, reg: "Y", mr: 3, nr: 4, nnMR: 6, nnNV: 2}
)

// dtype is the element type of B in an NT tile.
type dtype struct {
	name  string
	shift int // log2 of the element size in bytes
}

var (
	f32  = dtype{"F32", 2}
	bf16 = dtype{"BF16", 1}
	f16  = dtype{"F16", 1}
)

type writer struct {
	s    bytes.Buffer // assembly
	decl bytes.Buffer // declarations
}

func (w *writer) l(format string, args ...any) {
	fmt.Fprintf(&w.s, "\t"+format+"\n", args...)
}

func (w *writer) label(name string) { fmt.Fprintf(&w.s, "%s:\n", name) }

func log2(n int) int {
	s := 0
	for 1<<s < n {
		s++
	}
	return s
}

// row addresses: base register, row stride register and 3×stride register.
func rowAddr(base, ld, ld3 string, r, off int) string {
	o := ""
	if off != 0 {
		o = fmt.Sprint(off)
	}
	switch r {
	case 0:
		return fmt.Sprintf("%s(%s)", o, base)
	case 1:
		return fmt.Sprintf("%s(%s)(%s*1)", o, base, ld)
	case 2:
		return fmt.Sprintf("%s(%s)(%s*2)", o, base, ld)
	case 3:
		return fmt.Sprintf("%s(%s)(%s*1)", o, base, ld3)
	}
	log.Fatalf("row %d", r)
	return ""
}

func ntName(is isa, dt dtype, mr, nr int) string {
	return fmt.Sprintf("nt%sTile%dx%d%s", dt.name, mr, nr, is.name)
}

func nnName(is isa, mr, nv int, masked bool) string {
	if masked {
		return fmt.Sprintf("nnF32Mask%d%s", mr, is.name)
	}
	return fmt.Sprintf("nnF32Tile%dx%d%s", mr, nv, is.name)
}

const ntArgs = "k int, a unsafe.Pointer, lda int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, acc int"

// nt writes one NT tile kernel. The AVX2 kernels for 16-bit B stop at the
// last whole vector of K; the caller adds the remaining products.
func nt(w *writer, is isa, dt dtype, mr, nr int) {
	name := ntName(is, dt, mr, nr)
	fmt.Fprintf(&w.decl, "\n//go:noescape\nfunc %s(%s)\n", name, ntArgs)
	maskedTail := is.name == "AVX512" || dt.shift == 2
	acc := func(r, c int) int { return r*nr + c }
	a := func(r int) string { return rowAddr("SI", "R8", "R9", r, 0) }
	b := func(c int) string { return rowAddr("DI", "R10", "R11", c, 0) }
	cr := func(r int) string { return rowAddr("DX", "R12", "R14", r, 0) }

	fmt.Fprintf(&w.s, "\n// func %s(%s)\n", name, ntArgs)
	fmt.Fprintf(&w.s, "TEXT ·%s(SB), NOSPLIT, $0-64\n", name)
	w.l("MOVQ k+0(FP), CX")
	w.l("MOVQ a+8(FP), SI")
	w.l("MOVQ lda+16(FP), R8")
	w.l("SHLQ $2, R8")
	w.l("LEAQ (R8)(R8*2), R9")
	w.l("MOVQ b+24(FP), DI")
	w.l("MOVQ ldb+32(FP), R10")
	w.l("SHLQ $%d, R10", dt.shift)
	w.l("LEAQ (R10)(R10*2), R11")
	w.l("MOVQ c+40(FP), DX")
	w.l("MOVQ ldc+48(FP), R12")
	w.l("SHLQ $2, R12")
	w.l("LEAQ (R12)(R12*2), R14")
	w.l("MOVQ acc+56(FP), R13")
	if nr == 4 {
		// AX walks the rows of B of the next tile, which the drivers
		// compute next: prefetching them hides the latency of memory
		// when B streams from RAM (decoding).
		w.l("LEAQ (DI)(R10*4), AX")
	}
	for i := 0; i < mr*nr; i++ {
		if is.name == "AVX512" {
			w.l("VPXORD Z%d, Z%d, Z%d", i, i, i)
		} else {
			w.l("VXORPS Y%d, Y%d, Y%d", i, i, i)
		}
	}
	w.l("MOVQ CX, BX")
	w.l("ANDQ $%d, BX", is.vw-1)
	w.l("SHRQ $%d, CX", log2(is.vw))
	w.l("JZ tail")
	w.label("loop")
	if is.name == "AVX512" {
		for r := 0; r < mr; r++ {
			w.l("VMOVUPS %s, Z%d", a(r), 16+r)
		}
		for c := 0; c < nr; c++ {
			loadB512(w, dt, b(c), 20+c, false)
		}
		for r := 0; r < mr; r++ {
			for c := 0; c < nr; c++ {
				w.l("VFMADD231PS Z%d, Z%d, Z%d", 20+c, 16+r, acc(r, c))
			}
		}
	} else {
		for r := 0; r < mr; r++ {
			w.l("VMOVUPS %s, Y%d", a(r), 12+r)
		}
		for c := 0; c < nr; c++ {
			switch dt {
			case f32:
				w.l("VMOVUPS %s, Y15", b(c))
			case bf16:
				w.l("VPMOVZXWD %s, Y15", b(c))
				w.l("VPSLLD $16, Y15, Y15")
			case f16:
				w.l("VCVTPH2PS %s, Y15", b(c))
			}
			for r := 0; r < mr; r++ {
				w.l("VFMADD231PS Y15, Y%d, Y%d", 12+r, acc(r, c))
			}
		}
	}
	if nr == 4 {
		for c := 0; c < 4; c++ {
			w.l("PREFETCHT0 %s", rowAddr("AX", "R10", "R11", c, 0))
		}
		w.l("ADDQ $%d, AX", is.vw<<dt.shift)
	}
	w.l("ADDQ $%d, SI", is.vw*4)
	w.l("ADDQ $%d, DI", is.vw<<dt.shift)
	w.l("DECQ CX")
	w.l("JNZ loop")
	w.label("tail")
	if maskedTail {
		w.l("TESTQ BX, BX")
		w.l("JZ reduce")
		if is.name == "AVX512" {
			w.l("MOVQ BX, CX")
			w.l("MOVQ $1, AX")
			w.l("SHLQ CX, AX")
			w.l("DECQ AX")
			w.l("KMOVW AX, K1")
			for r := 0; r < mr; r++ {
				w.l("VMOVUPS.Z %s, K1, Z%d", a(r), 16+r)
			}
			for c := 0; c < nr; c++ {
				loadB512(w, dt, b(c), 20+c, true)
			}
			for r := 0; r < mr; r++ {
				for c := 0; c < nr; c++ {
					w.l("VFMADD231PS Z%d, Z%d, Z%d", 20+c, 16+r, acc(r, c))
				}
			}
		} else {
			w.l("SHLQ $2, BX")
			w.l("LEAQ maskTab<>+32(SB), AX")
			w.l("SUBQ BX, AX")
			w.l("VMOVDQU (AX), Y15")
			for r := 0; r < mr; r++ {
				w.l("VMASKMOVPS %s, Y15, Y12", a(r))
				for c := 0; c < nr; c++ {
					w.l("VMASKMOVPS %s, Y15, Y13", b(c))
					w.l("VFMADD231PS Y13, Y12, Y%d", acc(r, c))
				}
			}
		}
	}
	w.label("reduce")
	fold := func(i int) {
		if is.name == "AVX512" {
			w.l("VEXTRACTF64X4 $1, Z%d, Y24", i)
			w.l("VADDPS Y24, Y%d, Y%d", i, i)
			w.l("VEXTRACTF32X4 $1, Y%d, X24", i)
			w.l("VADDPS X24, X%d, X%d", i, i)
		} else {
			w.l("VEXTRACTF128 $1, Y%d, X12", i)
			w.l("VADDPS X12, X%d, X%d", i, i)
		}
	}
	// Every sum is ((x0+x1)+(x2+x3)) over the folded lanes; the grouped
	// form below computes four of them at once with the same additions.
	for r := 0; r < mr; r++ {
		if nr == 4 {
			for c := 0; c < 4; c++ {
				fold(acc(r, c))
			}
			w.l("VHADDPS X%d, X%d, X%d", acc(r, 1), acc(r, 0), acc(r, 0))
			w.l("VHADDPS X%d, X%d, X%d", acc(r, 3), acc(r, 2), acc(r, 2))
			w.l("VHADDPS X%d, X%d, X%d", acc(r, 2), acc(r, 0), acc(r, 0))
		} else {
			for c := 0; c < nr; c++ {
				fold(acc(r, c))
				w.l("VHADDPS X%d, X%d, X%d", acc(r, c), acc(r, c), acc(r, c))
				w.l("VHADDPS X%d, X%d, X%d", acc(r, c), acc(r, c), acc(r, c))
			}
		}
	}
	w.l("TESTQ R13, R13")
	w.l("JZ store")
	for r := 0; r < mr; r++ {
		if nr == 4 {
			w.l("VADDPS %s, X%d, X%d", cr(r), acc(r, 0), acc(r, 0))
		} else {
			w.l("VADDSS %s, X%d, X%d", cr(r), acc(r, 0), acc(r, 0))
		}
	}
	w.label("store")
	for r := 0; r < mr; r++ {
		if nr == 4 {
			w.l("VMOVUPS X%d, %s", acc(r, 0), cr(r))
		} else {
			w.l("VMOVSS X%d, %s", acc(r, 0), cr(r))
		}
	}
	w.l("VZEROUPPER")
	w.l("RET")
}

// loadB512 loads 16 elements of B at addr into Z<reg> as float32.
func loadB512(w *writer, dt dtype, addr string, reg int, masked bool) {
	if dt == f32 {
		if masked {
			w.l("VMOVUPS.Z %s, K1, Z%d", addr, reg)
		} else {
			w.l("VMOVUPS %s, Z%d", addr, reg)
		}
		return
	}
	src := addr
	if masked {
		w.l("VMOVDQU16.Z %s, K1, Y%d", addr, reg)
		src = fmt.Sprintf("Y%d", reg)
	}
	if dt == bf16 {
		w.l("VPMOVZXWD %s, Z%d", src, reg)
		w.l("VPSLLD $16, Z%d, Z%d", reg, reg)
	} else {
		w.l("VCVTPH2PS %s, Z%d", src, reg)
	}
}

const nnArgs = ntArgs + ", cols int"

// nn writes one NN tile kernel: mr rows of A and nv vectors of columns,
// or, when masked, one vector holding the first cols columns.
func nn(w *writer, is isa, mr, nv int, masked bool) {
	name := nnName(is, mr, nv, masked)
	fmt.Fprintf(&w.decl, "\n//go:noescape\nfunc %s(%s)\n", name, nnArgs)
	if masked {
		nv = 1
	}
	R := is.reg
	vb := is.vw * 4
	acc := func(r, v int) int { return r*nv + v }
	a := func(r int) string {
		if r < 4 {
			return rowAddr("SI", "R8", "R9", r, 0)
		}
		return rowAddr("BX", "R8", "R9", r-4, 0)
	}
	cr := func(r, v int) string {
		if r < 4 {
			return rowAddr("DX", "R12", "R14", r, v*vb)
		}
		return rowAddr("R11", "R12", "R14", r-4, v*vb)
	}
	bReg := func(v int) int {
		if is.name == "AVX512" {
			return 24 + v
		}
		return 12 + v
	}
	fmt.Fprintf(&w.s, "\n// func %s(%s)\n", name, nnArgs)
	fmt.Fprintf(&w.s, "TEXT ·%s(SB), NOSPLIT, $0-72\n", name)
	if masked {
		if is.name == "AVX512" {
			w.l("MOVQ cols+64(FP), CX")
			w.l("MOVQ $1, AX")
			w.l("SHLQ CX, AX")
			w.l("DECQ AX")
			w.l("KMOVW AX, K1")
		} else {
			w.l("MOVQ cols+64(FP), AX")
			w.l("SHLQ $2, AX")
			w.l("LEAQ maskTab<>+32(SB), BX")
			w.l("SUBQ AX, BX")
			w.l("VMOVDQU (BX), Y15")
		}
	}
	w.l("MOVQ k+0(FP), CX")
	w.l("MOVQ a+8(FP), SI")
	w.l("MOVQ lda+16(FP), R8")
	w.l("SHLQ $2, R8")
	w.l("LEAQ (R8)(R8*2), R9")
	w.l("LEAQ (SI)(R8*4), BX")
	w.l("MOVQ b+24(FP), DI")
	w.l("MOVQ ldb+32(FP), R10")
	w.l("SHLQ $2, R10")
	w.l("MOVQ c+40(FP), DX")
	w.l("MOVQ ldc+48(FP), R12")
	w.l("SHLQ $2, R12")
	w.l("LEAQ (R12)(R12*2), R14")
	w.l("LEAQ (DX)(R12*4), R11")
	w.l("MOVQ acc+56(FP), R13")
	w.l("TESTQ R13, R13")
	w.l("JNZ load")
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			i := acc(r, v)
			if is.name == "AVX512" {
				w.l("VPXORD Z%d, Z%d, Z%d", i, i, i)
			} else {
				w.l("VXORPS Y%d, Y%d, Y%d", i, i, i)
			}
		}
	}
	w.l("JMP start")
	w.label("load")
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			switch {
			case !masked:
				w.l("VMOVUPS %s, %s%d", cr(r, v), R, acc(r, v))
			case is.name == "AVX512":
				w.l("VMOVUPS.Z %s, K1, Z%d", cr(r, v), acc(r, v))
			default:
				w.l("VMASKMOVPS %s, Y15, Y%d", cr(r, v), acc(r, v))
			}
		}
	}
	w.label("start")
	w.l("TESTQ CX, CX")
	w.l("JZ store")
	w.label("loop")
	for v := 0; v < nv; v++ {
		switch {
		case !masked:
			w.l("VMOVUPS %d(DI), %s%d", v*vb, R, bReg(v))
		case is.name == "AVX512":
			w.l("VMOVUPS.Z (DI), K1, Z%d", bReg(v))
		default:
			w.l("VMASKMOVPS (DI), Y15, Y%d", bReg(v))
		}
	}
	for r := 0; r < mr; r++ {
		bc := 14
		if is.name == "AVX512" {
			bc = 28 + r%2
		}
		w.l("VBROADCASTSS %s, %s%d", a(r), R, bc)
		for v := 0; v < nv; v++ {
			w.l("VFMADD231PS %s%d, %s%d, %s%d", R, bReg(v), R, bc, R, acc(r, v))
		}
	}
	w.l("ADDQ $4, SI")
	w.l("ADDQ $4, BX")
	w.l("ADDQ R10, DI")
	w.l("DECQ CX")
	w.l("JNZ loop")
	w.label("store")
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			switch {
			case !masked:
				w.l("VMOVUPS %s%d, %s", R, acc(r, v), cr(r, v))
			case is.name == "AVX512":
				w.l("VMOVUPS Z%d, K1, %s", acc(r, v), cr(r, v))
			default:
				w.l("VMASKMOVPS Y%d, Y15, %s", acc(r, v), cr(r, v))
			}
		}
	}
	w.l("VZEROUPPER")
	w.l("RET")
}

const packArgs = "k int, b unsafe.Pointer, ldb int, rows int, dst unsafe.Pointer, ldd int"

// packT writes the transpose of a rows×k block of B (rows ≤ 16) to dst:
// dst[p·ldd+r] = B[r·ldb+p], one masked gather of a column per step.
func packT(w *writer) {
	name := "packTAVX512"
	fmt.Fprintf(&w.decl, "\n//go:noescape\nfunc %s(%s)\n", name, packArgs)
	fmt.Fprintf(&w.s, "\n// func %s(%s)\n", name, packArgs)
	fmt.Fprintf(&w.s, "TEXT ·%s(SB), NOSPLIT, $0-48\n", name)
	w.l("MOVQ rows+24(FP), CX")
	w.l("MOVQ $1, AX")
	w.l("SHLQ CX, AX")
	w.l("DECQ AX")
	w.l("KMOVW AX, K1")
	w.l("MOVQ ldb+16(FP), AX")
	w.l("SHLQ $2, AX")
	w.l("VPBROADCASTD AX, Z1")
	w.l("VMOVDQU32 iota<>(SB), Z2")
	w.l("VPMULLD Z2, Z1, Z1")
	w.l("MOVQ k+0(FP), CX")
	w.l("MOVQ b+8(FP), SI")
	w.l("MOVQ dst+32(FP), DI")
	w.l("MOVQ ldd+40(FP), DX")
	w.l("SHLQ $2, DX")
	w.l("TESTQ CX, CX")
	w.l("JZ done")
	w.label("loop")
	w.l("KMOVW K1, K2")
	w.l("VGATHERDPS (SI)(Z1*1), K2, Z0")
	w.l("VMOVUPS Z0, K1, (DI)")
	w.l("ADDQ $4, SI")
	w.l("ADDQ DX, DI")
	w.l("DECQ CX")
	w.l("JNZ loop")
	w.label("done")
	w.l("VZEROUPPER")
	w.l("RET")
}

const pack16Args = "k int, b unsafe.Pointer, ldb int, dst unsafe.Pointer, ldd int"

// packT16 writes the transpose of a 16×k block of B, widened to float32,
// to dst, dst[p·ldd+r] = B[r·ldb+p], 16 steps of K at a time: 16 row loads
// (masked in the tail of K), a 16×16 transpose in registers (32-bit,
// 64-bit and two 128-bit interleaves) and 16 stores.
func packT16(w *writer, dt dtype) {
	name := fmt.Sprintf("pack%sT16AVX512", dt.name)
	fmt.Fprintf(&w.decl, "\n//go:noescape\nfunc %s(%s)\n", name, pack16Args)
	fmt.Fprintf(&w.s, "\n// func %s(%s)\n", name, pack16Args)
	fmt.Fprintf(&w.s, "TEXT ·%s(SB), NOSPLIT, $0-40\n", name)
	w.l("MOVQ k+0(FP), CX")
	w.l("MOVQ b+8(FP), SI")
	w.l("MOVQ ldb+16(FP), R8")
	w.l("SHLQ $%d, R8", dt.shift)
	w.l("LEAQ (R8)(R8*2), R9")
	w.l("LEAQ (SI)(R8*4), R10")
	w.l("LEAQ (R10)(R8*4), R11")
	w.l("LEAQ (R11)(R8*4), R12")
	w.l("MOVQ dst+24(FP), DI")
	w.l("MOVQ ldd+32(FP), DX")
	w.l("SHLQ $2, DX")
	w.l("MOVQ CX, BX")
	w.l("ANDQ $15, BX")
	w.l("SHRQ $4, CX")
	w.l("JZ tail")
	row := func(r int) string {
		base := []string{"SI", "R10", "R11", "R12"}[r/4]
		return rowAddr(base, "R8", "R9", r%4, 0)
	}
	transpose := func() {
		for i := 0; i < 16; i += 2 {
			w.l("VUNPCKLPS Z%d, Z%d, Z%d", i+1, i, 16+i)
			w.l("VUNPCKHPS Z%d, Z%d, Z%d", i+1, i, 17+i)
		}
		for q := 0; q < 16; q += 4 {
			t := 16 + q
			w.l("VUNPCKLPD Z%d, Z%d, Z%d", t+2, t, q)
			w.l("VUNPCKHPD Z%d, Z%d, Z%d", t+2, t, q+1)
			w.l("VUNPCKLPD Z%d, Z%d, Z%d", t+3, t+1, q+2)
			w.l("VUNPCKHPD Z%d, Z%d, Z%d", t+3, t+1, q+3)
		}
		for h := 0; h < 16; h += 8 {
			for i := 0; i < 4; i++ {
				w.l("VSHUFF32X4 $0x88, Z%d, Z%d, Z%d", h+i+4, h+i, 16+h+i)
				w.l("VSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", h+i+4, h+i, 16+h+i+4)
			}
		}
		for i := 0; i < 8; i++ {
			w.l("VSHUFF32X4 $0x88, Z%d, Z%d, Z%d", 16+i+8, 16+i, i)
			w.l("VSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", 16+i+8, 16+i, i+8)
		}
	}
	w.label("loop")
	for r := 0; r < 16; r++ {
		loadB512(w, dt, row(r), r, false)
	}
	transpose()
	for i := 0; i < 16; i++ {
		w.l("VMOVUPS Z%d, (DI)", i)
		w.l("ADDQ DX, DI")
	}
	for _, r := range []string{"SI", "R10", "R11", "R12"} {
		w.l("ADDQ $%d, %s", 16<<dt.shift, r)
	}
	w.l("DECQ CX")
	w.l("JNZ loop")
	w.label("tail")
	w.l("TESTQ BX, BX")
	w.l("JZ done")
	w.l("MOVQ BX, CX")
	w.l("MOVQ $1, AX")
	w.l("SHLQ CX, AX")
	w.l("DECQ AX")
	w.l("KMOVW AX, K1")
	for r := 0; r < 16; r++ {
		loadB512(w, dt, row(r), r, true)
	}
	transpose()
	for i := 0; i < 15; i++ {
		w.l("VMOVUPS Z%d, (DI)", i)
		w.l("ADDQ DX, DI")
		w.l("CMPQ BX, $%d", i+1)
		w.l("JEQ done")
	}
	w.label("done")
	w.l("VZEROUPPER")
	w.l("RET")
}

func main() {
	var w writer
	const header = "// Code generated by gen.go; DO NOT EDIT.\n\n"
	w.s.WriteString(header)
	w.s.WriteString("#include \"textflag.h\"\n\n")
	w.s.WriteString("// maskTab holds eight all-ones lanes then eight zero lanes: the 32\n")
	w.s.WriteString("// bytes at maskTab+32-4n are a VMASKMOVPS mask for the first n lanes.\n")
	for i := 0; i < 16; i++ {
		v := "0xffffffff"
		if i >= 8 {
			v = "0x00000000"
		}
		fmt.Fprintf(&w.s, "DATA maskTab<>+%d(SB)/4, $%s\n", i*4, v)
	}
	w.s.WriteString("GLOBL maskTab<>(SB), RODATA|NOPTR, $64\n\n")
	w.s.WriteString("// iota holds the lane numbers 0…15.\n")
	for i := 0; i < 16; i++ {
		fmt.Fprintf(&w.s, "DATA iota<>+%d(SB)/4, $%d\n", i*4, i)
	}
	w.s.WriteString("GLOBL iota<>(SB), RODATA|NOPTR, $64\n")

	w.decl.WriteString(header)
	w.decl.WriteString("package gemm\n\nimport \"unsafe\"\n")

	for _, is := range []isa{avx512, avx2} {
		for _, dt := range []dtype{f32, bf16, f16} {
			nt(&w, is, dt, is.mr, is.nr)
			nt(&w, is, dt, 1, is.nr)
			nt(&w, is, dt, is.mr, 1)
			nt(&w, is, dt, 1, 1)
		}
		nn(&w, is, is.nnMR, is.nnNV, false)
		nn(&w, is, 1, is.nnNV, false)
		nn(&w, is, is.nnMR, 1, true)
		nn(&w, is, 1, 1, true)
	}
	packT(&w)
	for _, dt := range []dtype{f32, bf16, f16} {
		packT16(&w, dt)
	}
	if err := os.WriteFile("kernels_amd64.s", w.s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("kernels_amd64.go", w.decl.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
