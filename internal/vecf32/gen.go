//go:build ignore

// gen writes the amd64 kernels of package vecf32: kernels_amd64.s (Go
// assembly) and kernels_amd64.go (their declarations). Run it through go
// generate; the output depends on nothing but this file.
//
// Every kernel streams over its slices: four vectors per iteration for the
// arithmetic, two for exp, tanh and the logistic on AVX-512 (one on AVX2,
// whose 16 registers one body nearly fills), then single vectors,
// then the last len mod width elements under a lane mask (AVX-512 k1,
// AVX2 VMASKMOVPS), so nothing outside the slices is touched. Constants
// are 32-byte rows of one float32 repeated, read as memory operands (AVX2)
// or broadcast from their first lane (AVX-512 .BCST).
package main

import (
	"bytes"
	"fmt"
	"log"
	"math"
	"os"
)

// isa describes one vector instruction set.
type isa struct {
	name string // suffix of the function names
	vw   int    // float32 lanes per vector
	reg  string // vector register prefix
	evex bool   // AVX-512: masks in K registers, broadcast operands
	// roff and koff shift the vector and mask registers a body uses, so
	// that unrolled copies of a unary body use disjoint registers.
	roff, koff int
}

var (
	avx512 = isa{name: "AVX512", vw: 16, reg: "Z", evex: true}
	avx2   = isa{name: "AVX2", vw: 8, reg: "Y"}
)

// v names vector register i.
func (s isa) v(i int) string { return fmt.Sprintf("%s%d", s.reg, i+s.roff) }

// k names mask register i (AVX-512).
func (s isa) k(i int) string { return fmt.Sprintf("K%d", i+s.koff) }

// bc returns mnemonic mn for an operand that is a constant: AVX-512
// broadcasts its first lane.
func (s isa) bc(mn string) string {
	if s.evex {
		return mn + ".BCST"
	}
	return mn
}

// c names constant name as a memory operand.
func c(name string) string { return name + "<>(SB)" }

// constant is one row of the constant table.
type constant struct {
	name string
	bits uint32
}

func f(name string, v float32) constant { return constant{name, math.Float32bits(v)} }

// constants of the kernels; the float values are those of portable.go.
var constants = []constant{
	f("log2e", 1.44269504088896341),
	f("half", 0.5),
	f("ln2hi", 0.693359375),
	f("ln2lo", -2.12194440e-4),
	f("expP0", 1.9875691500e-4),
	f("expP1", 1.3981999507e-3),
	f("expP2", 8.3334519073e-3),
	f("expP3", 4.1665795894e-2),
	f("expP4", 1.6666665459e-1),
	f("expP5", 5.0000001201e-1),
	f("expHi", 88.72283),
	f("expLo", -87.33654),
	f("one", 1),
	f("two", 2),
	f("nine", 9),
	f("tanhSmall", 0.625),
	f("tanhP0", -5.70498872745e-3),
	f("tanhP1", 2.06390887954e-2),
	f("tanhP2", -5.37397155531e-2),
	f("tanhP3", 1.33314422036e-1),
	f("tanhP4", -3.33332819422e-1),
	f("logisticLo", -88),
	{"inf", 0x7f800000},
	{"absMask", 0x7fffffff},
	{"signMask", 0x80000000},
	{"bias", 127},
}

type writer struct {
	s    bytes.Buffer // assembly
	decl bytes.Buffer // declarations
}

func (w *writer) l(format string, args ...any) {
	fmt.Fprintf(&w.s, "\t"+format+"\n", args...)
}

func (w *writer) label(name string) { fmt.Fprintf(&w.s, "%s:\n", name) }

// kernel is the shape of one function: its Go signature, frame size and
// which pointers it loads, and the body that computes lane group u from
// the vectors at byte offset off.
type kernel struct {
	name   string
	sig    string
	args   int
	inputs int // 1: a or x in SI; 2: also b in DX
	unroll int
	// unrollAVX2, when not zero, replaces unroll on AVX2, which has half
	// the registers.
	unrollAVX2 int
	setup      func(w *writer, s isa)
	body       func(w *writer, s isa, u, off int, masked bool)
}

