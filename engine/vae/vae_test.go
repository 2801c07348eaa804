package vae_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/engine/vae"
	"github.com/actsh/actsh/internal/fixture"
)

func fixtureDir(t testing.TB) string { return fixture.Reference(t, "diffusion", "vae") }

func fixtureLatents(t testing.TB) *tensors.Tensor {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(fixtureDir(t), "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, shape, err := f.Float32("sdxl.latents")
	if err != nil {
		t.Fatal(err)
	}
	return tensors.FromFlatDataAndDimensions(v, shape...)
}

func TestParseConfig(t *testing.T) {
	base := `"block_out_channels":[16,32],"norm_num_groups":8`
	tests := []struct {
		name, json string
		err        string // "" for success
		unsupp     bool
	}{
		{"defaults", `{}`, "", false},
		{"fixture-like", `{` + base + `,"up_block_types":["UpDecoderBlock2D","UpDecoderBlock2D"],"sample_size":[32,32],"shift_factor":null}`, "", false},
		{"flux", `{` + base + `,"latent_channels":16,"shift_factor":0.1159,"scaling_factor":0.3611,"use_quant_conv":false,"use_post_quant_conv":false}`, "", false},
		{"act_fn", `{` + base + `,"act_fn":"gelu"}`, "act_fn", true},
		{"class", `{"_class_name":"AutoencoderTiny"}`, "_class_name", true},
		{"up block type", `{` + base + `,"up_block_types":["UpDecoderBlock2D","AttnUpDecoderBlock2D"]}`, "up_block_types[1]", true},
		{"block count", `{` + base + `,"down_block_types":["DownEncoderBlock2D"]}`, "down_block_types has 1 blocks", false},
		{"groups", `{"block_out_channels":[16,24],"norm_num_groups":16}`, "norm_num_groups (16)", false},
		{"norm_type", `{` + base + `,"norm_type":"spatial"}`, "norm_type", true},
		{"latents_mean", `{` + base + `,"latents_mean":[0,0,0],"latents_std":[1,1,1]}`, "latent_channels (4)", false},
		{"latents_std missing", `{` + base + `,"latents_mean":[0,0,0,0]}`, "latents_std", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := vae.ParseConfig([]byte(tc.json))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.SampleSize != 32 || c.ScalingFactor == 0 {
					t.Errorf("config %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one naming %q", err, tc.err)
			}
			if errors.Is(err, vae.ErrUnsupported) != tc.unsupp {
				t.Errorf("errors.Is(%v, ErrUnsupported) = %v", err, !tc.unsupp)
			}
		})
	}
}

