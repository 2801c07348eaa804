package engine_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/actsh/actsh/internal/fixture"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
)

// models loads each family's reference checkpoint once per test.
func models(t testing.TB) map[string]*engine.Model {
	out := map[string]*engine.Model{}
	for _, f := range families {
		out[f.name] = loadCheckpoint(t, filepath.Join(refDir(t, f.name), f.checkpoints[0]))
	}
	return out
}

// randomMap is an affine map with bounds around the bulk of the values,
// so the gate is sometimes open and sometimes closed.
func randomMap(r *rand.Rand, width int, bounded bool) *transport.Map {
	m := &transport.Map{W: make([]float32, width), B: make([]float32, width)}
	for i := range width {
		m.W[i] = float32(0.5 + r.Float64())
		m.B[i] = float32(r.NormFloat64())
	}
	if bounded {
		m.Lo, m.Hi = make([]float32, width), make([]float32, width)
		for i := range width {
			m.Lo[i], m.Hi[i] = -0.5, 0.5
		}
	}
	return m
}

func prompts(r *rand.Rand, vocab int, lens ...int) [][]int {
	out := make([][]int, len(lens))
	for i, n := range lens {
		for range n {
			out[i] = append(out[i], 3+r.IntN(vocab-10))
		}
	}
	return out
}

// midPoint is a steerable point in the middle of each model.
var midPoint = map[string]string{
	"gpt2":    "transformer.h.1.ln_2",
	"llama":   "model.layers.1.post_attention_layernorm",
	"gemma2":  "model.layers.1.post_attention_layernorm",
	"mistral": "model.layers.1.post_attention_layernorm",
}

// TestLambdaZeroIsUnsteered checks that λ = 0 gives bit-identical logits
// and activations (tolerance 0: the op selects z itself).
func TestLambdaZeroIsUnsteered(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	for name, m := range models(t) {
		t.Run(name, func(t *testing.T) {
			pt := midPoint[name]
			batch := prompts(r, m.Info().VocabSize, 7, 3)
			last := m.Points()[len(m.Points())-1]
			base, err := m.Forward(ctx, batch, engine.ForwardOptions{Capture: []string{pt, last}})
			if err != nil {
				t.Fatal(err)
			}
			for _, lastOnly := range []bool{false, true} {
				st := &engine.Steering{Maps: map[string]*transport.Map{pt: randomMap(r, m.PointWidth(pt), false)}, LastOnly: lastOnly}
				out, err := m.Forward(ctx, batch, engine.ForwardOptions{Steering: st, Capture: []string{pt, last}})
				if err != nil {
					t.Fatal(err)
				}
				for i := range batch {
					if d := maxDiff(out.Logits[i], flat(base.Logits[i]), false); d != 0 {
						t.Errorf("lastOnly=%v seq %d: logits differ by %g at λ=0", lastOnly, i, d)
					}
					for _, p := range []string{pt, last} {
						if d := maxDiff(out.Captured[p][i], flat(base.Captured[p][i]), false); d != 0 {
							t.Errorf("lastOnly=%v seq %d: %s differs by %g at λ=0", lastOnly, i, p, d)
						}
					}
				}
			}
		})
	}
}

