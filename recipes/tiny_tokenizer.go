//go:build ignore

// Recipe tiny_tokenizer trains the byte-level BPE tokenizer of the
// embedded default model "tiny" on the training split of the corpus that
// recipes/tiny_corpus.go prepares.
//
//	go run recipes/tiny_corpus.go -out tiny_corpus
//	go run recipes/tiny_tokenizer.go -corpus tiny_corpus -out tiny_tokenizer [-vocab 4096]
//
// It writes tokenizer.json and tokenizer_config.json (Hugging Face format,
// GPT-2 layout) and prints the compression (tokens per word, bytes per
// token) on the validation split, checking that decoding gives the text
// back exactly, both with its own encoder and with engine/tokenizer
// reading the written files.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/tiny/bpe"
)

func lines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return out
}

func main() {
	dir := flag.String("corpus", "tiny_corpus", "folder with train.txt and valid.txt")
	out := flag.String("out", "tiny_tokenizer", "output folder")
	vocab := flag.Int("vocab", 4096, "vocabulary size, <|endoftext|> included")
	maxLen := flag.Int("max-length", 256, "model_max_length written to tokenizer_config.json")
	flag.Parse()

	// 1. Count pre-tokenized words over the training split; each record is
	// a document, as the model will see it between <|endoftext|> tokens.
	tr := bpe.NewTrainer()
	for _, l := range lines(filepath.Join(*dir, "train.txt")) {
		tr.Add(l)
	}
	fmt.Printf("distinct words: %d\n", tr.Words())

	// 2. Learn the merges.
	tok, err := tr.Train(bpe.Options{VocabSize: *vocab})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("vocab %d, merges %d\n", len(tok.Vocab), len(tok.Merges))
	if err := tok.WriteFiles(*out, *maxLen); err != nil {
		log.Fatal(err)
	}

	// 3. Measure on the validation split and check, with the project's
	// Hugging Face loader reading the written file, that the ids agree with
	// the trainer's own encoder and decode back to the text.
	hf, err := tokenizer.Load(*out)
	if err != nil {
		log.Fatal(err)
	}
	var nTok, nWords, nBytes int
	for _, l := range lines(filepath.Join(*dir, "valid.txt")) {
		ids := tok.Encode(l)
		if got := hf.Encode(l, true); !slices.Equal(got, ids) {
			log.Fatalf("loader ids differ on %q:\n%v\n%v", l, got, ids)
		}
		if got := hf.Decode(ids, false); got != l {
			log.Fatalf("round trip failed on %q: got %q", l, got)
		}
		nTok += len(ids)
		nWords += len(strings.Fields(l))
		nBytes += len(l)
	}
	train := tok.EncodeDocuments(lines(filepath.Join(*dir, "train.txt")))
	fmt.Printf("train: %d tokens with <|endoftext|> after each record\n", len(train))
	fmt.Printf("valid: %d tokens, %.3f tokens/word, %.2f bytes/token\n", nTok, float64(nTok)/float64(nWords), float64(nBytes)/float64(nTok))
	fmt.Printf("written to %s\n", *out)
}
