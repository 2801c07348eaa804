package act

import (
	"context"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine"
	eclip "github.com/actsh/actsh/engine/clip"
)

// clipDir is the tiny CLIPModel shipped for these tests
// (testdata/clip/make.go: the CLIP text and vision reference fixtures).
const clipDir = "../testdata/clip/model"

// testImage draws a w×h picture whose colours and stripes depend on k.
func testImage(k, w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8((x*(k+3) + y*(2*k+1) + 40*k) % 256)
			if (x/(k+2)+y/3)%2 == 0 {
				img.SetNRGBA(x, y, color.NRGBA{v, 255 - v, uint8(60 * k), 255})
			} else {
				img.SetNRGBA(x, y, color.NRGBA{uint8(30 * k), v / 2, 255 - v/3, 255})
			}
		}
	}
	return img
}

// towers computes, independently of the judge, the raw text_embeds and
// image_embeds of the tiny CLIPModel through engine/clip (whose numerics
// the reference fixtures check), normalised here in float64.
func towers(t *testing.T, texts []string, imgs []image.Image) (te, ie [][]float64) {
	t.Helper()
	ctx := context.Background()
	m, err := engine.Load(ctx, clipDir, engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids, mask, err := eclip.Tokenize(m.Tokenizer(), texts, m.Info().MaxPositions)
	if err != nil {
		t.Fatal(err)
	}
	out, err := eclip.Encode(ctx, m, ids, eclip.EncodeOptions{Mask: mask})
	if err != nil {
		t.Fatal(err)
	}
	v, err := eclip.LoadVision(clipDir)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := v.Embed(imgs)
	if err != nil {
		t.Fatal(err)
	}
	norm := func(rows [][]float32) [][]float64 {
		var out [][]float64
		for _, r := range rows {
			var n float64
			for _, x := range r {
				n += float64(x) * float64(x)
			}
			u := make([]float64, len(r))
			for i, x := range r {
				u[i] = float64(x) / math.Sqrt(n)
			}
			out = append(out, u)
		}
		return out
	}
	return norm(out.TextEmbeds), norm(emb)
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// The judge's formulas against a hand computation from the towers'
// outputs: unit embeddings, cosines, the two-way softmax of the
// zero-shot score, the directional similarity. Tolerance 1e-6: the judge
// normalises in float32, the hand computation in float64 (cosines of
// unit vectors of 24 float32 values differ by a few 1e-8).
func TestCLIPJudge(t *testing.T) {
	c := LoadCLIP(clipDir)
	if s := c.String(); !strings.Contains(s, "embeddings 24") || !strings.Contains(s, "32 px") {
		t.Errorf("String() = %q", s)
	}
	imgs := []image.Image{testImage(0, 40, 32), testImage(1, 32, 48), testImage(2, 64, 64)}
	original := "a photo of a dog."
	conditional := []string{"a photo of a dog.", "a photo of a red dog.", "a red dog."}
	texts := append([]string{original, "A picture of something.", "A picture of red dog."}, conditional...)
	te, ie := towers(t, texts, imgs)
	const tol = 1e-6
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.9f, want %.9f", what, got, want)
		}
	}

	gotT := c.EmbedTexts(texts, Batch(2))
	for i := range texts {
		for j := range te[i] {
			near("EmbedTexts", float64(gotT[i][j]), te[i][j])
		}
	}
	gotI := c.EmbedImages(imgs, Batch(2))
	for i := range imgs {
		for j := range ie[i] {
			near("EmbedImages", float64(gotI[i][j]), ie[i][j])
		}
	}

	zs := c.ZeroShot(imgs, "red_dog")
	zs2 := c.ZeroShot(imgs, "red-dog")
	for i := range imgs {
		e0, e1 := math.Exp(dot(ie[i], te[1])), math.Exp(dot(ie[i], te[2]))
		near("ZeroShot", zs[i], e1/(e0+e1))
		if zs[i] != zs2[i] {
			t.Errorf("ZeroShot: red_dog gives %v, red-dog %v", zs[i], zs2[i])
		}
	}
	if zs[0] == zs[1] || math.Abs(zs[0]-0.5) > 0.2 {
		t.Errorf("ZeroShot = %v: want scores near 0.5 that differ between images (cosines are not scaled by logit_scale)", zs)
	}

	cs := c.ClipScore(imgs, conditional)
	for i := range imgs {
		near("ClipScore", cs[i], dot(ie[i], te[3+i]))
	}

	got := c.Compare(imgs[0], imgs, original, conditional, "red_dog")
	for i, s := range got {
		u, st, o, p := ie[0], ie[i], te[0], te[3+i]
		ds, dt := make([]float64, len(st)), make([]float64, len(p))
		for j := range st {
			ds[j] = st[j] - u[j]
		}
		for j := range p {
			dt[j] = p[j] - o[j]
		}
		dir := 0.0
		if n := math.Sqrt(dot(ds, ds) * dot(dt, dt)); n > 0 {
			dir = dot(ds, dt) / n
		}
		e0, e1 := math.Exp(dot(st, te[1])), math.Exp(dot(st, te[2]))
		near("text_similarity", s.TextSimilarity, dot(o, p))
		near("image_similarity", s.ImageSimilarity, dot(u, st))
		near("conditional_similarity", s.ConditionalSimilarity, dot(st, p))
		near("unconditional_similarity", s.UnconditionalSimilarity, dot(st, o))
		near("directional_similarity", s.DirectionalSimilarity, dir)
		near("conditional_zero_shot_score", s.ConditionalZeroShotScore, e1/(e0+e1))
	}
	// The unsteered image with the original prompt: the same embeddings,
	// so torch's eps rule makes the directional similarity exactly 0.
	if s := got[0]; s.DirectionalSimilarity != 0 || math.Abs(s.ImageSimilarity-1) > tol || math.Abs(s.TextSimilarity-1) > tol {
		t.Errorf("unsteered row %+v: want directional 0, image and text similarity 1", s)
	}
	if e := panics(func() { c.Compare(imgs[0], imgs, original, conditional[:2], "red") }); e == nil || !strings.Contains(e.Msg, "3 steered images but 2 conditional prompts") {
		t.Errorf("Compare with a missing prompt: %v", e)
	}
	if e := panics(func() { c.ClipScore(imgs, conditional[:1]) }); e == nil || !strings.Contains(e.Msg, "3 images but 1 prompts") {
		t.Errorf("ClipScore with a missing prompt: %v", e)
	}
}

