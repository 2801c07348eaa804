//go:build ignore

// Recipe tiny_train trains the embedded default model "tiny": a small
// GPT-2 (GPT2LMHeadModel layout) from scratch on the corpus that
// recipes/tiny_corpus.go prepares, tokenized with tiny/data/tokenizer,
// with a fixed seed, on GoMLX (the pure-Go backend, or XLA when present).
//
//	go run recipes/tiny_corpus.go -out tiny_corpus
//	go run recipes/tiny_train.go -corpus tiny_corpus -out tiny_model
//
// The defaults are the shipped model's run: 4 layers, 256 wide, 8 heads,
// 128 positions, 3000 steps of 16 windows (6.1M tokens), peak learning
// rate 2e-3, seed 1. It trains on the engine's backend: without a GPU
// plugin, actsh's CPU backend (engine/cpu), deterministic for a given
// build, which made the shipped weights; set GOMLX_BACKEND=xla:cuda to
// train on a GPU (rounding differently: a model of the same quality, not
// the same bits).
//
// It prints the training loss every -log-every steps and the validation
// perplexity every -eval-every steps and at the end, then writes a Hugging
// Face folder (config.json, generation_config.json, model.safetensors,
// tokenizer.json, tokenizer_config.json) atomically: an interrupted run
// (Ctrl-C) writes nothing. Finally it loads the folder with engine.Load
// and checks that its logits match the trained model's. With -compare DIR
// it then compares the weights with another model folder, e.g. the
// shipped tiny/data/model, saying whether a rebuild is bit-identical.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/actsh/actsh/engine"
	_ "github.com/actsh/actsh/engine/gpt2"
	"github.com/actsh/actsh/tiny/bpe"
	"github.com/actsh/actsh/tiny/train"
)

func lines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out, sc.Err()
}