func TestDecoderInput(t *testing.T) {
	// Per-channel mean and std apply by channel: z [1, 2, 1, 2].
	c, err := vae.ParseConfig([]byte(`{"block_out_channels":[8],"norm_num_groups":4,"latent_channels":2,"scaling_factor":0.5,"latents_mean":[1,2],"latents_std":[10,100]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.DecoderInput(nil, []float32{1, 2, 3, 4}, 2)
	if want := []float32{21, 41, 602, 802}; !slices.Equal(got, want) {
		t.Errorf("DecoderInput = %v, want %v", got, want)
	}
	c, err = vae.ParseConfig([]byte(`{"block_out_channels":[8],"norm_num_groups":4,"scaling_factor":0.5,"shift_factor":0.25}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.DecoderInput(nil, []float32{1, -1}, 1); !slices.Equal(got, []float32{2.25, -1.75}) {
		t.Errorf("DecoderInput with shift = %v", got)
	}
}

func TestLoadModelFolder(t *testing.T) {
	// The pipeline folder holding vae/ loads as the vae/ folder does; the
	// FLUX-like fixture has neither quant conv.
	for _, tc := range []struct {
		dir   string
		ch    int
		quant bool
	}{{fixtureDir(t), 4, true}, {fixture.Reference(t, "diffusion", "vae16"), 16, false}} {
		m, err := vae.Load(tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		c := m.Config()
		if !m.HasEncoder() || c.LatentChannels != tc.ch || c.Scale() != 2 || c.UseQuantConv != tc.quant || c.UsePostQuantConv != tc.quant {
			t.Errorf("%s: loaded %+v (encoder %v)", tc.dir, c, m.HasEncoder())
		}
	}
	if _, err := vae.Load(t.TempDir()); err == nil {
		t.Error("Load of an empty folder succeeded")
	}
}

func TestMissingWeight(t *testing.T) {
	dir := filepath.Join(fixtureDir(t), "vae")
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(dir, "diffusion_pytorch_model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ts []safetensors.Tensor
	for _, n := range f.Names() {
		if n == "decoder.up_blocks.1.resnets.1.conv2.bias" {
			continue
		}
		dt, shape, raw, err := f.Raw(n)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, safetensors.Tensor{Name: n, DType: dt, Shape: shape, Data: raw})
	}
	b, err := safetensors.Encode(ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := safetensors.OpenBytes("cut", b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vae.New(cfg, w); err == nil || !strings.Contains(err.Error(), "decoder.up_blocks.1.resnets.1.conv2.bias") {
		t.Errorf("New without a weight: %v, want an error naming it", err)
	}
}

// TestHalfWeights converts the fixture's weights to bfloat16: the
// parameters take about half the memory, and the decode equals that of
// float32 weights holding the same (rounded) values: widening inside the
// graph is exact, so GoMLX's pure-Go backend gives identical bits; our CPU
// backend multiplies float32 by bfloat16 with its own kernel, whose
// summation order differs (8e-7 measured), hence 1e-5, the fixture's
// decoded_atol.
func TestHalfWeights(t *testing.T) {
	dir := filepath.Join(fixtureDir(t), "vae")
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(dir, "diffusion_pytorch_model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var half, rounded []safetensors.Tensor
	for _, n := range f.Names() {
		v, shape, err := f.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		raw := make([]byte, 2*len(v))
		r := make([]float32, len(v))
		for i, x := range v {
			h := safetensors.Float32ToBFloat16(x)
			raw[2*i], raw[2*i+1] = byte(h), byte(h>>8)
			r[i] = safetensors.BFloat16ToFloat32(h)
		}
		half = append(half, safetensors.Tensor{Name: n, DType: safetensors.DTypeBF16, Shape: shape, Data: raw})
		rounded = append(rounded, safetensors.F32(n, shape, r))
	}
	open := func(name string, ts []safetensors.Tensor) *vae.Model {
		b, err := safetensors.Encode(ts, nil)
		if err != nil {
			t.Fatal(err)
		}
		w, err := safetensors.OpenBytes(name, b)
		if err != nil {
			t.Fatal(err)
		}
		m, err := vae.New(cfg, w)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	mh, mf := open("bf16", half), open("f32", rounded)
	hb, fb := mh.ParamBytes(), mf.ParamBytes()
	total := func(m map[dtypes.DType]int64) (s int64) {
		for _, v := range m {
			s += v
		}
		return s
	}
	t.Logf("parameters: bf16 %v, float32 %v", hb, fb)
	if hb[dtypes.BFloat16] > 0 && float64(total(hb)) > 0.55*float64(total(fb)) {
		t.Errorf("bf16 parameters take %d bytes against %d for float32", total(hb), total(fb))
	}
	z := fixtureLatents(t)
	oh, err := mh.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	of, err := mf.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	a, b := tensors.MustCopyFlatData[float32](oh), tensors.MustCopyFlatData[float32](of)
	worst := 0.0
	for i := range a {
		worst = max(worst, math.Abs(float64(a[i]-b[i])))
	}
	t.Logf("bf16 vs float32 weights of the same values: max |Δ| %.3g", worst)
	if worst > 1e-5 {
		t.Errorf("bf16 decode differs from the float32 decode of the same values by %.3g", worst)
	}
}

// TestDecodeTiled checks the option end to end on the fixture model:
// latents that fit in a tile decode whole (as in diffusers), and smaller
// tiles give the full image. Its values differ from the untiled decode
// (each tile's attention and convolutions see only the tile), so only the
// shape and finiteness are checked here; tiling_internal_test.go checks
// the blending against diffusers' formulas.
func TestDecodeTiled(t *testing.T) {
	m, err := vae.Load(fixtureDir(t))
	if err != nil {
		t.Fatal(err)
	}
	z := fixtureLatents(t)
	whole, err := m.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	same, err := m.DecodeTiled(z, vae.Tiling{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tensors.MustCopyFlatData[float32](same), tensors.MustCopyFlatData[float32](whole)) {
		t.Error("DecodeTiled of latents within one tile differs from Decode")
	}
	tiled, err := m.DecodeTiled(z, vae.Tiling{Tile: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tiled.Shape().Dimensions, whole.Shape().Dimensions) {
		t.Fatalf("tiled shape %s, want %s", tiled.Shape(), whole.Shape())
	}
	for i, v := range tensors.MustCopyFlatData[float32](tiled) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("tiled[%d] = %v", i, v)
		}
	}
	if _, err := m.DecodeTiled(z, vae.Tiling{Tile: 4, Overlap: 1}); err == nil {
		t.Error("overlap 1 accepted")
	}
}

func TestImages(t *testing.T) {
	// Per channel: −1 → 0, 0 → 127.5 → 128 (ties to even), 1 → 255, ±2 clamped.
	x := tensors.FromFlatDataAndDimensions([]float32{-1, 0, 1, -2, 2, 0, 1, 1, -1}, 1, 3, 1, 3)
	imgs, err := vae.Images(x)
	if err != nil {
		t.Fatal(err)
	}
	var got [][4]uint8
	for xx := range 3 {
		c := imgs[0].NRGBAAt(xx, 0)
		got = append(got, [4]uint8{c.R, c.G, c.B, c.A})
	}
	want := [][4]uint8{{0, 0, 255}, {128, 255, 255}, {255, 128, 0}}
	for i := range want {
		want[i][3] = 255
	}
	if !slices.Equal(got, want) {
		t.Errorf("pixels %v, want %v", got, want)
	}
}
