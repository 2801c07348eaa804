package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// clip2JSON builds the tokenizer.json of SDXL's tokenizer_2 from CLIP's in
// testdata, exactly as clip2TokenizerJSON in
// scripts/golden-tokenizers/gen.mjs does (keep the two in step): the pad
// token "!" (id 0) becomes a special added token, not normalized.
func clip2JSON(t testing.TB) []byte {
	t.Helper()
	var j map[string]any
	if err := json.Unmarshal(readGz(t, "clip.tokenizer.json.gz"), &j); err != nil {
		t.Fatal(err)
	}
	j["added_tokens"] = append(j["added_tokens"].([]any), map[string]any{"id": 0, "content": "!", "single_word": false,
		"lstrip": false, "rstrip": false, "normalized": false, "special": true})
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenCLIP checks CLIP's tokenizer (openai/clip-vit-large-patch14's
// tokenizer.json, SDXL's tokenizer) and SDXL's tokenizer_2 layout (pad "!")
// against the ids and decodings of Hugging Face tokenizers on every golden
// line: BPE with "</w>" word ends, NFC + whitespace + lowercase, CLIP's
// word regex with Unicode \s, <|startoftext|> … <|endoftext|>, and
// CLIPTokenizerFast's decode ("</w>" → space, stripped).
func TestGoldenCLIP(t *testing.T) {
	for _, tc := range []struct {
		name string
		json []byte
		pad  int
	}{
		{"clip", readGz(t, "clip.tokenizer.json.gz"), 49407},
		{"clip2", clip2JSON(t), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk, err := Parse(tc.json, readGz(t, tc.name+".tokenizer_config.json.gz"))
			if err != nil {
				t.Fatal(err)
			}
			if before, after := tk.AddsSpecial(); !slices.Equal(before, []int{49406}) || !slices.Equal(after, []int{49407}) {
				t.Errorf("AddsSpecial() = %v, %v, want [49406], [49407]", before, after)
			}
			bos, _ := tk.BOS()
			eos, _ := tk.EOS()
			pad, _ := tk.Pad()
			if bos != 49406 || eos != 49407 || pad != tc.pad {
				t.Errorf("BOS, EOS, Pad = %d, %d, %d, want 49406, 49407, %d", bos, eos, pad, tc.pad)
			}
			checkGolden(t, tk, tc.name)
		})
	}
}

// TestVocabMergesCLIP writes CLIP's golden tokenizer as the vocab.json and
// merges.txt that SDXL's tokenizer and tokenizer_2 folders ship (they have
// no tokenizer.json), with their tokenizer_config.json, and checks that
// LoadVocabMerges encodes every golden line to the reference ids: "!" is
// id 0 in tokenizer_2 (its pad token), as transformers makes it. (These
// configs set clean_up_tokenization_spaces, so decodings differ from the
// golden set's; TestGoldenCLIP checks decoding.)
func TestVocabMergesCLIP(t *testing.T) {
	var j struct {
		Model struct {
			Vocab  map[string]int `json:"vocab"`
			Merges []string       `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(readGz(t, "clip.tokenizer.json.gz"), &j); err != nil {
		t.Fatal(err)
	}
	vocab, err := json.Marshal(j.Model.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	merges := "#version: 0.2\n" + strings.Join(j.Model.Merges, "\n") + "\n"
	special := func(id, content string, normalized bool) string {
		n := "false"
		if normalized {
			n = "true"
		}
		return `"` + id + `": {"content": "` + content + `", "lstrip": false, "normalized": ` + n + `, "rstrip": false, "single_word": false, "special": true}`
	}
	decoder := special("49406", "<|startoftext|>", true) + ", " + special("49407", "<|endoftext|>", true)
	for _, tc := range []struct{ name, golden, config string }{
		{"tokenizer", "clip", `{"add_prefix_space": false, "added_tokens_decoder": {` + decoder + `}, "bos_token": "<|startoftext|>",
			"clean_up_tokenization_spaces": true, "do_lower_case": true, "eos_token": "<|endoftext|>", "errors": "replace",
			"model_max_length": 77, "pad_token": "<|endoftext|>", "tokenizer_class": "CLIPTokenizer", "unk_token": "<|endoftext|>"}`},
		{"tokenizer_2", "clip2", `{"add_prefix_space": false, "added_tokens_decoder": {` + special("0", "!", false) + `, ` + decoder + `},
			"bos_token": "<|startoftext|>", "clean_up_tokenization_spaces": true, "do_lower_case": true, "eos_token": "<|endoftext|>",
			"errors": "replace", "model_max_length": 77, "pad_token": "!", "tokenizer_class": "CLIPTokenizer", "unk_token": "<|endoftext|>"}`},
		{"older files", "clip2", `{"tokenizer_class": "CLIPTokenizer", "pad_token": {"content": "!", "normalized": false}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range map[string]string{"vocab.json": string(vocab), "merges.txt": merges, "tokenizer_config.json": tc.config} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tk, err := LoadVocabMerges(dir)
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			lines := golden(t, tc.golden)
			for i, g := range lines {
				if got := tk.Encode(g.Text, true); !slices.Equal(got, g.IDs) {
					bad++
					if bad <= 10 {
						t.Errorf("line %d %q: Encode = %v, want %v", i+1, g.Text, got, g.IDs)
					}
				}
			}
			t.Logf("%s: %d golden lines, %d mismatches", tc.name, len(lines), bad)
		})
	}
}

// TestOnigSpaces checks the rewriting of Oniguruma's Unicode \s for Go's
// regexp, in and out of character classes.
func TestOnigSpaces(t *testing.T) {
	for _, tc := range []struct {
		name, expr, match, noMatch string
		err                        bool
	}{
		{"run", `\s+`, "\u00a0\u3000 \t", "x", false},
		{"class", `[^\s\p{L}]+`, "!?", "\u2028", false},
		{"negated", `\S+`, "ab", "\u205f", false},
		{"escaped bracket", `[\]\s]`, "]", "a", false},
		{"posix", `[[:alpha:]\s]+`, "ab\u00a0", "1", false},
		{"not in class", `[\S]`, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re, err := compileRegex(tc.expr)
			if tc.err {
				if err == nil {
					t.Fatalf("compileRegex(%q) accepted", tc.expr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if re.FindString(tc.match) != tc.match {
				t.Errorf("%q does not match all of %q (matched %q)", tc.expr, tc.match, re.FindString(tc.match))
			}
			if re.MatchString(tc.noMatch) {
				t.Errorf("%q matches %q", tc.expr, tc.noMatch)
			}
		})
	}
}
