package flux_test

import (
	"encoding/json"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/flux"
	"github.com/actsh/actsh/engine/safetensors"
)

// fixtureConfig returns the fixture's transformer/config.json with over
// applied (a nil value deletes the key).
func fixtureConfig(t *testing.T, over map[string]any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), "transformer", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if over == nil {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range over {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name   string
		over   map[string]any
		err    string // "" for success
		unsupp bool
	}{
		{"fixture", nil, "", false},
		{"out_channels null", map[string]any{"out_channels": nil}, "", false},
		{"out_channels same", map[string]any{"out_channels": 16}, "", false},
		{"no single blocks", map[string]any{"num_single_layers": 0}, "", false},
		{"class", map[string]any{"_class_name": "SD3Transformer2DModel"}, "_class_name", true},
		{"patch size", map[string]any{"patch_size": 2}, "patch_size 2", true},
		{"out_channels", map[string]any{"out_channels": 32}, "out_channels 32", true},
		{"axes sum", map[string]any{"axes_dims_rope": []int{4, 4, 4}}, "axes_dims_rope [4 4 4] sums to 12; it must equal attention_head_dim (16)", false},
		{"axes odd", map[string]any{"axes_dims_rope": []int{5, 5, 6}}, "axes_dims_rope [5 5 6]", false},
		{"axes empty", map[string]any{"axes_dims_rope": []int{}}, "axes_dims_rope is empty", false},
		{"heads", map[string]any{"num_attention_heads": 0}, "num_attention_heads (0) must be positive", false},
		{"layers", map[string]any{"num_layers": -1}, "num_layers (-1)", false},
		{"json", map[string]any{"in_channels": "sixteen"}, "config.json", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := flux.ParseConfig(fixtureConfig(t, tc.over))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one naming %q", err, tc.err)
			}
			if errors.Is(err, flux.ErrUnsupported) != tc.unsupp {
				t.Errorf("errors.Is(%v, ErrUnsupported) = %v", err, !tc.unsupp)
			}
		})
	}
}

