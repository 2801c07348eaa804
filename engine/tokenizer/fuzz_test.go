package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics on any tokenizer.json and that
// whatever it accepts encodes and decodes without panicking.
func FuzzParse(f *testing.F) {
	f.Add([]byte(tinyJSON(nil)), []byte(nil))
	f.Add([]byte(tinyJSON(map[string]string{
		"pre_tokenizer":       `{"type":"Sequence","pretokenizers":[{"type":"Metaspace","prepend_scheme":"first"},{"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"MergedWithNext","invert":true}]}`,
		"normalizer":          `{"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Prepend","prepend":"▁"}]}`,
		"decoder":             `{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]}`,
		"post_processor":      `{"type":"RobertaProcessing","cls":["<s>",0],"sep":["</s>",1]}`,
		"model.byte_fallback": `true`, "model.unk_token": `"<unk>"`, "model.fuse_unk": `true`,
	})), []byte(`{"bos_token":"<s>","add_bos_token":true,"tokenizer_class":"LlamaTokenizer","clean_up_tokenization_spaces":true}`))
	f.Add([]byte(tinyJSON(map[string]string{"pre_tokenizer": `{"type":"ByteLevel","add_prefix_space":true}`, "decoder": `{"type":"ByteLevel"}`})), []byte(`{}`))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":1000000000},"merges":[]}}`), []byte(nil))
	f.Add([]byte(`{"model":{"vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]},"added_tokens":[{"id":3,"content":"b","lstrip":true,"rstrip":true,"single_word":true,"normalized":true}]}`), []byte(nil))
	f.Fuzz(func(t *testing.T, data, config []byte) {
		tk, err := Parse(data, config)
		if err != nil {
			return
		}
		for _, s := range []string{"", "ab c", " <s>abc</s>  b\n", "é\xff😀", "aaaaaaaaaaaa"} {
			ids := tk.Encode(s, true)
			tk.Decode(ids, false)
			tk.Decode(ids, true)
		}
		tk.AddsSpecial()
		_ = tk.String()
	})
}

// FuzzEncode checks that encoding never panics and, for GPT-2's byte-level
// BPE (lossless, no clean-up), that decoding gives the text back.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "Hello world", "  a\t\n\r\n b", "I'LL 'S 12345", "<|endoftext|>x", "👨‍👩‍👧 日本", "\xff\xfe", "<bos><|begin_of_text|>"} {
		f.Add(s)
	}
	gpt2 := family(f, "gpt2")
	llama3 := family(f, "llama3")
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.ToValidUTF8(s, "\uFFFD")
		ids := gpt2.Encode(s, true)
		if got := gpt2.Decode(ids, false); got != want {
			t.Errorf("gpt2: Decode(Encode(%q)) = %q", s, got)
		}
		for _, id := range ids {
			if _, ok := gpt2.IDToToken(id); !ok {
				t.Errorf("gpt2: Encode(%q) gave unknown id %d", s, id)
			}
		}
		ids = llama3.Encode(s, true)
		if got := llama3.Decode(ids, false); !utf8.ValidString(got) {
			t.Errorf("llama3: Decode gave invalid UTF-8 %q", got)
		}
	})
}
