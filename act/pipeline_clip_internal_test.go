package act

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// clipImage is one generated image of the fake folder: its id, strength
// and the picture drawn for it.
type clipImage struct {
	id       int
	strength string // as Python's json.dump writes the float
	k        int    // testImage's pattern
}

// writeClipFolder writes images and their JSON files in the layout of
// ml-act's generate_with_hooks_diffusion.py under dir:
// <dataset>/<src>:<dst>/<intervention>/<modules>/<strength>_<guidance>/<id>.png
// and .json with its fields, as Python writes them.
func writeClipFolder(t *testing.T, dir string, imgs []clipImage) {
	t.Helper()
	base := filepath.Join(dir, "coco-captions-styles", "none:red_dog", "linear_ot", "unet")
	for _, im := range imgs {
		s, _ := strconv.ParseFloat(im.strength, 64)
		sub := filepath.Join(base, fmt.Sprintf("%.3f_%.3f", s, 0.0))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(sub, fmt.Sprint(im.id))
		f, err := os.Create(p + ".png")
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, testImage(im.k, 40, 32)); err != nil {
			t.Fatal(err)
		}
		f.Close()
		cond := map[int]string{3: "a photo of a red dog.", 7: "a photo of a red cat."}[im.id]
		orig := map[int]string{3: "a photo of a dog.", 7: "a photo of a cat."}[im.id]
		js := fmt.Sprintf(`{"id": %d, "original_prompt": %q, "conditional_prompt": %q, "strength": %s, "guidance_scale": 0.0, `+
			`"dataset": "coco-captions-styles", "intervention": "/tmp/linear_ot", "src_subsets": ["none"], "dst_subsets": ["red_dog"], `+
			`"prompt_subset": ["none"], "image_path": %q}`, im.id, orig, cond, im.strength, p+".png")
		if err := os.WriteFile(p+".json", []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// clipFolderImages: two prompts (ids 3 and 7) at three strengths.
var clipFolderImages = []clipImage{
	{3, "0.0", 0}, {3, "0.5", 1}, {3, "1.0", 2},
	{7, "0.0", 3}, {7, "0.5", 4}, {7, "1.0", 5},
}

// clipRun runs the text_generation config's pipeline with only clip_score,
// on the tiny CLIPModel, reading results_dir/generate_with_hooks_diffusion
// (clip_score.input_folder's default).
func clipRun(folders []string, extra ...string) []string {
	ov := append(append([]string(nil), readme...), folders...)
	ov = append(ov, "model=tiny", "intervention_params=none", "evaluation=['clip_score']", "+clip_score.model_path="+clipDir)
	return append(ov, extra...)
}

// The step end to end: ml-act's frame (the JSON fields, the rows grouped
// by id in file order, pandas' index), each image's scores as the judge's
// Compare gives them (float32, printed as numpy does), the file skipped
// on a second run and redone when an image changes.
func TestPipelineClipScore(t *testing.T) {
	d, folders := dirs(t)
	input := filepath.Join(d, "results", "generate_with_hooks_diffusion")
	writeClipFolder(t, input, clipFolderImages)
	res := runPipeline(t, clipRun(folders)...)
	rel := filepath.Join("calculate_clip_score", "clip_score.csv")
	if !slices.Contains(res.Files, rel) {
		t.Fatalf("files %v", res.Files)
	}
	csvPath := filepath.Join(d, "results", rel)
	rows := readAllCSV(t, csvPath)
	wantHeader := ",id,original_prompt,conditional_prompt,strength,guidance_scale,dataset,intervention,src_subsets,dst_subsets,prompt_subset,image_path," +
		"text_similarity,image_similarity,conditional_similarity,unconditional_similarity,directional_similarity,conditional_zero_shot_score"
	if got := strings.Join(rows[0], ","); got != wantHeader {
		t.Fatalf("header\n%s\nwant\n%s", got, wantHeader)
	}
	// Files sort as 0.000_0.000/3, 0.000_0.000/7, 0.500_0.000/3, …: the
	// frame's index; the rows come grouped by id, 3 first.
	if idx := []string{rows[1][0], rows[2][0], rows[3][0], rows[4][0], rows[5][0], rows[6][0]}; strings.Join(idx, " ") != "0 2 4 1 3 5" || len(rows) != 7 {
		t.Fatalf("index %v (%d rows), want 0 2 4 1 3 5", idx, len(rows)-1)
	}
	if got := strings.Join(rows[2][1:11], "|"); got != "3|a photo of a dog.|a photo of a red dog.|0.5|0.0|coco-captions-styles|/tmp/linear_ot|none|red_dog|none" {
		t.Errorf("row 2: %s", got)
	}
	c := LoadCLIP(clipDir)
	for g, id := range []int{3, 7} {
		var imgs []image.Image
		var conds []string
		for _, im := range clipFolderImages {
			if im.id == id {
				imgs = append(imgs, testImage(im.k, 40, 32))
				conds = append(conds, rows[1+3*g][3])
			}
		}
		want := c.Compare(imgs[0], imgs, rows[1+3*g][2], conds, "red_dog")
		for i, s := range want {
			row := rows[1+3*g+i]
			for k, v := range s.values() {
				got, err := strconv.ParseFloat(row[12+k], 32)
				// The step embeds its texts in other batches than Compare:
				// equal up to float32 rounding of the embeddings.
				if err != nil || abs(got-v) > 1e-6 {
					t.Errorf("id %d row %d %s = %s, Compare gives %v", id, i, clipScoreColumns[k], row[12+k], v)
				}
			}
		}
		if row := rows[1+3*g]; row[16] != "0.0" {
			t.Errorf("id %d: the unsteered image's directional_similarity is %s, want 0.0", id, row[16])
		}
	}

	again := runPipeline(t, clipRun(folders)...)
	if !slices.Contains(again.Skipped, "clip_score") {
		t.Errorf("second run skipped %v", again.Skipped)
	}
	writeClipFolder(t, input, []clipImage{{7, "1.0", 6}})
	third := runPipeline(t, clipRun(folders)...)
	if slices.Contains(third.Skipped, "clip_score") {
		t.Errorf("a changed image did not redo clip_score")
	}
	if rows3 := readAllCSV(t, csvPath); slices.Equal(rows3[6], rows[6]) || !slices.Equal(rows3[4], rows[4]) {
		t.Errorf("after changing id 7's last image: row %v (was %v)", rows3[6], rows[6])
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Ctrl-C after the first id, then a rerun: one id left to score, the same
// file as one run.
func TestPipelineClipScoreResume(t *testing.T) {
	d, folders := dirs(t)
	writeClipFolder(t, filepath.Join(d, "results", "generate_with_hooks_diffusion"), clipFolderImages)
	ctx, cancel := context.WithCancel(context.Background())
	defer func(f func(string)) { pipelineEvent = f }(pipelineEvent)
	n := 0
	pipelineEvent = func(e string) {
		if e == "clip_score" {
			if n++; n == 1 {
				cancel()
			}
		}
	}
	if _, err := RunPipeline(ctx, PipelineOptions{Overrides: clipRun(folders), Log: io.Discard}); err == nil || !strings.Contains(err.Error(), "clip_score interrupted") {
		t.Fatalf("interrupted run: %v", err)
	}
	partial := filepath.Join(d, "results", "calculate_clip_score", "clip_score.csv.partial")
	if _, err := os.Stat(partial); err != nil {
		t.Fatalf("no partial file: %v", err)
	}
	n = 0
	runPipeline(t, clipRun(folders)...)
	if n != 1 {
		t.Errorf("resumed run scored %d ids, want 1", n)
	}
	resumed, _ := os.ReadFile(filepath.Join(d, "results", "calculate_clip_score", "clip_score.csv"))
	d2, folders2 := dirs(t)
	writeClipFolder(t, filepath.Join(d2, "results", "generate_with_hooks_diffusion"), clipFolderImages)
	runPipeline(t, clipRun(folders2)...)
	whole, _ := os.ReadFile(filepath.Join(d2, "results", "calculate_clip_score", "clip_score.csv"))
	// The image_path column names each run's own folder.
	if strings.ReplaceAll(string(resumed), d, "D") != strings.ReplaceAll(string(whole), d2, "D") {
		t.Errorf("resumed file differs from an uninterrupted run's:\n%s\n%s", resumed, whole)
	}
	if _, err := os.Stat(partial); err == nil {
		t.Errorf("partial file left behind")
	}
}

// A folder that is missing, empty or not in ml-act's layout stops the run
// with one line naming the folder, the file or the field.
func TestPipelineClipScoreErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, dir string)
		config bool // a config error: nothing is written
		want   string
	}{
		{"missing folder", func(t *testing.T, dir string) {}, true, "generate_with_hooks_diffusion does not exist: the text-to-image-generation evaluation writes it"},
		{"empty folder", func(t *testing.T, dir string) { os.MkdirAll(filepath.Join(dir, "sub"), 0o755) }, true, "holds no .png images"},
		{"no strength 0", func(t *testing.T, dir string) {
			writeClipFolder(t, dir, []clipImage{{3, "0.5", 1}, {3, "1.0", 2}})
		}, false, "id 3 has no image at strength 0"},
		{"no JSON", func(t *testing.T, dir string) {
			writeClipFolder(t, dir, clipFolderImages[:1])
			os.WriteFile(filepath.Join(dir, "extra.png"), nil, 0o644)
		}, false, "extra.png has no JSON file beside it"},
		{"two subsets", func(t *testing.T, dir string) {
			writeClipFolder(t, dir, clipFolderImages[:1])
			p := filepath.Join(dir, "coco-captions-styles", "none:red_dog", "linear_ot", "unet", "0.000_0.000", "3.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `["red_dog"]`, `["red_dog", "blue"]`, 1)), 0o644)
		}, false, `"dst_subsets" holds 2 values`},
		{"missing field", func(t *testing.T, dir string) {
			writeClipFolder(t, dir, []clipImage{clipFolderImages[0], clipFolderImages[3]})
			p := filepath.Join(dir, "coco-captions-styles", "none:red_dog", "linear_ot", "unet", "0.000_0.000", "7.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `"guidance_scale": 0.0, `, "", 1)), 0o644)
		}, false, `7.json has no field "guidance_scale"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, folders := dirs(t)
			input := filepath.Join(d, "results", "generate_with_hooks_diffusion")
			tc.setup(t, input)
			_, err := RunPipeline(context.Background(), PipelineOptions{Overrides: clipRun(folders), Log: io.Discard})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") || IsConfigError(err) != tc.config {
				t.Errorf("error %v, want a one-line error (config error %v) with %q", err, tc.config, tc.want)
			}
			if _, err := os.Stat(filepath.Join(d, "results", "calculate_clip_score", "clip_score.csv")); err == nil {
				t.Errorf("clip_score.csv written")
			}
		})
	}
}

// pandas' printing of ml-act's columns: the dtype it infers from the
// JSON values, floats as Python's repr (float64) or numpy's str (the
// float32 scores).
func TestPyColumn(t *testing.T) {
	val := func(js string) pyValue {
		f, err := pyObject([]byte(`{"v": ` + js + `}`))
		if err != nil {
			t.Fatal(err)
		}
		return f[0].val
	}
	for _, tc := range []struct {
		name string
		vals []string
		want string
	}{
		{"ints", []string{"1", "20"}, "1|20"},
		{"floats", []string{"0.0", "0.30000000000000004", "1e-05", "1e16", "123456.5"}, "0.0|0.30000000000000004|1e-05|1e+16|123456.5"},
		{"ints and floats", []string{"0", "0.5", "1"}, "0.0|0.5|1.0"},
		{"ints and null", []string{"1", "null"}, "1.0|"},
		{"bools", []string{"true", "false"}, "True|False"},
		{"object", []string{`"a"`, "1", "2.5", "true", "null", `["x", "y"]`}, "a|1|2.5|True||['x', 'y']"},
		{"dict", []string{`{"b": 1, "a": "it's"}`}, `{'b': 1, 'a': "it's"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var vs []pyValue
			for _, js := range tc.vals {
				vs = append(vs, val(js))
			}
			if got := strings.Join(pyColumn(vs), "|"); got != tc.want {
				t.Errorf("%v printed %q, want %q", tc.vals, got, tc.want)
			}
		})
	}
	// numpy compares the float32 itself with 1e-4: float32(1e-4) is
	// 9.9999997e-05, so numpy prints it "1e-04", where Python's repr of
	// the float64 1e-4 is "0.0001".
	for x, want := range map[float32]string{0.1: "0.1", 1: "1.0", -0.25: "-0.25", 3.2e-05: "3.2e-05", 0.7853982: "0.7853982", 1e-4: "1e-04"} {
		if got := pyFloat(float64(x), 32); got != want {
			t.Errorf("pyFloat(%v, 32) = %q, want %q", x, got, want)
		}
	}
	if got := pyFloat(1e-4, 64); got != "0.0001" {
		t.Errorf("pyFloat(1e-4, 64) = %q, want 0.0001", got)
	}
}

// findPNGs orders paths by their components, as Python's Path sorting
// does (a/b.png before a-c/x.png, which plain string order reverses).
func TestFindPNGs(t *testing.T) {
	d := t.TempDir()
	for _, p := range []string{"a-c/x.png", "a/b.png", "a/.hidden.png", "b.png", "a/c.json", "a/d.PNG"} {
		os.MkdirAll(filepath.Dir(filepath.Join(d, p)), 0o755)
		os.WriteFile(filepath.Join(d, p), nil, 0o644)
	}
	got, err := findPNGs(d)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i], _ = filepath.Rel(d, got[i])
	}
	if want := "a/.hidden.png a/b.png a-c/x.png b.png"; strings.Join(got, " ") != want {
		t.Errorf("findPNGs = %v, want %s", got, want)
	}
}

// With the text-to-image task: clip_score listed first runs after
// text-to-image-generation and judges its images (condition art_nouveau,
// the destination subset), its zero-shot scores those of CLIP.ZeroShot on
// the PNGs.
func TestPipelineTextToImageClipScore(t *testing.T) {
	d := t.TempDir()
	judge, err := filepath.Abs(clipDir)
	if err != nil {
		t.Fatal(err)
	}
	ov := imageRun(t, d, "evaluation=[clip_score,text-to-image-generation]", "clip_score.model_path="+judge)
	res, err := RunPipeline(context.Background(), PipelineOptions{ConfigName: "text_to_image_generation", Overrides: ov, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join("calculate_clip_score", "clip_score.csv")
	if i := slices.Index(res.Files, rel); i < 0 || !strings.HasSuffix(res.Files[i-1], ".gif") {
		t.Fatalf("files %v: want clip_score.csv after the images", res.Files)
	}
	rows := readAllCSV(t, filepath.Join(d, "results", rel))
	if len(rows) != 7 {
		t.Fatalf("%d rows, want 6 images", len(rows)-1)
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	c := LoadCLIP(judge)
	for _, row := range rows[1:] {
		if row[col("dst_subsets")] != "art_nouveau" || row[col("src_subsets")] != "none" {
			t.Fatalf("row %v", row)
		}
		img := ReadImage(row[col("image_path")]).Go()
		want := c.ZeroShot([]image.Image{img}, "art_nouveau")[0]
		got, err := strconv.ParseFloat(row[col("conditional_zero_shot_score")], 64)
		if err != nil || abs(got-want) > 1e-6 {
			t.Errorf("%s: zero-shot %s, ZeroShot gives %v", row[col("image_path")], row[col("conditional_zero_shot_score")], want)
		}
		if s := row[col("strength")]; s != "0.0" && s != "0.5" && s != "1.0" {
			t.Errorf("strength printed %q, want a float as pandas prints it", s)
		}
	}
}