// fixtureTensors returns the fixture checkpoint's tensors as float32,
// each passed through edit (nil: dropped).
func fixtureTensors(t *testing.T, edit func(name string, shape []int, v []float32) *safetensors.Tensor) []safetensors.Tensor {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(fixtureDir(t), "transformer", "diffusion_pytorch_model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []safetensors.Tensor
	for _, n := range f.Names() {
		v, shape, err := f.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		if edit == nil {
			out = append(out, safetensors.F32(n, shape, v))
		} else if e := edit(n, shape, v); e != nil {
			out = append(out, *e)
		}
	}
	return out
}

func weights(t *testing.T, ts []safetensors.Tensor) engine.Weights {
	t.Helper()
	b, err := safetensors.Encode(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := safetensors.OpenBytes("test", b)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestBadCheckpoint(t *testing.T) {
	const victim = "single_transformer_blocks.1.proj_out.weight"
	tests := []struct {
		name string
		edit func(name string, shape []int, v []float32) *safetensors.Tensor
		want []string
	}{
		{"missing", func(n string, shape []int, v []float32) *safetensors.Tensor {
			if n == victim {
				return nil
			}
			t := safetensors.F32(n, shape, v)
			return &t
		}, []string{victim}},
		{"misshapen", func(n string, shape []int, v []float32) *safetensors.Tensor {
			if n == victim {
				shape = []int{shape[1], shape[0]}
			}
			t := safetensors.F32(n, shape, v)
			return &t
		}, []string{victim, "[160 32]", "[32 160]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := flux.New(fixtureConfig(t, nil), weights(t, fixtureTensors(t, tc.edit)))
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
	if _, err := flux.Load(t.TempDir()); err == nil {
		t.Error("Load of an empty folder succeeded")
	}
	// guidance_embeds asks for the guidance embedder, which schnell's checkpoint lacks.
	_, err := flux.New(fixtureConfig(t, map[string]any{"guidance_embeds": true}), weights(t, fixtureTensors(t, nil)))
	if err == nil || !strings.Contains(err.Error(), "time_text_embed.guidance_embedder.linear_1.weight") {
		t.Errorf("guidance_embeds without its weights: %v", err)
	}
}

func zeros(dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return tensors.FromFlatDataAndDimensions(make([]float32, n), dims...)
}

func flat(t *tensors.Tensor) []float32 { return tensors.MustCopyFlatData[float32](t) }

func maxDiff(a, b []float32) float64 {
	worst := 0.0
	for i := range a {
		worst = max(worst, math.Abs(float64(a[i])-float64(b[i])))
	}
	return worst
}

func affine(n int, w, b float32) *transport.Map {
	m := &transport.Map{W: make([]float32, n), B: make([]float32, n)}
	for i := range m.W {
		m.W[i], m.B[i] = w, b
	}
	return m
}

func TestRunErrors(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	m := r.model(t)
	tests := []struct {
		name string
		in   func(*flux.Inputs)
		opt  flux.Options
		want string
	}{
		{"channels", func(in *flux.Inputs) { in.HiddenStates = zeros(2, 24, 12) }, flux.Options{}, "HiddenStates is (Float32)[2 24 12], want float32 [· · 16]"},
		{"no text", func(in *flux.Inputs) { in.EncoderHiddenStates = nil }, flux.Options{}, "EncoderHiddenStates is nil"},
		{"text batch", func(in *flux.Inputs) { in.EncoderHiddenStates = zeros(1, 6, 32) }, flux.Options{}, "want float32 [2 · 32]"},
		{"pooled", func(in *flux.Inputs) { in.PooledProjections = zeros(2, 32) }, flux.Options{}, "PooledProjections is (Float32)[2 32], want float32 [2 16]"},
		{"timesteps", func(in *flux.Inputs) { in.Timestep = nil }, flux.Options{}, "0 timesteps for a batch of 2"},
		{"guidance", func(in *flux.Inputs) { in.Guidance = []float32{3.5} }, flux.Options{}, "guidance_embeds"},
		{"no image ids", func(in *flux.Inputs) { in.ImgIDs = nil }, flux.Options{}, "ImgIDs is nil, want float32 [2 or 1, 24, 3]"},
		{"image ids", func(in *flux.Inputs) { in.ImgIDs = zeros(1, 23, 3) }, flux.Options{}, "ImgIDs is (Float32)[1 23 3], want float32 [1 24 3]"},
		{"text ids", func(in *flux.Inputs) { in.TxtIDs = zeros(3, 6, 3) }, flux.Options{}, "TxtIDs is (Float32)[3 6 3], want float32 [2 6 3]"},
		{"unknown capture", nil, flux.Options{Capture: []string{"single_transformer_blocks.1.nrm:0"}}, `capture "single_transformer_blocks.1.nrm:0": not a FLUX transformer point (nearest: single_transformer_blocks.1.norm:0)`},
		{"tuple", nil, flux.Options{Capture: []string{"transformer_blocks.0"}}, "the module returns a tuple"},
		{"unknown steer", nil, flux.Options{Steering: &engine.Steering{Maps: map[string]*transport.Map{"norm_outt": affine(32, 1, 0)}}}, `steer "norm_outt"`},
		{"same point", nil, flux.Options{Steering: &engine.Steering{Maps: map[string]*transport.Map{
			"single_transformer_blocks.0": affine(32, 1, 0), "single_transformer_blocks.0:0": affine(32, 1, 0)}}}, "are the same point"},
		{"last only", nil, flux.Options{Steering: &engine.Steering{Maps: map[string]*transport.Map{"norm_out": affine(32, 1, 0)}, LastOnly: true}}, "LastOnly"},
		{"map width", nil, flux.Options{Steering: &engine.Steering{Maps: map[string]*transport.Map{"norm_out": affine(64, 1, 0)}}}, "W has 64 values, the point has 32 units"},
		{"pool", nil, flux.Options{Pool: "median"}, `pooling "median"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := r.inputs(t, "input.")
			if tc.in != nil {
				tc.in(&in)
			}
			_, err := m.Run(in, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestEveryPoint captures every point at once: each is produced, with the
// shape of its stream — text [B, T, D], image [B, N, D], both
// [B, T+N, D] in the single blocks, [B, D] for time_text_embed — and
// steering each with the identity map (W = 1, B = 0, λ = 1) leaves the
// prediction as it is (exactly: the map computes 1·z + 0).
func TestEveryPoint(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	m := r.model(t)
	in := r.inputs(t, "input.")
	B, N, T, D := 2, 24, 6, m.Config().InnerDim()
	var names []string
	ident := &engine.Steering{Maps: map[string]*transport.Map{}, Strength: 1}
	for _, p := range m.Points() {
		names = append(names, p.Name)
		ident.Maps[p.Name] = affine(p.Width, 1, 0)
	}
	plain, err := m.Run(in, flux.Options{Capture: names})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		want := []int{B, N, D}
		switch {
		case n == "time_text_embed":
			want = []int{B, D}
		case strings.HasPrefix(n, "single_"):
			want = []int{B, T + N, D}
		case n == "context_embedder", strings.HasPrefix(n, "transformer_blocks.") && (strings.Count(n, ".") == 1 && strings.HasSuffix(n, ":0") ||
			strings.HasSuffix(n, ".norm1_context:0") || strings.HasSuffix(n, ".attn:1") || strings.HasSuffix(n, "_context")):
			want = []int{B, T, D} // the text stream; attn's tuple is (image, text)
		}
		if got := plain.Captured[n].Shape().Dimensions; !slices.Equal(got, want) {
			t.Errorf("%s: shape %v, want %v", n, got, want)
		}
	}
	steered, err := m.Run(in, flux.Options{Steering: ident})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(flat(steered.Sample), flat(plain.Sample)); d != 0 {
		t.Errorf("identity maps at all %d points change the prediction by %.3g", len(names), d)
	}
}

// TestConveniences checks what Run adds to diffusers' call: one timestep
// or one set of ids for the whole batch is the same as repeating it, nil
// text ids are zeros, ml-act's name:0 of a single block steers and
// captures the same point under the name given, and pooled captures are
// the captured values' means over the tokens. Tolerance 1e-6 for the
// means: at most 30 values of magnitude below 10, summed in another
// order.
func TestConveniences(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	m := r.model(t)
	in := r.inputs(t, "input.")
	in.Timestep = []float32{0.5, 0.5}
	const point = "single_transformer_blocks.0"
	shift := &engine.Steering{Maps: map[string]*transport.Map{point: affine(32, 0.5, 1)}, Strength: 0.8}
	full, err := m.Run(in, flux.Options{Steering: shift, Capture: []string{point, "time_text_embed"}})
	if err != nil {
		t.Fatal(err)
	}

	ids := flat(in.ImgIDs)
	if !slices.Equal(ids[:len(ids)/2], ids[len(ids)/2:]) {
		t.Fatal("the fixture's image ids differ between batch items")
	}
	one := in
	one.Timestep = []float32{0.5}
	one.ImgIDs = tensors.FromFlatDataAndDimensions(ids[:len(ids)/2], 1, 24, 3)
	one.TxtIDs = nil // the fixture's are zeros
	alias := &engine.Steering{Maps: map[string]*transport.Map{point + ":0": shift.Maps[point]}, Strength: 0.8}
	pooled, err := m.Run(one, flux.Options{Steering: alias, Capture: []string{point + ":0", "time_text_embed"}, Pool: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(flat(full.Sample), flat(pooled.Sample)); d != 0 {
		t.Errorf("the batch's shared timestep and ids, or the :0 name, change the prediction by %.3g", d)
	}
	if _, ok := pooled.Captured[point]; ok || pooled.Captured[point+":0"] == nil {
		t.Fatalf("captured %v, want the value under %s:0", slices.Sorted(maps.Keys(pooled.Captured)), point)
	}
	c, p := full.Captured[point], pooled.Captured[point+":0"]
	d := c.Shape().Dimensions
	want := make([]float32, d[0]*d[2])
	v := flat(c)
	for b := range d[0] {
		for u := range d[2] {
			s := 0.0
			for k := range d[1] {
				s += float64(v[(b*d[1]+k)*d[2]+u])
			}
			want[b*d[2]+u] = float32(s / float64(d[1]))
		}
	}
	if !slices.Equal(p.Shape().Dimensions, []int{2, 32}) {
		t.Fatalf("pooled shape %v", p.Shape().Dimensions)
	}
	if diff := maxDiff(flat(p), want); diff > 1e-6 {
		t.Errorf("pooled mean differs by %.3g", diff)
	}
	if diff := maxDiff(flat(pooled.Captured["time_text_embed"]), flat(full.Captured["time_text_embed"])); diff != 0 {
		t.Errorf("pooling an embedding changed it by %.3g", diff)
	}
}

// TestPacking checks Pack, Unpack and ImageIDs against the fixture, which
// recorded FluxPipeline's own functions: the packed input.hidden_states
// of input.latents_4d, output_unpacked of output, and the image ids of
// every batch item. All exact: they only move values.
func TestPacking(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	lat := r.Tensor(t, "input.latents_4d")
	d := lat.Shape().Dimensions
	h, w := d[2], d[3]
	packed, err := flux.Pack(lat)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(flat(packed), r.Values(t, "input.hidden_states")) {
		t.Error("Pack differs from _pack_latents")
	}
	back, err := flux.Unpack(packed, h, w)
	if err != nil || !slices.Equal(flat(back), flat(lat)) {
		t.Errorf("Unpack(Pack(x)) differs from x (%v)", err)
	}
	un, err := flux.Unpack(r.Tensor(t, "output"), h, w)
	if err != nil || !slices.Equal(flat(un), r.Values(t, "output_unpacked")) {
		t.Errorf("Unpack differs from _unpack_latents (%v)", err)
	}
	ids := flat(flux.ImageIDs(h, w))
	all := r.Values(t, "input.img_ids")
	for b := range d[0] {
		if !slices.Equal(ids, all[b*len(ids):(b+1)*len(ids)]) {
			t.Errorf("ImageIDs(%d, %d) differs from item %d of the pipeline's", h, w, b)
		}
	}
	if _, err := flux.Pack(zeros(1, 4, 7, 8)); err == nil || !strings.Contains(err.Error(), "7×8") {
		t.Errorf("Pack of odd latents: %v", err)
	}
	if _, err := flux.Unpack(packed, h, w+2); err == nil || !strings.Contains(err.Error(), "8×14") {
		t.Errorf("Unpack to the wrong size: %v", err)
	}
}

// TestHalfWeights converts the fixture's weights to bfloat16: the
// parameters take about half the memory, and the prediction equals that of
// float32 weights holding the same (rounded) values, widening being exact;
// 1e-5 covers the CPU backend's own float32×bfloat16 product kernels,
// which sum in another order.
func TestHalfWeights(t *testing.T) {
	var rounded []safetensors.Tensor
	half := fixtureTensors(t, func(n string, shape []int, v []float32) *safetensors.Tensor {
		raw := make([]byte, 2*len(v))
		r := make([]float32, len(v))
		for i, x := range v {
			h := safetensors.Float32ToBFloat16(x)
			raw[2*i], raw[2*i+1] = byte(h), byte(h>>8)
			r[i] = safetensors.BFloat16ToFloat32(h)
		}
		rounded = append(rounded, safetensors.F32(n, shape, r))
		return &safetensors.Tensor{Name: n, DType: safetensors.DTypeBF16, Shape: shape, Data: raw}
	})
	cfg := fixtureConfig(t, nil)
	mh, err := flux.New(cfg, weights(t, half))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := flux.New(cfg, weights(t, rounded))
	if err != nil {
		t.Fatal(err)
	}
	total := func(m map[dtypes.DType]int64) (s int64) {
		for _, v := range m {
			s += v
		}
		return s
	}
	hb, fb := mh.ParamBytes(), mf.ParamBytes()
	t.Logf("parameters: bf16 %v, float32 %v", hb, fb)
	if hb[dtypes.BFloat16] > 0 && float64(total(hb)) > 0.55*float64(total(fb)) {
		t.Errorf("bf16 parameters take %d bytes against %d for float32", total(hb), total(fb))
	}
	in := openReference(t, fixtureDir(t)).inputs(t, "input.")
	oh, err := mh.Run(in, flux.Options{})
	if err != nil {
		t.Fatal(err)
	}
	of, err := mf.Run(in, flux.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := maxDiff(flat(oh.Sample), flat(of.Sample))
	t.Logf("bf16 vs float32 weights of the same values: max |Δ| %.3g", d)
	if d > 1e-5 {
		t.Errorf("bf16 prediction differs from the float32 one of the same values by %.3g", d)
	}
}

// TestGuidance gives the fixture a guidance embedder (random weights,
// seeded), as FLUX.1-dev has: Run then requires Guidance, one value for
// the batch is the same as repeating it, and the guidance changes the
// prediction. The fixture has no reference for it; the embedder is the
// timestep's TimestepEmbedding on 1000·guidance, added to it.
func TestGuidance(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	const e = "time_text_embed.guidance_embedder."
	ts := append(fixtureTensors(t, nil),
		safetensors.F32(e+"linear_1.weight", []int{32, 256}, rnd(32*256, 1.0/16)), safetensors.F32(e+"linear_1.bias", []int{32}, rnd(32, 0.05)),
		safetensors.F32(e+"linear_2.weight", []int{32, 32}, rnd(32*32, 1.0/math.Sqrt(32))), safetensors.F32(e+"linear_2.bias", []int{32}, rnd(32, 0.05)))
	m, err := flux.New(fixtureConfig(t, map[string]any{"guidance_embeds": true}), weights(t, ts))
	if err != nil {
		t.Fatal(err)
	}
	in := openReference(t, fixtureDir(t)).inputs(t, "input.")
	if _, err := m.Run(in, flux.Options{}); err == nil || !strings.Contains(err.Error(), "0 guidance values") {
		t.Fatalf("no guidance: %v", err)
	}
	run := func(g ...float32) []float32 {
		in.Guidance = g
		out, err := m.Run(in, flux.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return flat(out.Sample)
	}
	a, b, c := run(3.5), run(3.5, 3.5), run(1)
	if d := maxDiff(a, b); d != 0 {
		t.Errorf("one guidance for the batch differs from the repeated one by %.3g", d)
	}
	if d := maxDiff(a, c); d < 1e-3 {
		t.Errorf("guidance 3.5 and 1 give predictions within %.3g", d)
	}
}
