package safetensors

import (
	"math"
	"testing"
)

// The expected values are exact: binary16 and bfloat16 values are all
// representable in float32, so conversions are compared bit for bit.
func TestHalfToFloat32(t *testing.T) {
	tests := []struct {
		name string
		bits uint16
		want uint32 // float32 bits
	}{
		{"zero", 0x0000, 0x00000000},
		{"negative zero", 0x8000, 0x80000000},
		{"one", 0x3c00, 0x3f800000},
		{"minus two", 0xc000, 0xc0000000},
		{"max", 0x7bff, math.Float32bits(65504)},
		{"min normal", 0x0400, math.Float32bits(6.103515625e-05)},           // 2^-14
		{"min subnormal", 0x0001, math.Float32bits(5.960464477539063e-08)},  // 2^-24
		{"max subnormal", 0x03ff, math.Float32bits(6.097555160522461e-05)},  // 1023·2^-24
		{"negative subnormal", 0x8200, math.Float32bits(-3.0517578125e-05)}, // -512·2^-24
		{"one third", 0x3555, math.Float32bits(0.333251953125)},
		{"inf", 0x7c00, 0x7f800000},
		{"-inf", 0xfc00, 0xff800000},
		{"quiet nan", 0x7e00, 0x7fc00000},
		{"nan payload", 0x7c01, 0x7f802000},
		{"negative nan", 0xfe00, 0xffc00000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := math.Float32bits(HalfToFloat32(tt.bits)); got != tt.want {
				t.Errorf("HalfToFloat32(%#04x) = %#08x (%v), want %#08x (%v)", tt.bits, got, math.Float32frombits(got), tt.want, math.Float32frombits(tt.want))
			}
		})
	}
	// Every finite half survives float32 and back.
	for h := range 1 << 16 {
		f := HalfToFloat32(uint16(h))
		if f != f {
			continue
		}
		if back := Float32ToHalf(f); back != uint16(h) {
			t.Fatalf("half %#04x → %v → %#04x", h, f, back)
		}
	}
}

func TestBFloat16(t *testing.T) {
	tests := []struct {
		name string
		bits uint16
		want uint32
	}{
		{"zero", 0x0000, 0x00000000},
		{"negative zero", 0x8000, 0x80000000},
		{"one", 0x3f80, 0x3f800000},
		{"minus two", 0xc000, 0xc0000000},
		{"min subnormal", 0x0001, 0x00010000},
		{"max", 0x7f7f, 0x7f7f0000},
		{"inf", 0x7f80, 0x7f800000},
		{"-inf", 0xff80, 0xff800000},
		{"nan", 0x7fc0, 0x7fc00000},
		{"nan payload", 0x7f81, 0x7f810000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := math.Float32bits(BFloat16ToFloat32(tt.bits)); got != tt.want {
				t.Errorf("BFloat16ToFloat32(%#04x) = %#08x, want %#08x", tt.bits, got, tt.want)
			}
		})
	}
	rounding := []struct {
		name string
		in   uint32 // float32 bits
		want uint16
	}{
		{"exact", 0x3f800000, 0x3f80},
		{"below half rounds down", 0x3f807fff, 0x3f80},
		{"half to even (down)", 0x3f808000, 0x3f80},
		{"half to even (up)", 0x3f818000, 0x3f82},
		{"above half rounds up", 0x3f808001, 0x3f81},
		{"overflow to inf", 0x7f7fffff, 0x7f80},
		{"inf", 0xff800000, 0xff80},
		{"nan stays nan", 0x7f800001, 0x7fc0},
	}
	for _, tt := range rounding {
		t.Run("from "+tt.name, func(t *testing.T) {
			if got := Float32ToBFloat16(math.Float32frombits(tt.in)); got != tt.want {
				t.Errorf("Float32ToBFloat16(%#08x) = %#04x, want %#04x", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeFloat32(t *testing.T) {
	v := []float32{1, -0.5, 3}
	tests := []struct {
		name    string
		t       Tensor
		n       int
		wantErr bool
	}{
		{"F32", F32("x", []int{3}, v), 3, false},
		{"F16", F16("x", []int{3}, v), 3, false},
		{"BF16", BF16("x", []int{3}, v), 3, false},
		{"F64", F64("x", []int{3}, []float64{1, -0.5, 3}), 3, false},
		{"short dst", F32("x", []int{3}, v), 2, true},
		{"integer", I32("x", []int{3}, []int32{1, 2, 3}), 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]float32, tt.n)
			err := DecodeFloat32(dst, tt.t.Data, tt.t.DType)
			if tt.wantErr {
				if err == nil {
					t.Errorf("DecodeFloat32 = %v, want an error", dst)
				}
				return
			}
			if err != nil || dst[0] != v[0] || dst[1] != v[1] || dst[2] != v[2] {
				t.Errorf("DecodeFloat32 = %v, %v; want %v", dst, err, v)
			}
		})
	}
}