// LoadCLIP fails with one line naming what is wrong.
func TestLoadCLIPErrors(t *testing.T) {
	partial := func(skip ...string) string {
		d := t.TempDir()
		entries, err := os.ReadDir(clipDir)
		if err != nil {
			t.Fatal(err)
		}
	files:
		for _, e := range entries {
			for _, s := range skip {
				if e.Name() == s {
					continue files
				}
			}
			b, err := os.ReadFile(filepath.Join(clipDir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("HF_HUB_CACHE", t.TempDir())
	for _, tc := range []struct {
		name, path, want string
	}{
		{"embedded", "tiny", "the embedded model is a language model, not CLIP"},
		{"no folder", filepath.Join(t.TempDir(), "nope"), "nope"},
		{"no config", partial("config.json"), "config.json"},
		{"no weights", partial("model.safetensors"), "safetensors"},
		{"no tokenizer", partial("tokenizer.json"), "has no tokenizer.json (nor vocab.json and merges.txt)"},
		{"vision model", "../testdata/reference/encoders/clip_vision/checkpoint", "names CLIPVisionModelWithProjection, not CLIPModel: the judge needs both towers"},
		{"text model", "../testdata/reference/encoders/clip_text/text_encoder_2", "names CLIPTextModelWithProjection, not CLIPModel"},
		{"offline", DefaultCLIP, "offline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := panics(func() { LoadCLIP(tc.path) })
			if e == nil || !strings.Contains(e.Msg, tc.want) || strings.Contains(e.Msg, "\n") {
				t.Errorf("LoadCLIP(%s): %v, want one line with %q", tc.path, e, tc.want)
			}
		})
	}
}
