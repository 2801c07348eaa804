package cpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/x448/float16"

	"github.com/actsh/actsh/engine/cpu"
)

func backendsUnderTest(t *testing.T) (ours, ref backends.Backend) {
	t.Helper()
	ours, err := cpu.New("")
	if err != nil {
		t.Fatal(err)
	}
	ref, err = simplego.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	return ours, ref
}

func randTensor(r *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// same runs fn on both backends and compares every output: float32
// outputs within tol relative to the largest reference magnitude (the
// kernels sum in other orders than the pure-Go backend), others exactly.
func same(t *testing.T, tol float64, fn func([]*Node) []*Node, inputs ...*tensors.Tensor) {
	t.Helper()
	ours, ref := backendsUnderTest(t)
	args := make([]any, len(inputs))
	run := func(b backends.Backend) []*tensors.Tensor {
		e, err := NewExec(b, fn)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range inputs {
			c, err := x.LocalClone()
			if err != nil {
				t.Fatal(err)
			}
			args[i] = c
		}
		out, err := e.Exec(args...)
		if err != nil {
			t.Fatalf("%s: %v", b.Name(), err)
		}
		return out
	}
	got, want := run(ours), run(ref)
	if len(got) != len(want) {
		t.Fatalf("%d outputs, want %d", len(got), len(want))
	}
	for i := range got {
		if !got[i].Shape().Equal(want[i].Shape()) {
			t.Fatalf("output %d: shape %s, want %s", i, got[i].Shape(), want[i].Shape())
		}
		g, w := got[i].Value(), want[i].Value()
		if want[i].DType() != dtypes.Float32 {
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("output %d: %v, want %v", i, g, w)
			}
			continue
		}
		gf, wf := tensors.MustCopyFlatData[float32](got[i]), tensors.MustCopyFlatData[float32](want[i])
		var scale, diff float64
		for j := range wf {
			scale = math.Max(scale, math.Abs(float64(wf[j])))
			diff = math.Max(diff, math.Abs(float64(gf[j]-wf[j])))
		}
		t.Logf("output %d: max |Δ| %.3g (scale %.3g)", i, diff, scale)
		if diff > tol*math.Max(scale, 1) {
			t.Errorf("output %d: max |Δ| %.3g (scale %.3g), tolerance %.1g relative", i, diff, scale, tol)
		}
	}
}

// TestDotGeneral covers the layouts the matrix kernels see: weights
// [out, in] (NT), [in, out] (NN), batch axes first, last or in the middle,
// several contracted and free axes, axes of size 1, a contraction over
// the outer axis of both operands (gradients).
func TestDotGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name           string
		lhs, rhs       []int
		lc, lb, rc, rb []int
	}{
		{"linear NT", []int{5, 7}, []int{3, 7}, []int{1}, nil, []int{1}, nil},
		{"linear NN", []int{5, 7}, []int{7, 3}, []int{1}, nil, []int{0}, nil},
		{"gemv", []int{1, 33}, []int{65, 33}, []int{1}, nil, []int{1}, nil},
		{"outer contraction (weight gradient)", []int{9, 4}, []int{9, 6}, []int{0}, nil, []int{0}, nil},
		{"lhs transposed, rhs NT", []int{9, 4}, []int{6, 9}, []int{0}, nil, []int{1}, nil},
		{"attention scores", []int{2, 3, 4, 5, 8}, []int{2, 3, 6, 8}, []int{4}, []int{0, 1}, []int{3}, []int{0, 1}},
		{"attention values", []int{2, 3, 4, 5, 6}, []int{2, 3, 6, 8}, []int{4}, []int{0, 1}, []int{2}, []int{0, 1}},
		{"batch in the middle", []int{4, 3, 5}, []int{6, 3, 5}, []int{2}, []int{1}, []int{2}, []int{1}},
		{"two contracted axes", []int{3, 4, 5}, []int{4, 5, 2}, []int{1, 2}, nil, []int{0, 1}, nil},
		{"contracted axes swapped", []int{3, 4, 5}, []int{5, 4, 2}, []int{1, 2}, nil, []int{1, 0}, nil},
		{"size-1 axes", []int{1, 4, 1, 5}, []int{5, 1, 3}, []int{3}, nil, []int{0}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			same(t, 1e-5, func(in []*Node) []*Node {
				return []*Node{DotGeneral(in[0], tc.lc, tc.lb, in[1], tc.rc, tc.rb)}
			}, randTensor(r, tc.lhs...), randTensor(r, tc.rhs...))
		})
	}
}

