package tokenizer

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// families are the tokenizers of testdata/, each with a golden set made by
// scripts/golden-tokenizers (ids from @lenml/tokenizers, a port of Hugging
// Face tokenizers).
var families = []string{"gpt2", "llama3", "gemma3"}

func readGz(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Tokenizer{}
)

// family loads (once per test binary) the tokenizer of a family.
func family(t testing.TB, name string) *Tokenizer {
	t.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if tk, ok := loaded[name]; ok {
		return tk
	}
	tk, err := Parse(readGz(t, name+".tokenizer.json.gz"), readGz(t, name+".tokenizer_config.json.gz"))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	loaded[name] = tk
	return tk
}

type goldenLine struct {
	Text        string `json:"text"`
	IDs         []int  `json:"ids"`
	IDsPlain    []int  `json:"ids_plain"`
	Decoded     string `json:"decoded"`
	DecodedSkip string `json:"decoded_skip"`
}

func golden(t testing.TB, name string) []goldenLine {
	t.Helper()
	var lines []goldenLine
	sc := bufio.NewScanner(bytesReader(readGz(t, name+".golden.jsonl.gz")))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var g goldenLine
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatalf("%s golden line %d: %v", name, len(lines)+1, err)
		}
		lines = append(lines, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// checkGolden checks tk against the golden set of name: Encode with and
// without special tokens, Decode skipping special tokens or not.
func checkGolden(t *testing.T, tk *Tokenizer, name string) {
	t.Helper()
	lines := golden(t, name)
	if len(lines) < 2000 {
		t.Errorf("golden set has %d lines, want at least 2000", len(lines))
	}
	bad := 0
	for i, g := range lines {
		report := func(what string, got, want any) {
			bad++
			if bad <= 10 {
				t.Errorf("line %d %q: %s = %v, want %v", i+1, g.Text, what, got, want)
			}
		}
		if got := tk.Encode(g.Text, true); !slices.Equal(got, g.IDs) {
			report("Encode(addSpecial)", got, g.IDs)
		}
		if got := tk.Encode(g.Text, false); !slices.Equal(got, g.IDsPlain) {
			report("Encode(plain)", got, g.IDsPlain)
		}
		if got := tk.Decode(g.IDs, false); got != g.Decoded {
			report("Decode", got, g.Decoded)
		}
		if got := tk.Decode(g.IDs, true); got != g.DecodedSkip {
			report("Decode(skipSpecial)", got, g.DecodedSkip)
		}
	}
	t.Logf("%s: %d golden lines, %d mismatches", name, len(lines), bad)
}

// TestGolden checks, for every line of every family's golden set, that
// Encode with and without special tokens gives exactly the reference ids and
// that Decode gives exactly the reference text (skipping special tokens or not).
func TestGolden(t *testing.T) {
	for _, name := range families {
		t.Run(name, func(t *testing.T) {
			checkGolden(t, family(t, name), name)
		})
	}
}
