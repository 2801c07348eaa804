//go:build ignore

// Recipe tiny_image_train trains the embedded text-to-image model "tiny"
// (act.LoadImagePipeline("tiny")) from scratch:
//
//  1. the data: the 1,911 emoji of emoji-datasource-google (Noto Emoji,
//     Apache-2.0) and emoji-datasource-twitter (Twemoji, CC-BY-4.0), npm
//     packages pinned by version and sha512 (tiny/emoji), composited on
//     white and box-averaged to -size pixels; captions are the emoji's
//     Unicode name in lower case, alone or followed by ", noto style" /
//     ", twemoji style"; about a tenth of the emoji are held out;
//
//  2. the model (tiny/imagetrain): a UNet2DConditionModel on RGB pixels
//     conditioned on a 2-layer CLIPTextModel trained with it, by
//     rectified flow (x_t = (1 − t)·x₀ + t·ε, predict ε − x₀), captions
//     dropped 10% of the time (classifier-free guidance) and untagged
//     30%, AdamW, an exponential moving average of the weights, seed 1;
//     the tokenizer (-tokenizer) is the embedded language model's first
//     byte-level BPE (4,096 tokens; tiny/data/tokenizer as of f7f86b6),
//     shipped with the pipeline;
//
// recipes/tiny_style.go then fits the style classifier of the demo.
//
//	go run recipes/tiny_image_train.go -out tiny_images
//	go run recipes/tiny_image_train.go -out tiny_images -compare tiny/images/data
//
// It writes -out/pipeline (a diffusers-layout PixelFlowPipeline folder:
// model_index.json, scheduler/, text_encoder/, tokenizer/, unet/) and
// -out/names.json (the training and held-out emoji names, for the
// demos), each atomically, prints a log (the shipped one is
// tiny/images/data/train.log), loads the folder back through
// engine/diffusion and checks that it predicts what the trainer does, and
// draws the first held-out names in both styles into -out/samples.png.
// With -compare DIR it compares every weight with DIR/pipeline's.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/diffusion"
	_ "github.com/actsh/actsh/engine/families"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/engine/unet"
	"github.com/actsh/actsh/tiny/corpus"
	"github.com/actsh/actsh/tiny/emoji"
	"github.com/actsh/actsh/tiny/imagetrain"
)

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			log.Fatalf("tiny_image_train: %q is not a list of integers", s)
		}
		out = append(out, n)
	}
	return out
}

