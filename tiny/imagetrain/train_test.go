package imagetrain

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/clip"
	_ "github.com/actsh/actsh/engine/families"
	"github.com/actsh/actsh/engine/unet"
)

// microConfig is a model small enough for a test: 8×8 images, two levels.
func microConfig() Config {
	return Config{
		UNet: UNetConfig{SampleSize: 8, Channels: 3, BlockOutChannels: []int{8, 16}, CrossAttn: []bool{false, true},
			LayersPerBlock: 1, Heads: []int{1, 2}, NormGroups: 4},
		Text: TextConfig{Vocab: 64, Hidden: 16, Layers: 2, Heads: 2, Intermediate: 32, Positions: 6, EOS: 63},
	}
}

// byteEncode is a stand-in tokenizer: one id per byte, below 63.
func byteEncode(s string) []int {
	out := make([]int, len(s))
	for i, c := range []byte(s) {
		out[i] = int(c) % 63
	}
	return out
}

func microSamples(n, S int, seed uint64) []Sample {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]Sample, n)
	for i := range out {
		px := make([]uint8, S*S*3)
		for j := range px {
			px[j] = uint8(rng.IntN(256))
		}
		name := []string{"cat", "dog", "sun", "tree"}[i%4]
		out[i] = Sample{Pixels: px, Name: name, Tagged: name + ", x"}
	}
	return out
}

func run1(t *testing.T, f func(g *Graph) []*Node, in ...any) []*tensors.Tensor {
	t.Helper()
	b, _, err := engine.Backend()
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(b, t.Name())
	var outs []*tensors.Tensor
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("graph: %v", r)
			}
		}()
		g.Compile(f(g)...)
		outs = g.Run(in...)
	}()
	return outs
}

func randTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	v := make([]float32, size(dims))
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

func dot(a, b *tensors.Tensor) float64 {
	x, y := tensors.MustCopyFlatData[float32](a), tensors.MustCopyFlatData[float32](b)
	var s float64
	for i := range x {
		s += float64(x[i]) * float64(y[i])
	}
	return s
}

// TestConvGradients checks conv2d's hand-written gradients by the adjoint
// identities of a bilinear map: for y = conv(x, W) and any v,
// ⟨y, v⟩ = ⟨x, ∂⟨y,v⟩/∂x⟩ = ⟨W, ∂⟨y,v⟩/∂W⟩, and ∂⟨y,v⟩/∂b = Σv per
// channel. Tolerance 1e-5 relative: float32 sums of a few thousand terms.
func TestConvGradients(t *testing.T) {
	cases := []struct {
		name             string
		B, C, O, H, k, s int
	}{
		{"3x3", 2, 3, 4, 6, 3, 1},
		{"1x1", 2, 5, 3, 4, 1, 1},
		{"stride2", 2, 3, 2, 8, 3, 2},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ho := c.H / c.s
			x, w, b := randTensor(rng, c.B, c.C, c.H, c.H), randTensor(rng, c.O, c.C, c.k, c.k), randTensor(rng, c.O)
			v := randTensor(rng, c.B, c.O, ho, ho)
			outs := run1(t, func(g *Graph) []*Node {
				xn := Parameter(g, "x", x.Shape())
				wn := Parameter(g, "w", w.Shape())
				bn := Parameter(g, "b", b.Shape())
				vn := Parameter(g, "v", v.Shape())
				y := conv2d(xn, wn, Zeros(g, shapes.Make(dtypes.Float32, c.O)), c.s)
				yb := conv2d(xn, wn, bn, c.s)
				ref := engine.Conv2D(xn, wn, nil, c.s, [2][2]int{{(c.k - 1) / 2, (c.k - 1) / 2}, {(c.k - 1) / 2, (c.k - 1) / 2}})
				gr := Gradient(ReduceAllSum(Mul(y, vn)), xn, wn)
				gb := Gradient(ReduceAllSum(Mul(yb, vn)), bn)
				return []*Node{y, ref, gr[0], gr[1], gb[0]}
			}, x, w, b, v)
			if d := maxDiff(outs[0], outs[1]); d != 0 {
				t.Errorf("forward differs from engine.Conv2D by %g", d)
			}
			yv := dot(outs[0], v)
			for _, k := range []struct {
				name string
				got  float64
			}{{"x", dot(x, outs[2])}, {"W", dot(w, outs[3])}} {
				if math.Abs(k.got-yv) > 1e-5*math.Abs(yv)+1e-4 {
					t.Errorf("⟨%s, grad⟩ = %g, ⟨y, v⟩ = %g", k.name, k.got, yv)
				}
			}
			vs := tensors.MustCopyFlatData[float32](v)
			gb := tensors.MustCopyFlatData[float32](outs[4])
			for o := range c.O {
				var s float64
				for bb := range c.B {
					for p := range ho * ho {
						s += float64(vs[(bb*c.O+o)*ho*ho+p])
					}
				}
				if math.Abs(s-float64(gb[o])) > 1e-4 {
					t.Errorf("db[%d] = %g, want %g", o, gb[o], s)
				}
			}
		})
	}
}

