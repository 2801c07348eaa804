package tokenizer

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFamilies(t *testing.T) {
	tests := []struct {
		family        string
		vocab         int
		bos, eos, pad int // -1: none
		before        []int
		special       int
		text          string
		plain         []int
	}{
		{"gpt2", 50257, 50256, 50256, -1, nil, 50256, "Hello world", []int{15496, 995}},
		{"llama3", 128256, 128000, 128001, -1, nil, 128000, "Hello world", []int{9906, 1917}},
		{"gemma3", 262145, 2, 106, 0, []int{2}, 1, "Hello world", []int{9259, 1902}},
	}
	for _, tc := range tests {
		t.Run(tc.family, func(t *testing.T) {
			tk := family(t, tc.family)
			if got := tk.VocabSize(); got != tc.vocab {
				t.Errorf("VocabSize = %d, want %d", got, tc.vocab)
			}
			for _, c := range []struct {
				name string
				f    func() (int, bool)
				want int
			}{{"BOS", tk.BOS, tc.bos}, {"EOS", tk.EOS, tc.eos}, {"Pad", tk.Pad, tc.pad}} {
				id, ok := c.f()
				if ok != (c.want >= 0) || ok && id != c.want {
					t.Errorf("%s = %d, %v; want %d", c.name, id, ok, c.want)
				}
			}
			if before, after := tk.AddsSpecial(); !slices.Equal(before, tc.before) || len(after) != 0 {
				t.Errorf("AddsSpecial = %v, %v; want %v, []", before, after, tc.before)
			}
			if !tk.Special(tc.special) || tk.Special(tc.plain[0]) {
				t.Errorf("Special(%d) = %v, Special(%d) = %v", tc.special, tk.Special(tc.special), tc.plain[0], tk.Special(tc.plain[0]))
			}
			if got := tk.Encode(tc.text, false); !slices.Equal(got, tc.plain) {
				t.Errorf("Encode(%q) = %v, want %v", tc.text, got, tc.plain)
			}
			for _, id := range tc.plain {
				tok, ok := tk.IDToToken(id)
				if back, ok2 := tk.TokenToID(tok); !ok || !ok2 || back != id {
					t.Errorf("IDToToken(%d) = %q, %v; TokenToID = %d, %v", id, tok, ok, back, ok2)
				}
			}
			if _, ok := tk.IDToToken(-1); ok {
				t.Errorf("IDToToken(-1) found a token")
			}
			if _, ok := tk.TokenToID("no such token \x00"); ok {
				t.Errorf("TokenToID of garbage found an id")
			}
			if s := tk.String(); !strings.HasPrefix(s, "BPE tokenizer") {
				t.Errorf("String() = %q", s)
			}
		})
	}
}

// TestRoundTrip checks Decode(Encode(x)) == x on every golden line whose
// reference decoding round-trips too (byte-level BPE is lossless, so for
// GPT-2 and Llama 3 that is every line without clean-up effects).
func TestRoundTrip(t *testing.T) {
	for _, name := range families {
		t.Run(name, func(t *testing.T) {
			tk := family(t, name)
			n := 0
			for _, g := range golden(t, name) {
				if g.DecodedSkip != g.Text && g.Decoded != g.Text {
					continue
				}
				n++
				ids := tk.Encode(g.Text, false)
				if got := tk.Decode(ids, false); got != g.Text {
					t.Errorf("Decode(Encode(%q)) = %q", g.Text, got)
				}
			}
			t.Logf("%s: %d lines round-trip", name, n)
			if n < 1000 {
				t.Errorf("only %d golden lines round-trip", n)
			}
		})
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tokenizer.json"), tinyJSON(nil))
	writeFile(t, filepath.Join(dir, "tokenizer_config.json"), `{"bos_token": {"content": "<s>", "__type": "AddedToken"}, "tokenizer_class": "LlamaTokenizerFast", "add_eos_token": true}`)
	writeFile(t, filepath.Join(dir, "special_tokens_map.json"), `{"eos_token": "</s>", "pad_token": "<pad>"}`)
	for _, path := range []string{dir, filepath.Join(dir, "tokenizer.json")} {
		tk, err := Load(path)
		if err != nil {
			t.Fatalf("Load(%s): %v", path, err)
		}
		if bos, _ := tk.BOS(); bos != 0 {
			t.Errorf("BOS = %d, want 0 from tokenizer_config.json", bos)
		}
		if eos, _ := tk.EOS(); eos != 1 {
			t.Errorf("EOS = %d, want 1 from special_tokens_map.json", eos)
		}
		if pad, _ := tk.Pad(); pad != 2 {
			t.Errorf("Pad = %d, want 2 from special_tokens_map.json", pad)
		}
		if got, want := tk.Encode("ab", true), []int{0, 7, 1}; !slices.Equal(got, want) {
			t.Errorf("Encode with add_eos_token = %v, want %v", got, want)
		}
	}
	_, err := Load(t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("Load(empty folder) = %v, want an fs.ErrNotExist naming tokenizer.json", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing file) = %v, want fs.ErrNotExist", err)
	}
}

// TestConcurrentEncode encodes from several goroutines at once; run with
// -race it checks the word cache.
func TestConcurrentEncode(t *testing.T) {
	tk := family(t, "gpt2")
	lines := golden(t, "gpt2")[:200]
	done := make(chan bool)
	for w := range 4 {
		go func() {
			ok := true
			for i := w; i < len(lines); i += 2 {
				ok = ok && slices.Equal(tk.Encode(lines[i].Text, true), lines[i].IDs)
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent Encode differs from the golden ids")
		}
	}
}
