package tokenizer_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/actsh/actsh/engine/tokenizer"
)

// A minimal byte-level BPE tokenizer.json: four tokens, one merge, a BOS template.
const tokenizerJSON = `{
  "added_tokens": [{"id": 0, "content": "<s>", "special": true}],
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}],
    "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}},
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "vocab": {"<s>": 0, "h": 1, "i": 2, "hi": 3, "Ġ": 4},
    "merges": ["h i"]}
}`

func ExampleParse() {
	tok, err := tokenizer.Parse([]byte(tokenizerJSON), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("hi hi", true)
	fmt.Println(ids)
	fmt.Printf("%q %q\n", tok.Decode(ids, false), tok.Decode(ids, true))
	fmt.Println(tok)
	// Output:
	// [0 3 4 3]
	// "<s>hi hi" "hi hi"
	// BPE tokenizer, 5 tokens, bos "<s>" (0)
}

func ExampleLoad() {
	dir, err := os.MkdirTemp("", "tokenizer-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	// A checkpoint folder: tokenizer.json and, optionally, tokenizer_config.json.
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(tokenizerJSON), 0o644)
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"eos_token": "<s>"}`), 0o644)
	tok, err := tokenizer.Load(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	eos, _ := tok.EOS()
	fmt.Println(tok.Encode("hi", false), eos)
	_, err = tokenizer.Load(os.TempDir())
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output:
	// [3] 0
	// true
}

func ExampleLoadSentencePiece() {
	// FLUX.1's tokenizer_2 folder, in the tiny pipeline's version: T5's
	// spiece.model with tokenizer_config.json and special_tokens_map.json.
	tok, err := tokenizer.LoadSentencePiece("../../testdata/flux-tiny/tokenizer_2")
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("A watercolor painting of the sea", true)
	fmt.Println(ids)
	fmt.Printf("%q\n", tok.Decode(ids, true))
	fmt.Println(tok)
	// Output:
	// [3 58 28 34 20 11 7 15 44 46 9 47 8 42 27 17 3 4 5 9 1]
	// "A watercolor painting of the sea"
	// Unigram tokenizer, 96 tokens, eos "</s>" (1), pad "<pad>" (0)
}
