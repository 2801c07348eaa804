package unet_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/engine/unet"
)

// fixtureConfig returns the fixture's unet/config.json with over applied
// (a nil value deletes the key).
func fixtureConfig(t *testing.T, over map[string]any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t), "unet", "config.json"))
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
		{"ints for lists", map[string]any{"attention_head_dim": 4, "transformer_layers_per_block": 1, "layers_per_block": 1}, "", false},
		{"no added embedding", map[string]any{"addition_embed_type": nil}, "", false},
		{"conv projection", map[string]any{"use_linear_projection": false}, "", false},
		{"class", map[string]any{"_class_name": "UNet2DModel"}, "_class_name", true},
		{"act_fn", map[string]any{"act_fn": "gelu"}, "act_fn", true},
		{"down type", map[string]any{"down_block_types": []string{"DownBlock2D", "AttnDownBlock2D"}}, "down_block_types[1]", true},
		{"up type", map[string]any{"up_block_types": []string{"AttnUpBlock2D", "UpBlock2D"}}, "up_block_types[0]", true},
		{"mid type", map[string]any{"mid_block_type": "UNetMidBlock2DSimpleCrossAttn"}, "mid_block_type", true},
		{"block count", map[string]any{"up_block_types": []string{"UpBlock2D"}}, "up_block_types has 1 blocks", false},
		{"heads set", map[string]any{"num_attention_heads": 8}, "num_attention_heads", true},
		{"heads divide", map[string]any{"attention_head_dim": []int{2, 5}}, "attention_head_dim[1] (5)", false},
		{"groups divide", map[string]any{"norm_num_groups": 12}, "norm_num_groups (12)", false},
		{"list length", map[string]any{"transformer_layers_per_block": []int{1, 2, 3}}, "transformer_layers_per_block [1 2 3] has 3 values", false},
		{"nested list", map[string]any{"transformer_layers_per_block": [][]int{{1}, {2, 2}}}, "transformer_layers_per_block", true},
		{"scale shift", map[string]any{"resnet_time_scale_shift": "scale_shift"}, "resnet_time_scale_shift", true},
		{"class embedding", map[string]any{"class_embed_type": "timestep"}, "class_embed_type", true},
		{"addition type", map[string]any{"addition_embed_type": "text"}, "addition_embed_type", true},
		{"projection dim", map[string]any{"projection_class_embeddings_input_dim": 48}, "projection_class_embeddings_input_dim (48)", false},
		{"only cross", map[string]any{"only_cross_attention": true}, "only_cross_attention", true},
		{"center input", map[string]any{"center_input_sample": true}, "center_input_sample", true},
		{"fourier", map[string]any{"time_embedding_type": "fourier"}, "time_embedding_type", true},
		{"encoder projection", map[string]any{"encoder_hid_dim_type": "text_proj", "encoder_hid_dim": 16}, "encoder_hid_dim", true},
		{"reverse layers", map[string]any{"reverse_transformer_layers_per_block": []int{2, 1}}, "reverse_transformer_layers_per_block", true},
		{"even kernel", map[string]any{"conv_in_kernel": 2}, "conv_in_kernel", true},
		{"cross attention dims", map[string]any{"cross_attention_dim": []int{32, 32}}, "cross_attention_dim", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := unet.ParseConfig(fixtureConfig(t, tc.over))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one naming %q", err, tc.err)
			}
			if errors.Is(err, unet.ErrUnsupported) != tc.unsupp {
				t.Errorf("errors.Is(%v, ErrUnsupported) = %v", err, !tc.unsupp)
			}
		})
	}
	if _, err := unet.ParseConfig([]byte(`{}`)); err != nil {
		t.Errorf("diffusers' defaults (SD 1.x): %v", err)
	}
}

// fixtureTensors returns the fixture checkpoint's tensors as float32,
// each passed through edit (nil: dropped).
func fixtureTensors(t *testing.T, edit func(name string, shape []int, v []float32) *safetensors.Tensor) []safetensors.Tensor {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(fixtureDir(t), "unet", "diffusion_pytorch_model.safetensors"))
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
	const victim = "up_blocks.0.attentions.1.transformer_blocks.1.attn2.to_k.weight"
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
		}, []string{victim, "[32 64]", "[64 32]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := unet.New(fixtureConfig(t, nil), weights(t, fixtureTensors(t, tc.edit)))
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
	if _, err := unet.Load(t.TempDir()); err == nil {
		t.Error("Load of an empty folder succeeded")
	}
}

