package act

import (
	"strings"
	"testing"
)

// cocoKit is testdata/coco, a synthetic data_dir for the text-to-image
// data sets.
const cocoKit = "../testdata/coco"

// The wrappers read the kit and panic with the reader's error.
func TestImagePrompts(t *testing.T) {
	p := COCOStyles(cocoKit, "", "val", 10, 1, "none", "anime")
	if got := p.String(); !strings.HasSuffix(got, `captions_val2017.json: 32 texts (none 16, anime 16); first "A boy throwing a frisbee in a park."`) {
		t.Errorf("String() = %q", got)
	}
	if p.Len() != 32 || len(p.Items()) != 32 || p.Dataset().Len() != 32 || p.Raw() == nil {
		t.Errorf("Len %d, Items %d, Dataset %d", p.Len(), len(p.Items()), p.Dataset().Len())
	}
	if got := COCOConcepts(cocoKit, "", "val", "gorilla", "none").Dataset().Subsets(); len(got) != 2 || got[0] != "gorilla" {
		t.Errorf("concept subsets %v", got)
	}
	if got := DiffusionPrompts(cocoKit + "/diffusion_prompts.json").Len(); got != 16 {
		t.Errorf("diffusion prompts: %d, want 16", got)
	}
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"unknown style", func() { COCOStyles(cocoKit, "", "val", 10, 1, "anim") }, `act: dataset: coco-captions-styles: unknown style "anim" (did you mean "anime"?)`},
		{"no concept file", func() { COCOConcepts(cocoKit, t.TempDir(), "val", "gorilla") }, "act: dataset: coco-captions-concepts needs diffusion_concept_prompts.json"},
		{"no prompts file", func() { DiffusionPrompts("nope.json") }, "nope.json"},
		{"nil", func() { (*ImagePrompts)(nil).Items() }, "act: image prompts are nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := panics(tc.f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("panic %v, want %q", err, tc.want)
			}
		})
	}
	if got := (*ImagePrompts)(nil).String(); got != "act.ImagePrompts(nil)" {
		t.Errorf("nil String() = %q", got)
	}
}
