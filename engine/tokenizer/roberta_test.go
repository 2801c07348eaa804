package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// robertaJSON builds the RoBERTa-layout tokenizer.json of the golden set
// from the GPT-2 one in testdata, exactly as robertaTokenizerJSON in
// scripts/golden-tokenizers/gen.mjs does (keep the two in step): <s>,
// <pad>, </s>, <unk> take ids 0–3, GPT-2's vocabulary follows shifted by
// 4 (its <|endoftext|> becomes an ordinary token), <mask> comes last with
// lstrip; ByteLevel pre-tokenizer without prefix space, RobertaProcessing
// post-processor, ByteLevel decoder. RoBERTa's real vocabulary orders the
// same byte-level BPE tokens differently; the ids differ, the algorithm
// does not. A 545 kB file made from data the repository already holds is
// not worth committing twice.
func robertaJSON(t testing.TB) []byte {
	t.Helper()
	var j map[string]any
	if err := json.Unmarshal(readGz(t, "gpt2.tokenizer.json.gz"), &j); err != nil {
		t.Fatal(err)
	}
	model := j["model"].(map[string]any)
	gpt2 := model["vocab"].(map[string]any)
	vocab := map[string]any{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
	for tok, id := range gpt2 {
		vocab[tok] = int(id.(float64)) + 4
	}
	mask := len(gpt2) + 4
	vocab["<mask>"] = mask
	model["vocab"] = vocab
	special := func(id int, content string, lstrip, normalized bool) map[string]any {
		return map[string]any{"id": id, "content": content, "single_word": false, "lstrip": lstrip,
			"rstrip": false, "normalized": normalized, "special": true}
	}
	j["added_tokens"] = []any{special(0, "<s>", false, true), special(1, "<pad>", false, true),
		special(2, "</s>", false, true), special(3, "<unk>", false, true), special(mask, "<mask>", true, false)}
	j["normalizer"] = nil
	j["pre_tokenizer"] = map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
	j["post_processor"] = map[string]any{"type": "RobertaProcessing", "sep": []any{"</s>", 2}, "cls": []any{"<s>", 0},
		"trim_offsets": true, "add_prefix_space": false}
	j["decoder"] = map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenRoberta checks the RoBERTa-layout tokenizer (byte-level BPE
// with RobertaProcessing: <s> … </s>, a <mask> with lstrip) against the
// ids and decodings @lenml/tokenizers gives on every golden line.
func TestGoldenRoberta(t *testing.T) {
	tk, err := Parse(robertaJSON(t), readGz(t, "roberta.tokenizer_config.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if before, after := tk.AddsSpecial(); !slices.Equal(before, []int{0}) || !slices.Equal(after, []int{2}) {
		t.Errorf("AddsSpecial() = %v, %v, want [0], [2]", before, after)
	}
	if bos, _ := tk.BOS(); bos != 0 {
		t.Errorf("BOS() = %d, want 0", bos)
	}
	if pad, _ := tk.Pad(); pad != 1 {
		t.Errorf("Pad() = %d, want 1", pad)
	}
	checkGolden(t, tk, "roberta")
}

// TestVocabMergesRoberta writes the golden RoBERTa tokenizer as the
// vocab.json and merges.txt of transformers' slow RobertaTokenizer and
// checks that LoadVocabMerges encodes every golden line to the same ids.
func TestVocabMergesRoberta(t *testing.T) {
	var j struct {
		Model struct {
			Vocab  map[string]int `json:"vocab"`
			Merges []string       `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(robertaJSON(t), &j); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	vocab, err := json.Marshal(j.Model.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	merges := "#version: 0.2\n" + strings.Join(j.Model.Merges, "\n") + "\n"
	for name, data := range map[string]string{
		"vocab.json":              string(vocab),
		"merges.txt":              merges,
		"tokenizer_config.json":   `{"tokenizer_class": "RobertaTokenizer", "model_max_length": 512, "add_prefix_space": false, "errors": "replace"}`,
		"special_tokens_map.json": `{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>", "pad_token": "<pad>", "cls_token": "<s>", "mask_token": {"content": "<mask>", "lstrip": true, "rstrip": false}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tk, err := LoadVocabMerges(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pad, _ := tk.Pad(); pad != 1 {
		t.Errorf("Pad() = %d, want 1", pad)
	}
	bad := 0
	for i, g := range golden(t, "roberta") {
		if got := tk.Encode(g.Text, true); !slices.Equal(got, g.IDs) {
			bad++
			if bad <= 10 {
				t.Errorf("line %d %q: Encode = %v, want %v", i+1, g.Text, got, g.IDs)
			}
		}
	}

	for _, tc := range []struct{ name, config, want string }{
		{"class", `{"tokenizer_class": "BertTokenizer"}`, `tokenizer_class "BertTokenizer"`},
		{"special", `{"tokenizer_class": "RobertaTokenizer", "mask_token": "[MASK]"}`, `special token "[MASK]" is not in vocab.json`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, "vocab.json"), vocab, 0o644)
			os.WriteFile(filepath.Join(d, "merges.txt"), []byte(merges), 0o644)
			os.WriteFile(filepath.Join(d, "tokenizer_config.json"), []byte(tc.config), 0o644)
			if _, err := LoadVocabMerges(d); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
