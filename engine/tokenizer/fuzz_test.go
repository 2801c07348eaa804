package tokenizer

import (
	"encoding/binary"
	"encoding/json"
	"math"
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
	f.Add([]byte(t5TinyJSON), []byte(`{"tokenizer_class":"T5Tokenizer","eos_token":"</s>","pad_token":"<pad>"}`))
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

// t5TinyJSON is a small T5-like tokenizer.json: Unigram, the normalizer
// T5's converter writes (without the charsmap), Metaspace, $A </s>.
const t5TinyJSON = `{
  "added_tokens": [{"id": 1, "content": "</s>", "special": true}],
  "normalizer": {"type": "Sequence", "normalizers": [{"type": "Precompiled", "precompiled_charsmap": "DAAAAACAAQBhDQAAAAAAgGIA"},
    {"type": "Strip", "strip_left": false, "strip_right": true}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "▁"}]},
  "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
  "post_processor": {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A"}}, {"SpecialToken": {"id": "</s>"}}],
    "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
  "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
  "model": {"type": "Unigram", "unk_id": 2, "vocab": [["<pad>", 0], ["</s>", 0], ["<unk>", 0], ["▁", -2], ["b", -3], ["▁b", -2.5], ["c", -4]]}
}`

// tinyCharsmap is a precompiled_charsmap whose trie maps "a" to "b": a
// root unit whose children sit at offset 0x60, the unit of 'a' (label
// 0x61, has a leaf, its leaf 3 units on) at 0x60^0x61 = 1, and the leaf
// (value 0, the offset of "b\x00") at 1^3 = 2.
var tinyCharsmap = []byte{12, 0, 0, 0, 0, 0x80, 1, 0, 0x61, 0x0D, 0, 0, 0, 0, 0, 0x80, 'b', 0}

// FuzzCharsmap checks that any precompiled_charsmap either fails to parse
// or normalizes any text without panicking.
func FuzzCharsmap(f *testing.F) {
	f.Add(tinyCharsmap, "a cab")
	f.Add([]byte{4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, "\x00é")
	f.Fuzz(func(t *testing.T, charsmap []byte, s string) {
		p, err := parseCharsmap(charsmap)
		if err != nil {
			return
		}
		p.normalize(strings.ToValidUTF8(s, "\uFFFD"))
	})
}

// spiece serializes a SentencePiece ModelProto with the given pieces
// (type NORMAL unless named in control), model_type and unk_id.
func spiece(pieces []string, control map[string]bool, modelType, unkID int) []byte {
	field := func(b []byte, num, wire int) []byte { return binary.AppendUvarint(b, uint64(num<<3|wire)) }
	bytesField := func(b []byte, num int, v []byte) []byte {
		b = binary.AppendUvarint(field(b, num, 2), uint64(len(v)))
		return append(b, v...)
	}
	var m []byte
	for i, p := range pieces {
		var sp []byte
		sp = bytesField(sp, 1, []byte(p))
		sp = binary.LittleEndian.AppendUint32(field(sp, 2, 5), math.Float32bits(-float32(i)))
		if control[p] {
			sp = binary.AppendUvarint(field(sp, 3, 0), 3)
		}
		m = bytesField(m, 1, sp)
	}
	var ts []byte
	ts = binary.AppendUvarint(field(ts, 3, 0), uint64(modelType))
	ts = binary.AppendUvarint(field(ts, 40, 0), uint64(unkID))
	m = bytesField(m, 2, ts)
	return bytesField(m, 3, bytesField(nil, 2, tinyCharsmap))
}

// FuzzSentencePiece checks that any spiece.model and tokenizer_config.json
// either fail to load or give a tokenizer that encodes and decodes
// without panicking.
func FuzzSentencePiece(f *testing.F) {
	control := map[string]bool{"<pad>": true, "</s>": true}
	f.Add(spiece([]string{"<pad>", "</s>", "<unk>", "▁", "b", "▁b", "c"}, control, 1, 2), []byte(`{"extra_ids": 2}`))
	f.Add(spiece([]string{"</s>", "▁a"}, control, 1, 1), []byte(`{"legacy": false, "additional_special_tokens": ["<x>"]}`))
	f.Add(spiece([]string{"</s>"}, nil, 2, 0), []byte(`{}`))
	f.Fuzz(func(t *testing.T, model, config []byte) {
		m, err := parseSentencePiece(model)
		if err != nil {
			return
		}
		var cfg slowConfig
		if json.Unmarshal(config, &cfg) != nil {
			return
		}
		if cfg.ExtraIDs != nil && *cfg.ExtraIDs > 1000 {
			return // only slow
		}
		tk, err := t5Tokenizer(m, cfg)
		if err != nil {
			return
		}
		for _, s := range []string{"", "a cab", "  b\t</s><extra_id_0> ", "é\xff😀"} {
			ids := tk.Encode(s, true)
			tk.Decode(ids, false)
			tk.Decode(ids, true)
		}
	})
}
