package imagedemo_test

import (
	"fmt"

	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/tiny/imagedemo"
	"github.com/actsh/actsh/tiny/images"
)

// The image demo in a few lines: steer the embedded emoji model towards
// each style and print the judge's mean score per λ (recipes/tiny_images.go
// is the full run).
func Example() {
	p := act.LoadImagePipeline(images.Name)
	c, err := images.Classifier()
	if err != nil {
		panic(err)
	}
	rs := imagedemo.Run(p, c, imagedemo.Options{Show: 8})
	fmt.Print(imagedemo.Report(rs))
	rs[0].Grid(3).Save("noto.png")
}