func maxDiff(a, b *tensors.Tensor) float64 {
	x, y := tensors.MustCopyFlatData[float32](a), tensors.MustCopyFlatData[float32](b)
	var m float64
	for i := range x {
		m = max(m, math.Abs(float64(x[i]-y[i])))
	}
	return m
}

// TestSavedMatchesEngine trains a micro model a few steps, saves it and
// loads the folder with the engine (engine/unet, the clip family): the
// text encoder's last hidden state and the UNet's prediction must equal
// the training forward's within 1e-5 (the training LayerNorm divides by
// a square root where the engine multiplies by its reciprocal).
func TestSavedMatchesEngine(t *testing.T) {
	cfg := microConfig()
	tr, err := New(Options{Model: cfg, Encode: byteEncode, Steps: 3, Batch: 4, Seed: 1, EvalEvery: -1, EvalBatches: 1})
	if err != nil {
		t.Fatal(err)
	}
	samples := microSamples(8, 8, 1)
	if _, err := tr.Run(context.Background(), samples, samples); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pipe")
	if err := tr.Save(dir, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json",
		"text_encoder/model.safetensors", "tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json",
		"unet/config.json", "unet/diffusion_pytorch_model.safetensors"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("saved folder lacks %s", f)
		}
	}
	b, err := tr.MakeBatch(samples[:3], rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	pred, states, err := tr.Predict(b, true)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := engine.Load(context.Background(), filepath.Join(dir, "text_encoder"), engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids32 := tensors.MustCopyFlatData[int32](b.IDs)
	T := cfg.Text.Positions
	ids := make([][]int, 3)
	for i := range ids {
		for _, id := range ids32[i*T : (i+1)*T] {
			ids[i] = append(ids[i], int(id))
		}
	}
	out, err := clip.Encode(context.Background(), enc, ids, clip.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var flat []float32
	var dmax float64
	for i, seq := range out.LastHiddenState {
		for s, row := range seq {
			for j, v := range row {
				flat = append(flat, v)
				dmax = max(dmax, math.Abs(float64(v-states[(i*T+s)*cfg.Text.Hidden+j])))
			}
		}
	}
	t.Logf("text encoder: max |Δ| %.2g", dmax)
	if dmax > 1e-5 {
		t.Errorf("text encoder differs by %g", dmax)
	}
	u, err := unet.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := u.Run(unet.Inputs{Sample: b.XT, Timestep: b.Timesteps,
		EncoderHiddenStates: tensors.FromFlatDataAndDimensions(flat, 3, T, cfg.Text.Hidden)}, unet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](res.Sample)
	dmax = 0
	for i := range got {
		dmax = max(dmax, math.Abs(float64(got[i]-pred[i])))
	}
	t.Logf("unet: max |Δ| %.2g", dmax)
	if dmax > 1e-5 {
		t.Errorf("UNet prediction differs by %g", dmax)
	}
}

// TestDeterministic: two runs with one seed log the same losses and save
// bit-identical weights (Compare, as the recipe's -compare does).
func TestDeterministic(t *testing.T) {
	run := func(dir string) string {
		var sb strings.Builder
		tr, err := New(Options{Model: microConfig(), Encode: byteEncode, Steps: 3, Batch: 4, Seed: 7, EvalEvery: -1, EvalBatches: 1,
			Log: func(p Progress) { sb.WriteString(strconv.FormatFloat(p.Loss, 'g', -1, 64) + " ") }})
		if err != nil {
			t.Fatal(err)
		}
		s := microSamples(8, 8, 2)
		if _, err := tr.Run(context.Background(), s, s); err != nil {
			t.Fatal(err)
		}
		if err := tr.Save(filepath.Join(dir, "pipeline"), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		return sb.String()
	}
	a, b := t.TempDir(), t.TempDir()
	if la, lb := run(a), run(b); la != lb {
		t.Errorf("two runs with one seed: %s vs %s", la, lb)
	}
	d, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Identical() {
		t.Errorf("two runs with one seed: %s", d)
	}
}
