//go:build ignore

// Recipe tiny_style fits the style classifier of the image demo (package
// tiny/style): logistic regression on colour and drawing statistics of
// an image, Noto Emoji ("noto") against Twemoji ("twemoji"), fitted on
// the images of the training emoji of tiny/emoji and measured on the
// held-out ones. It then asks the text-to-image model for the held-out
// names in each style (tagged prompts, one seed each) and reports how
// often the classifier sees the style asked for: whether the model draws
// the styles apart in a way the judge can tell.
//
//	go run recipes/tiny_style.go -out tiny_images/style.json -pipeline tiny_images/pipeline
//	go run recipes/tiny_style.go -out style.json -compare tiny/images/data/style.json
//
// It writes -out atomically (the shipped copy is
// tiny/images/data/style.json).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/actsh/actsh/engine/diffusion"
	_ "github.com/actsh/actsh/engine/families"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/tiny/corpus"
	"github.com/actsh/actsh/tiny/emoji"
	"github.com/actsh/actsh/tiny/style"
)

func main() {
	out := flag.String("out", "style.json", "the classifier's JSON (replaced atomically)")
	cache := flag.String("cache", "", "npm tarball cache (default $XDG_CACHE_HOME/actsh/npm)")
	size := flag.Int("size", 32, "image side the classifier works at")
	l2 := flag.Float64("l2", 1, "L2 penalty of the logistic regression")
	pipeline := flag.String("pipeline", "tiny", "text-to-image pipeline whose tagged images are judged (\"\": none)")
	steps := flag.Int("steps", 20, "Euler steps of the judged images")
	guidance := flag.Float64("guidance", 3, "classifier-free guidance of the judged images")
	compare := flag.String("compare", "", "compare the written file with this one (e.g. tiny/images/data/style.json)")
	flag.Parse()
	if *cache == "" {
		d, err := corpus.DefaultCacheDir()
		if err != nil {
			log.Fatal(err)
		}
		*cache = d
	}
	start := time.Now()
	set, err := emoji.Load(*cache, *size)
	if err != nil {
		log.Fatalf("tiny_style: %v", err)
	}
	trainIdx, heldIdx := set.Split()
	images := func(idx []int) ([]image.Image, []int) {
		var im []image.Image
		var l []int
		for _, k := range idx {
			im = append(im, set.RGBA(k))
			l = append(l, set.Images[k].Style)
		}
		return im, l
	}
	ti, tl := images(trainIdx)
	hi, hl := images(heldIdx)
	c, err := style.Train([2]string{emoji.Noto.Name, emoji.Twemoji.Name}, *size, ti, tl, style.Options{L2: *l2})
	if err != nil {
		log.Fatalf("tiny_style: %v", err)
	}
	if c.HeldOutAccuracy, err = c.Accuracy(hi, hl); err != nil {
		log.Fatalf("tiny_style: %v", err)
	}
	c.HeldOutImages = len(hi)
	rng := rand.New(rand.NewPCG(1, 2))
	hd := make([]image.Image, len(hi))
	for i, im := range hi {
		hd[i] = style.Degrade(im, 0.05, rng)
	}
	degraded, err := c.Accuracy(hd, hl)
	if err != nil {
		log.Fatalf("tiny_style: %v", err)
	}
	b, err := c.Marshal()
	if err != nil {
		log.Fatalf("tiny_style: %v", err)
	}
	if err := safetensors.WriteFileAtomic(*out, b, 0o644); err != nil {
		log.Fatalf("tiny_style: %v", err)
	}
	fmt.Printf("style classifier (%s vs %s, %d features, L2 %g): accuracy %.3f on the %d training images and their degraded copies; on the %d held-out images %.3f (%.3f degraded); wrote %s\n",
		c.Styles[0], c.Styles[1], style.NumFeatures, *l2, c.TrainAccuracy, len(ti), len(hi), c.HeldOutAccuracy, degraded, *out)

	if *pipeline != "" {
		p, err := diffusion.Load(context.Background(), *pipeline, diffusion.LoadOptions{})
		if err != nil {
			log.Fatalf("tiny_style: %v", err)
		}
		names := set.Names(true)
		line := fmt.Sprintf("%s draws the %d held-out names (%d steps, guidance %g); the classifier sees the style asked for in", *pipeline, len(names), *steps, *guidance)
		for _, st := range emoji.Styles {
			right := 0
			for from := 0; from < len(names); from += 32 {
				to := min(from+32, len(names))
				prompts := make([]string, 0, to-from)
				seeds := make([]uint64, 0, to-from)
				for i := from; i < to; i++ {
					prompts = append(prompts, emoji.Caption(names[i], st.Name))
					seeds = append(seeds, uint64(i))
				}
				imgs, err := p.Generate(context.Background(), prompts, diffusion.Options{Steps: *steps, Guidance: *guidance, Seeds: seeds})
				if err != nil {
					log.Fatalf("tiny_style: %v", err)
				}
				for _, im := range imgs {
					s, err := c.Score(im, st.Name)
					if err != nil {
						log.Fatalf("tiny_style: %v", err)
					}
					if s > 0.5 {
						right++
					}
				}
			}
			line += fmt.Sprintf(" %d/%d %s", right, len(names), st.Name)
		}
		fmt.Println(line)
	}
	if *compare != "" {
		want, err := os.ReadFile(*compare)
		if err != nil {
			log.Fatalf("tiny_style: %v", err)
		}
		if bytes.Equal(want, b) {
			fmt.Printf("vs %s: identical\n", *compare)
		} else {
			fmt.Printf("vs %s: differs\n", *compare)
		}
	}
	fmt.Printf("done in %s\n", time.Since(start).Round(time.Second))
}