func main() {
	def := imagetrain.DefaultConfig()
	out := flag.String("out", "tiny_images", "output folder: pipeline/ and names.json (each replaced atomically), samples.png")
	cache := flag.String("cache", "", "npm tarball cache (default $XDG_CACHE_HOME/actsh/npm)")
	tokDir := flag.String("tokenizer", "tiny/images/data/pipeline/tokenizer", "folder with tokenizer.json (the shipped copy of the language model's first byte-level BPE)")
	size := flag.Int("size", def.UNet.SampleSize, "image side in pixels (a divisor of 64)")
	channels := flag.String("channels", "32,64,64", "block_out_channels of the UNet")
	attn := flag.String("attn", "0,1,1", "per level: cross-attention (1) or not (0)")
	heads := flag.String("heads", "1,2,2", "attention heads per level")
	groups := flag.Int("groups", def.UNet.NormGroups, "norm_num_groups")
	textHidden := flag.Int("text-hidden", def.Text.Hidden, "text encoder width (the UNet's cross_attention_dim)")
	textLayers := flag.Int("text-layers", def.Text.Layers, "text encoder layers")
	positions := flag.Int("positions", 36, "text encoder positions: every caption is padded to it")
	steps := flag.Int("steps", 2400, "optimizer steps")
	batch := flag.Int("batch", 16, "images per step")
	lr := flag.Float64("lr", 1e-3, "peak AdamW learning rate")
	ema := flag.Float64("ema", 0.999, "decay of the weights' moving average (negative: none)")
	seed := flag.Uint64("seed", 1, "seed of the initialisation, batches, times and noise")
	evalEvery := flag.Int("eval-every", 200, "validation loss every so many steps (and at the end)")
	evalBatches := flag.Int("eval-batches", 8, "validation batches per evaluation")
	logEvery := flag.Int("log-every", 50, "print the training loss every so many steps")
	genSteps := flag.Int("gen-steps", 20, "Euler steps of the check images")
	guidance := flag.Float64("guidance", 3, "classifier-free guidance of the check images")
	checkpointEvery := flag.Int("checkpoint-every", 0, "also save the pipeline to -out/checkpoint every so many steps (0: never)")
	compare := flag.String("compare", "", "after training, compare the weights with this output folder (e.g. tiny/images/data for a rebuild)")
	flag.Parse()
	if flag.NArg() > 0 {
		log.Fatalf("tiny_image_train: unexpected arguments %v", flag.Args())
	}
	if *cache == "" {
		d, err := corpus.DefaultCacheDir()
		if err != nil {
			log.Fatal(err)
		}
		*cache = d
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// 1. The data.
	t0 := time.Now()
	set, err := emoji.Load(*cache, *size)
	if err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}
	trainIdx, heldIdx := set.Split()
	fmt.Printf("data: %d emoji × %d styles at %d×%d: %d training images, %d held out (%d emoji) (%.1fs)\n",
		len(set.Emoji), len(emoji.Styles), *size, *size, len(trainIdx), len(heldIdx), len(heldIdx)/len(emoji.Styles), time.Since(t0).Seconds())
	for _, st := range emoji.Styles {
		fmt.Printf("  %-8s %s (%s; images %s)\n", st.Name, st.Source.Spec(), st.Source.Integrity[:20]+"…", st.ImageLicense)
	}
	tj, err := os.ReadFile(filepath.Join(*tokDir, "tokenizer.json"))
	if err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}
	tok, err := tokenizer.Parse(tj, nil)
	if err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}
	eos, ok := tok.TokenToID("<|endoftext|>")
	if !ok {
		log.Fatalf("tiny_image_train: %s has no <|endoftext|>", *tokDir)
	}
	samples := func(idx []int) []imagetrain.Sample {
		out := make([]imagetrain.Sample, len(idx))
		for i, k := range idx {
			im := set.Images[k]
			name := set.Emoji[im.Emoji].Name
			out[i] = imagetrain.Sample{Pixels: im.Pixels, Name: name, Tagged: emoji.Caption(name, emoji.Styles[im.Style].Name)}
		}
		return out
	}
	train, valid := samples(trainIdx), samples(heldIdx)
	longest := 0
	for _, s := range train {
		longest = max(longest, len(tok.Encode(s.Tagged, false)))
	}
	// The held-out images in a fixed shuffled order, so that validation
	// batches mix styles and emoji.
	rand.New(rand.NewPCG(*seed, 7)).Shuffle(len(valid), func(i, j int) { valid[i], valid[j] = valid[j], valid[i] })

	// 2. The model.
	cfg := imagetrain.Config{
		UNet: imagetrain.UNetConfig{SampleSize: *size, Channels: 3, BlockOutChannels: ints(*channels), LayersPerBlock: 1,
			Heads: ints(*heads), NormGroups: *groups},
		Text: imagetrain.TextConfig{Vocab: tok.VocabSize(), Hidden: *textHidden, Layers: *textLayers, Heads: 2,
			Intermediate: 4 * *textHidden, Positions: *positions, EOS: eos},
	}
	for _, a := range ints(*attn) {
		cfg.UNet.CrossAttn = append(cfg.UNet.CrossAttn, a != 0)
	}
	nt, nu := cfg.NumParams()
	fmt.Printf("model: UNet block_out_channels %v, cross-attention %v, heads %v: %d parameters; CLIPTextModel %d layers × %d, vocab %d, %d positions: %d parameters (%.1f MB in float32)\n",
		cfg.UNet.BlockOutChannels, cfg.UNet.CrossAttn, cfg.UNet.Heads, nu, cfg.Text.Layers, cfg.Text.Hidden, cfg.Text.Vocab, cfg.Text.Positions, nt, float64(4*(nt+nu))/1e6)
	fmt.Printf("captions: longest %d tokens (+1 <|endoftext|>, padded to %d)\n", longest, cfg.Text.Positions)
	if longest+1 > cfg.Text.Positions {
		log.Fatalf("tiny_image_train: -positions %d cannot hold the longest caption (%d tokens and <|endoftext|>)", cfg.Text.Positions, longest)
	}
	start := time.Now()
	opts := imagetrain.Options{Model: cfg, Encode: func(s string) []int { return tok.Encode(s, false) },
		Steps: *steps, Batch: *batch, LR: *lr, EMA: *ema, Seed: *seed, EvalEvery: *evalEvery, EvalBatches: *evalBatches,
		Log: func(p imagetrain.Progress) {
			if p.Step%*logEvery != 0 && p.Valid == 0 && p.Step != *steps {
				return
			}
			el := time.Since(start).Seconds()
			line := fmt.Sprintf("step %5d  loss %.4f  |g| %.2f  lr %.2e  %.3f steps/s  %.1f img/s", p.Step, p.Loss, p.Norm, p.LR,
				float64(p.Step)/el, float64(p.Step**batch)/el)
			if p.Valid > 0 {
				line += fmt.Sprintf("  valid %.4f", p.Valid)
				if p.ValidEMA > 0 {
					line += fmt.Sprintf("  valid(ema) %.4f", p.ValidEMA)
				}
			}
			fmt.Println(line)
		}}
	if *checkpointEvery > 0 {
		opts.After = func(t *imagetrain.Trainer, p imagetrain.Progress) error {
			if p.Step%*checkpointEvery != 0 || p.Step == *steps {
				return nil
			}
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return err
			}
			return t.Save(filepath.Join(*out, "checkpoint"), tj)
		}
	}
	tr, err := imagetrain.New(opts)
	if err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}
	fmt.Printf("run: %d steps × %d images = %d (%.1f epochs), lr %g, ema %g, seed %d\n", *steps, *batch, *steps**batch,
		float64(*steps**batch)/float64(len(train)), *lr, *ema, *seed)
	start = time.Now()
	last, err := tr.Run(ctx, train, valid)
	if err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}
	el := time.Since(start)
	fmt.Printf("done: %d steps in %s (%.3f steps/s, %.1f img/s); final loss %.4f, valid %.4f, valid(ema) %.4f\n",
		last.Step, el.Round(time.Second), float64(last.Step)/el.Seconds(), float64(last.Step**batch)/el.Seconds(), last.Loss, last.Valid, last.ValidEMA)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}
	pipeDir := filepath.Join(*out, "pipeline")
	if err := tr.Save(pipeDir, tj); err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}

	// 3. Load it back the way users do and check it predicts the same.
	p, err := diffusion.LoadPixelFlow(pipeDir, pipeDir, os.DirFS(pipeDir))
	if err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}
	if d, err := checkLoaded(tr, p, valid[:4]); err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	} else {
		fmt.Printf("wrote %s; the engine's UNet on the trained text states vs the trainer: max |Δ| %.2g\n", pipeDir, d)
	}

	// The emoji names, for the demos (which run offline, without the
	// images).
	nb, err := json.MarshalIndent(map[string][]string{"train": set.Names(false), "held_out": set.Names(true)}, "", " ")
	if err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}
	if err := safetensors.WriteFileAtomic(filepath.Join(*out, "names.json"), append(nb, '\n'), 0o644); err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}

	// 4. A look at what it draws: the first 12 held-out names in each
	// style, one seed each (recipes/tiny_style.go measures the styles).
	names := set.Names(true)[:12]
	var sheet []image.Image
	for _, st := range emoji.Styles {
		prompts := make([]string, len(names))
		seeds := make([]uint64, len(names))
		for i, n := range names {
			prompts[i] = emoji.Caption(n, st.Name)
			seeds[i] = uint64(i)
		}
		imgs, err := p.Generate(ctx, prompts, diffusion.Options{Steps: *genSteps, Guidance: *guidance, Seeds: seeds})
		if err != nil {
			log.Fatalf("tiny_image_train: %v", err)
		}
		for _, im := range imgs {
			sheet = append(sheet, im)
		}
	}
	if err := writeSheet(filepath.Join(*out, "samples.png"), sheet, len(names)); err != nil {
		log.Fatalf("tiny_image_train: %v", err)
	}
	fmt.Printf("wrote %s/samples.png (the first %d held-out names, noto then twemoji; %d steps, guidance %g)\n", *out, len(names), *genSteps, *guidance)
	if *compare != "" {
		d, err := imagetrain.Compare(*compare, *out)
		if err != nil {
			log.Fatalf("tiny_image_train: -compare: %v", err)
		}
		fmt.Printf("vs %s: %s\n", *compare, d)
	}
}

