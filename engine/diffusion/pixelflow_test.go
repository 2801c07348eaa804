package diffusion_test

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/diffusion"
	"github.com/actsh/actsh/tiny/images"
)

// embedded loads the embedded image model, as diffusion.Load("tiny").
func embedded(t *testing.T) *diffusion.PixelFlow {
	t.Helper()
	p, err := diffusion.Load(context.Background(), images.Name, diffusion.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pf, ok := p.(*diffusion.PixelFlow)
	if !ok {
		t.Fatalf("Load(%q) gave a %T, want *diffusion.PixelFlow", images.Name, p)
	}
	return pf
}

// TestPixelFlowLoad checks what the embedded pipeline says of itself and
// that its exported folder loads through the folder path to the same
// images.
func TestPixelFlowLoad(t *testing.T) {
	p := embedded(t)
	if p.Class() != diffusion.PixelFlowClass || p.Dir() != "" || p.DefaultSize() != 32 {
		t.Fatalf("class %q, dir %q, size %d", p.Class(), p.Dir(), p.DefaultSize())
	}
	pts, err := p.MatchPoints("unet.*norm.*")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pts, "unet.mid_block.attentions.0.norm") || !slices.Contains(pts, "unet.conv_norm_out") {
		t.Errorf("unet.*norm.* gives %v", pts)
	}
	if w := p.PointWidth("text_encoder.text_model.final_layer_norm"); w != p.UNet().Config().CrossAttentionDim {
		t.Errorf("text encoder width %d, want the UNet's cross_attention_dim %d", w, p.UNet().Config().CrossAttentionDim)
	}
	dir := filepath.Join(t.TempDir(), "tiny-images")
	if err := images.Export(dir); err != nil {
		t.Fatal(err)
	}
	q, err := diffusion.Load(context.Background(), dir, diffusion.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := diffusion.Options{Steps: 3, Seeds: []uint64{5}}
	a, err := p.Generate(context.Background(), []string{"red apple"}, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := q.Generate(context.Background(), []string{"red apple"}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a[0].Pix, b[0].Pix) {
		t.Error("the exported folder draws another image than the embedded model")
	}
}

// TestPixelFlowGenerate: the same seed gives the same pixels, a prompt's
// image does not depend on its batch (with and without guidance), and
// steering at λ = 0 is the unsteered pipeline.
func TestPixelFlowGenerate(t *testing.T) {
	p := embedded(t)
	ctx := context.Background()
	prompts := []string{"grinning face, noto style", "red apple"}
	for _, g := range []float64{0, 3} {
		o := diffusion.Options{Steps: 4, Guidance: g, Seeds: []uint64{1, 2}}
		a, err := p.Generate(ctx, prompts, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != 2 || a[0].Bounds().Dx() != 32 {
			t.Fatalf("guidance %g: %d images of %v", g, len(a), a[0].Bounds())
		}
		one, err := p.Generate(ctx, prompts[1:], diffusion.Options{Steps: 4, Guidance: g, Seeds: []uint64{2}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(one[0].Pix, a[1].Pix) {
			t.Errorf("guidance %g: the image depends on its batch", g)
		}
		if g == 0 {
			b, err := p.Generate(ctx, prompts, o)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a[0].Pix, b[0].Pix) {
				t.Error("the same seed gives different images")
			}
			pt := "unet.mid_block.attentions.0.norm"
			w := make([]float32, p.PointWidth(pt))
			bias := make([]float32, len(w))
			for i := range w {
				w[i], bias[i] = 2, 1
			}
			s := &engine.Steering{Maps: map[string]*transport.Map{pt: {W: w, B: bias}}, Strength: 0}
			z, err := p.Generate(ctx, prompts, diffusion.Options{Steps: 4, Seeds: []uint64{1, 2}, Steering: s})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(z[0].Pix, a[0].Pix) {
				t.Error("steering at λ = 0 changed the image")
			}
			s.Strength = 1
			z, err = p.Generate(ctx, prompts, diffusion.Options{Steps: 4, Seeds: []uint64{1, 2}, Steering: s})
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(z[0].Pix, a[0].Pix) {
				t.Error("steering at λ = 1 left the image as it was")
			}
		}
	}
}

// TestPixelFlowResponses: one row per prompt of the point's width, the
// same row alone as in a batch (1e-5: batched products may round
// differently), and an unknown point refused.
func TestPixelFlowResponses(t *testing.T) {
	p := embedded(t)
	ctx := context.Background()
	prompts := []string{"cat face", "sun with face, twemoji style", "red heart"}
	capture := []string{"unet.down_blocks.1.attentions.0.norm", "unet.mid_block.resnets.1.norm2", "text_encoder.text_model.encoder.layers.0"}
	r, err := p.Responses(ctx, prompts, capture, "mean", 3, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range capture {
		if len(r[c]) != 3 || len(r[c][0]) != p.PointWidth(c) {
			t.Fatalf("%s: %d rows of %d, want 3 of %d", c, len(r[c]), len(r[c][0]), p.PointWidth(c))
		}
	}
	one, err := p.Responses(ctx, prompts[2:], capture, "mean", 3, 0, nil)
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
	if _, err := p.Responses(ctx, prompts, []string{"unet.nope"}, "mean", 3, 0, nil); err == nil {
		t.Fatal("an unknown point was captured")
	}
}
