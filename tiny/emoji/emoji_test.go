package emoji

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/actsh/actsh/tiny/corpus"
)

func TestCaption(t *testing.T) {
	for _, c := range []struct{ name, style, want string }{
		{"grinning face", "noto", "grinning face, noto style"},
		{"grinning face", "", "grinning face"},
	} {
		if got := Caption(c.name, c.style); got != c.want {
			t.Errorf("Caption(%q, %q) = %q, want %q", c.name, c.style, got, c.want)
		}
	}
}

// TestDecode checks the compositing and box averaging on a synthetic
// image: opaque red on the left half, transparent on the right (white
// after compositing), a half-transparent black pixel block in a corner.
func TestDecode(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 32 {
			img.Set(x, y, color.NRGBA{255, 0, 0, 255})
		}
	}
	for y := 60; y < 64; y++ {
		for x := 60; x < 64; x++ {
			img.Set(x, y, color.NRGBA{0, 0, 0, 128})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	px, err := decode(buf.Bytes(), 16)
	if err != nil {
		t.Fatal(err)
	}
	at := func(x, y int) [3]uint8 { o := (y*16 + x) * 3; return [3]uint8{px[o], px[o+1], px[o+2]} }
	if got := at(0, 0); got != [3]uint8{255, 0, 0} {
		t.Errorf("left pixel %v, want red", got)
	}
	if got := at(8, 0); got != [3]uint8{255, 255, 255} {
		t.Errorf("transparent pixel %v, want white", got)
	}
	// Black at alpha 128 over white: 255·(1 − 128/255) ≈ 127.
	if got := at(15, 15); got[0] < 126 || got[0] > 128 || got[0] != got[1] || got[1] != got[2] {
		t.Errorf("half-transparent black %v, want grey ≈ 127", got)
	}
}

// TestLoad reads the pinned packages from the npm cache; it skips when
// they are not there (a fresh clone offline).
func TestLoad(t *testing.T) {
	dir, err := corpus.DefaultCacheDir()
	if err != nil {
		t.Skip(err)
	}
	for _, st := range Styles {
		if _, err := os.Stat(filepath.Join(dir, st.Source.Tarball())); err != nil {
			t.Skipf("%s is not in the npm cache %s (go run recipes/tiny_image_train.go fetches it)", st.Source.Tarball(), dir)
		}
	}
	s, err := Load(dir, 32)
	if err != nil {
		t.Fatal(err)
	}
	train, held := s.Split()
	if len(s.Emoji) != 1911 || len(s.Images) != 2*len(s.Emoji) || len(train)+len(held) != len(s.Images) {
		t.Fatalf("%d emoji, %d images, split %d + %d", len(s.Emoji), len(s.Images), len(train), len(held))
	}
	if len(held) < len(s.Images)/20 || len(held) > len(s.Images)/5 {
		t.Errorf("%d of %d images held out, want about a tenth", len(held), len(s.Images))
	}
	if e := s.Emoji[0]; e.Name != "grinning face" || s.Images[0].Style != 0 || s.Images[1].Style != 1 {
		t.Errorf("first emoji %+v, styles %d, %d", e, s.Images[0].Style, s.Images[1].Style)
	}
}