func (w *writer) load(s isa, mem, dst string, masked bool) {
	switch {
	case masked && s.evex:
		w.l("VMOVUPS.Z %s, K1, %s", mem, dst)
	case masked:
		w.l("VMASKMOVPS %s, Y15, %s", mem, dst)
	default:
		w.l("VMOVUPS %s, %s", mem, dst)
	}
}

func (w *writer) store(s isa, src, mem string, masked bool) {
	switch {
	case masked && s.evex:
		w.l("VMOVUPS %s, K1, %s", src, mem)
	case masked:
		w.l("VMASKMOVPS %s, Y15, %s", src, mem)
	default:
		w.l("VMOVUPS %s, %s", src, mem)
	}
}

func mem(off int, base string) string {
	if off == 0 {
		return "(" + base + ")"
	}
	return fmt.Sprintf("%d(%s)", off, base)
}

// emit writes kernel k for instruction set s.
func (w *writer) emit(s isa, k kernel) {
	name := k.name + s.name
	fmt.Fprintf(&w.decl, "\n//go:noescape\nfunc %s%s\n", name, k.sig)
	fmt.Fprintf(&w.s, "\n// func %s%s\nTEXT ·%s(SB), NOSPLIT, $0-%d\n", name, k.sig, name, k.args)
	w.l("MOVQ o_base+0(FP), DI")
	w.l("MOVQ o_len+8(FP), CX")
	if k.inputs == 1 && k.args == 48 {
		w.l("MOVQ x_base+24(FP), SI")
	} else {
		w.l("MOVQ a_base+24(FP), SI")
	}
	if k.inputs == 2 {
		w.l("MOVQ b_base+48(FP), DX")
	}
	if k.setup != nil {
		k.setup(w, s)
	}
	step := func(vecs int) {
		bytes := vecs * s.vw * 4
		w.l("ADDQ $%d, DI", bytes)
		w.l("ADDQ $%d, SI", bytes)
		if k.inputs == 2 {
			w.l("ADDQ $%d, DX", bytes)
		}
		w.l("SUBQ $%d, CX", vecs*s.vw)
	}
	unroll := k.unroll
	if !s.evex && k.unrollAVX2 != 0 {
		unroll = k.unrollAVX2
	}
	if unroll > 1 {
		w.label("loopN")
		w.l("CMPQ CX, $%d", unroll*s.vw)
		w.l("JLT loop1")
		for u := range unroll {
			k.body(w, s, u, u*s.vw*4, false)
		}
		step(unroll)
		w.l("JMP loopN")
	}
	w.label("loop1")
	w.l("CMPQ CX, $%d", s.vw)
	w.l("JLT tail")
	k.body(w, s, 0, 0, false)
	step(1)
	w.l("JMP loop1")
	w.label("tail")
	w.l("TESTQ CX, CX")
	w.l("JZ done")
	if s.evex {
		w.l("MOVL $1, AX")
		w.l("SHLL CX, AX")
		w.l("DECL AX")
		w.l("KMOVW AX, K1")
	} else {
		w.l("LEAQ maskTab<>+32(SB), AX")
		w.l("SHLQ $2, CX")
		w.l("SUBQ CX, AX")
		w.l("VMOVUPS (AX), Y15")
	}
	k.body(w, s, 0, 0, true)
	w.label("done")
	w.l("VZEROUPPER")
	w.l("RET")
}

// binary returns the kernel o = a op b, where op writes dst from a and b
// and may overwrite b; lane group u uses registers u, 4+u and 8+u, and
// K2+u on AVX-512.
func binary(name string, op func(w *writer, s isa, a, b, dst string, u int)) kernel {
	return kernel{
		name: name, sig: "(o, a, b []float32)", args: 72, inputs: 2, unroll: 4,
		body: func(w *writer, s isa, u, off int, masked bool) {
			a, b, d := s.v(u), s.v(4+u), s.v(8+u)
			w.load(s, mem(off, "SI"), a, masked)
			w.load(s, mem(off, "DX"), b, masked)
			op(w, s, a, b, d, u)
			w.store(s, d, mem(off, "DI"), masked)
		},
	}
}

