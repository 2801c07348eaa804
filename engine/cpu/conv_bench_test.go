package cpu_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive

	"github.com/actsh/actsh/engine/cpu"
)

// BenchmarkConv times nn.Conv2d shapes of SDXL's VAE at a 64×64 feature
// map on this backend ("cpu") and on GoMLX's pure-Go backend ("go").
func BenchmarkConv(b *testing.B) {
	nchw := backends.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
	}
	for _, tc := range []struct {
		name    string
		x, w    []int
		stride  int
		padding int
	}{
		{"3x3 128→128 64x64", []int{1, 128, 64, 64}, []int{128, 128, 3, 3}, 1, 1},
		{"1x1 128→256 64x64", []int{1, 128, 64, 64}, []int{256, 128, 1, 1}, 1, 0},
		{"3x3 stride 2 128→128 64x64", []int{1, 128, 64, 64}, []int{128, 128, 3, 3}, 2, 1},
	} {
		p := [][2]int{{tc.padding, tc.padding}, {tc.padding, tc.padding}}
		for _, name := range []string{"cpu", "go"} {
			b.Run(tc.name+"/"+name, func(b *testing.B) {
				var be backends.Backend
				var err error
				if name == "cpu" {
					be, err = cpu.New("")
				} else {
					be, err = simplego.New("")
				}
				if err != nil {
					b.Fatal(err)
				}
				r := rand.New(rand.NewPCG(1, 1))
				x, w := randTensor(r, tc.x...), randTensor(r, tc.w...)
				e, err := NewExec(be, func(x, w *Node) *Node {
					return ConvGeneral(x, w, nchw, []int{tc.stride, tc.stride}, p, nil, nil, 1, 1)
				})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.Exec(x, w); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					out, err := e.Exec(x, w)
					if err != nil {
						b.Fatal(err)
					}
					out[0].FinalizeAll()
				}
			})
		}
	}
}