func flat(rows [][]float32) []float32 {
	var out []float32
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// TestSteeringOp checks the captured value of a steered point against the
// formula applied on the host to the unsteered capture: out = λ(wz+b) +
// (1−λ)z where lo < z < hi (strict), z elsewhere; with LastOnly only the
// last real token changes. Tolerance 1e-6·max(1,|z|): the same float32
// operations in a different order.
func TestSteeringOp(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	for name, m := range models(t) {
		t.Run(name, func(t *testing.T) {
			pt := midPoint[name]
			D := m.PointWidth(pt)
			batch := prompts(r, m.Info().VocabSize, 6, 9)
			base, err := m.Forward(ctx, batch, engine.ForwardOptions{Capture: []string{pt}, NoLogits: true})
			if err != nil {
				t.Fatal(err)
			}
			if base.Logits != nil {
				t.Errorf("NoLogits returned logits")
			}
			mp := randomMap(r, D, true)
			for _, lastOnly := range []bool{false, true} {
				const lambda = 0.7
				st := &engine.Steering{Maps: map[string]*transport.Map{pt: mp}, Strength: lambda, LastOnly: lastOnly}
				out, err := m.Forward(ctx, batch, engine.ForwardOptions{Steering: st, Capture: []string{pt}, NoLogits: true})
				if err != nil {
					t.Fatal(err)
				}
				gated := 0
				for i, s := range batch {
					for p := range s {
						for d := range D {
							z := base.Captured[pt][i][p][d]
							want := z
							if (!lastOnly || p == len(s)-1) && mp.Lo[d] < z && z < mp.Hi[d] {
								want = lambda*(mp.W[d]*z+mp.B[d]) + (1-lambda)*z
								gated++
							}
							got := out.Captured[pt][i][p][d]
							if math.Abs(float64(got-want)) > 1e-6*math.Max(1, math.Abs(float64(z))) {
								t.Fatalf("lastOnly=%v seq %d pos %d unit %d: got %g, want %g (z=%g)", lastOnly, i, p, d, got, want, z)
							}
						}
					}
				}
				if gated == 0 {
					t.Errorf("lastOnly=%v: no value inside the bounds; the test checks nothing", lastOnly)
				}
			}
		})
	}
}

// TestNoRecompile checks that new values (λ, maps, tokens of the same
// bucketed shape) reuse the compiled passes.
func TestNoRecompile(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	for name, m := range models(t) {
		t.Run(name, func(t *testing.T) {
			pt := midPoint[name]
			run := func(lambda float32, lastOnly bool, lens ...int) {
				st := &engine.Steering{Maps: map[string]*transport.Map{pt: randomMap(r, m.PointWidth(pt), lambda > 0.5)}, Strength: lambda, LastOnly: lastOnly}
				if _, err := m.Forward(ctx, prompts(r, m.Info().VocabSize, lens...), engine.ForwardOptions{Steering: st}); err != nil {
					t.Fatal(err)
				}
				if _, err := m.Generate(ctx, prompts(r, m.Info().VocabSize, lens...), engine.GenerateOptions{Steering: st, MaxNewTokens: 3}); err != nil {
					t.Fatal(err)
				}
			}
			run(0.3, false, 5, 7)
			n := m.Compilations()
			run(0.9, true, 6, 8)
			run(0, false, 8, 2)
			if got := m.Compilations(); got != n {
				t.Errorf("compilations went from %d to %d for new values of the same shapes", n, got)
			}
		})
	}
}

// TestGenerateConsistency checks that cached generation gives the same
// tokens as recomputing the whole sequence, and that a prompt gives the
// same tokens alone and inside a left-padded batch, unsteered and steered
// (all positions and last only), greedy and sampled.
func TestGenerateConsistency(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	for name, m := range models(t) {
		pt := midPoint[name]
		st := &engine.Steering{Maps: map[string]*transport.Map{pt: randomMap(r, m.PointWidth(pt), true)}, Strength: 0.6}
		stLast := &engine.Steering{Maps: st.Maps, Strength: 0.6, LastOnly: true}
		batch := prompts(r, m.Info().VocabSize, 4, 11, 1)
		cases := []struct {
			name string
			opts engine.GenerateOptions
		}{
			{"greedy", engine.GenerateOptions{}},
			{"steered", engine.GenerateOptions{Steering: st}},
			{"steered_last", engine.GenerateOptions{Steering: stLast}},
			{"sampled", engine.GenerateOptions{Temperature: 0.8, TopK: 40, TopP: 0.9, RepetitionPenalty: 1.3, Seed: 42}},
		}
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				o := c.opts
				o.MaxNewTokens, o.StopTokens = 8, []int{}
				cached, err := m.Generate(ctx, batch, o)
				if err != nil {
					t.Fatal(err)
				}
				o.NoCache = true
				full, err := m.Generate(ctx, batch, o)
				if err != nil {
					t.Fatal(err)
				}
				o.NoCache = false
				for i := range batch {
					if !equalInts(cached[i], full[i]) {
						t.Errorf("row %d: cached %v, recomputed %v", i, cached[i], full[i])
					}
					if c.opts.Temperature > 0 {
						continue // the sampler's stream depends on the batch
					}
					alone, err := m.Generate(ctx, batch[i:i+1], o)
					if err != nil {
						t.Fatal(err)
					}
					if !equalInts(cached[i], alone[0]) {
						t.Errorf("row %d: in batch %v, alone %v", i, cached[i], alone[0])
					}
				}
			})
		}
	}
}

