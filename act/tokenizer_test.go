package act

import (
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gpt2Folder writes the GPT-2 tokenizer.json of engine/tokenizer's testdata
// into a temporary folder, as a checkpoint would hold it.
func gpt2Folder(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "engine", "tokenizer", "testdata", "gpt2.tokenizer.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTokenizer(t *testing.T) {
	dir := gpt2Folder(t)
	for _, path := range []string{dir, filepath.Join(dir, "tokenizer.json")} {
		tok := LoadTokenizer(path)
		tests := []struct {
			name string
			text string
			ids  []int
		}{
			{"words", "Hello world", []int{15496, 995}},
			{"special token in text", "a<|endoftext|>b", []int{64, 50256, 65}},
			{"empty", "", []int{}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if got := tok.Encode(tc.text); !slices.Equal(got, tc.ids) {
					t.Errorf("Encode(%q) = %v, want %v", tc.text, got, tc.ids)
				}
				if got := tok.Decode(tc.ids); got != tc.text {
					t.Errorf("Decode(%v) = %q, want %q", tc.ids, got, tc.text)
				}
			})
		}
		if got := tok.DecodeSkip([]int{64, 50256, 65}); got != "ab" {
			t.Errorf("DecodeSkip = %q, want %q", got, "ab")
		}
		if got := tok.Tokens([]int{15496, 995}); !slices.Equal(got, []string{"Hello", "Ġworld"}) {
			t.Errorf("Tokens = %q", got)
		}
		if tok.VocabSize() != 50257 || tok.Raw() == nil {
			t.Errorf("VocabSize = %d, Raw = %v", tok.VocabSize(), tok.Raw())
		}
		if s := tok.String(); !strings.Contains(s, "BPE") || !strings.Contains(s, "50257") || !strings.Contains(s, "<|endoftext|>") {
			t.Errorf("String() = %q, want type, size and special tokens", s)
		}
	}
}

func TestLoadTokenizerMissing(t *testing.T) {
	dir := t.TempDir()
	defer func() {
		r := recover()
		e, ok := r.(*Error)
		if !ok {
			t.Fatalf("LoadTokenizer of an empty folder: recovered %v, want *act.Error", r)
		}
		if !errors.Is(e, fs.ErrNotExist) || !strings.HasPrefix(e.Msg, "act: ") || !strings.Contains(e.Msg, "tokenizer.json") {
			t.Errorf("error %q (%v) should start with act:, name tokenizer.json and wrap fs.ErrNotExist", e.Msg, e.Err)
		}
	}()
	LoadTokenizer(dir)
}
