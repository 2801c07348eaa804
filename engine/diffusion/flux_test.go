package diffusion_test

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/diffusion"
	"github.com/actsh/actsh/internal/fixture"
)

// tinyFlux loads testdata/flux-tiny: the FLUX transformer, T5 and CLIP
// reference fixtures with the tiny flow-matching scheduler, the tiny
// (4-channel) VAE and tiny CLIP and T5 tokenizers, in FluxPipeline's
// layout.
func tinyFlux(t *testing.T) *diffusion.Flux {
	t.Helper()
	p, err := diffusion.Load(context.Background(), filepath.Join(fixture.Path(t, "testdata"), "flux-tiny"), diffusion.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := p.(*diffusion.Flux)
	if !ok {
		t.Fatalf("flux-tiny loaded as %T", p)
	}
	return f
}

// TestFluxGenerate: a prompt becomes an image; the same seed gives the same
// pixels, steering ml-act's FLUX points changes them, λ = 0 does not.
func TestFluxGenerate(t *testing.T) {
	p := tinyFlux(t)
	ctx := context.Background()
	a, err := p.Generate(ctx, []string{"a cat on a mat"}, diffusion.Options{Seeds: []uint64{3}})
	if err != nil {
		t.Fatal(err)
	}
	if a[0].Bounds().Dx() != p.DefaultSize() {
		t.Fatalf("image %v, want %d²", a[0].Bounds(), p.DefaultSize())
	}
	b, err := p.Generate(ctx, []string{"a cat on a mat"}, diffusion.Options{Seeds: []uint64{3}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a[0].Pix, b[0].Pix) {
		t.Fatal("the same seed gave different pixels")
	}
	// ml-act's FLUX points: both streams of every double block, the
	// single blocks.
	double, err := p.MatchPoints(`transformer.transformer_blocks.[0-9]+:[0-1]`)
	if err != nil {
		t.Fatal(err)
	}
	single, err := p.MatchPoints(`transformer.single_transformer_blocks.[0-9]+`)
	if err != nil {
		t.Fatal(err)
	}
	cfg := p.Transformer().Config()
	if len(double) != 2*cfg.NumLayers || len(single) != cfg.NumSingleLayers {
		t.Fatalf("%d double-block and %d single-block points, want %d and %d", len(double), len(single), 2*cfg.NumLayers, cfg.NumSingleLayers)
	}
	maps := map[string]*transport.Map{}
	for _, pt := range append(double, single...) {
		W := p.PointWidth(pt)
		w, bb := make([]float32, W), make([]float32, W)
		for i := range w {
			w[i], bb[i] = 0.5, 0.5
		}
		maps[pt] = &transport.Map{W: w, B: bb}
	}
	zero, err := p.Generate(ctx, []string{"a cat on a mat"}, diffusion.Options{Seeds: []uint64{3}, Steering: &engine.Steering{Maps: maps}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(zero[0].Pix, a[0].Pix) {
		t.Fatal("λ = 0 changed the image")
	}
	one, err := p.Generate(ctx, []string{"a cat on a mat"}, diffusion.Options{Seeds: []uint64{3}, Steering: &engine.Steering{Maps: maps, Strength: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(one[0].Pix, a[0].Pix) {
		t.Fatal("λ = 1 left the image unchanged")
	}
	if _, err := p.Generate(ctx, []string{"a cat"}, diffusion.Options{Guidance: 3.5}); err == nil || !strings.Contains(err.Error(), "guidance") {
		t.Fatalf("guidance on schnell: %v", err)
	}
}

// TestFluxResponses: one pooled row per prompt for the transformer's
// streams and T5's points; a prompt's row does not depend on its batch.
func TestFluxResponses(t *testing.T) {
	p := tinyFlux(t)
	ctx := context.Background()
	capture := []string{"transformer.transformer_blocks.0:0", "transformer.transformer_blocks.1:1", "transformer.single_transformer_blocks.0"}
	prompts := []string{"a cat", "the dog on the hill"}
	r, err := p.Responses(ctx, prompts, capture, "mean", 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	one, err := p.Responses(ctx, prompts[1:], capture, "mean", 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range capture {
		if len(r[c]) != 2 || len(r[c][0]) != p.PointWidth(c) {
			t.Fatalf("%s: %d rows", c, len(r[c]))
		}
		for u := range one[c][0] {
			if d := math.Abs(float64(one[c][0][u] - r[c][1][u])); d > 1e-5 {
				t.Fatalf("%s unit %d: %g alone vs %g in a batch", c, u, one[c][0][u], r[c][1][u])
			}
		}
	}
}

// TestFluxOffload: with the text encoders offloaded (read per batch,
// freed after) the pipeline gives the same images and responses.
func TestFluxOffload(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(fixture.Path(t, "testdata"), "flux-tiny")
	kept := tinyFlux(t)
	p, err := diffusion.Load(ctx, dir, diffusion.LoadOptions{OffloadTextEncoders: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second call reloads the freed encoders
		a, err := p.Generate(ctx, []string{"a red boat"}, diffusion.Options{Seeds: []uint64{5}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := kept.Generate(ctx, []string{"a red boat"}, diffusion.Options{Seeds: []uint64{5}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a[0].Pix, b[0].Pix) {
			t.Fatal("offloading the text encoders changed the image")
		}
	}
	pt := []string{"text_encoder_2.encoder.final_layer_norm"}
	r1, err := p.Responses(ctx, []string{"a cat"}, pt, "mean", 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := kept.Responses(ctx, []string{"a cat"}, pt, "mean", 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for u := range r1[pt[0]][0] {
		if r1[pt[0]][0][u] != r2[pt[0]][0][u] {
			t.Fatalf("T5 responses differ at unit %d", u)
		}
	}
}