// checkLoaded runs the loaded pipeline's UNet on the trainer's text
// states and the trainer's batch and returns the largest difference from
// the trainer's own prediction.
func checkLoaded(tr *imagetrain.Trainer, p *diffusion.PixelFlow, s []imagetrain.Sample) (float64, error) {
	b, err := tr.MakeBatch(s, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		return 0, err
	}
	want, states, err := tr.Predict(b, true)
	if err != nil {
		return 0, err
	}
	c := tr.Config()
	res, err := p.UNet().Run(unet.Inputs{Sample: b.XT, Timestep: b.Timesteps,
		EncoderHiddenStates: tensors.FromFlatDataAndDimensions(states, len(s), c.Text.Positions, c.Text.Hidden)}, unet.Options{})
	if err != nil {
		return 0, err
	}
	got := tensors.MustCopyFlatData[float32](res.Sample)
	d := 0.0
	for i := range want {
		d = math.Max(d, math.Abs(float64(want[i]-got[i])))
	}
	if d > 1e-4 {
		return d, fmt.Errorf("the loaded UNet differs from the trained one by %.3g (> 1e-4)", d)
	}
	return d, nil
}

// writeSheet lays images out in rows of cols, 2 pixels apart, on white.
func writeSheet(path string, imgs []image.Image, cols int) error {
	if len(imgs) == 0 {
		return nil
	}
	w, h := imgs[0].Bounds().Dx(), imgs[0].Bounds().Dy()
	rows := (len(imgs) + cols - 1) / cols
	out := image.NewNRGBA(image.Rect(0, 0, cols*(w+2)+2, rows*(h+2)+2))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for i, im := range imgs {
		x, y := 2+(i%cols)*(w+2), 2+(i/cols)*(h+2)
		draw.Draw(out, image.Rect(x, y, x+w, y+h), im, im.Bounds().Min, draw.Src)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return err
	}
	return safetensors.WriteFileAtomic(path, buf.Bytes(), 0o644)
}
