package tiny

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
)

// The demo datasets and scorers written by recipes/tiny_concepts.go.
//
//go:embed data/concepts/*.json
var concepts embed.FS

// ConceptFiles returns the embedded tiny/data/concepts folder: per concept
// "<concept>.json" (json-subsets {"<concept>": [...], "none": [...]}) and
// "<concept>.lexicon.json", the religion register pair and its classifier,
// and summary.json. Package tiny/demo reads them; see tiny/data/README.md.
func ConceptFiles() fs.FS { return sub(concepts, "data/concepts") }

// The training split's vocabulary written by recipes/tiny_corpus.go.
//
//go:embed data/vocab.txt
var vocab string

// Vocabulary returns the words of the corpus's training split seen at
// least 3 times (lower case, sorted; corpus.Vocabulary), one string per
// word. The demos measure how much of the model's text is real English by
// the share of its words in this list.
func Vocabulary() []string { return strings.Fields(vocab) }

// The sentence pool written by recipes/tiny_concepts.go.
//
//go:embed data/sentences.txt.gz
var sentencesGz []byte

// Sentences returns the sentence pool: 60,000 sentences of 6 to 40 words
// sampled (with a fixed seed) from the running text of the corpus's
// training split (Brown, State of the Union, Moby Dick, King James Bible).
// tiny/demo draws the data set of a new concept from it. The slice is
// decoded once and shared: do not modify it.
func Sentences() []string {
	sentencesOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(sentencesGz))
		if err != nil { // cannot happen: the file is part of the build
			panic(fmt.Sprintf("tiny: sentences.txt.gz: %v", err))
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			panic(fmt.Sprintf("tiny: sentences.txt.gz: %v", err))
		}
		sentences = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	})
	return sentences
}

var (
	sentencesOnce sync.Once
	sentences     []string
)