func arith(mn string) func(w *writer, s isa, a, b, dst string, u int) {
	return func(w *writer, s isa, a, b, dst string, u int) {
		w.l("%s %s, %s, %s", mn, b, a, dst) // dst = a op b
	}
}

// maxMin computes dst = a if a is NaN or a > b (a < b), else b. VMAXPS
// (VMINPS) is exactly "a > b (a < b) ? a : b"; the NaN lanes of a are
// put back after it.
func maxMin(mn string) func(w *writer, s isa, a, b, dst string, u int) {
	return func(w *writer, s isa, a, b, dst string, u int) {
		w.l("%s %s, %s, %s", mn, b, a, dst)
		if s.evex {
			k := fmt.Sprintf("K%d", 2+u)
			w.l("VCMPPS $3, %s, %s, %s", a, a, k) // unordered: a is NaN
			w.l("VMOVAPS %s, %s, %s", a, k, dst)
		} else {
			w.l("VCMPPS $3, %s, %s, %s", a, a, b)
			w.l("VBLENDVPS %s, %s, %s, %s", b, a, dst, dst)
		}
	}
}

// scalar returns the kernel o = a op s, with s broadcast in register 14.
func scalar(name, mn string) kernel {
	return kernel{
		name: name, sig: "(o, a []float32, s float32)", args: 52, inputs: 1, unroll: 4,
		setup: func(w *writer, s isa) { w.l("VBROADCASTSS s+48(FP), %s", s.v(14)) },
		body: func(w *writer, s isa, u, off int, masked bool) {
			a, d := s.v(u), s.v(8+u)
			w.load(s, mem(off, "SI"), a, masked)
			w.l("%s %s, %s, %s", mn, s.v(14), a, d)
			w.store(s, d, mem(off, "DI"), masked)
		},
	}
}

// unary returns the kernel o = f(x) with x loaded in register 0; body
// returns the register holding the result and may use registers 0…14
// and, on AVX-512, K2 and K3. AVX-512 runs two copies per iteration, the
// second on Z16… and K4, K5.
func unary(name string, body func(w *writer, s isa) string) kernel {
	return kernel{
		name: name, sig: "(o, x []float32)", args: 48, inputs: 1, unroll: 2, unrollAVX2: 1,
		body: func(w *writer, s isa, u, off int, masked bool) {
			s.roff, s.koff = 16*u, 2*u
			w.load(s, mem(off, "SI"), s.v(0), masked)
			r := body(w, s)
			w.store(s, r, mem(off, "DI"), masked)
		},
	}
}

