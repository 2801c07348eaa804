package act_test

import (
	"fmt"
	"image"
	"image/color"

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
