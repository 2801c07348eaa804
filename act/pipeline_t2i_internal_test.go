package act

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// imageRun is a tiny text-to-image pipeline run: the tiny SDXL pipeline,
// the synthetic COCO kit, the mid block's norms, one batch of two
// prompts at three strengths.
func imageRun(t *testing.T, d string, extra ...string) []string {
	t.Helper()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return append([]string{
		"model.model_path=" + abs(sdxlTiny),
		"data_dir=" + abs("../testdata/coco"),
		"cache_dir=" + filepath.Join(d, "cache"),
		"results_dir=" + filepath.Join(d, "results"),
		"device=auto",
		"model.module_names=[unet.mid_block.*norm.*]",
		"batch_size=4",
		"responses.max_batches=2",
		"text_to_image_generation.batch_size=2",
		"text_to_image_generation.max_batches=1",
		"text_to_image_generation.strength_steps=3",
		"text_to_image_generation.generation_resolution=24",
		"evaluation=[text-to-image-generation]",
	}, extra...)
}

// TestPipelineTextToImage runs responses → intervention → images on the
// tiny pipeline and checks ml-act's output layout, then reruns it: every
// step is reused.
func TestPipelineTextToImage(t *testing.T) {
	d := t.TempDir()
	ov := imageRun(t, d)
	res, err := RunPipeline(context.Background(), PipelineOptions{ConfigName: "text_to_image_generation", Overrides: ov, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if res.Transport == nil || len(res.Transport.Points()) != 11 {
		t.Fatalf("transport: %v", res.Transport)
	}
	if m := res.Transport.raw().Meta; m.Family != "sdxl" || m.Source != "none" || m.Target != "art_nouveau" {
		t.Fatalf("transport meta %+v", m)
	}
	var pngs, jsons, gifs []string
	filepath.WalkDir(filepath.Join(d, "results", "generate_with_hooks_diffusion"), func(p string, e os.DirEntry, err error) error {
		switch filepath.Ext(p) {
		case ".png":
			pngs = append(pngs, p)
		case ".json":
			jsons = append(jsons, p)
		case ".gif":
			gifs = append(gifs, p)
		}
		return nil
	})
	if len(pngs) != 6 || len(jsons) != 6 || len(gifs) != 2 {
		t.Fatalf("%d PNGs, %d JSONs, %d GIFs; want 6, 6, 2 (2 prompts × 3 strengths)", len(pngs), len(jsons), len(gifs))
	}
	rel, _ := filepath.Rel(filepath.Join(d, "results"), pngs[0])
	parts := strings.Split(rel, string(filepath.Separator))
	if len(parts) != 7 || parts[1] != "coco-captions-styles" || parts[2] != "none:art_nouveau" || parts[4] != "unet.mid..ck.norm." || parts[5] != "0.000_0.000" {
		t.Fatalf("layout %s: want generate_with_hooks_diffusion/<dataset>/<src>:<dst>/<intervention>/<modules>/<strength>_<guidance>/<id>.png", rel)
	}
	var rec map[string]any
	data, _ := os.ReadFile(jsons[0])
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "original_prompt", "conditional_prompt", "strength", "guidance_scale", "dataset", "intervention", "src_subsets", "dst_subsets", "prompt_subset", "image_path"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("%s has no %q", jsons[0], k)
		}
	}
	if !strings.Contains(string(data), `"strength":0.0,`) {
		t.Errorf("%s: strength not written as Python writes 0.0: %s", jsons[0], data)
	}
	if img := ReadImage(pngs[0]); img.Width() != 24 {
		t.Errorf("image %d wide, want generation_resolution 24", img.Width())
	}
	// Strength 0 and strength 1 differ for the same prompt.
	zero, _ := os.ReadFile(pngs[0])
	one, _ := os.ReadFile(strings.Replace(pngs[0], "0.000_0.000", "1.000_0.000", 1))
	if len(one) == 0 || bytes.Equal(zero, one) {
		t.Error("the steered image is missing or equals the unsteered one")
	}
	again, err := RunPipeline(context.Background(), PipelineOptions{ConfigName: "text_to_image_generation", Overrides: ov, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(again.Skipped, ","); !strings.Contains(got, "interventions") || !strings.Contains(got, "text-to-image-generation") {
		t.Errorf("rerun skipped %q; want the intervention and the generation reused", got)
	}
}

// TestPipelineTextToImageErrors: a bad setting stops the run before
// anything is written.
func TestPipelineTextToImageErrors(t *testing.T) {
	for _, c := range []struct{ override, want string }{
		{"text_to_image_generation.min_strength=-1", "negative strengths"},
		{"model.module_names=[unet.nowhere.*]", "module_names"},
		{"text_to_image_generation.generation_resolution=4", "generation_resolution"},
	} {
		d := t.TempDir()
		_, err := RunPipeline(context.Background(), PipelineOptions{ConfigName: "text_to_image_generation", Overrides: imageRun(t, d, c.override), Log: io.Discard})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.override, err, c.want)
		}
	}
}
