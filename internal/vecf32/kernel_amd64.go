package vecf32

import "golang.org/x/sys/cpu"

//go:generate go run gen.go

var avx512Kernels = kernels{
	name: "avx512",
	add:  addAVX512, sub: subAVX512, mul: mulAVX512, div: divAVX512, max: maxAVX512, min: minAVX512,
	addScalar: addScalarAVX512, mulScalar: mulScalarAVX512,
	exp: expAVX512, tanh: tanhAVX512, logistic: logisticAVX512,
}

var avx2Kernels = kernels{
	name: "avx2",
	add:  addAVX2, sub: subAVX2, mul: mulAVX2, div: divAVX2, max: maxAVX2, min: minAVX2,
	addScalar: addScalarAVX2, mulScalar: mulScalarAVX2,
	exp: expAVX2, tanh: tanhAVX2, logistic: logisticAVX2,
}

// platformKernels returns the assembly kernel sets this CPU supports.
// The AVX-512 kernels use only AVX-512 F instructions (integer forms of
// the bitwise operations, so DQ is not needed); the AVX2 kernels need FMA.
func platformKernels() []*kernels {
	var ks []*kernels
	x := cpu.X86
	if x.HasAVX512F {
		ks = append(ks, &avx512Kernels)
	}
	if x.HasAVX2 && x.HasFMA {
		ks = append(ks, &avx2Kernels)
	}
	return ks
}