// expCore sets out = e^in with temporaries t[0..5] (registers) for in
// within [expLo, expHi]; other lanes hold garbage unless fix is set, which
// gives +Inf above expHi and 0 below expLo. NaN lanes stay NaN. AVX-512
// uses mask registers 2 and 3 for the fix.
func (w *writer) expCore(s isa, in, out string, t []int, fix bool) {
	n, r, p, z := s.v(t[0]), s.v(t[1]), s.v(t[2]), s.v(t[3])
	w.l("%s %s, %s, %s", s.bc("VMULPS"), c("log2e"), in, n)
	w.l("%s %s, %s, %s", s.bc("VADDPS"), c("half"), n, n)
	if s.evex {
		w.l("VRNDSCALEPS $1, %s, %s", n, n) // floor
	} else {
		w.l("VROUNDPS $1, %s, %s", n, n)
	}
	w.l("VMOVAPS %s, %s", in, r)
	w.l("%s %s, %s, %s", s.bc("VFNMADD231PS"), c("ln2hi"), n, r) // r −= n·ln2hi
	w.l("%s %s, %s, %s", s.bc("VFNMADD231PS"), c("ln2lo"), n, r)
	w.l("VBROADCASTSS %s, %s", c("expP0"), p)
	for i := 1; i <= 5; i++ {
		w.l("%s %s, %s, %s", s.bc("VFMADD213PS"), c(fmt.Sprintf("expP%d", i)), r, p) // p = p·r + Pi
	}
	w.l("VMULPS %s, %s, %s", r, r, z)
	w.l("VFMADD213PS %s, %s, %s", r, z, p) // p = p·r² + r
	w.l("%s %s, %s, %s", s.bc("VADDPS"), c("one"), p, p)
	if s.evex {
		w.l("VSCALEFPS %s, %s, %s", n, p, out) // p·2^n
		if fix {
			w.l("VCMPPS.BCST $0x1e, %s, %s, %s", c("expHi"), in, s.k(2)) // in > hi
			w.l("VCMPPS.BCST $0x11, %s, %s, %s", c("expLo"), in, s.k(3)) // in < lo
			w.l("VBROADCASTSS %s, %s, %s", c("inf"), s.k(2), out)
			w.l("VPXORD %s, %s, %s, %s", out, out, s.k(3), out)
		}
		return
	}
	// p·2^n as p·2^min(n, 127)·2^(n − min(n, 127)): 2^128 is no float32.
	e1, e2 := s.v(t[4]), s.v(t[5])
	w.l("VCVTTPS2DQ %s, %s", n, e2)
	w.l("VPMINSD %s, %s, %s", c("bias"), e2, e1)
	w.l("VPSUBD %s, %s, %s", e1, e2, e2)
	w.l("VPADDD %s, %s, %s", c("bias"), e1, e1)
	w.l("VPSLLD $23, %s, %s", e1, e1)
	w.l("VPADDD %s, %s, %s", c("bias"), e2, e2)
	w.l("VPSLLD $23, %s, %s", e2, e2)
	w.l("VMULPS %s, %s, %s", e1, p, p)
	w.l("VMULPS %s, %s, %s", e2, p, out)
	if fix {
		w.l("VCMPPS $0x1e, %s, %s, %s", c("expHi"), in, z)
		w.l("VBLENDVPS %s, %s, %s, %s", z, c("inf"), out, out)
		w.l("VCMPPS $0x11, %s, %s, %s", c("expLo"), in, z)
		w.l("VANDNPS %s, %s, %s", out, z, out) // out &^= (in < lo)
	}
}

func expBody(w *writer, s isa) string {
	w.expCore(s, s.v(0), s.v(1), []int{2, 3, 4, 5, 6, 7}, true)
	return s.v(1)
}

// tanhBody computes both formulas and selects: ±1 for |x| > 9, the
// polynomial for |x| < 0.625.
func tanhBody(w *writer, s isa) string {
	x, a, z, p, t, e, q, y, m := s.v(0), s.v(1), s.v(2), s.v(3), s.v(4), s.v(5), s.v(6), s.v(7), s.v(8)
	if s.evex {
		w.l("VPANDD.BCST %s, %s, %s", c("absMask"), x, a)
	} else {
		w.l("VANDPS %s, %s, %s", c("absMask"), x, a)
	}
	// Small: x + x·z·P(z), z = x².
	w.l("VMULPS %s, %s, %s", x, x, z)
	w.l("VBROADCASTSS %s, %s", c("tanhP0"), p)
	for i := 1; i <= 4; i++ {
		w.l("%s %s, %s, %s", s.bc("VFMADD213PS"), c(fmt.Sprintf("tanhP%d", i)), z, p)
	}
	w.l("VMULPS %s, %s, %s", z, x, z)
	w.l("VFMADD213PS %s, %s, %s", x, z, p) // p = x·z·P + x
	// Large: 1 − 2/(e^{2|x|} + 1).
	w.l("VADDPS %s, %s, %s", a, a, t)
	w.expCore(s, t, e, []int{9, 10, 11, 12, 13, 14}, false)
	w.l("%s %s, %s, %s", s.bc("VADDPS"), c("one"), e, e)
	w.l("VBROADCASTSS %s, %s", c("two"), q)
	w.l("VDIVPS %s, %s, %s", e, q, q)
	w.l("VBROADCASTSS %s, %s", c("one"), y)
	w.l("VSUBPS %s, %s, %s", q, y, y)
	if s.evex {
		w.l("VCMPPS.BCST $0x1e, %s, %s, %s", c("nine"), a, s.k(2))
		w.l("VBROADCASTSS %s, %s, %s", c("one"), s.k(2), y)
		w.l("VPANDD.BCST %s, %s, %s", c("signMask"), x, m)
		w.l("VPORD %s, %s, %s", m, y, y)
		w.l("VCMPPS.BCST $0x11, %s, %s, %s", c("tanhSmall"), a, s.k(3))
		w.l("VMOVAPS %s, %s, %s", p, s.k(3), y)
	} else {
		w.l("VCMPPS $0x1e, %s, %s, %s", c("nine"), a, m)
		w.l("VBLENDVPS %s, %s, %s, %s", m, c("one"), y, y)
		w.l("VANDPS %s, %s, %s", c("signMask"), x, m)
		w.l("VORPS %s, %s, %s", m, y, y)
		w.l("VCMPPS $0x11, %s, %s, %s", c("tanhSmall"), a, m)
		w.l("VBLENDVPS %s, %s, %s, %s", m, p, y, y)
	}
	return y
}

