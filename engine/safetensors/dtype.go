package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/x448/float16"
)

// DType names the element type of a tensor as the safetensors header spells it.
type DType string

// The element types this package reads and writes.
const (
	DTypeF64  DType = "F64"
	DTypeF32  DType = "F32"
	DTypeF16  DType = "F16"
	DTypeBF16 DType = "BF16"
	DTypeI64  DType = "I64"
	DTypeI32  DType = "I32"
	DTypeI16  DType = "I16"
	DTypeI8   DType = "I8"
	DTypeU64  DType = "U64"
	DTypeU32  DType = "U32"
	DTypeU16  DType = "U16"
	DTypeU8   DType = "U8"
	DTypeBool DType = "BOOL"
)

// Size returns the number of bytes of one element, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case DTypeF64, DTypeI64, DTypeU64:
		return 8
	case DTypeF32, DTypeI32, DTypeU32:
		return 4
	case DTypeF16, DTypeBF16, DTypeI16, DTypeU16:
		return 2
	case DTypeI8, DTypeU8, DTypeBool:
		return 1
	}
	return 0
}

// Valid reports whether d is one of the dtypes this package knows.
func (d DType) Valid() bool { return d.Size() > 0 }

// IsFloat reports whether d is a floating-point dtype.
func (d DType) IsFloat() bool {
	return d == DTypeF64 || d == DTypeF32 || d == DTypeF16 || d == DTypeBF16
}

// IsInt reports whether d is an integer (or boolean) dtype.
func (d DType) IsInt() bool { return d.Valid() && !d.IsFloat() }

// HalfToFloat32 converts IEEE 754 binary16 bits to float32, exactly:
// subnormals, infinities and NaN payloads are preserved.
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0:
		// Subnormal: mant·2⁻²⁴, exact in float32.
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// BFloat16ToFloat32 converts bfloat16 bits to float32 (exact: bfloat16 is
// the upper half of a float32).
func BFloat16ToFloat32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// Float32ToHalf converts a float32 to IEEE 754 binary16 bits, rounding to
// nearest even; values beyond the range become ±Inf, NaN stays NaN.
func Float32ToHalf(f float32) uint16 { return float16.Fromfloat32(f).Bits() }

// Float32ToBFloat16 converts a float32 to bfloat16 bits, rounding to nearest
// even; NaN stays a (quiet) NaN.
func Float32ToBFloat16(f float32) uint16 {
	bits := math.Float32bits(f)
	if f != f {
		return uint16(bits>>16) | 0x40
	}
	bits += 0x7fff + (bits>>16)&1
	return uint16(bits >> 16)
}

// DecodeFloat32 decodes the raw little-endian elements of a float tensor of
// dtype d (F32, F16, BF16 or F64, as [File.Raw] returns them) into dst,
// which must hold len(raw)/d.Size() elements. F16 and BF16 widen exactly;
// F64 rounds to nearest.
func DecodeFloat32(dst []float32, raw []byte, d DType) error {
	if d.Size() == 0 || len(dst)*d.Size() != len(raw) {
		return fmt.Errorf("%d bytes of %s do not make %d elements", len(raw), d, len(dst))
	}
	return toFloat32(dst, raw, d)
}

// toFloat32 decodes raw little-endian elements of dtype d into dst.
func toFloat32(dst []float32, raw []byte, d DType) error {
	le := binary.LittleEndian
	switch d {
	case DTypeF32:
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case DTypeF16:
		for i := range dst {
			dst[i] = HalfToFloat32(le.Uint16(raw[2*i:]))
		}
	case DTypeBF16:
		for i := range dst {
			dst[i] = BFloat16ToFloat32(le.Uint16(raw[2*i:]))
		}
	case DTypeF64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
	default:
		return fmt.Errorf("dtype %s is not a float type (want F32, F16, BF16 or F64)", d)
	}
	return nil
}

// toInt64 decodes raw little-endian integer elements of dtype d into dst.
func toInt64(dst []int64, raw []byte, d DType) error {
	le := binary.LittleEndian
	switch d {
	case DTypeI64:
		for i := range dst {
			dst[i] = int64(le.Uint64(raw[8*i:]))
		}
	case DTypeI32:
		for i := range dst {
			dst[i] = int64(int32(le.Uint32(raw[4*i:])))
		}
	case DTypeI16:
		for i := range dst {
			dst[i] = int64(int16(le.Uint16(raw[2*i:])))
		}
	case DTypeI8:
		for i := range dst {
			dst[i] = int64(int8(raw[i]))
		}
	case DTypeU64:
		for i := range dst {
			v := le.Uint64(raw[8*i:])
			if v > math.MaxInt64 {
				return fmt.Errorf("element %d = %d overflows int64", i, v)
			}
			dst[i] = int64(v)
		}
	case DTypeU32:
		for i := range dst {
			dst[i] = int64(le.Uint32(raw[4*i:]))
		}
	case DTypeU16:
		for i := range dst {
			dst[i] = int64(le.Uint16(raw[2*i:]))
		}
	case DTypeU8, DTypeBool:
		for i := range dst {
			dst[i] = int64(raw[i])
		}
	default:
		return fmt.Errorf("dtype %s is not an integer type", d)
	}
	return nil
}
