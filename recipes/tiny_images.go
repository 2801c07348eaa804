//go:build ignore

// Recipe tiny_images is the image demo of the embedded text-to-image model
// "tiny": the paper's style control (Figure 6) offline, on 32×32 emoji.
// For each of the two styles the model was trained on (Noto Emoji and
// Twemoji), it fits Linear-AcT from the untagged prompts of the training
// emoji ("grinning face") to the same prompts tagged with the style
// ("grinning face, noto style"), on the text encoder's final layer norm
// (the text states the UNet attends to; mean-pooled; package
// tiny/imagedemo says why not the UNet's norms, as
// recipes/diffusion_styles.go steers SDXL), then draws 16 held-out emoji
// from their untagged names at λ = 0, 0.25, 0.5, 0.75, 1 with fixed
// seeds, and measures each image with the style classifier shipped with
// the model: its probability of the style should rise with λ.
//
//	go run recipes/tiny_images.go                   # about 2 minutes on 2 cores
//	go run recipes/tiny_images.go -show 8 -fit 400  # a quicker look
//
// It prints the classifier's held-out accuracy, the mean score per style
// and λ, and writes -out/<style>.png (a row per emoji, a column per λ)
// and -out/grid.png (both styles, the first -grid-rows emoji each).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	. "github.com/actsh/actsh/act"
	"github.com/actsh/actsh/tiny/imagedemo"
	"github.com/actsh/actsh/tiny/images"
)

func main() {
	out := flag.String("out", "tiny-images-demo", "folder for the grids")
	show := flag.Int("show", 16, "held-out emoji drawn per style")
	fit := flag.Int("fit", 0, "training emoji the maps are fitted on (0: all)")
	lambdas := flag.String("lambdas", "0,0.25,0.5,0.75,1", "strengths λ")
	steps := flag.Int("steps", 20, "Euler steps")
	guidance := flag.Float64("guidance", 3, "classifier-free guidance scale")
	seed := flag.Uint64("seed", 1, "noise seed of the first emoji (the i-th gets seed+i, the same at every λ)")
	points := flag.String("points", "text_encoder.text_model.final_layer_norm", "steered points (a pattern; unet.*norm.* is the UNet's norms)")
	zoom := flag.Int("zoom", 3, "pixels per image pixel in the grids")
	gridRows := flag.Int("grid-rows", 6, "emoji per style in grid.png")
	flag.Parse()

	start := time.Now()
	var ls []float64
	for _, f := range strings.Split(*lambdas, ",") {
		l, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			log.Fatalf("tiny_images: -lambdas: %v", err)
		}
		ls = append(ls, l)
	}
	p := LoadImagePipeline("tiny")
	fmt.Println(p)
	c, err := images.Classifier()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("judge: %s vs %s classifier, accuracy %.3f on %d held-out images (%.3f on training)\n",
		c.Styles[0], c.Styles[1], c.HeldOutAccuracy, c.HeldOutImages, c.TrainAccuracy)
	rs := imagedemo.Run(p, c, imagedemo.Options{Lambdas: ls, FitNames: *fit, Show: *show, Steps: *steps,
		Guidance: *guidance, Seed: *seed, Points: *points})
	fmt.Printf("\nmean P(style | image) over %d held-out emoji drawn from their untagged names:\n", len(rs[0].Names))
	fmt.Print(imagedemo.Report(rs))
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	var rows []*Image
	for _, r := range rs {
		path := filepath.Join(*out, r.Style+".png")
		r.Grid(*zoom).Save(path)
		fmt.Printf("wrote %s (%s)\n", path, strings.Join(r.Names, ", "))
		n := min(*gridRows, len(r.Images))
		for i := range n {
			rows = append(rows, r.Images[i*len(r.Images)/n]...) // spread over the emoji shown
		}
	}
	all := make([]*Image, len(rows))
	for i, im := range rows {
		all[i] = imagedemo.Scale(im, *zoom)
	}
	Grid(len(ls), all...).Save(filepath.Join(*out, "grid.png"))
	fmt.Printf("wrote %s (rows: %d emoji towards %s, then towards %s; columns: λ)\n", filepath.Join(*out, "grid.png"),
		min(*gridRows, len(rs[0].Images)), rs[0].Style, rs[len(rs)-1].Style)
	fmt.Printf("done in %s\n", time.Since(start).Round(time.Second))
}
