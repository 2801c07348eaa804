package bpe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/actsh/actsh/engine/tokenizer"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"words", "Hello world", []string{"Hello", " world"}},
		{"contractions", "I'm can't they'll", []string{"I", "'m", " can", "'t", " they", "'ll"}},
		{"spaced apostrophe", "a 's", []string{"a", " '", "s"}},
		{"numbers", "in 1961, 42%", []string{"in", " 1961", ",", " 42", "%"}},
		{"spaces before word", "a   b", []string{"a", "  ", " b"}},
		{"trailing spaces", "a  ", []string{"a", "  "}},
		{"newline before word", "a\nb", []string{"a", "\n", "b"}},
		{"spaces and newline", "a \n\nb", []string{"a", " \n", "\n", "b"}},
		{"punct run", `said "no"...`, []string{"said", ` "`, "no", `"...`}},
		{"unicode", "naïve café—yes", []string{"naïve", " café", "—", "yes"}},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Split(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestByteLevel(t *testing.T) {
	if got := ByteLevel(" hi\n"); got != "Ġhi\u010a" {
		t.Errorf("ByteLevel = %q", got)
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if got := FromByteLevel(ByteLevel(string(all))); !bytes.Equal(got, all) {
		t.Error("byte mapping does not invert")
	}
	if byteOrder[0] != '!' || byteOrder[255] != 0xAD || len(byteOrder) != 256 {
		t.Errorf("byte order starts %q ends %#x", byteOrder[0], byteOrder[255])
	}
}

const sample = `The ship sailed at dawn. The sailors sang as the ship left the harbor.
"Where is the whale?" asked the captain. Nobody knew where the whale was.
In 1961 the jury said the election was fair; they'd found no evidence.
The sea was calm, the sea was grey, and the ship's bell rang twice.`

func train(t testing.TB, vocab int) *Tokenizer {
	t.Helper()
	tr := NewTrainer()
	for _, l := range strings.Split(sample, "\n") {
		tr.Add(l)
	}
	tok, err := tr.Train(Options{VocabSize: vocab})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTrain(t *testing.T) {
	tok := train(t, 300)
	if n := len(tok.Vocab); n > 300 || len(tok.Merges) != n-257 || len(tok.Merges) < 20 {
		t.Errorf("vocab %d with %d merges", n, len(tok.Merges))
	}
	if want := naiveMerges(strings.Split(sample, "\n"), len(tok.Merges)); !reflect.DeepEqual(tok.Merges, want) {
		if len(want) != len(tok.Merges) {
			t.Errorf("%d merges, naive recount gives %d", len(tok.Merges), len(want))
		}
		for i := range want {
			if i >= len(tok.Merges) || tok.Merges[i] != want[i] {
				t.Fatalf("merge %d: got %q, naive recount gives %q", i, tok.Merges[i:i+1], want[i])
			}
		}
	}
	for i := 0; i < 3; i++ {
		again := train(t, 300)
		if !reflect.DeepEqual(again.Merges, tok.Merges) {
			t.Fatal("merges differ between runs")
		}
	}
	if tok.Vocab[len(tok.Vocab)-1] != EndOfText {
		t.Errorf("last token %q, want %q", tok.Vocab[len(tok.Vocab)-1], EndOfText)
	}
	if _, err := NewTrainer().Train(Options{VocabSize: 100}); err == nil {
		t.Error("vocab below 257 accepted")
	}
}

func TestMinFrequency(t *testing.T) {
	tr := NewTrainer()
	tr.Add("ab ab cd")
	tok, err := tr.Train(Options{VocabSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// Only "a b" (2) and "Ġ a"... occur twice; "c d" occurs once.
	for _, m := range tok.Merges {
		if m == [2]string{"c", "d"} {
			t.Error("merged a pair seen once")
		}
	}
}

func TestRoundTrip(t *testing.T) {
	tok := train(t, 320)
	tests := []string{
		"The ship sailed.",
		"Unseen words: zyzzyva, Ærøskøbing, 東京, emoji 🐋!",
		"  leading and trailing  \n",
		"two docs<|endoftext|>joined",
		"",
	}
	for _, text := range tests {
		t.Run(text, func(t *testing.T) {
			ids := tok.Encode(text)
			if got := tok.Decode(ids); got != text {
				t.Errorf("Decode(Encode(%q)) = %q", text, got)
			}
		})
	}
	if ids := tok.Encode("a<|endoftext|>"); ids[len(ids)-1] != len(tok.Vocab)-1 {
		t.Errorf("special token not matched: %v", ids)
	}
	if n := len(tok.Encode("The ship")); n >= len("The ship") {
		t.Errorf("no compression: %d tokens for 8 bytes", n)
	}
}

func TestEncodeDocuments(t *testing.T) {
	tok := train(t, 300)
	got := tok.EncodeDocuments([]string{"The ship.", "The sea."})
	want := append(append(toInt32(tok.Encode("The ship.")), int32(len(tok.Vocab)-1)), append(toInt32(tok.Encode("The sea.")), int32(len(tok.Vocab)-1))...)
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func toInt32(ids []int) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}

// TestLoader checks that the written tokenizer.json is read by our Hugging
// Face loader (engine/tokenizer) and gives the same ids as our own encoder.
func TestLoader(t *testing.T) {
	tok := train(t, 400)
	dir := t.TempDir()
	if err := tok.WriteFiles(dir, 128); err != nil {
		t.Fatal(err)
	}
	hf, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if hf.VocabSize() != len(tok.Vocab) {
		t.Errorf("loader vocab %d, want %d", hf.VocabSize(), len(tok.Vocab))
	}
	if eos, ok := hf.EOS(); !ok || eos != len(tok.Vocab)-1 {
		t.Errorf("loader EOS = %d, %v", eos, ok)
	}
	texts := append(strings.Split(sample, "\n"), "Unseen: zyzzyva 東京 🐋  \n\n x", "a<|endoftext|>b")
	for i, text := range texts {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			want := tok.Encode(text)
			got := hf.Encode(text, true)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q:\nloader %v\n   ours %v", text, got, want)
			}
			if back := hf.Decode(got, false); back != text {
				t.Errorf("loader round trip %q -> %q", text, back)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	f.Add(sample)
	f.Add("a \n\n b's 'll\t")
	f.Fuzz(func(t *testing.T, s string) {
		parts := Split(s)
		if got := strings.Join(parts, ""); got != s {
			t.Fatalf("pieces %q do not rebuild %q", parts, s)
		}
		for _, p := range parts {
			if p == "" {
				t.Fatal("empty piece")
			}
		}
		if utf8.ValidString(s) {
			tok := fuzzTok
			if got := tok.Decode(tok.Encode(s)); got != s {
				t.Fatalf("round trip %q -> %q", s, got)
			}
		}
	})
}

var fuzzTok = func() *Tokenizer {
	tr := NewTrainer()
	tr.Add(sample)
	tok, _ := tr.Train(Options{VocabSize: 300})
	return tok
}()

var _ = filepath.Join

// naiveMerges is an independent, slow trainer: it recounts every pair over
// the whole word table at each step, and picks the highest count, ties to
// the smallest (left, right) strings.
func naiveMerges(texts []string, n int) [][2]string {
	freq := map[string]int{}
	for _, tx := range texts {
		for _, p := range Split(tx) {
			freq[ByteLevel(p)]++
		}
	}
	words := map[string][]string{}
	for w := range freq {
		for _, r := range w {
			words[w] = append(words[w], string(r))
		}
	}
	var merges [][2]string
	for len(merges) < n {
		counts := map[[2]string]int{}
		for w, parts := range words {
			for k := 0; k+1 < len(parts); k++ {
				counts[[2]string{parts[k], parts[k+1]}] += freq[w]
			}
		}
		var best [2]string
		bc := 0
		for p, c := range counts {
			if c > bc || (c == bc && (p[0] < best[0] || (p[0] == best[0] && p[1] < best[1]))) {
				best, bc = p, c
			}
		}
		if bc < 2 {
			break
		}
		merges = append(merges, best)
		for w, parts := range words {
			var next []string
			for k := 0; k < len(parts); k++ {
				if k+1 < len(parts) && parts[k] == best[0] && parts[k+1] == best[1] {
					next = append(next, best[0]+best[1])
					k++
					continue
				}
				next = append(next, parts[k])
			}
			words[w] = next
		}
	}
	return merges
}

// TestShipped checks the committed tokenizer (tiny/data/tokenizer, made by
// recipes/tiny_tokenizer.go): the loader reads it, its size is as
// documented, and text round-trips.
func TestShipped(t *testing.T) {
	hf, err := tokenizer.Load(filepath.Join("..", "data", "tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	if hf.VocabSize() != 4096 {
		t.Errorf("vocab %d, want 4096", hf.VocabSize())
	}
	if id, ok := hf.TokenToID(EndOfText); !ok || id != 4095 {
		t.Errorf("%s = %d, %v; want 4095", EndOfText, id, ok)
	}
	text := "Call me Ishmael. The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\"."
	ids := hf.Encode(text, true)
	if back := hf.Decode(ids, false); back != text {
		t.Errorf("round trip %q", back)
	}
	// The corpus averages 3.65 bytes per token; fewer than 2 would mean the
	// merges are not being used.
	if 2*len(ids) > len(text) {
		t.Errorf("%d tokens for %d bytes: the merges are not being used", len(ids), len(text))
	}
}

// TestReference compares, on the shipped tokenizer, our encoder (over the
// file read back by ParseTokenizerJSON) and engine/tokenizer with the ids
// of an independent implementation of Hugging Face tokenizers
// (@lenml/tokenizers 3.7.2, made by testdata/lenml_ids.mjs). Ids are
// integers: they must be equal.
func TestReference(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "lenml_ids.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Text string
			IDs  []int `json:"ids"`
		}
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("..", "data", "tokenizer")
	tj, err := os.ReadFile(filepath.Join(file, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := ParseTokenizerJSON(tj)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours.TokenizerJSON(), tj) {
		t.Error("ParseTokenizerJSON then TokenizerJSON does not give the file back")
	}
	hf, err := tokenizer.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range ref.Cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if got := ours.Encode(c.Text); !slices.Equal(got, c.IDs) {
				t.Errorf("%q: ours %v, reference %v", c.Text, got, c.IDs)
			}
			if got := hf.Encode(c.Text, true); !slices.Equal(got, c.IDs) {
				t.Errorf("%q: engine/tokenizer %v, reference %v", c.Text, got, c.IDs)
			}
		})
	}
}

func FuzzParseTokenizerJSON(f *testing.F) {
	tok := train(f, 280)
	f.Add(tok.TokenizerJSON())
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[["a","b"]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := ParseTokenizerJSON(data)
		if err != nil {
			return
		}
		tk.Decode(tk.Encode("ab ba"))
	})
}
