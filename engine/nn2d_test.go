package engine_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// run2D compiles f on float32 inputs of the given shapes and returns its
// output's values and shape.
func run2D(t *testing.T, f func(in []*Node) *Node, data [][]float32, dims ...[]int) ([]float32, []int) {
	t.Helper()
	b, _, err := engine.Backend()
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(b, "nn2d_test")
	var in []*Node
	var args []any
	for i, d := range dims {
		in = append(in, Parameter(g, fmt.Sprintf("x%d", i), shapes.Make(dtypes.Float32, d...)))
		args = append(args, tensors.FromFlatDataAndDimensions(data[i], d...))
	}
	g.Compile(f(in))
	out := g.Run(args...)[0]
	return tensors.MustCopyFlatData[float32](out), out.Shape().Dimensions
}

// TestResizeNearest checks F.interpolate(size=…, mode="nearest")'s rule,
// source index ⌊i·in/out⌋: 3 rows to 5 take rows 0 0 1 1 2; 5 columns to 7
// take 0 0 1 2 2 3 4. Doubling repeats each pixel.
func TestResizeNearest(t *testing.T) {
	x := make([]float32, 15) // [1, 1, 3, 5]: value 10·row + column
	for r := range 3 {
		for c := range 5 {
			x[r*5+c] = float32(10*r + c)
		}
	}
	tests := []struct {
		name       string
		h, w       int
		rows, cols []int
	}{
		{"odd sizes", 5, 7, []int{0, 0, 1, 1, 2}, []int{0, 0, 1, 2, 2, 3, 4}},
		{"double", 6, 10, []int{0, 0, 1, 1, 2, 2}, []int{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}},
		{"rows only", 4, 5, []int{0, 0, 1, 2}, []int{0, 1, 2, 3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, dims := run2D(t, func(in []*Node) *Node { return engine.ResizeNearest(in[0], tc.h, tc.w) }, [][]float32{x}, []int{1, 1, 3, 5})
			if dims[2] != tc.h || dims[3] != tc.w {
				t.Fatalf("shape %v, want [1 1 %d %d]", dims, tc.h, tc.w)
			}
			for i, r := range tc.rows {
				for j, c := range tc.cols {
					if v, want := got[i*tc.w+j], float32(10*r+c); v != want {
						t.Errorf("(%d, %d) = %v, want %v", i, j, v, want)
					}
				}
			}
		})
	}
}

// TestConv2D compares a stride-2 convolution with asymmetric zero padding
// (diffusers' Downsample2D with padding 0) and a bias against the sum
// written out. Tolerance 1e-5: sums of 18 products of values below 1 in
// float32, in whatever order the backend adds them.
func TestConv2D(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const B, C, H, W, O, K = 2, 2, 5, 6, 3, 3
	x, w, bias := make([]float32, B*C*H*W), make([]float32, O*C*K*K), make([]float32, O)
	for _, s := range [][]float32{x, w, bias} {
		for i := range s {
			s[i] = float32(r.Float64()*2 - 1)
		}
	}
	pad := [2][2]int{{0, 1}, {0, 1}}
	got, dims := run2D(t, func(in []*Node) *Node { return engine.Conv2D(in[0], in[1], in[2], 2, pad) },
		[][]float32{x, w, bias}, []int{B, C, H, W}, []int{O, C, K, K}, []int{O})
	Ho, Wo := (H+1-K)/2+1, (W+1-K)/2+1
	if dims[2] != Ho || dims[3] != Wo {
		t.Fatalf("shape %v, want [%d %d %d %d]", dims, B, O, Ho, Wo)
	}
	for b := range B {
		for o := range O {
			for i := range Ho {
				for j := range Wo {
					want := float64(bias[o])
					for c := range C {
						for u := range K {
							for v := range K {
								y, xx := 2*i+u, 2*j+v
								if y < H && xx < W {
									want += float64(w[((o*C+c)*K+u)*K+v]) * float64(x[((b*C+c)*H+y)*W+xx])
								}
							}
						}
					}
					if g := got[((b*O+o)*Ho+i)*Wo+j]; math.Abs(float64(g)-want) > 1e-5 {
						t.Errorf("y[%d,%d,%d,%d] = %v, want %v", b, o, i, j, g, want)
					}
				}
			}
		}
	}
}