func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, perm := range [][]int{{1, 0}, {0, 2, 1, 3}, {3, 2, 1, 0}, {0, 1, 2, 3}, {2, 0, 3, 1}} {
		t.Run(fmt.Sprint(perm), func(t *testing.T) {
			same(t, 0, func(in []*Node) []*Node {
				x := in[0]
				if len(perm) == 2 {
					x = Reshape(x, 6, 20)
				}
				return []*Node{TransposeAllAxes(x, perm...), TransposeAllAxes(ConvertDType(x, dtypes.Int32), perm...)}
			}, randTensor(r, 2, 3, 4, 5))
		})
	}
}

// TestDynamicUpdateSlice checks the cache write (the pure-Go backend has
// no DynamicUpdateSlice to compare with) element by element, with start
// indices clamped as XLA does, and DynamicSlice reading it back.
func TestDynamicUpdateSlice(t *testing.T) {
	ours, _ := backendsUnderTest(t)
	r := rand.New(rand.NewPCG(5, 6))
	cache := randTensor(r, 2, 3, 8, 4)
	upd := randTensor(r, 2, 3, 2, 4)
	cv := tensors.MustCopyFlatData[float32](cache)
	uv := tensors.MustCopyFlatData[float32](upd)
	for _, off := range []int32{0, 3, 6, 7, -2} {
		e, err := NewExec(ours, func(c, u, o *Node) (*Node, *Node) {
			z := ScalarZero(c.Graph(), dtypes.Int32)
			w := DynamicUpdateSlice(c, u, []*Node{z, z, o, z})
			return w, DynamicSlice(w, []*Node{z, z, o, z}, []int{2, 3, 2, 4})
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Exec(tensors.FromFlatDataAndDimensions(append([]float32(nil), cv...), 2, 3, 8, 4), upd, off)
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](out[0])
		slice := tensors.MustCopyFlatData[float32](out[1])
		at := min(max(int(off), 0), 6)
		for b := range 2 {
			for h := range 3 {
				for s := range 8 {
					for d := range 4 {
						i := ((b*3+h)*8+s)*4 + d
						want := cv[i]
						if s >= at && s < at+2 {
							want = uv[((b*3+h)*2+s-at)*4+d]
						}
						if got[i] != want {
							t.Fatalf("offset %d: [%d,%d,%d,%d] = %v, want %v", off, b, h, s, d, got[i], want)
						}
					}
				}
			}
		}
		if fmt.Sprint(slice) != fmt.Sprint(uv) {
			t.Errorf("offset %d: DynamicSlice does not return the update", off)
		}
	}
}

// TestAliasing covers outputs that are views or inputs: a reshaped input,
// the same value twice, an input returned as is.
func TestAliasing(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	same(t, 0, func(in []*Node) []*Node {
		x := Reshape(in[0], 4, 3)
		return []*Node{x, in[0], x, Add(x, x)}
	}, randTensor(r, 3, 4))
}

// TestFallbackOps runs operations this backend leaves to the pure-Go one,
// on values that are views of others (reshapes).
func TestFallbackOps(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	same(t, 1e-6, func(in []*Node) []*Node {
		x := Reshape(in[0], 2, 6)
		s := Softmax(x, -1)
		m := ReduceAndKeep(x, ReduceMax, -1)
		return []*Node{s, m, Tanh(in[0]), Where(GreaterThan(x, ZerosLike(x)), x, Neg(x))}
	}, randTensor(r, 3, 4))
}

// TestFusion runs chains of elementwise operations that fuse into one
// loop: broadcasts of vectors, of per-row values and of scalars, masks
// from integer comparisons, selections, conversions, the math functions
// (float32 approximations: 2e-6 relative), against the pure-Go backend.
func TestFusion(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	same(t, 2e-6, func(in []*Node) []*Node {
		x, w, ids := in[0], in[1], in[2] // [3,5,7], [7], [3,5] int32 as float
		g := x.Graph()
		B, T, D := 3, 5, 7
		mean := ReduceAndKeep(x, ReduceMean, -1) // [3,5,1]
		c := Sub(x, mean)
		v := ReduceAndKeep(Square(c), ReduceMean, -1)
		ln := Mul(Mul(c, Rsqrt(AddScalar(v, 1e-5))), BroadcastToDims(Reshape(w, 1, 1, D), B, T, D))
		gelu := Mul(MulScalar(x, 0.5), OnePlus(Tanh(MulScalar(Add(x, MulScalar(Mul(Square(x), x), 0.044715)), 0.7978845608))))
		silu := Mul(x, Sigmoid(x))
		iid := ConvertDType(ids, dtypes.Int32)
		mask := LogicalAnd(GreaterThan(iid, Const(g, int32(0))), LessOrEqual(Iota(g, shapes.Make(dtypes.Int32, B, T), 1), Const(g, int32(3))))
		sel := Where(BroadcastToDims(Reshape(mask, B, T, 1), B, T, D), Exp(x), Const(g, float32(-1)))
		big := Where(GreaterThan(x, ZerosLike(x)), MulScalar(x, 100), MulScalar(x, -100))
		return []*Node{ln, gelu, silu, sel, Tanh(big), Sigmoid(big), Exp(Neg(Abs(big))), ConvertDType(mask, dtypes.Float32), Max(x, Neg(x)), Min(x, Const(g, float32(0)))}
	}, randTensor(r, 3, 5, 7), randTensor(r, 7), tensors.FromFlatDataAndDimensions([]float32{1, 0, 2, -1, 3, 0, 0, 5, 1, 2, -3, 1, 0, 4, 4}, 3, 5))
}

func TestMathF32(t *testing.T) {
	var xs []float32
	for v := -100.0; v <= 100; v += 0.01 {
		xs = append(xs, float32(v))
	}
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), 0, -0.0, 1e-30, -1e-30)
	ours, _ := backendsUnderTest(t)
	e, err := NewExec(ours, func(x *Node) (*Node, *Node, *Node) { return Exp(x), Tanh(x), Sigmoid(x) })
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(tensors.FromFlatDataAndDimensions(xs, len(xs)))
	if err != nil {
		t.Fatal(err)
	}
	ex, th, sg := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), tensors.MustCopyFlatData[float32](out[2])
	for i, x := range xs {
		w := math.Exp(float64(x))
		// exp: 2 ulp relative where the result is a normal float32.
		if w > 1.2e-38 && w < math.MaxFloat32 && math.Abs(float64(ex[i])-w) > 2.5e-7*w {
			t.Errorf("exp(%g) = %g, want %g", x, ex[i], w)
		}
		if d := math.Abs(float64(th[i]) - math.Tanh(float64(x))); d > 2e-7 {
			t.Errorf("tanh(%g) = %g, want %g", x, th[i], math.Tanh(float64(x)))
		}
		if d := math.Abs(float64(sg[i]) - 1/(1+math.Exp(-float64(x)))); d > 2e-7 {
			t.Errorf("sigmoid(%g) = %g (|Δ| %g)", x, sg[i], d)
		}
	}
}