// logisticBody computes 1/(1 + e^−x), and 0 below −88.
func logisticBody(w *writer, s isa) string {
	x, t, e, r := s.v(0), s.v(1), s.v(2), s.v(9)
	if s.evex {
		w.l("VPXORD.BCST %s, %s, %s", c("signMask"), x, t)
	} else {
		w.l("VXORPS %s, %s, %s", c("signMask"), x, t)
	}
	w.expCore(s, t, e, []int{3, 4, 5, 6, 7, 8}, true)
	w.l("%s %s, %s, %s", s.bc("VADDPS"), c("one"), e, e)
	w.l("VBROADCASTSS %s, %s", c("one"), r)
	w.l("VDIVPS %s, %s, %s", e, r, r)
	if s.evex {
		w.l("VCMPPS.BCST $0x11, %s, %s, %s", c("logisticLo"), x, s.k(2))
		w.l("VPXORD %s, %s, %s, %s", r, r, s.k(2), r)
	} else {
		w.l("VCMPPS $0x11, %s, %s, %s", c("logisticLo"), x, t)
		w.l("VANDNPS %s, %s, %s", r, t, r)
	}
	return r
}

func main() {
	log.SetFlags(0)
	w := &writer{}
	fmt.Fprint(&w.s, "// Code generated by gen.go; DO NOT EDIT.\n\n#include \"textflag.h\"\n")
	fmt.Fprint(&w.s, "\n// maskTab holds eight all-ones lanes then eight zero lanes: the 32\n// bytes at maskTab+32-4n are a VMASKMOVPS mask for the first n lanes.\n")
	for i := range 16 {
		v := uint32(0xffffffff)
		if i >= 8 {
			v = 0
		}
		fmt.Fprintf(&w.s, "DATA maskTab<>+%d(SB)/4, $%#08x\n", 4*i, v)
	}
	fmt.Fprint(&w.s, "GLOBL maskTab<>(SB), RODATA|NOPTR, $64\n")
	for _, k := range constants {
		fmt.Fprintf(&w.s, "\n")
		for i := range 8 {
			fmt.Fprintf(&w.s, "DATA %s<>+%d(SB)/4, $%#08x\n", k.name, 4*i, k.bits)
		}
		fmt.Fprintf(&w.s, "GLOBL %s<>(SB), RODATA|NOPTR, $32\n", k.name)
	}
	fmt.Fprint(&w.decl, "// Code generated by gen.go; DO NOT EDIT.\n\npackage vecf32\n")
	kernels := []kernel{
		binary("add", arith("VADDPS")),
		binary("sub", arith("VSUBPS")),
		binary("mul", arith("VMULPS")),
		binary("div", arith("VDIVPS")),
		binary("max", maxMin("VMAXPS")),
		binary("min", maxMin("VMINPS")),
		scalar("addScalar", "VADDPS"),
		scalar("mulScalar", "VMULPS"),
		unary("exp", expBody),
		unary("tanh", tanhBody),
		unary("logistic", logisticBody),
	}
	for _, s := range []isa{avx512, avx2} {
		for _, k := range kernels {
			w.emit(s, k)
		}
	}
	if err := os.WriteFile("kernels_amd64.s", w.s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("kernels_amd64.go", w.decl.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