// TestPointsMatchModules checks the points against the fixture: the
// points ml-act's regex (meta.json's captured.regex, fully matched)
// selects are exactly the modules diffusers' named_modules gave it, in
// ml-act's sort_unet order, with the captured tensors' widths.
func TestPointsMatchModules(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	var re struct {
		Captured struct {
			Regex string `json:"regex"`
		} `json:"captured"`
	}
	b, err := os.ReadFile(filepath.Join(r.Dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &re); err != nil || re.Captured.Regex == "" {
		t.Fatalf("meta.json captured.regex: %v", err)
	}
	rx := regexp.MustCompile("^(?:" + re.Captured.Regex + ")$")
	m := r.model(t)
	var got []string
	for _, p := range m.Points() {
		if rx.MatchString(p.Name) {
			got = append(got, p.Name)
			info, ok := r.F.Info(p.Name)
			if !ok {
				t.Errorf("point %s is not in the fixture", p.Name)
				continue
			}
			ch := info.Shape[1] // [B, C, H, W]
			if len(info.Shape) == 3 {
				ch = info.Shape[2] // [B, T, C]
			}
			if p.Width != ch {
				t.Errorf("point %s has width %d, the module's output %v", p.Name, p.Width, info.Shape)
			}
		}
	}
	if want := sortUnet(r.meta.Captured.Modules); !slices.Equal(got, want) {
		t.Errorf("points matching %q:\n%v\nwant (sort_unet of named_modules):\n%v", re.Captured.Regex, got, want)
	}
}

// sortUnet is ml-act's sort_unet: module names split into those before
// any block, the down blocks', the mid block's, the up blocks', the rest,
// each keeping its order.
func sortUnet(names []string) []string {
	var start, down, mid, up, end []string
	for _, n := range names {
		switch {
		case strings.Contains(n, "down_block"):
			down = append(down, n)
		case strings.Contains(n, "mid_block"):
			mid = append(mid, n)
		case strings.Contains(n, "up_block"):
			up = append(up, n)
		case len(down)+len(mid)+len(up) == 0:
			start = append(start, n)
		default:
			end = append(end, n)
		}
	}
	return slices.Concat(start, down, mid, up, end)
}

func TestRunErrors(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	m := r.model(t)
	affine := func(n int) *transport.Map {
		return &transport.Map{W: make([]float32, n), B: make([]float32, n)}
	}
	tests := []struct {
		name string
		in   func(*unet.Inputs)
		opt  unet.Options
		want string
	}{
		{"channels", func(in *unet.Inputs) { in.Sample = zeros(2, 3, 16, 12) }, unet.Options{}, "Sample is (Float32)[2 3 16 12], want float32 [· 4 · ·]"},
		{"timesteps", func(in *unet.Inputs) { in.Timestep = []float32{1, 2, 3} }, unet.Options{}, "3 timesteps for a batch of 2"},
		{"no text states", func(in *unet.Inputs) { in.EncoderHiddenStates = nil }, unet.Options{}, "EncoderHiddenStates is nil"},
		{"text width", func(in *unet.Inputs) { in.EncoderHiddenStates = zeros(2, 7, 16) }, unet.Options{}, "want float32 [2 · 32]"},
		{"no time ids", func(in *unet.Inputs) { in.TimeIDs = nil }, unet.Options{}, "TimeIDs is nil"},
		{"text embeds", func(in *unet.Inputs) { in.TextEmbeds = zeros(2, 25) }, unet.Options{}, "want float32 [2 24]"},
		{"unknown capture", nil, unet.Options{Capture: []string{"down_blocks.1.attentions.0.nrm"}}, `capture "down_blocks.1.attentions.0.nrm": not a UNet point (nearest: down_blocks.1.attentions.0.norm)`},
		{"pipeline prefix", nil, unet.Options{Capture: []string{"unet.mid_block.resnets.1.norm2"}}, "(nearest: mid_block.resnets.1.norm2)"},
		{"unknown steer", nil, unet.Options{Steering: &engine.Steering{Maps: map[string]*transport.Map{"conv_norm": affine(32)}}}, `steer "conv_norm"`},
		{"last only", nil, unet.Options{Steering: &engine.Steering{Maps: map[string]*transport.Map{"conv_norm_out": affine(32)}, LastOnly: true}}, "LastOnly"},
		{"map width", nil, unet.Options{Steering: &engine.Steering{Maps: map[string]*transport.Map{"conv_norm_out": affine(64)}}}, "W has 64 values, the point has 32 units"},
		{"pool", nil, unet.Options{Pool: "median"}, `pooling "median"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := r.inputs(t)
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

// TestPoolAndTimestep checks the conveniences of Run: one timestep for
// the batch is the same as repeating it, and pooled captures are the
// captured values' means over their positions (H, W; tokens) or the
// embedding itself. Tolerance 1e-6: a mean of at most 192 values of
// magnitude below 10, summed in a different order.
func TestPoolAndTimestep(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	m := r.model(t)
	in := r.inputs(t)
	in.Timestep = []float32{500, 500}
	capture := []string{"down_blocks.0.resnets.1", "mid_block.attentions.0.transformer_blocks.0.norm3", "time_embedding"}
	full, err := m.Run(in, unet.Options{Capture: capture})
	if err != nil {
		t.Fatal(err)
	}
	in.Timestep = []float32{500}
	pooled, err := m.Run(in, unet.Options{Capture: capture, Pool: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(flat(full.Sample), flat(pooled.Sample)); d != 0 {
		t.Errorf("one timestep for the batch differs from the repeated timestep by %.3g", d)
	}
	for _, n := range capture {
		c, p := full.Captured[n], pooled.Captured[n]
		d := c.Shape().Dimensions
		units := d[len(d)-1]
		if len(d) == 4 {
			units = d[1]
		}
		if !slices.Equal(p.Shape().Dimensions, []int{d[0], units}) {
			t.Errorf("%s: pooled shape %v, want [%d %d]", n, p.Shape().Dimensions, d[0], units)
			continue
		}
		want := make([]float32, d[0]*units)
		v := flat(c)
		switch len(d) {
		case 2:
			copy(want, v)
		case 3: // [B, T, C]
			for b := range d[0] {
				for u := range units {
					s := 0.0
					for k := range d[1] {
						s += float64(v[(b*d[1]+k)*units+u])
					}
					want[b*units+u] = float32(s / float64(d[1]))
				}
			}
		case 4: // [B, C, H, W]
			hw := d[2] * d[3]
			for i := range want {
				s := 0.0
				for _, x := range v[i*hw : (i+1)*hw] {
					s += float64(x)
				}
				want[i] = float32(s / float64(hw))
			}
		}
		if diff := maxDiff(flat(p), want); diff > 1e-6 {
			t.Errorf("%s: pooled mean differs by %.3g", n, diff)
		}
	}
}

// TestConvProjection runs the fixture with use_linear_projection false and
// its Linear proj_in/proj_out weights [C, C] stored as the equivalent 1×1
// convolutions [C, C, 1, 1] (SD 1.x's layout): the same model, so the
// same prediction. Tolerance 1e-5: the products are summed in another
// order (a convolution instead of a matrix product), below the fixture's
// output_atol.
func TestConvProjection(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	in := r.inputs(t)
	want, err := r.model(t).Run(in, unet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := fixtureTensors(t, func(n string, shape []int, v []float32) *safetensors.Tensor {
		if (strings.HasSuffix(n, ".proj_in.weight") || strings.HasSuffix(n, ".proj_out.weight")) && len(shape) == 2 {
			shape = []int{shape[0], shape[1], 1, 1}
		}
		t := safetensors.F32(n, shape, v)
		return &t
	})
	m, err := unet.New(fixtureConfig(t, map[string]any{"use_linear_projection": false}), weights(t, ts))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Run(in, unet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := maxDiff(flat(got.Sample), flat(want.Sample))
	t.Logf("conv vs linear projection: max |Δ| %.3g", d)
	if d > 1e-5 {
		t.Errorf("conv projections change the prediction by %.3g", d)
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
	mh, err := unet.New(cfg, weights(t, half))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := unet.New(cfg, weights(t, rounded))
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
	in := openReference(t, fixtureDir(t)).inputs(t)
	oh, err := mh.Run(in, unet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	of, err := mf.Run(in, unet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := maxDiff(flat(oh.Sample), flat(of.Sample))
	t.Logf("bf16 vs float32 weights of the same values: max |Δ| %.3g", d)
	if d > 1e-5 {
		t.Errorf("bf16 prediction differs from the float32 one of the same values by %.3g", d)
	}
}

// TestOddSize runs latents whose sides are not multiples of
// Config.Scale (15×11 for 2): the up path resizes to each skip
// connection's size as diffusers does (checked in engine's
// TestResizeNearest), so the prediction has the input's size.
func TestOddSize(t *testing.T) {
	r := openReference(t, fixtureDir(t))
	m := r.model(t)
	in := r.inputs(t)
	in.Sample = zeros(2, 4, 15, 11)
	out, err := m.Run(in, unet.Options{Capture: []string{"up_blocks.0.upsamplers.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Sample.Shape().Dimensions; !slices.Equal(d, []int{2, 4, 15, 11}) {
		t.Errorf("output shape %v", d)
	}
	if d := out.Captured["up_blocks.0.upsamplers.0"].Shape().Dimensions; !slices.Equal(d, []int{2, 64, 15, 11}) {
		t.Errorf("upsampler output shape %v, want [2 64 15 11]", d)
	}
	for i, v := range flat(out.Sample) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("output[%d] = %v", i, v)
		}
	}
}