// TestDataMovement covers reductions over leading, trailing and
// scattered axes, slices, concatenations, embedding lookups (indices out
// of range are clamped), iota.
func TestDataMovement(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	same(t, 1e-6, func(in []*Node) []*Node {
		x, ids := in[0], in[1]
		g := x.Graph()
		table := Reshape(x, 12, 10)
		iid := ConvertDType(ids, dtypes.Int32)
		return []*Node{
			ReduceSum(x, -1), ReduceSum(x, 0), ReduceMax(x, 0, 2), ReduceMin(x, 1), ReduceMultiply(Reshape(x, 120)), ReduceSum(x),
			Slice(x, AxisRange(1, 3), AxisRange(), AxisRange(2, 7)),
			Concatenate([]*Node{x, Neg(x), Slice(x, AxisRange(), AxisRange(), AxisRange(0, 3))}, -1),
			Concatenate([]*Node{x, x}, 0),
			Gather(table, ExpandAxes(iid, -1)),
			Gather(x, Const(g, [][]int32{{2, 0}, {0, 3}, {1, 9}, {-4, 1}})), // [3,4,10] by (row, position) pairs
			Iota(g, shapes.Make(dtypes.Int32, 3, 4), 0), Iota(g, shapes.Make(dtypes.Float32, 3, 4), 1),
		}
	}, randTensor(r, 3, 4, 10), tensors.FromFlatDataAndDimensions([]float32{0, 11, 5, 3, -1, 40}, 2, 3))
}

