package act_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/actsh/actsh/act"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/internal/fixture"
)

// inputFamily is a reference checkpoint and the output projection of its
// attention blocks, whose input the :input points expose.
type inputFamily struct {
	name   string // folder under testdata/reference
	proj   string // pattern of the projection modules, full match
	conv1D bool   // weights stored [in, out] (GPT-2's Conv1D), else [out, in]
}

var inputFamilies = []inputFamily{
	{"gpt2", `.*attn\.c_proj`, true},
	{"gemma2", `.*self_attn\.o_proj`, false},
	{"llama", `.*self_attn\.o_proj`, false},
}

// projection is one attention output projection read from a checkpoint:
// y = W·x + b with W [out][in].
type projection struct {
	w    [][]float64
	bias []float64 // nil when the module has none
}

func readProjection(t *testing.T, st *safetensors.File, module string, conv1D bool) projection {
	t.Helper()
	v, shape, err := st.Float32(module + ".weight")
	if err != nil {
		t.Fatal(err)
	}
	out, in := shape[0], shape[1]
	if conv1D {
		out, in = in, out
	}
	p := projection{w: make([][]float64, out)}
	for o := range out {
		p.w[o] = make([]float64, in)
		for i := range in {
			if conv1D {
				p.w[o][i] = float64(v[i*out+o])
			} else {
				p.w[o][i] = float64(v[o*in+i])
			}
		}
	}
	if b, _, err := st.Float32(module + ".bias"); err == nil {
		p.bias = make([]float64, len(b))
		for i, x := range b {
			p.bias[i] = float64(x)
		}
	}
	return p
}

// apply returns W·x + b for every row of x, in float64.
func (p projection) apply(x [][]float32) [][]float64 {
	out := make([][]float64, len(x))
	for r, row := range x {
		out[r] = p.mul(row)
		for o := range out[r] {
			if p.bias != nil {
				out[r][o] += p.bias[o]
			}
		}
	}
	return out
}

// mul returns W·v (no bias).
func (p projection) mul(v []float32) []float64 {
	y := make([]float64, len(p.w))
	for o, wr := range p.w {
		for i, w := range wr {
			y[o] += w * float64(v[i])
		}
	}
	return y
}

