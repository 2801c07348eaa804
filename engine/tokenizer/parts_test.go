package tokenizer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// tinyJSON returns a small BPE tokenizer.json; over replaces top-level keys
// ("model" fields go in over["model.<field>"]).
func tinyJSON(over map[string]string) string {
	vocab := map[string]int{"<s>": 0, "</s>": 1, "<pad>": 2, "<unk>": 3, "a": 4, "b": 5, "c": 6, "ab": 7, "abc": 8,
		"▁": 9, "▁ab": 10, "bc": 11, " ": 13, "<": 14, "x": 15, ">": 16, "<x>": 20}
	for b := range 256 {
		vocab[fmt.Sprintf("<0x%02X>", b)] = 100 + b
	}
	vj, _ := json.Marshal(vocab)
	model := map[string]string{
		"type": `"BPE"`, "vocab": string(vj), "merges": `["a b", ["ab", "c"], "▁ ab"]`,
		"unk_token": `null`, "fuse_unk": `false`, "byte_fallback": `false`, "ignore_merges": `false`,
	}
	top := map[string]string{
		"added_tokens": `[{"id":0,"content":"<s>","special":true},{"id":1,"content":"</s>","special":true},{"id":2,"content":"<pad>","special":true}]`,
		"normalizer":   `null`, "pre_tokenizer": `null`, "post_processor": `null`, "decoder": `null`,
	}
	for k, v := range over {
		if f, ok := strings.CutPrefix(k, "model."); ok {
			model[f] = v
		} else {
			top[k] = v
		}
	}
	var mb []string
	for k, v := range model {
		mb = append(mb, fmt.Sprintf("%q: %s", k, v))
	}
	slices.Sort(mb)
	top["model"] = "{" + strings.Join(mb, ", ") + "}"
	var tb []string
	for k, v := range top {
		tb = append(tb, fmt.Sprintf("%q: %s", k, v))
	}
	slices.Sort(tb)
	return "{" + strings.Join(tb, ", ") + "}"
}