func main() {
	def := train.DefaultConfig()
	corpusDir := flag.String("corpus", "tiny_corpus", "folder with train.txt and valid.txt (recipes/tiny_corpus.go)")
	tokDir := flag.String("tokenizer", "tiny/data/tokenizer", "folder with tokenizer.json and tokenizer_config.json")
	out := flag.String("out", "tiny_model", "output folder (replaced atomically)")
	steps := flag.Int("steps", 3000, "optimizer steps (about 1 s each at batch 16 on 2 cores: 3000 ≈ 50-60 minutes)")
	batch := flag.Int("batch", 16, "sequences per step")
	positions := flag.Int("positions", def.Positions, "n_positions: tokens per training sequence")
	embd := flag.Int("embd", def.Embd, "n_embd")
	layers := flag.Int("layers", def.Layers, "n_layer")
	heads := flag.Int("heads", def.Heads, "n_head")
	lr := flag.Float64("lr", 2e-3, "peak AdamW learning rate")
	seed := flag.Uint64("seed", 1, "seed of the initialisation and the batches")
	evalEvery := flag.Int("eval-every", 250, "validation perplexity every so many steps (and at the end)")
	evalBatches := flag.Int("eval-batches", 8, "validation batches per evaluation")
	logEvery := flag.Int("log-every", 50, "print the training loss every so many steps")
	stopAfter := flag.Int("stop-after", 0, "stop after so many steps of the -steps schedule and write nothing: a quick rebuild check whose loss lines must equal the shipped train.log's")
	compare := flag.String("compare", "", "after training, compare the weights with this model folder (e.g. tiny/data/model for a rebuild)")
	flag.Parse()
	if flag.NArg() > 0 {
		log.Fatalf("tiny_train: unexpected arguments %v", flag.Args())
	}
	if *logEvery <= 0 {
		log.Fatalf("tiny_train: -log-every must be positive, got %d", *logEvery)
	}

	// 1. Tokenize the corpus splits into document streams.
	tj, err := os.ReadFile(filepath.Join(*tokDir, "tokenizer.json"))
	if err != nil {
		log.Fatalf("tiny_train: %v", err)
	}
	tok, err := bpe.ParseTokenizerJSON(tj)
	if err != nil {
		log.Fatalf("tiny_train: %v", err)
	}
	stream := func(name string) []int32 {
		ls, err := lines(filepath.Join(*corpusDir, name))
		if err != nil {
			log.Fatalf("tiny_train: %v (make the corpus with recipes/tiny_corpus.go)", err)
		}
		return tok.EncodeDocuments(ls)
	}
	t0 := time.Now()
	trainIDs, validIDs := stream("train.txt"), stream("valid.txt")
	fmt.Printf("tokens: train %d, valid %d (%.1fs)\n", len(trainIDs), len(validIDs), time.Since(t0).Seconds())

	// 2. Build the model.
	cfg := train.Config{Vocab: len(tok.Vocab), Positions: *positions, Embd: *embd,
		Layers: *layers, Heads: *heads, EOS: len(tok.Vocab) - 1}
	var tokensSeen int
	opts := train.Options{Model: cfg, Steps: *steps, Batch: *batch, LR: *lr, Seed: *seed,
		EvalEvery: *evalEvery, EvalBatches: *evalBatches}
	start := time.Now()
	opts.Log = func(p train.Progress) {
		tokensSeen += *batch * *positions
		if p.Step%*logEvery != 0 && p.PPL == 0 && p.Step != *steps {
			return
		}
		el := time.Since(start).Seconds()
		line := fmt.Sprintf("step %5d  loss %.4f  lr %.2e  %.2f steps/s  %.0f tok/s", p.Step, p.Loss, p.LR,
			float64(p.Step)/el, float64(tokensSeen)/el)
		if p.PPL > 0 {
			line += fmt.Sprintf("  valid loss %.4f  ppl %.2f", p.Valid, p.PPL)
		}
		fmt.Println(line)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *stopAfter > 0 {
		logStep := opts.Log
		opts.Log = func(p train.Progress) {
			logStep(p)
			if p.Step >= *stopAfter {
				cancel()
			}
		}
	}
	tr, err := train.New(opts)
	if err != nil {
		log.Fatalf("tiny_train: %v", err)
	}
	_, backend, _ := engine.Backend()
	fmt.Printf("model: %d layers, %d wide, %d heads, %d positions, vocab %d: %d parameters; backend %s\n",
		cfg.Layers, cfg.Embd, cfg.Heads, cfg.Positions, cfg.Vocab, cfg.NumParams(), backend)
	fmt.Printf("run: %d steps × %d × %d = %d tokens (%.2f epochs)\n", *steps, *batch, *positions,
		*steps**batch**positions, float64(*steps**batch**positions)/float64(len(trainIDs)))

	// 3. Train and save; Ctrl-C (or -stop-after) stops without writing.
	start = time.Now()
	p, err := train.TrainAndSave(ctx, tr, trainIDs, validIDs, *out, *tokDir)
	if *stopAfter > 0 && p.Step >= *stopAfter {
		fmt.Printf("stopped after %d steps (-stop-after); nothing written\n", p.Step)
		return
	}
	if err != nil {
		log.Fatalf("tiny_train: %v", err)
	}
	el := time.Since(start)
	fmt.Printf("done: %d steps in %s (%.3f steps/s, %.0f tokens/s); final train loss %.4f, valid loss %.4f, ppl %.2f\n",
		p.Step, el.Round(time.Second), float64(p.Step)/el.Seconds(), float64(tokensSeen)/el.Seconds(), p.Loss, p.Valid, p.PPL)

	// 4. Check the written folder through the real loading path.
	m, err := engine.Load(ctx, *out, engine.LoadOptions{})
	if err != nil {
		log.Fatalf("tiny_train: %v", err)
	}
	row := validIDs[:min(32, *positions)]
	want, err := tr.Logits([][]int32{row})
	if err != nil {
		log.Fatalf("tiny_train: %v", err)
	}
	ids := make([]int, len(row))
	for i, id := range row {
		ids[i] = int(id)
	}
	got, err := m.Forward(ctx, [][]int{ids}, engine.ForwardOptions{})
	if err != nil {
		log.Fatalf("tiny_train: %v", err)
	}
	var maxDiff float64
	for i := range want[0] {
		for v := range want[0][i] {
			maxDiff = math.Max(maxDiff, math.Abs(float64(want[0][i][v]-got.Logits[0][i][v])))
		}
	}
	fmt.Printf("wrote %s; engine.Load logits vs training: max |Δ| %.2g\n", *out, maxDiff)
	if maxDiff > 1e-4 {
		log.Fatalf("tiny_train: loaded model differs from the trained one by %.3g (> 1e-4)", maxDiff)
	}
	if *compare != "" {
		d, err := train.CompareWeights(*compare, *out)
		if err != nil {
			log.Fatalf("tiny_train: -compare: %v", err)
		}
		fmt.Printf("weights vs %s: %s\n", *compare, d)
	}
}