// TestInputPointCapture checks that capturing a projection's :input point
// gives what transformers feeds that module: the checkpoint's projection
// applied to the capture (in float64) must give the projection's output as
// the independent PyTorch reference recorded it (act.<k>.<module> in
// expected.safetensors) and as our own output point captures it.
//
// Tolerances: against the reference 1e-4·max(1, |ref|), the conformance
// suite's activation tolerance (float32 attention in another order);
// against our own output point 1e-5·max(1, |y|) (the same float32 inputs,
// a float32 product against a float64 one).
func TestInputPointCapture(t *testing.T) {
	for _, fam := range inputFamilies {
		t.Run(fam.name, func(t *testing.T) {
			dir := fixture.Reference(t, fam.name)
			m := Load(filepath.Join(dir, "checkpoint"))
			st, err := safetensors.Open(filepath.Join(dir, "checkpoint", "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			exp, err := safetensors.Open(filepath.Join(dir, "expected.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer exp.Close()

			modules := m.Points(fam.proj)
			inputs := m.Points(fam.proj + ":input")
			if len(modules) == 0 || len(inputs) != len(modules) {
				t.Fatalf("projections %v, inputs %v: want one input point per projection", modules, inputs)
			}
			for i, in := range inputs {
				if in != modules[i]+":input" {
					t.Errorf("input point %d is %q, want %q", i, in, modules[i]+":input")
				}
				if strings.HasSuffix(modules[i], ":input") {
					t.Errorf("pattern %s selected the input point %s", fam.proj, modules[i])
				}
			}
			all := m.Points()
			for _, in := range inputs {
				// Listed in module order: just before the projection's output.
				if k := slices.Index(all, in); k < 0 || k+1 >= len(all) || all[k+1] != strings.TrimSuffix(in, ":input") {
					t.Errorf("%s is not listed just before its module in %v", in, all)
				}
			}

			var worstRef, worstOwn float64
			for k := 0; ; k++ {
				ids64, _, err := exp.Int64(fmt.Sprintf("input_ids.%d", k))
				if err != nil {
					break
				}
				ids := make([]int, len(ids64))
				for i, v := range ids64 {
					ids[i] = int(v)
				}
				for i, in := range inputs {
					module := modules[i]
					x := m.Capture(ids, in)
					y := readProjection(t, st, module, fam.conv1D).apply(x)
					own := m.Capture(ids, module)
					ref, _, err := exp.Float32(fmt.Sprintf("act.%d.%s", k, module))
					if err != nil {
						t.Fatalf("fixture has no output of %s: %v", module, err)
					}
					D := len(y[0])
					for p := range y {
						for d := range D {
							r := float64(ref[p*D+d])
							worstRef = math.Max(worstRef, math.Abs(y[p][d]-r)/math.Max(1, math.Abs(r)))
							worstOwn = math.Max(worstOwn, math.Abs(y[p][d]-float64(own[p][d]))/math.Max(1, math.Abs(y[p][d])))
						}
					}
				}
			}
			t.Logf("%s projections of the :input captures: max rel diff %.3g against the reference's outputs, %.3g against our output points", fam.name, worstRef, worstOwn)
			if worstRef > 1e-4 {
				t.Errorf("projection of the input capture differs from the reference output by %.3g > 1e-4", worstRef)
			}
			if worstOwn > 1e-5 {
				t.Errorf("projection of the input capture differs from our output point by %.3g > 1e-5", worstOwn)
			}
		})
	}
}

// TestInputPointSteering steers an attention projection's input with the
// affine map z ↦ c·z + b at strength λ and compares with the same change
// made by hand one step later, at the projection's output: with
// a = λ·c + 1 − λ, W·(a·x + λ·b) + bias = a·y + (1 − a)·bias + λ·W·b, a
// per-unit affine map of the output y applied at λ = 1. Logits (every
// position and the last only) and KV-cached greedy generation must agree.
//
// Tolerance on logits: 5e-5·max(1, max |logit|), the two routes rounding
// differently in float32 (measured: see the log).
func TestInputPointSteering(t *testing.T) {
	const lambda, c = 0.5, 0.75
	r := rand.New(rand.NewPCG(14, 2))
	for _, fam := range inputFamilies {
		t.Run(fam.name, func(t *testing.T) {
			dir := fixture.Reference(t, fam.name)
			m := Load(filepath.Join(dir, "checkpoint"))
			st, err := safetensors.Open(filepath.Join(dir, "checkpoint", "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			modules := m.Points(fam.proj)
			module := modules[len(modules)-1]
			in := module + ":input"
			proj := readProjection(t, st, module, fam.conv1D)
			width, D := len(proj.w[0]), len(proj.w)

			w, b := make([]float32, width), make([]float32, width)
			for i := range width {
				w[i], b[i] = c, float32(r.NormFloat64())
			}
			a := lambda*c + 1 - lambda
			wb := proj.mul(b)
			wOut, bOut := make([]float32, D), make([]float32, D)
			for d := range D {
				wOut[d] = float32(a)
				bOut[d] = float32(lambda * wb[d])
				if proj.bias != nil {
					bOut[d] += float32((1 - a) * proj.bias[d])
				}
			}
			byInput := NewTransport()
			byInput.Set(in, w, b, nil, nil)
			byHand := NewTransport()
			byHand.Set(module, wOut, bOut, nil, nil)

			ids := []int{5, 17, 42, 3, 99, 250, 7}
			plain := m.Logits(ids)
			steered := m.LogitsWith(ids, byInput, lambda)
			want := m.LogitsWith(ids, byHand, 1)
			d, scale := maxAbsDiff(steered, want), maxAbs(want)
			moved := maxAbsDiff(steered, plain)
			t.Logf("steering %s: logits moved by up to %.3g; against the same map made by hand at %s: max abs diff %.3g (largest logit %.3g)", in, moved, module, d, scale)
			if d > 5e-5*math.Max(1, scale) {
				t.Errorf("steering %s differs from the hand-made map at %s by %.3g", in, module, d)
			}
			if moved < 1e-3 {
				t.Errorf("steering %s moved the logits by only %.3g", in, moved)
			}
			if got := m.LogitsWith(ids, byInput, 0); maxAbsDiff(got, plain) != 0 {
				t.Errorf("λ = 0 at %s is not bit-identical to the unsteered model", in)
			}

			// KV-cached generation, at every position and at the last only.
			for _, pos := range []string{"all", "last"} {
				got := m.GenerateIDs(ids, byInput, lambda, MaxTokens(8), Position(pos))
				if want := m.GenerateIDs(ids, byHand, 1, MaxTokens(8), Position(pos)); !slices.Equal(got, want) {
					t.Errorf("Position(%q): generated %v steering %s, %v by hand at %s", pos, got, in, want, module)
				}
			}
			// With a cache, each step steers its new token as a full pass
			// steers every position.
			gen := m.GenerateIDs(ids, byInput, lambda, MaxTokens(6))
			seq := slices.Clone(ids)
			for i, tok := range gen {
				logits := m.LogitsWith(seq, byInput, lambda)
				if best := argmax(logits[len(logits)-1]); best != tok {
					t.Errorf("step %d: cached generation chose %d, a full steered pass %d", i, tok, best)
				}
				seq = append(seq, tok)
			}
		})
	}
}

// TestInputPointFit fits ITI-c at the attention heads of the embedded model
// from pooled responses: the responses are the mean of the captured :input
// rows over each text's tokens, the transport steers, saves and loads back
// with the point names intact, and layer-by-layer fitting works there too.
func TestInputPointFit(t *testing.T) {
	m := Load("tiny")
	calm := []string{"The cat sat on the mat.", "A quiet day in the park.", "We read a book."}
	loud := []string{"The storm broke the door!", "Run, the fire is here!", "Shouting in the street!"}
	ds := Texts("calm", calm).Add("loud", loud...)
	const pattern = `.*attn\.c_proj:input`
	r := m.Responses(ds, pattern, Src("calm"), Dst("loud"), Batch(3))
	if got, want := r.Points(), m.Points(pattern); !slices.Equal(got, want) || len(want) == 0 {
		t.Fatalf("responses at %v, want %v", got, want)
	}
	// Each pooled source row is the mean capture of one calm text
	// (tolerance 1e-6: float64 means of the same float32 rows, computed
	// in a batch of 3 against alone).
	p := r.Points()[0]
	var means [][]float32
	for _, text := range calm {
		rows := m.Capture(m.Tokenize(text), p)
		mean := make([]float32, len(rows[0]))
		for d := range mean {
			var s float64
			for _, row := range rows {
				s += float64(row[d])
			}
			mean[d] = float32(s / float64(len(rows)))
		}
		means = append(means, mean)
	}
	for i, row := range r.Source(p) {
		best := math.Inf(1)
		for _, mean := range means {
			best = math.Min(best, maxAbsDiff([][]float32{row}, [][]float32{mean}))
		}
		if best > 1e-6 {
			t.Errorf("pooled source row %d of %s is no text's mean capture (nearest %.3g)", i, p, best)
		}
	}

	tr := FitITI(r, 0)
	ids := m.Tokenize("Once upon a time")
	plain, steered := m.Logits(ids), m.LogitsWith(ids, tr, 1)
	if d := maxAbsDiff(plain, steered); d < 1e-4 {
		t.Errorf("ITI-c at %s moved the logits by only %.3g", pattern, d)
	}
	path := filepath.Join(t.TempDir(), "iti.act.safetensors")
	tr.Save(path)
	back := LoadTransport(path)
	if !slices.Equal(back.Points(), tr.Points()) || maxAbsDiff(m.LogitsWith(ids, back, 1), steered) != 0 {
		t.Errorf("reloaded transport: points %v (want %v) or logits differ", back.Points(), tr.Points())
	}
	if got := m.Generate("Once upon a time", tr, 1, MaxTokens(6)); got == "" {
		t.Error("steered generation is empty")
	}

	inc := m.FitIncremental(ds, pattern, "mean_ot", Src("calm"), Dst("loud"), Batch(3), Cache(t.TempDir()))
	if !slices.Equal(inc.Points(), r.Points()) {
		t.Errorf("incremental fit at %v, want %v", inc.Points(), r.Points())
	}
}

func maxAbsDiff(a, b [][]float32) float64 {
	var d float64
	for i := range a {
		for j := range a[i] {
			d = math.Max(d, math.Abs(float64(a[i][j])-float64(b[i][j])))
		}
	}
	return d
}

func maxAbs(a [][]float32) float64 {
	var m float64
	for _, row := range a {
		for _, v := range row {
			m = math.Max(m, math.Abs(float64(v)))
		}
	}
	return m
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
