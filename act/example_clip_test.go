package act_test

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"

	. "github.com/actsh/actsh/act"
)

// Load the tiny CLIPModel the tests ship (random weights: the numbers
// exercise the formulas, not what the pictures show) and judge two
// pictures: ml-act's zero-shot score of a concept (near 0.5: raw cosines
// in a two-way softmax), the cosine of each picture with its prompt, and
// the DirectionalSimilarity columns of the second against the first.
func ExampleLoadCLIP() {
	c := LoadCLIP("../testdata/clip/model")
	pic := func(r, g, b uint8) image.Image {
		img := image.NewNRGBA(image.Rect(0, 0, 48, 32))
		for y := range 32 {
			for x := range 48 {
				img.SetNRGBA(x, y, color.NRGBA{r + uint8(x), g + uint8(y), b, 255})
			}
		}
		return img
	}
	imgs := []image.Image{pic(10, 200, 40), pic(200, 30, 90)}
	fmt.Println(len(c.EmbedTexts([]string{"a photo of a dog."})[0]), "units per embedding")
	fmt.Printf("zero-shot %.3f\n", c.ZeroShot(imgs, "red_dog"))
	fmt.Printf("ClipScore %.3f\n", c.ClipScore(imgs, []string{"a photo of a dog.", "a photo of a red dog."}))
	s := c.Compare(imgs[0], imgs, "a photo of a dog.", []string{"a photo of a dog.", "a photo of a red dog."}, "red_dog")
	fmt.Printf("image similarity %.3f, directional %.3f\n", s[1].ImageSimilarity, s[1].DirectionalSimilarity)
	// Output:
	// 24 units per embedding
	// zero-shot [0.539 0.492]
	// ClipScore [-0.164 -0.019]
	// image similarity -0.243, directional -0.307
}

// Read back what a text-to-image run's clip_score step measured (here a
// small clip_score.csv in the step's layout: two captions at λ = 0 and 1)
// and tabulate the paper's two measures per strength: the zero-shot score
// of the style and the ClipScore with the unstyled caption.
func ExampleReadCLIPScores() {
	dir, err := os.MkdirTemp("", "clip-score")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	csv := `,id,original_prompt,conditional_prompt,strength,image_path,text_similarity,image_similarity,conditional_similarity,unconditional_similarity,directional_similarity,conditional_zero_shot_score
0,1,A boat.,"A boat, watercolor",0.0,a/0.000_0.000/1.png,0.9,1.0,0.28,0.31,0.0,0.48
1,1,A boat.,"A boat, watercolor",1.0,a/1.000_0.000/1.png,0.9,0.7,0.3,0.27,0.12,0.56
2,2,A lake.,"A lake, watercolor",0.0,a/0.000_0.000/2.png,0.8,1.0,0.25,0.29,0.0,0.5
3,2,A lake.,"A lake, watercolor",1.0,a/1.000_0.000/2.png,0.8,0.6,0.29,0.25,0.15,0.58
`
	os.MkdirAll(filepath.Join(dir, "calculate_clip_score"), 0o755)
	os.WriteFile(filepath.Join(dir, "calculate_clip_score", "clip_score.csv"), []byte(csv), 0o644)

	rows := ReadCLIPScores(dir) // dir: the run's results_dir
	fmt.Println(len(rows), "images;", rows[1].ConditionalPrompt, "at λ =", rows[1].Strength)
	s := NewCLIPSweep(rows)
	fmt.Println("zero-shot at λ = 1:", s.ZeroShot[1])
	fmt.Print(s.Markdown())
	// Output:
	// 4 images; A boat, watercolor at λ = 1
	// zero-shot at λ = 1: [0.56 0.58]
	// | λ | zero-shot | ClipScore | n |
	// |---:|---:|---:|---:|
	// | 0 | 0.490 ± 0.010 | 0.300 ± 0.010 | 2 |
	// | 1 | 0.570 ± 0.010 | 0.260 ± 0.010 | 2 |
}
