package safetensors

import (
	"path/filepath"
	"testing"
)

// BenchmarkFloat32 measures converting a 1M-element tensor of each float
// dtype into a reused buffer.
func BenchmarkFloat32(b *testing.B) {
	const n = 1 << 20
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%1000) / 7
	}
	p := filepath.Join(b.TempDir(), "bench.safetensors")
	if err := Write(p, []Tensor{F32("f32", []int{n}, v), F16("f16", []int{n}, v), BF16("bf16", []int{n}, v)}, nil); err != nil {
		b.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for _, name := range []string{"f32", "f16", "bf16"} {
		b.Run(name, func(b *testing.B) {
			in, _ := f.Info(name)
			b.SetBytes(in.Size)
			buf := make([]float32, n)
			for b.Loop() {
				if _, _, err := f.Float32To(buf, name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
