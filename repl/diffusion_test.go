package repl

import (
	"bytes"
	"encoding/csv"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDiffusionStylesRecipe runs recipes/diffusion_styles.go at CI size
// (-small: the tiny random SDXL pipeline, the synthetic COCO kit, the tiny
// CLIP judge; anime and sketch at λ = 0, 0.5, 1 on three captions) through
// the pipeline and checks its outputs: summary.csv and summary.md, the
// curves, a grid per style, the pipeline's GIFs; that λ = 0 is the same
// unsteered image for every style; then a bad flag.
func TestDiffusionStylesRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two text-to-image pipelines")
	}
	res := t.TempDir()
	out, stderr, code := runActsh(t, "", "run", "../recipes/diffusion_styles.go", "-small", "-kit", "../testdata/coco", "-results-dir", res)
	if code != 0 {
		t.Fatalf("actsh run recipes/diffusion_styles.go -small: exit %d: %s", code, stderr)
	}
	styles := []string{"anime", "sketch"}
	checkDiffusionRecipe(t, res, out, "styles.png", styles)

	// λ = 0 is the unsteered pipeline: for the same caption and seed every
	// style's run draws the same image, byte for byte.
	zero := map[string]map[string][]byte{} // style → id → PNG
	one := map[string]map[string][]byte{}
	for _, s := range styles {
		zero[s], one[s] = sweepPNGs(t, filepath.Join(res, s), "0.000_0.000"), sweepPNGs(t, filepath.Join(res, s), "1.000_0.000")
		if len(zero[s]) != 3 || len(one[s]) != 3 {
			t.Fatalf("%s: %d images at λ = 0 and %d at λ = 1, want 3 each", s, len(zero[s]), len(one[s]))
		}
	}
	steered := false
	for id, png := range zero["anime"] {
		if !bytes.Equal(png, zero["sketch"][id]) {
			t.Errorf("caption %s: the λ = 0 images of anime and sketch differ: λ = 0 must be the unsteered pipeline", id)
		}
		steered = steered || !bytes.Equal(png, one["anime"][id])
	}
	if !steered {
		t.Error("every anime image at λ = 1 equals its λ = 0 image: the intervention did nothing")
	}
	// …so its ClipScore (against the same caption) is the same too.
	rows := recipeCSV(t, filepath.Join(res, "summary.csv"))
	var atZero []string
	for _, r := range rows[1:] {
		if r[1] != "0" {
			continue
		}
		if atZero == nil {
			atZero = r[5:7]
		} else if strings.Join(atZero, ",") != strings.Join(r[5:7], ",") {
			t.Errorf("λ = 0 ClipScore of %s is %v, of anime %v: the same images must score the same", r[0], r[5:7], atZero)
		}
	}

	_, stderr, code = runActsh(t, "", "run", "../recipes/diffusion_styles.go", "-small", "-kit", "../testdata/coco", "-results-dir", res, "-strengths", "0:1")
	if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "-strengths") {
		t.Errorf("bad -strengths: exit %d, stderr %q; want 1 and one line naming the flag", code, stderr)
	}
}

// TestDiffusionNegationRecipe runs recipes/diffusion_negation.go at CI
// size (pink_elephant and gorilla) and checks the same outputs, that the
// images were generated from captions negating the concept, then an
// unknown concept.
func TestDiffusionNegationRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two text-to-image pipelines")
	}
	res := t.TempDir()
	out, stderr, code := runActsh(t, "", "run", "../recipes/diffusion_negation.go", "-small", "-kit", "../testdata/coco", "-results-dir", res)
	if code != 0 {
		t.Fatalf("actsh run recipes/diffusion_negation.go -small: exit %d: %s", code, stderr)
	}
	concepts := []string{"pink_elephant", "gorilla"}
	checkDiffusionRecipe(t, res, out, "negation.png", concepts)
	md, err := os.ReadFile(filepath.Join(res, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The grids' prompts are the captions with the kit's no_<concept> phrases.
	for _, c := range concepts {
		_, sec, _ := strings.Cut(string(md), "#### "+c+"\n")
		sec, _, _ = strings.Cut(sec, "####")
		named := 0
		for _, line := range strings.Split(sec, "\n") {
			prompt, _, _ := strings.Cut(line, " ([animation]")
			if len(prompt) > 3 && prompt[1:3] == ". " && strings.Contains(prompt, strings.ReplaceAll(c, "_", " ")) {
				named++
			}
		}
		if named != 3 {
			t.Errorf("summary.md: %d of the %s grid's 3 prompts name the concept:\n%s", named, c, sec)
		}
	}

	_, stderr, code = runActsh(t, "", "run", "../recipes/diffusion_negation.go", "-small", "-kit", "../testdata/coco", "-results-dir", res, "-concepts", "pink_elephant,unicorn")
	if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, `unknown concept "unicorn"`) {
		t.Errorf("unknown concept: exit %d, stderr %q; want 1 and one line naming it", code, stderr)
	}
}

