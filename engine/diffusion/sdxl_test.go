package diffusion_test

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/diffusion"
	"github.com/actsh/actsh/internal/fixture"
)

// tinyPipeline loads testdata/sdxl-tiny: the diffusion and CLIP reference
// fixtures' tiny random components in diffusers' layout, with a 64-token
// CLIP tokenizer.
func tinyPipeline(t *testing.T) *diffusion.SDXL {
	t.Helper()
	p, err := diffusion.LoadSDXL(context.Background(), filepath.Join(fixture.Path(t, "testdata"), "sdxl-tiny"), diffusion.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGenerateEndToEnd goes from a prompt to PNG bytes, and checks that
// the same seed gives identical pixels twice while another seed does not.
func TestGenerateEndToEnd(t *testing.T) {
	p := tinyPipeline(t)
	ctx := context.Background()
	prompts := []string{"a cat on the mat", "the red boat"}
	o := diffusion.Options{Steps: 4, Seeds: []uint64{7, 8}}
	a, err := p.Generate(ctx, prompts, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 2 || a[0].Bounds().Dx() != p.DefaultSize() || a[0].Bounds().Dy() != p.DefaultSize() {
		t.Fatalf("got %d images of %v, want 2 of %d²", len(a), a[0].Bounds(), p.DefaultSize())
	}
	b, err := p.Generate(ctx, prompts, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !bytes.Equal(a[i].Pix, b[i].Pix) {
			t.Fatalf("image %d differs between two runs with the same seed", i)
		}
	}
	// A batch of one gives the same image as in the batch of two.
	one, err := p.Generate(ctx, prompts[1:], diffusion.Options{Steps: 4, Seeds: []uint64{8}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one[0].Pix, a[1].Pix) {
		t.Fatal("the image depends on its batch")
	}
	c, err := p.Generate(ctx, prompts[:1], diffusion.Options{Steps: 4, Seeds: []uint64{9}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(c[0].Pix, a[0].Pix) {
		t.Fatal("another seed gave the same image")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, a[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
}

// TestSteeredGeneration: a map on a UNet feature map changes the image,
// λ = 0 gives the unsteered image exactly, and bad steering is refused
// with the point's name.
func TestSteeredGeneration(t *testing.T) {
	p := tinyPipeline(t)
	ctx := context.Background()
	pts, err := p.MatchPoints(`unet.*norm.*`)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 67 {
		t.Fatalf("unet.*norm.* matches %d points, want the fixture's 67", len(pts))
	}
	point := "unet.down_blocks.1.attentions.0.norm"
	W := p.PointWidth(point)
	w, b := make([]float32, W), make([]float32, W)
	for i := range w {
		w[i], b[i] = 0.5, 1
	}
	maps := map[string]*transport.Map{point: {W: w, B: b}}
	base, err := p.Generate(ctx, []string{"a cat"}, diffusion.Options{Seeds: []uint64{1}})
	if err != nil {
		t.Fatal(err)
	}
	zero, err := p.Generate(ctx, []string{"a cat"}, diffusion.Options{Seeds: []uint64{1}, Steering: &engine.Steering{Maps: maps, Strength: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(zero[0].Pix, base[0].Pix) {
		t.Fatal("λ = 0 changed the image")
	}
	full, err := p.Generate(ctx, []string{"a cat"}, diffusion.Options{Seeds: []uint64{1}, Steering: &engine.Steering{Maps: maps, Strength: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(full[0].Pix, base[0].Pix) {
		t.Fatal("λ = 1 left the image unchanged")
	}
	_, err = p.Generate(ctx, []string{"a cat"}, diffusion.Options{Steering: &engine.Steering{
		Maps: map[string]*transport.Map{"unet.down_blocks.1.attentions.0.nrom": {W: w, B: b}}, Strength: 1}})
	if err == nil || !strings.Contains(err.Error(), "did you mean unet.down_blocks.1.attentions.0.norm") {
		t.Fatalf("a misspelt point: %v", err)
	}
}

// TestResponses: one pooled row per prompt and point, deterministic, the
// UNet's feature maps pooled to their channels and the text encoders'
// sequences to their width; a prompt's row does not depend on its batch.
func TestResponses(t *testing.T) {
	p := tinyPipeline(t)
	ctx := context.Background()
	ids := []string{"a cat", "the dog", "a red boat"}
	capture := []string{"unet.down_blocks.0.resnets.0.norm1", "unet.mid_block.attentions.0.transformer_blocks.0.norm1", "text_encoder_2.text_model.encoder.layers.0"}
	r, err := p.Responses(ctx, ids, capture, "mean", 3, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range capture {
		if len(r[c]) != 3 || len(r[c][0]) != p.PointWidth(c) {
			t.Fatalf("%s: %d rows of %d, want 3 of %d", c, len(r[c]), len(r[c][0]), p.PointWidth(c))
		}
	}
	one, err := p.Responses(ctx, ids[2:], capture, "mean", 3, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range capture {
		for u := range one[c][0] {
			if d := math.Abs(float64(one[c][0][u] - r[c][2][u])); d > 1e-5 {
				t.Fatalf("%s unit %d: %g alone vs %g in a batch", c, u, one[c][0][u], r[c][2][u])
			}
		}
	}
	if _, err := p.Responses(ctx, ids, []string{"unet.nope"}, "mean", 3, 0, nil); err == nil {
		t.Fatal("an unknown point was captured")
	}
}

// TestLoadErrors: a folder that is not an SDXL pipeline, and one with a
// component missing, fail with what is wrong.
func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	empty := t.TempDir()
	if _, err := diffusion.Load(ctx, empty, diffusion.LoadOptions{}); err == nil || !strings.Contains(err.Error(), "model_index.json") {
		t.Fatalf("empty folder: %v", err)
	}
	dir := t.TempDir()
	src := filepath.Join(fixture.Path(t, "testdata"), "sdxl-tiny")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "vae" {
			continue
		}
		abs, _ := filepath.Abs(filepath.Join(src, e.Name()))
		if err := os.Symlink(abs, filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := diffusion.Load(ctx, dir, diffusion.LoadOptions{}); err == nil || !strings.Contains(err.Error(), "vae") {
		t.Fatalf("missing vae: %v", err)
	}
	if _, err := diffusion.Load(ctx, diffusion.Lightning, diffusion.LoadOptions{Steps: 3}); err == nil {
		t.Fatal("Lightning with 3 steps loaded")
	}
}

// TestLoadTooLarge: a pipeline whose weights do not fit the memory
// available is refused in one line, before anything is loaded.
func TestLoadTooLarge(t *testing.T) {
	t.Setenv(engine.MemoryLimitEnv, "1MB")
	t.Setenv(engine.SkipMemoryCheckEnv, "")
	for _, kit := range []string{"sdxl-tiny", "flux-tiny"} {
		_, err := diffusion.Load(context.Background(), filepath.Join(fixture.Path(t, "testdata"), kit), diffusion.LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), "the weights need") || !strings.Contains(err.Error(), engine.MemoryLimitEnv) {
			t.Errorf("%s with 1 MB: %v", kit, err)
		}
	}
}
