package gemm

import (
	"math"
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:generate go run gen.go

var avx512Kernels = kernels{
	name: "avx512",
	mr:   4, nr: 4,
	nt: [numElems]ntTiles{
		elemF32:  {ntF32Tile4x4AVX512, ntF32Tile1x4AVX512, ntF32Tile4x1AVX512, ntF32Tile1x1AVX512},
		elemBF16: {ntBF16Tile4x4AVX512, ntBF16Tile1x4AVX512, ntBF16Tile4x1AVX512, ntBF16Tile1x1AVX512},
		elemF16:  {ntF16Tile4x4AVX512, ntF16Tile1x4AVX512, ntF16Tile4x1AVX512, ntF16Tile1x1AVX512},
	},
	nnMR: 6, nnNV: 4, vw: 16,
	nnTile: nnF32Tile6x4AVX512, nnRow: nnF32Tile1x4AVX512,
	nnMask: nnF32Mask6AVX512, nnRowMask: nnF32Mask1AVX512,
	pack:     [numElems]packFunc{packF32AVX512, packBF16AVX512, packF16AVX512},
	packRows: 16, packMinRows: [numElems]int{32, 64, 64},
}

var avx2Kernels = kernels{
	name: "avx2",
	mr:   3, nr: 4,
	nt: [numElems]ntTiles{
		elemF32:  {ntF32Tile3x4AVX2, ntF32Tile1x4AVX2, ntF32Tile3x1AVX2, ntF32Tile1x1AVX2},
		elemBF16: {ntBF16Tile3x4AVX2, ntBF16Tile1x4AVX2, ntBF16Tile3x1AVX2, ntBF16Tile1x1AVX2},
		elemF16:  {ntF16Tile3x4AVX2, ntF16Tile1x4AVX2, ntF16Tile3x1AVX2, ntF16Tile1x1AVX2},
	},
	halfStep: 8,
	nnMR:     6, nnNV: 2, vw: 8,
	nnTile: nnF32Tile6x2AVX2, nnRow: nnF32Tile1x2AVX2,
	nnMask: nnF32Mask6AVX2, nnRowMask: nnF32Mask1AVX2,
	pack:     [numElems]packFunc{goPackF32, goPackBF16, goPackF16},
	packRows: 16, packMinRows: [numElems]int{256, 256, 256},
}

// platformKernels returns the assembly kernel sets this CPU supports.
// AVX-512 kernels use 16-bit masked loads (BW) and EVEX forms of 128- and
// 256-bit instructions (VL); AVX2 kernels need FMA and F16C.
func platformKernels() []*kernels {
	var ks []*kernels
	x := cpu.X86
	if x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasFMA {
		ks = append(ks, &avx512Kernels)
	}
	if x.HasAVX2 && x.HasFMA && x.HasF16C {
		ks = append(ks, &avx2Kernels)
	}
	return ks
}

// packF32AVX512 transposes 16 rows of B in registers; fewer rows are
// gathered, with 32-bit byte offsets (rows farther apart than that allows
// are packed in Go).
func packF32AVX512(k int, b unsafe.Pointer, ldb int, rows int, dst unsafe.Pointer, ldd int) {
	if rows == 16 {
		packF32T16AVX512(k, b, ldb, dst, ldd)
		return
	}
	if ldb > math.MaxInt32/(4*16) {
		goPackF32(k, b, ldb, rows, dst, ldd)
		return
	}
	packTAVX512(k, b, ldb, rows, dst, ldd)
}

// packBF16AVX512 transposes 16 rows of bfloat16 B in registers; fewer rows
// are packed in Go.
func packBF16AVX512(k int, b unsafe.Pointer, ldb int, rows int, dst unsafe.Pointer, ldd int) {
	if rows == 16 {
		packBF16T16AVX512(k, b, ldb, dst, ldd)
		return
	}
	goPackBF16(k, b, ldb, rows, dst, ldd)
}

// packF16AVX512 transposes 16 rows of half B in registers; fewer rows are
// packed in Go.
func packF16AVX512(k int, b unsafe.Pointer, ldb int, rows int, dst unsafe.Pointer, ldd int) {
	if rows == 16 {
		packF16T16AVX512(k, b, ldb, dst, ldd)
		return
	}
	goPackF16(k, b, ldb, rows, dst, ldd)
}