// checkDiffusionRecipe checks what both recipes write at -small for groups
// (styles or concepts) at λ = 0, 0.5, 1 on three captions.
func checkDiffusionRecipe(t *testing.T, res, out, plotName string, groups []string) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(res, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, string(md)) {
		t.Error("the recipe's output does not hold summary.md")
	}
	if !strings.Contains(string(md), "the figure has no table: compare the shapes") {
		t.Error("summary.md does not say the paper's figure has no numbers to compare")
	}

	// summary.csv: a row per group and λ, the measures within their ranges.
	rows := recipeCSV(t, filepath.Join(res, "summary.csv"))
	if want := []string{"lambda", "n", "zero_shot_mean", "zero_shot_std", "clip_score_mean", "clip_score_std"}; strings.Join(rows[0][1:], ",") != strings.Join(want, ",") {
		t.Fatalf("summary.csv header %v, want %v after the group", rows[0], want)
	}
	if len(rows) != 1+len(groups)*3 {
		t.Fatalf("summary.csv has %d rows, want 1 + %d groups × 3 strengths", len(rows), len(groups))
	}
	for i, r := range rows[1:] {
		g, l := groups[i/3], []string{"0", "0.5", "1"}[i%3]
		if r[0] != g || r[1] != l || r[2] != "3" {
			t.Errorf("row %v: want %s at λ = %s over 3 images", r, g, l)
		}
		num := func(k int) float64 { v, _ := strconv.ParseFloat(r[k], 64); return v }
		if !(num(3) >= 0 && num(3) <= 1 && num(4) >= 0 && num(5) >= -1 && num(5) <= 1 && num(6) >= 0) {
			t.Errorf("row %v: zero-shot mean outside [0, 1], ClipScore outside [-1, 1] or a negative std", r)
		}
	}

	// The curves: two panels, not blank.
	img := recipePNG(t, filepath.Join(res, plotName))
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 200 || pngColours(img) < 10 {
		t.Errorf("%s: %dx%d with %d colours: not the two panels", plotName, b.Dx(), b.Dy(), pngColours(img))
	}
	// A grid per group: 3 captions × 3 strengths of 64-pixel images; and
	// the pipeline's GIF for each caption.
	for _, g := range groups {
		grid := recipePNG(t, filepath.Join(res, g+"_grid.png"))
		if b := grid.Bounds(); b.Dx() < 3*64 || b.Dy() < 3*64 || pngColours(grid) < 10 {
			t.Errorf("%s_grid.png: %dx%d with %d colours: want 3×3 images of 64 pixels", g, b.Dx(), b.Dy(), pngColours(grid))
		}
		gifs, _ := filepath.Glob(filepath.Join(res, g, "generate_with_hooks_diffusion", "*", "*", "*", "*", "*_animation.gif"))
		if len(gifs) != 3 {
			t.Errorf("%s: %d GIFs, want one per caption (3)", g, len(gifs))
		}
		if !strings.Contains(string(md), "("+g+"_grid.png)") {
			t.Errorf("summary.md does not show %s_grid.png", g)
		}
	}
}

// sweepPNGs reads a run's images at one strength folder
// (<strength>_<guidance>), by COCO id.
func sweepPNGs(t *testing.T, run, strength string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(run, "generate_with_hooks_diffusion", "*", "*", "*", "*", strength, "*.png"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".png")] = data
	}
	return out
}

func recipeCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %v (%d rows)", path, err, len(rows))
	}
	return rows
}

func recipePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// pngColours counts the distinct colours on a 7-pixel lattice: a blank or
// one-colour image has 1.
func pngColours(img image.Image) int {
	b := img.Bounds()
	seen := map[[4]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// TestDiffusionRecipesFLUX runs both recipes with -model FLUX.1-schnell at
// CI size (the tiny random FLUX pipeline, steered at the model config's
// places: both streams of every double block and the single blocks) and
// checks the same outputs, and that steering changed an image.
func TestDiffusionRecipesFLUX(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four text-to-image pipelines")
	}
	for _, rc := range []struct {
		recipe, plot string
		groups       []string
	}{
		{"diffusion_styles", "styles.png", []string{"anime", "sketch"}},
		{"diffusion_negation", "negation.png", []string{"pink_elephant", "gorilla"}},
	} {
		res := t.TempDir()
		out, stderr, code := runActsh(t, "", "run", "../recipes/"+rc.recipe+".go", "-small", "-model", "FLUX.1-schnell", "-kit", "../testdata/coco", "-results-dir", res)
		if code != 0 {
			t.Fatalf("actsh run recipes/%s.go -small -model FLUX.1-schnell: exit %d: %s", rc.recipe, code, stderr)
		}
		checkDiffusionRecipe(t, res, out, rc.plot, rc.groups)
		zero, one := sweepPNGs(t, filepath.Join(res, rc.groups[0]), "0.000_0.000"), sweepPNGs(t, filepath.Join(res, rc.groups[0]), "1.000_0.000")
		steered := false
		for id, png := range zero {
			steered = steered || !bytes.Equal(png, one[id])
		}
		if len(zero) == 0 || !steered {
			t.Errorf("%s: %d images at λ = 0, none changed at λ = 1", rc.recipe, len(zero))
		}
		if !strings.Contains(out, "transformer") && !strings.Contains(stderr, "transformer") {
			entries, _ := filepath.Glob(filepath.Join(res, rc.groups[0], "generate_with_hooks_diffusion", "*", "*", "*", "transfor*"))
			if len(entries) == 0 {
				t.Errorf("%s: no run steered the transformer's points (module folder transfor…)", rc.recipe)
			}
		}
	}
}
