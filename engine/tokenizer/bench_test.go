package tokenizer

import (
	"strings"
	"testing"
)

// benchText is a paragraph of prose, code and other scripts.
var benchText = strings.Repeat("Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, "+
	"I thought I would sail about a little.\n\tfor (int i = 0; i < 1234567; ++i) { sum += a[i]; }\n日本語のテキスト 👍🏽 It'S FINE.  ", 4)

// BenchmarkEncode measures Encode per family with a warm word cache.
func BenchmarkEncode(b *testing.B) {
	for _, name := range families {
		b.Run(name, func(b *testing.B) {
			tk := family(b, name)
			b.SetBytes(int64(len(benchText)))
			for b.Loop() {
				tk.Encode(benchText, true)
			}
		})
	}
}

// BenchmarkDecode measures Decode per family.
func BenchmarkDecode(b *testing.B) {
	for _, name := range families {
		b.Run(name, func(b *testing.B) {
			tk := family(b, name)
			ids := tk.Encode(benchText, true)
			b.SetBytes(int64(len(benchText)))
			for b.Loop() {
				tk.Decode(ids, false)
			}
		})
	}
}
