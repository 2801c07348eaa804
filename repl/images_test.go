package repl

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShellImages: from the shell, an image pipeline generates, a sweep
// becomes a grid PNG and a GIF on disk, and a user's mistake (a misspelt
// point) is one line naming the right point (a piped script then stops
// with status 1; the interactive shell goes on, as transcript tests show).
func TestShellImages(t *testing.T) {
	dir := t.TempDir()
	grid, gif := filepath.Join(dir, "grid.png"), filepath.Join(dir, "sweep.gif")
	script := strings.Join([]string{
		`p := LoadImagePipeline("../testdata/sdxl-tiny")`,
		`t := NewTransport()`,
		`pt := "unet.mid_block.resnets.0.norm1"`,
		`w, b := make([]float32, p.Engine().PointWidth(pt)), make([]float32, p.Engine().PointWidth(pt))`,
		`for i := range w { w[i], b[i] = 1, 2 }`,
		`t.Set(pt, w, b, nil, nil)`,
		`row := p.Sweep("a red boat", t, []float64{0, 0.5, 1}, Seed(1))`,
		`Grid(3, row...).Save("` + grid + `")`,
		`SaveGIF("` + gif + `", row, 400)`,
		`fmt.Println(row[2])`,
		`t.Set("unet.mid_block.resnets.0.nrom1", w, b, nil, nil)`,
		`p.Generate("a cat", t, 1)`,
	}, "\n") + "\n"
	out, stderr, code := runActsh(t, script)
	if code != 1 {
		t.Fatalf("exit %d, want 1 from the last line's mistake: %s", code, stderr)
	}
	if !strings.Contains(out, `act.Image(32×32, "a red boat", λ=1.00, seed 1)`) {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(out+stderr, "did you mean unet.mid_block.resnets.0.norm1") {
		t.Errorf("the misspelt point's error does not suggest the right one:\n%s\n%s", out, stderr)
	}
	f, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(gif); err != nil || st.Size() == 0 {
		t.Fatalf("gif: %v", err)
	}
}
