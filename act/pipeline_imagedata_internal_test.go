package act

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/dataset"
)

// planImage composes the text-to-image config with overrides and plans its
// data set as planPipeline does (which still refuses image models before
// getting there).
func planImage(t *testing.T, overrides ...string) (*pipelinePlan, error) {
	t.Helper()
	cfg, err := PipelineConfig(PipelineOptions{ConfigName: "text_to_image_generation",
		Overrides: append([]string{"data_dir=" + cocoKit}, overrides...), LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	g := &getter{c: cfg}
	p := &pipelinePlan{cfg: cfg, dataset: g.str("responses.task_params.dataset"),
		src: g.strs("responses.task_params.src_subsets"), dst: g.strs("responses.task_params.dst_subsets"),
		dataDir: g.str("responses.data_dir"), seed: uint64(g.int("responses.seed", 0))}
	if g.err != nil {
		t.Fatal(g.err)
	}
	return p, p.planData()
}

func subsetsOf(items []dataset.ImagePrompt) []string {
	var out []string
	for _, it := range items {
		if !slices.Contains(out, it.Subset) {
			out = append(out, it.Subset)
		}
	}
	return out
}

// ml-act's three text-to-image tasks on the kit: the train split's source
// and target prompts for the responses, the val split's generation
// subsets, and which prompt generation uses.
func TestPlanImageData(t *testing.T) {
	tests := []struct {
		name      string
		overrides []string
		fit       string // the data set's String()
		gen       []string
		genN      int
		original  bool
		first     string // the first generation prompt
	}{
		{"coco_styles", []string{"task_params=coco_styles"},
			"captions_train2017.json: 64 texts (none 32, art_nouveau 32)", []string{"art_nouveau"}, 32, true,
			"A boy throwing a frisbee in a park."},
		{"coco_concepts", []string{"task_params=coco_concepts"},
			"captions_train2017.json: 64 texts (pink_elephant 32, none 32)", []string{"no_pink_elephant"}, 32, false,
			"A boy throwing a frisbee in a park. with no pink elephant anywhere."},
		{"coco_concepts, prompt_subset none", []string{"task_params=coco_concepts", "task_params.prompt_subset=[none]"},
			"captions_train2017.json: 64 texts (pink_elephant 32, none 32)", []string{"none"}, 32, true,
			"A boy throwing a frisbee in a park."},
		{"diffusion_prompts", []string{"task_params=diffusion_prompts"},
			"diffusion_prompts.json: 12 texts (no_trees 6, trees 6)", []string{"trees"}, 6, true,
			"A narrow road crossing a plain lined with tall oak trees."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planImage(t, tc.overrides...)
			if err != nil {
				t.Fatal(err)
			}
			r := &pipelineRun{pipelinePlan: p}
			ds, err := r.loadData()
			if err != nil {
				t.Fatal(err)
			}
			if got := ds.String(); !strings.HasSuffix(got, tc.fit) {
				t.Errorf("responses read %q, want …%q", got, tc.fit)
			}
			if _, _, err := ds.Raw().Balance(p.src, p.dst, 0, p.seed); err != nil {
				t.Errorf("Balance(%v, %v): %v", p.src, p.dst, err)
			}
			gen := p.img.gen.Items
			if got := subsetsOf(gen); !slices.Equal(got, tc.gen) || len(gen) != tc.genN {
				t.Errorf("generation: %d items in %v, want %d in %v", len(gen), got, tc.genN, tc.gen)
			}
			if p.img.original != tc.original {
				t.Errorf("original %v, want %v (prompt_subset %v)", p.img.original, tc.original, p.img.promptSubset)
			}
			if got := p.img.prompt(gen[0]); got != tc.first {
				t.Errorf("first generation prompt %q, want %q", got, tc.first)
			}
			if !strings.Contains(p.dataFile, "#prompts=") {
				t.Errorf("dataFile %q does not key the prompts", p.dataFile)
			}
		})
	}
}

// dataset_params.num_tags and prompts_dir reach the reader; the responses
// key follows the prompts, so another seed (other tags) is another key.
func TestPlanImageDataParams(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "style_prompts.json"), []byte(`{"art_nouveau": "a, b, c, d, e, f"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := planImage(t, "task_params=coco_styles", "+task_params.dataset_params.num_tags=4", "+task_params.dataset_params.prompts_dir="+dir)
	if err != nil {
		t.Fatal(err)
	}
	it := p.img.fit.Items[1]
	tail, _ := strings.CutPrefix(it.Prompt, it.Original+" ")
	if tags := strings.Split(tail, ", "); len(tags) != 4 || tags[0] != "a" || tags[1] != "b" {
		t.Errorf("num_tags=4 from %s: %q, want a, b and two of c–f", dir, it.Prompt)
	}
	a, _ := planImage(t, "task_params=coco_styles")
	b, _ := planImage(t, "task_params=coco_styles")
	c, _ := planImage(t, "task_params=coco_styles", "seed=43")
	if a.dataFile != b.dataFile || a.dataFile == c.dataFile {
		t.Errorf("responses keys: seed 42 %q and %q, seed 43 %q: want equal, then different", a.dataFile, b.dataFile, c.dataFile)
	}
}

// A bad text-to-image data set fails when planned, with one line naming
// what is wrong.
func TestPlanImageDataErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name      string
		overrides []string
		want      []string
	}{
		{"no captions", []string{"task_params=coco_styles", "data_dir=" + empty},
			[]string{"task_params.dataset=coco-captions-styles", filepath.Join(empty, "coco_captions_2017", "captions_train2017.json"), "actsh download coco"}},
		{"no style prompts", []string{"task_params=coco_styles", "+task_params.dataset_params.prompts_dir=" + empty},
			[]string{"style_prompts.json", "not in " + empty, "github.com/apple/ml-act"}},
		{"unknown style", []string{"task_params=coco_styles", "task_params.dst_subsets=[art_noveau]"},
			[]string{`unknown style "art_noveau"`, `did you mean "art_nouveau"`}},
		{"num_tags", []string{"task_params=coco_styles", "+task_params.dataset_params.num_tags=0"},
			[]string{"task_params.dataset_params.num_tags=0"}},
		{"unknown concept", []string{"task_params=coco_concepts", "task_params.src_subsets=[pink_elefant]"},
			[]string{`unknown concept "pink_elefant"`, `did you mean "pink_elephant"`}},
		{"generation concept", []string{"task_params=coco_concepts", "task_params.prompt_subset=[elephant]"},
			[]string{"generation prompts", `unknown concept "no_elephant"`}},
		{"no prompt_subset", []string{"task_params=coco_concepts", "task_params.prompt_subset=null"},
			[]string{"task_params.prompt_subset"}},
		{"no json_path", []string{"task_params=diffusion_prompts", "task_params.dataset_params.json_path=null"},
			[]string{"task_params.dataset_params.json_path", "data/diffusion_prompts.json"}},
		{"json_path missing", []string{"task_params=diffusion_prompts", "data_dir=" + empty},
			[]string{"json_path=data/diffusion_prompts.json: not found", filepath.Join(empty, "diffusion_prompts.json"), "github.com/apple/ml-act"}},
		{"diffusion subset", []string{"task_params=diffusion_prompts", "task_params.dst_subsets=[tree]"},
			[]string{`no subset matches "tree"`, `did you mean "trees"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planImage(t, tc.overrides...)
			if err == nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v: want one line", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}
