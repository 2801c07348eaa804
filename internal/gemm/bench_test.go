package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// benchShape is one product of GPT-2 small (hidden 768, MLP 3072, 12
// heads of 64, vocabulary 50257).
type benchShape struct {
	name           string
	nn             bool
	elem           int
	batch, m, n, k int
}

var benchShapes = []benchShape{
	{name: "decode8_768x3072", batch: 1, m: 8, n: 3072, k: 768},
	{name: "decode1_768x3072", batch: 1, m: 1, n: 3072, k: 768},
	{name: "prefill1024_qkv_768x2304", batch: 1, m: 1024, n: 2304, k: 768},
	{name: "prefill1024_mlpdown_3072x768", batch: 1, m: 1024, n: 768, k: 3072},
	{name: "lmhead8_768x50257", batch: 1, m: 8, n: 50257, k: 768},
	{name: "attn_scores_96x128x128x64", batch: 96, m: 128, n: 128, k: 64},
	{name: "attn_values_96x128x64x128", nn: true, batch: 96, m: 128, n: 64, k: 128},
	{name: "nn_prefill1024_768x2304", nn: true, batch: 1, m: 1024, n: 2304, k: 768},
	{name: "nn_grad1024_3072x768", nn: true, batch: 1, m: 1024, n: 768, k: 3072},
	{name: "bf16_decode8_768x3072", elem: elemBF16, batch: 1, m: 8, n: 3072, k: 768},
	{name: "bf16_decode1_768x3072", elem: elemBF16, batch: 1, m: 1, n: 3072, k: 768},
	{name: "bf16_prefill1024_qkv_768x2304", elem: elemBF16, batch: 1, m: 1024, n: 2304, k: 768},
	{name: "gemma2_prefill128_2304x9216", batch: 1, m: 128, n: 9216, k: 2304},
	{name: "bf16_gemma2_prefill128_2304x9216", elem: elemBF16, batch: 1, m: 128, n: 9216, k: 2304},
	{name: "bf16_gemma2_down128_9216x2304", elem: elemBF16, batch: 1, m: 128, n: 2304, k: 9216},
	{name: "f16_decode8_768x3072", elem: elemF16, batch: 1, m: 8, n: 3072, k: 768},
}

// BenchmarkProducts runs every shape with every kernel set and reports
// GFLOP/s (2·batch·m·n·k floating-point operations per call).
func BenchmarkProducts(b *testing.B) {
	saved := active
	defer func() { active = saved }()
	for _, s := range benchShapes {
		rng := rand.New(rand.NewPCG(1, 1))
		a := randF32(rng, s.batch*s.m*s.k)
		c := make([]float32, s.batch*s.m*s.n)
		var bf []float32
		var bh []uint16
		if s.elem == elemF32 {
			bf = randF32(rng, s.batch*s.n*s.k)
		} else {
			bh = weightsHalf(rng, s.elem, s.n*s.k)
		}
		call := func() {
			switch {
			case s.nn:
				NNBatch(s.batch, s.m, s.n, s.k, a, s.m*s.k, s.k, bf, s.k*s.n, s.n, c, s.m*s.n, s.n)
			case s.elem == elemBF16:
				NTBF16(s.m, s.n, s.k, a, s.k, bh, s.k, c, s.n)
			case s.elem == elemF16:
				NTF16(s.m, s.n, s.k, a, s.k, bh, s.k, c, s.n)
			default:
				NTBatch(s.batch, s.m, s.n, s.k, a, s.m*s.k, s.k, bf, s.n*s.k, s.k, c, s.m*s.n, s.n)
			}
		}
		for _, ks := range available() {
			b.Run(fmt.Sprintf("%s/%s", s.name, ks.name), func(b *testing.B) {
				active = ks
				call()
				for b.Loop() {
					call()
				}
				flops := 2 * float64(s.batch) * float64(s.m) * float64(s.n) * float64(s.k)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// weightsHalf returns n weights drawn like a trained layer's (uniform with
// standard deviation about 0.03) as 16-bit values of the element type,
// rounded toward zero.
func weightsHalf(rng *rand.Rand, elem, n int) []uint16 {
	s := make([]uint16, n)
	for i := range s {
		f := float32((rng.Float64()*2 - 1) * 0.05)
		bits := math.Float32bits(f)
		if elem == elemBF16 {
			s[i] = uint16(bits >> 16)
			continue
		}
		sign := uint16(bits>>16) & 0x8000
		exp := int(bits>>23&0xff) - 127 + 15
		man := bits & 0x7fffff
		switch {
		case exp >= 1:
			s[i] = sign | uint16(exp)<<10 | uint16(man>>13)
		case exp > -10:
			s[i] = sign | uint16((man|0x800000)>>(14-exp))
		default:
			s[i] = sign
		}
	}
	return s
}
