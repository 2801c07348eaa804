package act

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine/enginetest"
	"github.com/actsh/actsh/internal/fixture"
)

// robertaFixture is the tiny RobertaForSequenceClassification shipped in
// testdata (no tokenizer.json), with its expected outputs.
func robertaFixture(t *testing.T) (dir string, e *enginetest.File) {
	t.Helper()
	ref := fixture.Reference(t, "encoders", "roberta_cls")
	e, err := enginetest.Open(filepath.Join(ref, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return filepath.Join(ref, "checkpoint"), e
}

// fixtureRows returns the real tokens of each row of the fixture's padded
// batch and whether the row starts with a real token.
func fixtureRows(t *testing.T, e *enginetest.File) (rows [][]int, startsReal []bool) {
	t.Helper()
	ids, shape, err := e.Ints("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	mask, _, err := e.Ints("attention_mask")
	if err != nil {
		t.Fatal(err)
	}
	T := shape[1]
	for i := range shape[0] {
		var s []int
		for j := range T {
			if mask[i*T+j] == 1 {
				s = append(s, ids[i*T+j])
			}
		}
		rows = append(rows, s)
		startsReal = append(startsReal, mask[i*T] == 1)
	}
	return rows, startsReal
}

// TestClassifierFixture compares LogitsIDs and ClassifyIDs with the
// reference on the rows that transformers classifies at their own <s>
// (a left-padded row's reference logits are those of a pad, which the
// engine's conformance test checks). Tolerance: 1e-4 absolute on logits
// and probabilities, the task's bound; the fixture's float32-vs-float64
// spread is 1.2e-6.
func TestClassifierFixture(t *testing.T) {
	dir, e := robertaFixture(t)
	c := LoadClassifier(dir)
	if got := c.Labels(); !slices.Equal(got, []string{"NEGATIVE", "POSITIVE"}) {
		t.Errorf("Labels() = %v", got)
	}
	if s := c.String(); !strings.Contains(s, "RobertaForSequenceClassification") || !strings.Contains(s, "labels [NEGATIVE POSITIVE]") {
		t.Errorf("String() = %q", s)
	}
	rows, startsReal := fixtureRows(t, e)
	wantL, _, _ := e.Float32("logits")
	wantP, _, _ := e.Float32("probs")
	logits := c.LogitsIDs(rows)
	probs := c.ClassifyIDs(rows)
	one := c.ClassifyIDs(rows, Batch(1))
	var maxL float64
	for i := range rows {
		for j := range 2 {
			if d := math.Abs(float64(probs[i][j] - one[i][j])); d > 1e-6 {
				t.Errorf("row %d: batched and single probabilities differ by %.3g", i, d)
			}
			if !startsReal[i] {
				continue
			}
			dl := math.Abs(float64(logits[i][j] - wantL[i*2+j]))
			maxL = math.Max(maxL, dl)
			if dp := math.Abs(float64(probs[i][j] - wantP[i*2+j])); dl > 1e-4 || dp > 1e-4 {
				t.Errorf("row %d label %d: logit %g (want %g), probability %g (want %g)", i, j, logits[i][j], wantL[i*2+j], probs[i][j], wantP[i*2+j])
			}
		}
		if s := probs[i][0] + probs[i][1]; math.Abs(float64(s)-1) > 1e-6 {
			t.Errorf("row %d: probabilities sum to %g", i, s)
		}
	}
	t.Logf("max |Δlogit| %.3g", maxL)
}

// tinyRobertaTokenizer is a byte-level BPE tokenizer.json in RoBERTa's
// layout (<s>, <pad>, </s>, <unk> at 0–3, RobertaProcessing) whose ids fit
// the fixture's 100-token vocabulary: the letters a–z and Ġ (a space).
func tinyRobertaTokenizer() []byte {
	vocab := map[string]int{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
	for i, r := range "abcdefghijklmnopqrstuvwxyzĠ" {
		vocab[string(r)] = 4 + i
	}
	vocab["Ġa"] = 31
	vocab["<mask>"] = 32
	special := func(id int, s string, lstrip bool) map[string]any {
		return map[string]any{"id": id, "content": s, "single_word": false, "lstrip": lstrip, "rstrip": false, "normalized": false, "special": true}
	}
	j := map[string]any{
		"version": "1.0",
		"added_tokens": []any{special(0, "<s>", false), special(1, "<pad>", false), special(2, "</s>", false),
			special(3, "<unk>", false), special(32, "<mask>", true)},
		"normalizer":     nil,
		"pre_tokenizer":  map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
		"post_processor": map[string]any{"type": "RobertaProcessing", "sep": []any{"</s>", 2}, "cls": []any{"<s>", 0}, "trim_offsets": true, "add_prefix_space": false},
		"decoder":        map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": "", "end_of_word_suffix": "",
			"fuse_unk": false, "byte_fallback": false, "vocab": vocab, "merges": []string{"Ġ a"}},
	}
	b, _ := json.Marshal(j)
	return b
}

// robertaWithTokenizer copies the fixture checkpoint into a temporary
// folder with tinyRobertaTokenizer's tokenizer.json.
func robertaWithTokenizer(t *testing.T) string {
	t.Helper()
	src, _ := robertaFixture(t)
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tinyRobertaTokenizer(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestClassifierTexts(t *testing.T) {
	c := LoadClassifier(robertaWithTokenizer(t))
	if got := c.Tokenize("ab a"); !slices.Equal(got, []int{0, 4, 5, 31, 2}) {
		t.Errorf("Tokenize(%q) = %v, want [0 4 5 31 2]", "ab a", got)
	}
	long := strings.Repeat("xy ", 20)
	ids := c.Tokenize(long)
	if mp := c.Engine().Info().MaxPositions; len(ids) != mp || ids[0] != 0 || ids[len(ids)-1] != 2 {
		t.Errorf("Tokenize(long) = %v: want %d ids from <s> to </s>", ids, mp)
	}
	texts := []string{"ab a", "", long, "hello world"}
	got := c.Classify(texts)
	for i, text := range texts {
		want := c.ClassifyIDs([][]int{c.Tokenize(text)})[0]
		for j := range want {
			if d := math.Abs(float64(got[i][j] - want[j])); d > 1e-6 {
				t.Errorf("Classify(%q)[%d] = %g, alone %g", text, j, got[i][j], want[j])
			}
		}
	}
}

func TestClassifierErrors(t *testing.T) {
	dir, _ := robertaFixture(t)
	c := LoadClassifier(dir)
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"language model", func() { LoadClassifier(gpt2Dir) }, "names GPT2LMHeadModel, not a sequence classifier"},
		{"tiny", func() { LoadClassifier("tiny") }, "not a sequence classifier"},
		{"missing folder", func() { LoadClassifier(filepath.Join(t.TempDir(), "nothing")) }, "LoadClassifier"},
		{"no config", func() { LoadClassifier(t.TempDir()) }, "has no config.json"},
		{"no weights", func() {
			d := t.TempDir()
			b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
			os.WriteFile(filepath.Join(d, "config.json"), b, 0o644)
			os.WriteFile(filepath.Join(d, "pytorch_model.bin"), []byte("x"), 0o644)
			LoadClassifier(d)
		}, "pytorch_model.bin but no safetensors"},
		{"no texts", func() { c.Classify(nil) }, "Classify: no texts"},
		{"no tokenizer", func() { c.Classify([]string{"hi"}) }, "has no tokenizer.json"},
		{"no ids", func() { c.ClassifyIDs(nil) }, "ClassifyIDs: no sequences"},
		{"empty ids", func() { c.ClassifyIDs([][]int{{0, 2}, {}}) }, "sequence 1 is empty"},
		{"too long", func() { c.ClassifyIDs([][]int{make([]int, 17)}) }, "17 tokens, the model takes at most 16"},
		{"out of vocabulary", func() { c.ClassifyIDs([][]int{{0, 100, 2}}) }, "token id 100 is outside the vocabulary [0, 100)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := panics(tc.f)
			if err == nil || !strings.Contains(err.Msg, tc.want) || strings.Contains(err.Msg, "\n") {
				t.Fatalf("panic %v, want one line containing %q", err, tc.want)
			}
		})
	}
}