func tiny(t *testing.T, over map[string]string) *Tokenizer {
	t.Helper()
	tk, err := Parse([]byte(tinyJSON(over)), nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tk
}

const xToken = `{"id":20,"content":"<x>","special":false,"lstrip":%v,"rstrip":%v,"single_word":%v}`

func TestEncodeParts(t *testing.T) {
	added := func(l, r, w bool) string {
		return `[{"id":0,"content":"<s>","special":true},` + fmt.Sprintf(xToken, l, r, w) + `]`
	}
	meta := func(scheme string) string {
		return fmt.Sprintf(`{"type":"Metaspace","replacement":"▁","prepend_scheme":%q,"split":true}`, scheme)
	}
	tests := []struct {
		name string
		over map[string]string
		text string
		want []int
	}{
		{"merges by rank", nil, "abc", []int{8}},
		{"unknown runes dropped without unk_token, then merges", nil, "azb", []int{7}},
		{"unk_token", map[string]string{"model.unk_token": `"<unk>"`}, "azzb", []int{4, 3, 3, 5}},
		{"fuse_unk", map[string]string{"model.unk_token": `"<unk>"`, "model.fuse_unk": `true`}, "azzb", []int{4, 3, 5}},
		{"byte_fallback", map[string]string{"model.byte_fallback": `true`, "model.unk_token": `"<unk>"`}, "aé", []int{4, 100 + 0xC3, 100 + 0xA9}},
		{"no ignore_merges", nil, "bc", []int{5, 6}},
		{"ignore_merges", map[string]string{"model.ignore_merges": `true`}, "bc", []int{11}},
		{"added token", map[string]string{"added_tokens": added(false, false, false)}, "a <x> b", []int{4, 13, 20, 13, 5}},
		{"lstrip", map[string]string{"added_tokens": added(true, false, false)}, "a  <x> b", []int{4, 20, 13, 5}},
		{"rstrip", map[string]string{"added_tokens": added(false, true, false)}, "a <x>  b", []int{4, 13, 20, 5}},
		{"single_word inside a word", map[string]string{"added_tokens": added(false, false, true)}, "a<x>b", []int{4, 14, 15, 16, 5}},
		{"single_word alone", map[string]string{"added_tokens": added(false, false, true)}, "a <x> b", []int{4, 13, 20, 13, 5}},
		{"longest added token first", map[string]string{"added_tokens": `[{"id":14,"content":"<","special":false},` + fmt.Sprintf(xToken, false, false, false) + `]`}, "<<x>", []int{14, 20}},
		{"metaspace always", map[string]string{"pre_tokenizer": meta("always")}, "ab ab", []int{10, 10}},
		{"metaspace after added token, first", map[string]string{"pre_tokenizer": meta("first")}, "<s>ab", []int{0, 7}},
		{"metaspace after added token, always", map[string]string{"pre_tokenizer": meta("always")}, "<s>ab", []int{0, 10}},
		{"prepend and replace", map[string]string{"normalizer": `{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]}`}, "ab", []int{10}},
		{"regex replace", map[string]string{"normalizer": `{"type":"Replace","pattern":{"Regex":"z+"},"content":"c"}`}, "abzzz", []int{8}},
		{"lowercase and strip", map[string]string{"normalizer": `{"type":"Sequence","normalizers":[{"type":"Lowercase"},{"type":"Strip","strip_left":true,"strip_right":true}]}`}, "  ABC ", []int{8}},
		{"template", map[string]string{"post_processor": `{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"</s>","type_id":0}}],"special_tokens":{"<s>":{"id":"<s>","ids":[0],"tokens":["<s>"]},"</s>":{"id":"</s>","ids":[1],"tokens":["</s>"]}}}`}, "ab", []int{0, 7, 1}},
		{"sequence of byte-level and template, as Llama 3 on the Hub", map[string]string{"post_processor": `{"type":"Sequence","processors":[{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":false,"use_regex":true},{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"special_tokens":{"<s>":{"id":"<s>","ids":[0],"tokens":["<s>"]}}}]}`}, "ab", []int{0, 7}},
		{"roberta", map[string]string{"post_processor": `{"type":"RobertaProcessing","cls":["<s>",0],"sep":["</s>",1]}`}, "ab", []int{0, 7, 1}},
		{"digits", map[string]string{"pre_tokenizer": `{"type":"Digits","individual_digits":false}`, "model.unk_token": `"<unk>"`, "model.fuse_unk": `true`}, "a12b", []int{4, 3, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk := tiny(t, tc.over)
			if got := tk.Encode(tc.text, true); !slices.Equal(got, tc.want) {
				t.Errorf("Encode(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestSplitBehaviors(t *testing.T) {
	tests := []struct {
		behavior behavior
		invert   bool
		want     []string
	}{
		{removed, false, []string{"a", "b", "c"}},
		{removed, true, []string{"-", "-", "-", "-"}}, // consecutive matches stay apart
		{isolated, false, []string{"a", "-", "b", "-", "-", "c", "-"}},
		{mergedWithPrevious, false, []string{"a-", "b-", "-", "c-"}},
		{mergedWithNext, false, []string{"a", "-b", "-", "-c", "-"}},
		{contiguous, false, []string{"a", "-", "b", "--", "c", "-"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d/%v", tc.behavior, tc.invert), func(t *testing.T) {
			got := split{m: literal("-"), behavior: tc.behavior, invert: tc.invert}.preTokenize("a-b--c-", false)
			if !slices.Equal(got, tc.want) {
				t.Errorf("split = %q, want %q", got, tc.want)
			}
		})
	}
}

// splitAll cuts s with a scanner, as Split with behavior Isolated does.
func splitAll(f scanner, s string) []string {
	return split{m: f, behavior: isolated}.preTokenize(s, false)
}

func TestScanners(t *testing.T) {
	llama := scanner(func(s string, i int) int { return llama3Split(s, i, 3) })
	tests := []struct {
		name string
		f    scanner
		in   string
		want []string
	}{
		{"gpt2 words", gpt2Split, "Hello world", []string{"Hello", " world"}},
		{"gpt2 contractions", gpt2Split, "I'm it's 'S", []string{"I", "'m", " it", "'s", " '", "S"}},
		{"gpt2 spaces before word", gpt2Split, "a   b", []string{"a", "  ", " b"}},
		{"gpt2 tab before word", gpt2Split, "a\tb", []string{"a", "\t", "b"}},
		{"gpt2 trailing spaces", gpt2Split, "a  ", []string{"a", "  "}},
		{"gpt2 numbers and punctuation", gpt2Split, "x=12345!?", []string{"x", "=", "12345", "!?"}},
		{"gpt2 space then newline", gpt2Split, "a \nb", []string{"a", " ", "\n", "b"}},
		{"llama3 case-folded contractions", llama, "IT'S I'LL", []string{"IT", "'S", " I", "'LL"}},
		{"llama3 digits by three", llama, "1234567", []string{"123", "456", "7"}},
		{"llama3 punctuation before letters", llama, "(hello) world", []string{"(hello", ")", " world"}},
		{"llama3 newlines", llama, "a\n\n  b", []string{"a", "\n\n", " ", " b"}},
		{"llama3 spaces then newline", llama, "a  \n b", []string{"a", "  \n", " b"}},
		{"llama3 punctuation with newline", llama, "x.\n\ny", []string{"x", ".\n\n", "y"}},
		{"llama3 trailing spaces", llama, "a   ", []string{"a", "   "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitAll(tc.f, tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("split(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDecodeParts(t *testing.T) {
	tests := []struct {
		name    string
		decoder string
		tokens  []string
		want    string
	}{
		{"strip", `{"type":"Strip","content":"▁","start":1,"stop":0}`, []string{"▁▁a", "▁b"}, "▁ab"},
		{"metaspace", `{"type":"Metaspace","replacement":"▁","prepend_scheme":"always"}`, []string{"▁a", "▁b"}, "a b"},
		{"byte fallback valid", `{"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Fuse"}]}`, []string{"a", "<0xC3>", "<0xA9>"}, "aé"},
		{"byte fallback invalid", `{"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Fuse"}]}`, []string{"<0xC3>", "<0xC3>", "a"}, "\uFFFD\uFFFDa"},
		{"byte level lossy", `{"type":"ByteLevel"}`, []string{"a", string(byteToRune[0xE2]) + string(byteToRune[0x82])}, "a\uFFFD"},
		{"bpe suffix", `{"type":"BPEDecoder","suffix":"</w>"}`, []string{"a</w>", "b</w>"}, "a b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := newDecoder(json.RawMessage(tc.decoder))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(d.decodeChain(tc.tokens), ""); got != tc.want {
				t.Errorf("decode %q = %q, want %q", tc.tokens, got, tc.want)
			}
		})
	}
}

func TestLossyUTF8(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ok é", "ok é"},
		{"\xe2\x82", "\uFFFD"},                 // truncated 3-byte sequence: one maximal subpart
		{"\xff", "\uFFFD"},                     // never valid
		{"a\xc3", "a\uFFFD"},                   // truncated at the end
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // surrogate: ED cannot take A0
		{"\xf0\x9f\x98x", "\uFFFDx"},
		{"\xf0\x9f\x98\x80", "😀"},
	}
	for _, tc := range tests {
		if got := lossyUTF8([]byte(tc.in)); got != tc.want {
			t.Errorf("lossyUTF8(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeSpecial(t *testing.T) {
	tk, err := Parse([]byte(tinyJSON(map[string]string{"decoder": `{"type":"Fuse"}`})), []byte(`{"clean_up_tokenization_spaces": true}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Decode([]int{0, 7, 13, 1, 999999}, false); got != "<s>ab </s>" {
		t.Errorf("Decode = %q", got)
	}
	if got := tk.Decode([]int{0, 7, 13, 1}, true); got != "ab " {
		t.Errorf("Decode(skip) = %q", got)
	}
	// clean_up_tokenization_spaces: " ," -> ","
	if got := tk.Decode([]int{4, 13, 14}, false); got != "a <" {
		t.Errorf("Decode = %q", got)
	}
	if got := cleanUp("a , b . I 'm don 't"); got != "a, b. I'm don 't" {
		t.Errorf("cleanUp = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // substring of the error
	}{
		{"not json", `{"model": `, "tokenizer.json: unexpected end"},
		{"no model", `{"added_tokens": []}`, "no model"},
		{"unknown model", `{"model": {"type": "WordPiece", "vocab": {}}}`, `model type "WordPiece" is not supported`},
		{"unigram unk_id", `{"model": {"type": "Unigram", "unk_id": 1, "vocab": [["a", -1]]}}`, `unk_id 1 is outside the vocabulary`},
		{"unigram piece", `{"model": {"type": "Unigram", "vocab": [["a"]]}}`, `is not [piece, score]`},
		{"bad merge string", tinyJSON(map[string]string{"model.merges": `["a b c"]`}), `merge 1: "a b c" is not two tokens`},
		{"bad merge pair", tinyJSON(map[string]string{"model.merges": `[["a"]]`}), `merge 1:`},
		{"merge out of vocabulary", tinyJSON(map[string]string{"model.merges": `["a b", "a q"]`}), `merge 2 ("a" "q"): token "q" is not in the vocabulary`},
		{"merge result out of vocabulary", tinyJSON(map[string]string{"model.merges": `["b a"]`}), `result "ba" is not in the vocabulary`},
		{"unk not in vocabulary", tinyJSON(map[string]string{"model.unk_token": `"<nope>"`}), `unk_token "<nope>"`},
		{"dropout", tinyJSON(map[string]string{"model.dropout": `0.1`}), "dropout"},
		{"normalizer", tinyJSON(map[string]string{"normalizer": `{"type":"BertNormalizer"}`}), `normalizer type "BertNormalizer" is not supported`},
		{"charsmap", tinyJSON(map[string]string{"normalizer": `{"type":"Precompiled","precompiled_charsmap":"AQAAAA=="}`}), `normalizer Precompiled: precompiled_charsmap: trie size 1`},
		{"charsmap base64", tinyJSON(map[string]string{"normalizer": `{"type":"Precompiled","precompiled_charsmap":"%%"}`}), `normalizer Precompiled: precompiled_charsmap: illegal base64`},
		{"pre_tokenizer", tinyJSON(map[string]string{"pre_tokenizer": `{"type":"BertPreTokenizer"}`}), `pre_tokenizer type "BertPreTokenizer"`},
		{"split behavior", tinyJSON(map[string]string{"pre_tokenizer": `{"type":"Split","pattern":{"String":" "},"behavior":"Sideways"}`}), `behavior "Sideways"`},
		{"regex", tinyJSON(map[string]string{"pre_tokenizer": `{"type":"Split","pattern":{"Regex":"a(?=b)"},"behavior":"Isolated"}`}), `regex "a(?=b)" is not supported`},
		{"template token", tinyJSON(map[string]string{"post_processor": `{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<q>"}}],"special_tokens":{}}`}), `special token "<q>"`},
		{"decoder", tinyJSON(map[string]string{"decoder": `{"type":"CTC"}`}), `decoder type "CTC"`},
		{"added id", tinyJSON(map[string]string{"added_tokens": `[{"id":-4,"content":"<q>"}]`}), `id -4 out of range`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "tokenizer: ") {
				t.Errorf("Parse error = %v, want one starting with \"tokenizer: \" and containing %q", err, tc.want)
			}
		})
	}
	if _, err := Parse([]byte(tinyJSON(nil)), []byte(`{"bos_token": "<nope>"}`)); err == nil || !strings.Contains(err.Error(), `bos_token "<nope>"`) {
		t.Errorf("unknown bos_token: error = %v", err)
	}
}
