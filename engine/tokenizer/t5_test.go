package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// t5Line holds the fields of t5.golden.jsonl.gz beyond goldenLine's: the
// ids SentencePiece itself gives (no </s>), Hugging Face's ids for the
// older layout of T5 files (no </s>), and the ids of
// testdata/flux-tiny/tokenizer_2 from Hugging Face (with </s>) and from
// SentencePiece (without). See scripts/golden-t5.
type t5Line struct {
	Text    string `json:"text"`
	IDsSPM  []int  `json:"ids_spm"`
	Legacy  []int  `json:"legacy"`
	Tiny    []int  `json:"tiny"`
	TinySPM []int  `json:"tiny_spm"`
}

func t5Golden(t *testing.T) []t5Line {
	t.Helper()
	var lines []t5Line
	for i, l := range strings.Split(strings.TrimSpace(string(readGz(t, "t5.golden.jsonl.gz"))), "\n") {
		var g t5Line
		if err := json.Unmarshal([]byte(l), &g); err != nil {
			t.Fatalf("t5 golden line %d: %v", i+1, err)
		}
		lines = append(lines, g)
	}
	return lines
}

// t5Dir writes the T5 test tokenizer's folder: file (tokenizer.json or
// spiece.model) with tokenizer_config.json and special_tokens_map.json.
func t5Dir(t *testing.T, file string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{file, "tokenizer_config.json", "special_tokens_map.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), readGz(t, "t5."+f+".gz"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// t5Loads are the two ways to a T5 tokenizer: tokenizer.json, and
// spiece.model converted as transformers does.
var t5Loads = []struct {
	file string
	load func(string) (*Tokenizer, error)
}{
	{"tokenizer.json", Load},
	{"spiece.model", LoadSentencePiece},
}

// TestT5Golden checks a T5 tokenizer (SentencePiece Unigram, 400 pieces
// and 100 extra ids, nmt_nfkc's precompiled charsmap) loaded from
// tokenizer.json and from spiece.model against the ids and decodings of
// Hugging Face tokenizers on every golden line.
func TestT5Golden(t *testing.T) {
	for _, tc := range t5Loads {
		t.Run(tc.file, func(t *testing.T) {
			tk, err := tc.load(t5Dir(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tk, "t5")
		})
	}
}

// specialLiteral matches the special tokens' texts, which Hugging Face
// cuts out before normalization and SentencePiece encodes as text.
var specialLiteral = regexp.MustCompile(`</s>|<pad>|<unk>|<extra_id_\d+>`)

// spmDiffers reports whether Hugging Face's T5TokenizerFast may encode
// text differently from SentencePiece: text holds a special token's text,
// or a grapheme cluster of several characters, which Hugging Face's
// Precompiled normalizer maps as a whole under 6 bytes and character by
// character from 6 on, where SentencePiece maps the longest key (see
// precompiled.normalize).
func spmDiffers(text string) bool {
	if specialLiteral.MatchString(text) {
		return true
	}
	for g := uniseg.NewGraphemes(text); g.Next(); {
		if utf8.RuneCountInString(g.Str()) > 1 {
			return true
		}
	}
	return false
}

// TestT5SentencePiece checks that both T5 tokenizers give SentencePiece's
// own ids on every golden line where Hugging Face's can differ from it for
// a known reason (spmDiffers), for the 400-piece model and FLUX's tiny one.
func TestT5SentencePiece(t *testing.T) {
	lines := t5Golden(t)
	for _, tc := range t5Loads {
		t.Run(tc.file, func(t *testing.T) {
			tk, err := tc.load(t5Dir(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			tiny, err := tc.load(fluxTiny)
			if err != nil {
				t.Fatal(err)
			}
			bad, same, checked := 0, 0, 0
			for i, g := range lines {
				got, gotTiny := tk.Encode(g.Text, false), tiny.Encode(g.Text, false)
				if slices.Equal(got, g.IDsSPM) && slices.Equal(gotTiny, g.TinySPM) {
					same++
				}
				if spmDiffers(g.Text) {
					continue
				}
				checked++
				if !slices.Equal(got, g.IDsSPM) || !slices.Equal(gotTiny, g.TinySPM) {
					if bad++; bad <= 10 {
						t.Errorf("line %d %q: Encode = %v and %v (tiny), SentencePiece %v and %v", i+1, g.Text, got, gotTiny, g.IDsSPM, g.TinySPM)
					}
				}
			}
			t.Logf("SentencePiece's ids on %d of %d lines; %d mismatches on the %d lines checked", same, len(lines), bad, checked)
		})
	}
}

// TestT5Legacy checks the layout of T5 tokenizer.json files written
// before transformers added the right strip (Precompiled, then runs of
// spaces made one space; Metaspace with add_prefix_space) against Hugging
// Face tokenizers' ids.
func TestT5Legacy(t *testing.T) {
	var j map[string]any
	if err := json.Unmarshal(readGz(t, "t5.tokenizer.json.gz"), &j); err != nil {
		t.Fatal(err)
	}
	n := j["normalizer"].(map[string]any)
	n["normalizers"] = []any{n["normalizers"].([]any)[0],
		map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": " {2,}"}, "content": " "}}
	j["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "add_prefix_space": true}
	j["decoder"] = j["pre_tokenizer"]
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := Parse(b, readGz(t, "t5.tokenizer_config.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	lines := t5Golden(t)
	for i, g := range lines {
		if got := tk.Encode(g.Text, false); !slices.Equal(got, g.Legacy) {
			if bad++; bad <= 10 {
				t.Errorf("line %d %q: Encode = %v, want %v", i+1, g.Text, got, g.Legacy)
			}
		}
	}
	t.Logf("%d golden lines, %d mismatches", len(lines), bad)
}

// fluxTiny is the tiny FLUX pipeline's T5 tokenizer folder.
var fluxTiny = filepath.Join("..", "..", "testdata", "flux-tiny", "tokenizer_2")

// TestFluxTinyTokenizer checks testdata/flux-tiny/tokenizer_2, loaded
// both ways, against Hugging Face's ids, and that its ids fit the tiny T5
// encoder's 96-entry embedding.
func TestFluxTinyTokenizer(t *testing.T) {
	lines := t5Golden(t)
	for _, tc := range t5Loads {
		t.Run(tc.file, func(t *testing.T) {
			tk, err := tc.load(fluxTiny)
			if err != nil {
				t.Fatal(err)
			}
			if got := tk.VocabSize(); got != 96 {
				t.Errorf("VocabSize = %d, want 96", got)
			}
			if eos, ok := tk.EOS(); !ok || eos != 1 {
				t.Errorf("EOS = %d, %v; want 1", eos, ok)
			}
			if pad, ok := tk.Pad(); !ok || pad != 0 {
				t.Errorf("Pad = %d, %v; want 0", pad, ok)
			}
			bad := 0
			for i, g := range lines {
				got := tk.Encode(g.Text, true)
				if !slices.Equal(got, g.Tiny) {
					if bad++; bad <= 10 {
						t.Errorf("line %d %q: Encode = %v, want %v", i+1, g.Text, got, g.Tiny)
					}
				}
				for _, id := range got {
					if id < 0 || id >= 96 {
						t.Fatalf("line %d %q: id %d outside the 96-entry vocabulary", i+1, g.Text, id)
					}
				}
			}
			t.Logf("%d golden lines, %d mismatches", len(lines), bad)
		})
	}
}

func TestT5Tokenizer(t *testing.T) {
	for _, tc := range t5Loads {
		t.Run(tc.file, func(t *testing.T) {
			tk, err := tc.load(t5Dir(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tk.String(), `Unigram tokenizer, 500 tokens, eos "</s>" (1), pad "<pad>" (0)`; got != want {
				t.Errorf("String = %s, want %s", got, want)
			}
			if _, ok := tk.BOS(); ok {
				t.Errorf("T5 has a BOS")
			}
			if before, after := tk.AddsSpecial(); len(before) != 0 || !slices.Equal(after, []int{1}) {
				t.Errorf("AddsSpecial = %v, %v; want [], [1]", before, after)
			}
			for tok, id := range map[string]int{"<pad>": 0, "</s>": 1, "<unk>": 2, "<extra_id_0>": 499, "<extra_id_99>": 400} {
				if got, ok := tk.TokenToID(tok); !ok || got != id {
					t.Errorf("TokenToID(%q) = %d, %v; want %d", tok, got, ok, id)
				}
				if !tk.Special(id) {
					t.Errorf("Special(%d) = false", id)
				}
			}
		})
	}
}

// TestUnigram checks the Viterbi segmentation on Hugging Face tokenizers'
// own example and the handling of unknown characters.
func TestUnigram(t *testing.T) {
	vocab := `[["<unk>",0],["a",0],["b",0],["c",0],["d",0],["cd",1],["ab",2],["abc",5],["abcd",10],["<0x78>",0],["<0x79>",0]]`
	tests := []struct {
		name     string
		model    string
		word     string
		want     []int
		wantText string
	}{
		{"best path", `{"unk_id":0,"vocab":` + vocab + `}`, "abcdacdxx", []int{8, 1, 5, 0}, "abcd a cd <unk>"},
		{"unknown runs fused", `{"unk_id":0,"vocab":` + vocab + `}`, "xyaxé", []int{0, 1, 0}, "<unk> a <unk>"},
		{"byte fallback", `{"unk_id":0,"byte_fallback":true,"vocab":` + vocab + `}`, "xyaé", []int{9, 10, 1, 0}, "<0x78> <0x79> a <unk>"},
		{"no unk", `{"vocab":` + vocab + `}`, "xaz", []int{1}, "a"},
		{"empty", `{"unk_id":0,"vocab":` + vocab + `}`, "", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := newUnigram(json.RawMessage(tc.model))
			if err != nil {
				t.Fatal(err)
			}
			got := m.tokenize(tc.word, nil)
			if !slices.Equal(got, tc.want) {
				t.Errorf("tokenize(%q) = %v, want %v", tc.word, got, tc.want)
			}
			var toks []string
			for _, id := range got {
				tok, _ := m.idToken(id)
				toks = append(toks, tok)
			}
			if s := strings.Join(toks, " "); s != tc.wantText {
				t.Errorf("tokens = %q, want %q", s, tc.wantText)
			}
		})
	}
	for _, bad := range []string{`{"unk_id":11,"vocab":` + vocab + `}`, `{"unk_id":-1,"vocab":[]}`, `{"vocab":[["a"]]}`, `{"vocab":[[1,2]]}`} {
		if _, err := newUnigram(json.RawMessage(bad)); err == nil {
			t.Errorf("newUnigram(%s) gave no error", bad)
		}
	}
}

// TestPrecompiled checks nmt_nfkc's charsmap, as the T5 test model
// carries it, on single characters and on Hugging Face's grapheme rule.
func TestPrecompiled(t *testing.T) {
	m, err := parseSentencePiece(readGz(t, "t5.spiece.model.gz"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseCharsmap(m.charsmap)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, in, want string }{
		{"ascii", "Hello, world", "Hello, world"},
		{"full width", "ＡＢＣ１２３", "ABC123"},
		{"ligature", "ﬁne", "fine"},
		{"ideographic space", "a\u3000b", "a b"},
		{"composed", "e\u0301", "é"},
		{"cluster cut at its shortest key", "Ａ\u0301", "A"},
		{"long cluster by character", "a\u0301\u0302\u0303", "a\u0301\u0302\u0303"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.normalize(tc.in); got != tc.want {
				t.Errorf("normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	tiny, err := parseCharsmap(tinyCharsmap)
	if err != nil {
		t.Fatal(err)
	}
	if got := tiny.normalize("a cab\x00a"); got != "b cbb\x00b" {
		t.Errorf("tiny charsmap: normalize = %q, want %q", got, "b cbb\x00b")
	}
	for _, bad := range [][]byte{nil, {1, 0, 0, 0, 0}, {8, 0, 0, 0, 1, 2, 3, 4}, {0, 0, 0, 0}, {4, 0, 0, 0, 1, 2, 3, 4, 0xff}} {
		if _, err := parseCharsmap(bad); err == nil {
			t.Errorf("parseCharsmap(%v) gave no error", bad)
		}
	}
}

func TestLoadSentencePieceErrors(t *testing.T) {
	dir := t5Dir(t, "spiece.model")
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tokenizer_config.json", `{"tokenizer_class":"LlamaTokenizer"}`)
	if _, err := LoadSentencePiece(dir); err == nil || !strings.Contains(err.Error(), "T5Tokenizer only") {
		t.Errorf("LlamaTokenizer: err = %v", err)
	}
	write("tokenizer_config.json", `{}`)
	write("config.json", `{"model_type":"t5"}`)
	if _, err := LoadSentencePiece(dir); err != nil {
		t.Errorf("model_type t5: %v", err)
	}
	write("spiece.model", "\x0a\x05\x0a\x03abc\x12\x02\x18\x02")
	if _, err := LoadSentencePiece(dir); err == nil || !strings.Contains(err.Error(), "model_type 2") {
		t.Errorf("BPE model: err = %v", err)
	}
	write("spiece.model", "\x0a\xff")
	if _, err := LoadSentencePiece(dir); err == nil {
		t.Errorf("truncated model: no error")
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "LoadSentencePiece") {
		t.Errorf("Load of a folder without tokenizer.json: err = %v", err)
	}
}
