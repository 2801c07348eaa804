package flux

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/internal/fixture"
)

// TestSchnellLayout builds the layout of FLUX.1-schnell's transformer
// (testdata/schnell_config.json, written from diffusers' documentation of
// the model: 19 double and 38 single blocks, 24 heads of 128,
// joint_attention_dim 4096, pooled_projection_dim 768, axes (16, 56, 56),
// in_channels 64) without weights: 1156 tensors holding 11,891,178,560
// parameters, 23.8 GB with the matrices in bfloat16 as LoadParam keeps
// them (vectors are float32). FLUX.1-dev adds the guidance embedder's four
// tensors and 10,229,760 parameters. diffusers' defaults are schnell's.
func TestSchnellLayout(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "schnell_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if def, err := ParseConfig([]byte(`{}`)); err != nil || !reflect.DeepEqual(def, c) {
		t.Errorf("diffusers' defaults %+v (%v), want schnell's %+v", def, err, c)
	}
	if c.InnerDim() != 3072 {
		t.Errorf("inner dim %d, want 3072", c.InnerDim())
	}
	count := func(c *Config) (tensors, values, bytes int) {
		ps := params(c)
		for _, p := range ps {
			n := 1
			for _, d := range p.shape {
				n *= d
			}
			values += n
			if len(p.shape) >= 2 {
				bytes += 2 * n
			} else {
				bytes += 4 * n
			}
		}
		return len(ps), values, bytes
	}
	nt, np, nb := count(c)
	t.Logf("FLUX.1-schnell: %d tensors, %d parameters, %d bytes with bf16 matrices", nt, np, nb)
	if nt != 1156 || np != 11891178560 {
		t.Errorf("%d tensors, %d parameters; want 1156, 11891178560", nt, np)
	}
	if gb := float64(nb) / 1e9; math.Abs(gb-23.8) > 0.05 {
		t.Errorf("%.2f GB with bf16 matrices, want 23.8", gb)
	}
	dev := *c
	dev.GuidanceEmbeds = true
	if nt2, np2, _ := count(&dev); nt2 != nt+4 || np2 != np+10229760 {
		t.Errorf("with guidance_embeds: %d tensors, %d parameters; want %d, %d", nt2, np2, nt+4, np+10229760)
	}

	// Points: unique, the block outputs of ml-act's FLUX patterns among them.
	pts := points(c)
	if len(pts) != 3+19*10+38*3+1 {
		t.Errorf("%d points, want %d", len(pts), 3+19*10+38*3+1)
	}
	seen := map[string]bool{}
	for _, p := range pts {
		if seen[p.name] {
			t.Errorf("point %s twice", p.name)
		}
		seen[p.name] = true
	}
	for _, n := range []string{"transformer_blocks.18:0", "transformer_blocks.18:1", "single_transformer_blocks.37", "single_transformer_blocks.11.norm:0"} {
		if !seen[n] {
			t.Errorf("no point %s", n)
		}
	}
}

// TestRotary checks the host's rotary table against the fixture's
// extra.pos_embed, diffusers' table [B, 1, T+N, head_dim/2, 2, 2] of
// (cos, −sin, sin, cos) per pair for the first call's ids. Tolerance
// 1e-7: both take cos and sin of the same float64 angles and round them
// to float32; the libraries may differ in the last bit of the float64.
func TestRotary(t *testing.T) {
	dir := fixture.Reference(t, "diffusion", "flux")
	m, err := Load(filepath.Join(dir, "transformer"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := safetensors.Open(filepath.Join(dir, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tensor := func(name string) *tensors.Tensor {
		v, shape, err := e.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		return tensors.FromFlatDataAndDimensions(v, shape...)
	}
	img, txt := tensor("input.img_ids"), tensor("input.txt_ids")
	B, N, T := img.Shape().Dimensions[0], img.Shape().Dimensions[1], txt.Shape().Dimensions[1]
	want := tensors.MustCopyFlatData[float32](tensor("extra.pos_embed"))
	for _, tc := range []struct {
		name     string
		img, txt *tensors.Tensor
	}{
		{"ids", img, txt},
		{"nil text ids", img, nil}, // the fixture's text ids are zeros, as FluxPipeline's
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, st := m.rotary(tc.txt, tc.img, B, T, N)
			cos, sin := tensors.MustCopyFlatData[float32](ct), tensors.MustCopyFlatData[float32](st)
			if len(want) != 4*len(cos) {
				t.Fatalf("pos_embed has %d values, the table %d pairs", len(want), len(cos))
			}
			worst := 0.0
			for i := range cos {
				for k, v := range []float32{cos[i], -sin[i], sin[i], cos[i]} {
					worst = max(worst, math.Abs(float64(v-want[4*i+k])))
				}
			}
			t.Logf("max |Δ| %.3g over %d pairs", worst, len(cos))
			if worst > 1e-7 {
				t.Errorf("rotary table differs from diffusers' by %.3g", worst)
			}
		})
	}
}

// TestPointNames checks the names a point answers to: its own, ml-act's
// ":0" for a module returning one tensor, and not a tuple module's bare
// name.
func TestPointNames(t *testing.T) {
	m, err := Load(filepath.Join(fixture.Reference(t, "diffusion", "flux"), "transformer"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, want, err string }{
		{"single_transformer_blocks.1", "single_transformer_blocks.1", ""},
		{"single_transformer_blocks.1:0", "single_transformer_blocks.1", ""},
		{"transformer_blocks.0:1", "transformer_blocks.0:1", ""},
		{"time_text_embed:0", "time_text_embed", ""},
		{"transformer_blocks.0.norm2:0", "transformer_blocks.0.norm2", ""},
		{"transformer_blocks.1", "", "name an element: transformer_blocks.1:0, transformer_blocks.1:1"},
		{"transformer_blocks.1.norm1", "", "transformer_blocks.1.norm1:0"},
		{"single_transformer_blocks.1:1", "", "nearest: single_transformer_blocks.1"},
		{"transformer_blocks.0:1:0", "", "not a FLUX transformer point"},
		{"transformer.single_transformer_blocks.0", "", "nearest: single_transformer_blocks.0)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := m.Point(tc.name)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || p.Name != tc.want || p.Width != 32 {
				t.Fatalf("Point = %+v, %v; want %s of width 32", p, err, tc.want)
			}
		})
	}
}
