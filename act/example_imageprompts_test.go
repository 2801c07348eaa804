package act_test

import (
	"fmt"

	. "github.com/actsh/actsh/act"
)

// The paper's style induction learns from COCO captions ("none") to the
// same captions with a style's tags; testdata/coco is a synthetic kit laid
// out as a data directory, with our own style_prompts.json. With 4 tags a
// styled caption gets the style's first two tags and two of the others,
// drawn with the seed.
func ExampleCOCOStyles() {
	p := COCOStyles("../testdata/coco", "", "train", 4, 42, "none", "sketch")
	for _, it := range p.Items()[:2] {
		fmt.Printf("%d %s: %s\n", it.ID, it.Subset, it.Prompt)
	}
	fmt.Println(p.Dataset().Subsets(), p.Len())
	// Output:
	// 1001 none: A red bicycle leaning against a brick wall.
	// 1053 sketch: Two dogs running across a grassy park. sketch, graphite_pencil, paper_texture, monochrome
	// [none sketch] 64
}

// Concept removal prompts with "no_<concept>": the caption and a phrase
// saying the concept is absent.
func ExampleCOCOConcepts() {
	p := COCOConcepts("../testdata/coco", "", "val", "no_pink_elephant")
	fmt.Println(p.Items()[0].Prompt)
	// Output: A boy throwing a frisbee in a park. with no pink elephant anywhere.
}

// diffusion-prompts reads {"subset": [prompts]}; patterns pick subsets.
func ExampleDiffusionPrompts() {
	p := DiffusionPrompts("../testdata/coco/diffusion_prompts.json", "*trees")
	fmt.Println(p)
	// Output: ../testdata/coco/diffusion_prompts.json: 12 texts (no_trees 6, trees 6); first "A narrow road crossing a flat, empty plain."
}
