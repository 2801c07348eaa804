package vae

import (
	"math"
	"testing"
)

// upsampleDecoder stands in for the decoder: every latent pixel becomes an
// s×s block of its value. Being local, it decodes tiles exactly as it
// decodes the whole, so tiling must give back the untiled image.
func upsampleDecoder(s int) func(grid) (grid, error) {
	return func(z grid) (grid, error) {
		B, C, H, W := z.dims[0], z.dims[1], z.dims[2], z.dims[3]
		out := grid{data: make([]float32, B*C*H*s*W*s), dims: [4]int{B, C, H * s, W * s}}
		for b := range B {
			for c := range C {
				for y := range H * s {
					for x := range W * s {
						out.data[out.at(b, c, y, x)] = z.data[z.at(b, c, y/s, x/s)]
					}
				}
			}
		}
		return out, nil
	}
}

func TestTiledLocalDecoder(t *testing.T) {
	tests := []struct {
		name    string
		dims    [4]int
		tile, s int
		overlap float64
	}{
		{"sdxl-like", [4]int{1, 4, 40, 24}, 16, 8, 0.25},
		{"odd sizes", [4]int{2, 3, 13, 7}, 4, 2, 0.25},
		{"half overlap", [4]int{1, 2, 9, 11}, 4, 2, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := grid{dims: tc.dims, data: make([]float32, tc.dims[0]*tc.dims[1]*tc.dims[2]*tc.dims[3])}
			for i := range z.data {
				z.data[i] = float32(math.Sin(float64(i)))
			}
			dec := upsampleDecoder(tc.s)
			want, _ := dec(z)
			got, err := tiledDecode(z, tc.tile, tc.s, tc.overlap, dec)
			if err != nil {
				t.Fatal(err)
			}
			if got.dims != want.dims {
				t.Fatalf("shape %v, want %v", got.dims, want.dims)
			}
			// Blending equal values: a·w₁ + a·w₂ with w₁ + w₂ = 1 up to
			// float32 rounding, so within a few ulps of a (|a| ≤ 1).
			for i := range want.data {
				if d := math.Abs(float64(got.data[i] - want.data[i])); d > 1e-6 {
					t.Fatalf("value %d = %v, want %v", i, got.data[i], want.data[i])
				}
			}
		})
	}
}

// TestTiledBlending decodes each tile to a constant (its row index), so
// the output column shows diffusers' blend_v weights: latent height 10,
// tile 4, scale 2, overlap 1/4 → tiles start every 3 latent rows, blend
// over E = 2 image rows, keep 6; the tile of value k starts with
// (k−1), (k−1)/2 + k/2, then k.
func TestTiledBlending(t *testing.T) {
	z := grid{dims: [4]int{1, 1, 10, 2}, data: make([]float32, 20)}
	n := 0
	dec := func(tile grid) (grid, error) {
		out := grid{dims: [4]int{1, 1, 2 * tile.dims[2], 2 * tile.dims[3]}}
		out.data = make([]float32, out.dims[2]*out.dims[3])
		for i := range out.data {
			out.data[i] = float32(n)
		}
		n++
		return out, nil
	}
	got, err := tiledDecode(z, 4, 2, 0.25, dec)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0, 0, 0, 0, 0, 0, 0.5, 1, 1, 1, 1, 1, 1.5, 2, 2, 2, 2, 2, 2.5}
	if got.dims != [4]int{1, 1, 20, 4} {
		t.Fatalf("shape %v", got.dims)
	}
	for y, w := range want {
		for x := range 4 {
			if v := got.data[got.at(0, 0, y, x)]; v != w {
				t.Errorf("row %d column %d = %v, want %v", y, x, v, w)
			}
		}
	}
}
