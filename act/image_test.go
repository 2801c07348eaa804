package act

import (
	"bytes"
	"image"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sdxlTiny is the tiny random SDXL pipeline assembled from the reference
// fixtures' components (testdata/sdxl-tiny).
const sdxlTiny = "../testdata/sdxl-tiny"

// TestImagePipeline: points, generation (same seed, same pixels; λ = 0
// is the unsteered image), a sweep, a grid, a GIF and a PNG on disk.
func TestImagePipeline(t *testing.T) {
	p := LoadImagePipeline(sdxlTiny)
	if s := p.String(); !strings.Contains(s, "StableDiffusionXLPipeline") || !strings.Contains(s, "in the denoiser") {
		t.Fatalf("String: %s", s)
	}
	norms := p.Points(`unet.*norm.*`)
	if len(norms) != 67 {
		t.Fatalf("unet.*norm.* gives %d points", len(norms))
	}
	point := "unet.mid_block.resnets.0.norm1"
	W := p.Engine().PointWidth(point)
	tr := NewTransport()
	w, b := make([]float32, W), make([]float32, W)
	for i := range w {
		w[i], b[i] = 1, 3
	}
	tr.Set(point, w, b, nil, nil)

	base := p.Generate("a red boat", nil, 0, Seed(5))
	again := p.Generate("a red boat", tr, 0, Seed(5))
	if !bytes.Equal(base.img.Pix, again.img.Pix) {
		t.Fatal("λ = 0 with a transport differs from no transport")
	}
	sweep := p.Sweep("a red boat", tr, []float64{0, 0.5, 1}, Seed(5))
	if !bytes.Equal(sweep[0].img.Pix, base.img.Pix) {
		t.Fatal("the sweep's λ = 0 image is not Generate's")
	}
	if bytes.Equal(sweep[2].img.Pix, base.img.Pix) {
		t.Fatal("λ = 1 did not change the image")
	}
	if sweep[1].Label != "0.50" {
		t.Fatalf("label %q", sweep[1].Label)
	}
	g := Grid(3, sweep...)
	if g.Width() <= 3*base.Width() || g.Height() <= base.Height() {
		t.Fatalf("grid %d×%d for three %d×%d images", g.Width(), g.Height(), base.Width(), base.Height())
	}
	dir := t.TempDir()
	g.Save(filepath.Join(dir, "grid.png"))
	f, err := os.Open(filepath.Join(dir, "grid.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	SaveGIF(filepath.Join(dir, "sweep.gif"), sweep, 0)
	data, err := os.ReadFile(filepath.Join(dir, "sweep.gif"))
	if err != nil {
		t.Fatal(err)
	}
	anim, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil || len(anim.Image) != 3 || anim.Delay[0] != 50 {
		t.Fatalf("gif: %v, %d frames", err, len(anim.Image))
	}
	var goImage image.Image = base // the scripting contract: Generate's result is an image.Image
	if goImage.Bounds().Dx() != base.Width() || goImage.At(0, 0) != base.Go().At(0, 0) {
		t.Error("*Image does not behave as its image.Image")
	}
	if r := base.Resize(8, 6); r.Width() != 8 || r.Height() != 6 {
		t.Fatalf("resize: %s", r)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

// TestImageErrors: mistakes are one readable error each.
func TestImageErrors(t *testing.T) {
	p := LoadImagePipeline(sdxlTiny)
	tr := NewTransport()
	tr.Set("unet.mid_block.resnets.0.norm1", []float32{1}, []float32{0}, nil, nil)
	cases := []struct {
		name, want string
		f          func()
	}{
		{"missing folder", "does not exist", func() { LoadImagePipeline("/no/such/pipeline") }},
		{"width", "units", func() { p.Generate("a cat", tr, 1) }},
		{"size", "multiples", func() { p.Generate("a cat", nil, 0, Size(30, 30)) }},
		{"grid", "positive column", func() { Grid(0) }},
		{"save", ".png", func() { p.Generate("a cat", nil, 0).Save(filepath.Join(t.TempDir(), "x.jpg")) }},
		{"pattern", "matches", func() { p.Points("unet.nothing.*") }},
	}
	for _, c := range cases {
		err := panics(c.f)
		if err == nil || !strings.Contains(err.Msg, c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestEmbeddedImagePipeline: "tiny" is the embedded emoji model; a
// transport fitted on it records it by that name and steers it.
func TestEmbeddedImagePipeline(t *testing.T) {
	p := LoadImagePipeline("tiny")
	if s := p.String(); !strings.HasPrefix(s, "tiny (PixelFlowPipeline, 32×32") {
		t.Fatalf("String() = %q", s)
	}
	ds := Texts("none", []string{"red apple", "cat face", "sun"}).
		Add("noto", "red apple, noto style", "cat face, noto style", "sun, noto style")
	tr := FitLinearOT(p.Responses(ds, `unet.mid_block.*norm.*`, Src("none"), Dst("noto")))
	if tr.Model() != "tiny" {
		t.Errorf("the transport records %q", tr.Model())
	}
	row := p.Sweep("green apple", tr, []float64{0, 1}, Steps(4), Seed(3))
	if len(row) != 2 || row[0].Width() != 32 || row[1].Label != "1.00" {
		t.Fatalf("sweep: %v", row)
	}
	if bytes.Equal(row[0].PNG(), row[1].PNG()) {
		t.Error("steering at λ = 1 left the image as it was")
	}
}

// TestImageFit fits a transport on the pipeline's one-step responses
// (plain and incremental), saves and reloads it, and steers with it.
func TestImageFit(t *testing.T) {
	p := LoadImagePipeline(sdxlTiny)
	ds := Texts("styles", nil).
		Add("none", "a cat on a mat", "the dog in the park", "a boat on the sea", "a tree in the rain").
		Add("art", "a cat on a mat in art style", "the dog in the park in art style", "a boat on the sea in art style", "a tree in the rain in art style")
	r := p.Responses(ds, `unet.mid_block.*norm.*`, Src("none"), Dst("art"), Batch(3))
	if len(r.Points()) == 0 || len(r.Source(r.Points()[0])) != 4 {
		t.Fatalf("responses: %s", r)
	}
	tr := FitLinearOT(r)
	if tr.Model() == "" {
		t.Fatal("the transport records no pipeline")
	}
	path := filepath.Join(t.TempDir(), "style.safetensors")
	tr.Save(path)
	back := LoadTransport(path)
	a := p.Generate("a bird", back, 1, Seed(1))
	b := p.Generate("a bird", nil, 0, Seed(1))
	if bytes.Equal(a.img.Pix, b.img.Pix) {
		t.Fatal("the fitted transport changed nothing")
	}
	inc := p.FitIncremental(ds, `unet.mid_block.attentions.0.transformer_blocks.0.norm.*`, "linear_ot", Src("none"), Dst("art"))
	if len(inc.Points()) != 3 {
		t.Fatalf("incremental fit on %d points, want 3", len(inc.Points()))
	}
}