// TestHalfWeights checks products with bfloat16 weights
// converted in the graph (read directly by the kernels) and row lookups
// from a half table, against the pure-Go backend converting first.
func TestHalfWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	// GoMLX's pure-Go backend has no float16 (it refuses such parameters),
	// so float16 weights are not kept as such on this backend either.
	for _, dt := range []dtypes.DType{dtypes.BFloat16} {
		t.Run(dt.String(), func(t *testing.T) {
			same(t, 1e-5, func(in []*Node) []*Node {
				x, w := in[0], in[1]
				wf := ConvertDType(w, dtypes.Float32)
				ids := Const(x.Graph(), [][]int32{{3}, {0}, {6}})
				return []*Node{
					DotGeneral(x, []int{1}, nil, wf, []int{1}, nil),                    // [5,33]·[7,33]ᵀ
					DotGeneral(Reshape(x, 5, 1, 33), []int{2}, nil, wf, []int{1}, nil), // extra axis
					DotGeneral(ConvertDType(Gather(w, ids), dtypes.Float32), []int{1}, nil, wf, []int{1}, nil),
					DotGeneral(wf, []int{0}, nil, Slice(x, AxisRange(0, 5), AxisRange(0, 7)), []int{1}, nil), // not [out,in]: fallback
				}
			}, randTensor(r, 5, 33), halfTensor(r, dt, 7, 33))
		})
	}
}