// TestLongSequence runs a Llama prompt longer than 64 tokens (the
// multiple-of-64 buckets): the padded forward matches the unpadded one
// (tolerance 1e-4: different reductions shapes), and cached generation
// matches recomputation.
func TestLongSequence(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 10))
	m := models(t)["llama"]
	batch := prompts(r, m.Info().VocabSize, 70, 3)
	alone, err := m.Forward(ctx, batch[:1], engine.ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	both, err := m.Forward(ctx, batch, engine.ForwardOptions{LeftPad: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(both.Logits[0], flat(alone.Logits[0]), false); d > 1e-4 {
		t.Errorf("left-padded long row differs by %g", d)
	}
	o := engine.GenerateOptions{MaxNewTokens: 5, StopTokens: []int{}}
	cached, err := m.Generate(ctx, batch, o)
	if err != nil {
		t.Fatal(err)
	}
	o.NoCache = true
	full, err := m.Generate(ctx, batch, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range batch {
		if !equalInts(cached[i], full[i]) {
			t.Errorf("row %d: cached %v, recomputed %v", i, cached[i], full[i])
		}
	}
}

func TestStopTokens(t *testing.T) {
	ctx := context.Background()
	m := models(t)["gpt2"]
	e := loadExpected(t, "gpt2")
	ids := e.ints("input_ids.1")
	greedy := e.ints("greedy.1")
	got, err := m.Generate(ctx, [][]int{ids}, engine.GenerateOptions{MaxNewTokens: 10, StopTokens: []int{greedy[3]}})
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(got[0], greedy[:3]) {
		t.Errorf("stopping at %d: got %v, want %v", greedy[3], got[0], greedy[:3])
	}
}

func TestCancel(t *testing.T) {
	m := models(t)["gpt2"]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Generate(ctx, [][]int{{5, 6}}, engine.GenerateOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := m.Forward(ctx, [][]int{{5, 6}}, engine.ForwardOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Forward with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestMatchPoints(t *testing.T) {
	ms := models(t)
	tests := []struct {
		name, model, pattern string
		want                 []string
		err                  string
	}{
		{"suffix", "gpt2", ".*ln_2", []string{"transformer.h.0.ln_2", "transformer.h.1.ln_2"}, ""},
		{"fullmatch", "gpt2", "transformer.h.1.ln", nil, "no gpt2 point matches"},
		{"block output", "gpt2", "transformer.h.1", []string{"transformer.h.1"}, ""},
		// Input points are separate names: a pattern for the module's
		// output does not select its input, nor the other way round.
		{"outputs only", "llama", ".*o_proj", []string{"model.layers.0.self_attn.o_proj", "model.layers.1.self_attn.o_proj"}, ""},
		{"inputs only", "llama", ".*o_proj:input", []string{"model.layers.0.self_attn.o_proj:input", "model.layers.1.self_attn.o_proj:input"}, ""},
		{"gpt2 inputs", "gpt2", ".*attn.c_proj:input", []string{"transformer.h.0.attn.c_proj:input", "transformer.h.1.attn.c_proj:input"}, ""},
		{"gpt2 outputs", "gpt2", ".*c_proj", []string{"transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_proj", "transformer.h.1.attn.c_proj", "transformer.h.1.mlp.c_proj"}, ""},
		{"exact", "llama", "model.layers.1.mlp", []string{"model.layers.1.mlp"}, ""},
		{"alternation", "llama", "model.norm|model.embed_tokens", []string{"model.embed_tokens", "model.norm"}, ""},
		{"bad regexp", "gpt2", "(", nil, "point pattern"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ms[tc.model].MatchPoints(tc.pattern)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPool checks pooling against ml-act's get_pooling_op on the fixture
// act/pooling.safetensors (tolerance 1e-6: a float64 mean vs torch's
// float32 nanmean).
func TestPool(t *testing.T) {
	f, err := readST(fixture.Reference(t, "act", "pooling.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	x, shape, _ := f.Float32("input")
	mask, _, _ := f.Ints("attention_mask")
	B, T, D := shape[0], shape[1], shape[2]
	for _, name := range []string{"mean", "max", "min"} {
		t.Run(name, func(t *testing.T) {
			want, _, err := f.Float32("pooled." + name)
			if err != nil {
				t.Fatal(err)
			}
			for b := range B {
				var rows [][]float32
				for p := range T {
					if mask[b*T+p] == 1 {
						rows = append(rows, x[(b*T+p)*D:(b*T+p+1)*D])
					}
				}
				got := engine.Pool(name, rows)
				for d := range D {
					if math.Abs(float64(got[d]-want[b*D+d])) > 1e-6 {
						t.Errorf("seq %d unit %d: %g, want %g", b, d, got[d], want[b*D+d])
					}
				}
			}
		})
	}
}

func TestForwardErrors(t *testing.T) {
	ctx := context.Background()
	m := models(t)["gpt2"]
	tests := []struct {
		name  string
		batch [][]int
		opts  engine.ForwardOptions
		err   string
	}{
		{"empty sequence", [][]int{{}}, engine.ForwardOptions{}, "sequence 0 is empty"},
		{"id range", [][]int{{1, 320}}, engine.ForwardOptions{}, "token id 320 out of range"},
		{"too long", [][]int{make([]int, 65)}, engine.ForwardOptions{}, "exceed the model's 64 positions"},
		{"unknown capture", [][]int{{1}}, engine.ForwardOptions{Capture: []string{"h.0"}}, `cannot capture "h.0"`},
		{"bad pool", [][]int{{1}}, engine.ForwardOptions{Pool: "sum"}, `unknown pooling "sum"`},
		{"map width", [][]int{{1}}, engine.ForwardOptions{Steering: &engine.Steering{Maps: map[string]*transport.Map{
			"transformer.ln_f": {W: make([]float32, 3), B: make([]float32, 3)}}}}, "W has 3 values, the point has 64 units"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Forward(ctx, tc.batch, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func BenchmarkForward(b *testing.B) {
	ctx := context.Background()
	for name, m := range models(b) {
		batch := prompts(rand.New(rand.NewPCG(1, 1)), m.Info().VocabSize, 20, 20, 20, 20)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Forward(ctx, batch, engine.ForwardOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	ctx := context.Background()
	for name, m := range models(b) {
		batch := prompts(rand.New(rand.NewPCG(1, 1)), m.Info().VocabSize, 12, 20)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Generate(ctx, batch, engine.GenerateOptions{MaxNewTokens: 16, StopTokens: []int{}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// knotsMap builds a monotone piecewise-linear map with K knots per unit
// spread over [−2, 2], one repeated x knot per unit, and y knots that
// are a sorted random draw.
func knotsMap(r *rand.Rand, width, K int) *transport.Map {
	m := &transport.Map{W: make([]float32, width), B: make([]float32, width), Knots: &transport.Knots{}}
	for range width {
		x, y := make([]float32, K), make([]float32, K)
		for k := range K {
			x[k] = -2 + 4*float32(k)/float32(K-1) + float32(r.Float64()*0.1)
			y[k] = float32(r.NormFloat64())
		}
		x[K/2] = x[K/2-1] // a repeated knot: zero-width segment
		slicesSort(y)
		m.Knots.X = append(m.Knots.X, x)
		m.Knots.Y = append(m.Knots.Y, y)
	}
	return m
}

func slicesSort(v []float32) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// TestSteeringKnots checks the piecewise-linear form of the steering op
// against transport.Map.ApplyTo on the host, for knot counts that are and
// are not powers of two, with values below, between, on and above the
// knots. Tolerance 1e-6·max(1,|z|): the same float32 formula, but the
// graph may fuse operations differently.
func TestSteeringKnots(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 12))
	m := models(t)["gpt2"]
	pt := midPoint["gpt2"]
	D := m.PointWidth(pt)
	batch := prompts(r, m.Info().VocabSize, 6, 9)
	base, err := m.Forward(ctx, batch, engine.ForwardOptions{Capture: []string{pt}, NoLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, K := range []int{2, 5, 8, 33} {
		t.Run(fmt.Sprint(K), func(t *testing.T) {
			mp := knotsMap(r, D, K)
			// Put one unit's knots exactly on observed values.
			mp.Knots.X[0][K/2] = base.Captured[pt][0][0][0]
			mp.Knots.X[0][K-1] = base.Captured[pt][0][1][0]
			slicesSort(mp.Knots.X[0])
			const lambda = 0.8
			st := &engine.Steering{Maps: map[string]*transport.Map{pt: mp}, Strength: lambda}
			out, err := m.Forward(ctx, batch, engine.ForwardOptions{Steering: st, Capture: []string{pt}, NoLogits: true})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range batch {
				for p := range s {
					z := base.Captured[pt][i][p]
					want := mp.ApplyTo(nil, z, lambda)
					for d := range D {
						got := out.Captured[pt][i][p][d]
						if math.Abs(float64(got-want[d])) > 1e-6*math.Max(1, math.Abs(float64(z[d]))) {
							t.Fatalf("seq %d pos %d unit %d: got %g, want %g (z=%g)", i, p, d, got, want[d], z[d])
						}
					}
				}
			}
		})
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	unknown := t.TempDir()
	if err := os.WriteFile(filepath.Join(unknown, "config.json"), []byte(`{"architectures":["FooForCausalLM"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(unknown, "model.safetensors"), []byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, model, err string
	}{
		{"missing", filepath.Join(t.TempDir(), "nothing"), "nothing"},
		{"unknown architecture", unknown, `unknown architecture "FooForCausalLM" (registered: `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.Load(ctx, tc.model, engine.LoadOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
	m := loadCheckpoint(t, filepath.Join(refDir(t, "llama"), "checkpoint"))
	if m.Tokenizer() != nil {
		t.Errorf("the reference checkpoint has no tokenizer.json, but Tokenizer() is not nil")
	}
	if want := "llama (LlamaForCausalLM): 2 layers, hidden 64, vocab 320"; !strings.HasPrefix(m.String(), want) {
		t.Errorf("String() = %q, want prefix %q", m.String(), want)
	}
}

func TestForwardNothingAsked(t *testing.T) {
	m := models(t)["gpt2"]
	out, err := m.Forward(context.Background(), [][]int{{1, 2}}, engine.ForwardOptions{NoLogits: true})
	if err != nil || out.Logits != nil || out.Captured != nil || out.Pooled != nil {
		t.Errorf("Forward with nothing to return: %+v, %v", out, err)
	}
	if _, err := m.Forward(context.Background(), [][]int{{1, 999}}, engine.ForwardOptions{NoLogits: true}); err == nil {
		t.Errorf("Forward with nothing to return accepted token 999")
	}
}