func halfTensor(r *rand.Rand, dt dtypes.DType, dims ...int) *tensors.Tensor {
	x := tensors.MustCopyFlatData[float32](randTensor(r, dims...))
	if dt == dtypes.BFloat16 {
		v := make([]bfloat16.BFloat16, len(x))
		for i, f := range x {
			v[i] = bfloat16.FromFloat32(f)
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	v := make([]float16.Float16, len(x))
	for i, f := range x {
		v[i] = float16.Fromfloat32(f)
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// TestProfiling checks that the kernel profile names the steps that ran.
func TestProfiling(t *testing.T) {
	ours, _ := backendsUnderTest(t)
	r := rand.New(rand.NewPCG(3, 4))
	cpu.SetProfiling(true)
	defer cpu.SetProfiling(false)
	e, err := NewExec(ours, func(a, b *Node) *Node { return Tanh(Add(Einsum("ij,kj->ik", a, b), OnePlus(a))) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Exec(randTensor(r, 4, 4), randTensor(r, 4, 4)); err != nil {
		t.Fatal(err)
	}
	rep := cpu.ProfileReport(0)
	for _, want := range []string{"DotGeneral → (Float32)[4 4]", "fused 3 ops → (Float32)[4 4]", "total"} {
		if !strings.Contains(rep, want) {
			t.Errorf("profile lacks %q:\n%s", want, rep)
		}
	}
}

// TestConvGeneral compares convolutions with the pure-Go backend: nn.Conv2d
// layouts (NCHW input, OIHW kernel) on the matrix kernels — 3×3 and 1×1,
// strides 1 and 2, paddings 0, 1 and uneven, odd sizes, batches, an image
// convolved in several bands of output rows — and the layouts left to the
// fallback (channels last, dilation, groups). Tolerance 1e-5 relative to
// the largest output: the products sum C·KH·KW terms in another order.
func TestConvGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	nchw := backends.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
	}
	nhwc := backends.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelOutputChannels: 3, KernelInputChannels: 2, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	for _, tc := range []struct {
		name     string
		x, w     []int
		axes     backends.ConvolveAxesConfig
		strides  []int
		paddings [][2]int
		dilation []int
		groups   int
		native   bool
	}{
		{"3x3 same", []int{1, 4, 9, 7}, []int{5, 4, 3, 3}, nchw, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}, nil, 1, true},
		{"3x3 valid batch 2", []int{2, 3, 8, 11}, []int{6, 3, 3, 3}, nchw, []int{1, 1}, nil, nil, 1, true},
		{"3x3 stride 2 pad 1", []int{2, 5, 13, 10}, []int{4, 5, 3, 3}, nchw, []int{2, 2}, [][2]int{{1, 1}, {1, 1}}, nil, 1, true},
		{"3x3 stride 2 odd", []int{1, 3, 9, 9}, []int{8, 3, 3, 3}, nchw, []int{2, 2}, nil, nil, 1, true},
		{"downsample pad (0,1)", []int{1, 4, 8, 8}, []int{4, 4, 3, 3}, nchw, []int{2, 2}, [][2]int{{0, 1}, {0, 1}}, nil, 1, true},
		{"uneven", []int{1, 3, 10, 12}, []int{5, 3, 3, 2}, nchw, []int{1, 2}, [][2]int{{2, 0}, {1, 1}}, nil, 1, true},
		{"1x1", []int{3, 7, 5, 6}, []int{9, 7, 1, 1}, nchw, []int{1, 1}, nil, nil, 1, true},
		{"1x1 stride 2", []int{1, 7, 9, 9}, []int{4, 7, 1, 1}, nchw, []int{2, 2}, nil, nil, 1, true},
		{"1x1 pad 1", []int{2, 3, 4, 5}, []int{2, 3, 1, 1}, nchw, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}, nil, 1, true},
		{"bands of rows", []int{2, 256, 3, 256}, []int{2, 256, 3, 3}, nchw, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}, nil, 1, true},
		{"channels last (fallback)", []int{1, 6, 5, 3}, []int{3, 3, 3, 4}, nhwc, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}, nil, 1, false},
		{"dilation (fallback)", []int{1, 3, 9, 9}, []int{4, 3, 3, 3}, nchw, []int{1, 1}, nil, []int{2, 2}, 1, false},
		{"groups (fallback)", []int{1, 4, 6, 6}, []int{6, 2, 3, 3}, nchw, []int{1, 1}, nil, []int{1, 1}, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conv := func(in []*Node) []*Node {
				return []*Node{ConvGeneral(in[0], in[1], tc.axes, tc.strides, tc.paddings, nil, tc.dilation, tc.groups, 1)}
			}
			x, w := randTensor(r, tc.x...), randTensor(r, tc.w...)
			same(t, 1e-5, conv, x, w)
			b, err := cpu.New("")
			if err != nil {
				t.Fatal(err)
			}
			e, err := NewExec(b, conv)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Exec(x, w); err != nil {
				t.Fatal(err)
			}
			if got := b.(*cpu.Backend).Fallbacks()["ConvGeneral"] == 0; got != tc.native {
				t.Errorf("own kernel: %v, want %v (fallbacks %v)", got, tc.native, b.(*cpu.Backend).Fallbacks())
			}
		})
	}
}
