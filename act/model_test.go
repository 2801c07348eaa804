package act

import (
	"strings"
	"testing"
)

// gpt2Dir is the reference GPT-2 checkpoint shipped in the repository
// (no tokenizer.json: every call here works on ids).
const gpt2Dir = "../testdata/reference/gpt2/checkpoint"

// Fixture values from testdata/reference/gpt2/expected.safetensors.
var (
	gpt2Input  = []int{290, 28, 105, 52, 205}                          // input_ids.0
	gpt2Greedy = []int{157, 40, 157, 157, 157, 157, 166, 157, 88, 157} // greedy.0
)

// panics runs f and returns the *Error it panicked with (nil if none).
func panics(f func()) (err *Error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	f()
	return nil
}

func TestModel(t *testing.T) {
	m := Load(gpt2Dir)
	if s := m.String(); !strings.Contains(s, "gpt2") || !strings.Contains(s, "2 layers") || !strings.Contains(s, "vocab 320") {
		t.Errorf("String() = %q", s)
	}
	if got := m.Points(".*ln_2"); strings.Join(got, ",") != "transformer.h.0.ln_2,transformer.h.1.ln_2" {
		t.Errorf("Points(.*ln_2) = %v", got)
	}
	if n := len(m.Points()); n != 15 {
		t.Errorf("%d points, want 15 (7 per block and ln_f)", n)
	}
	logits := m.Logits(gpt2Input)
	if len(logits) != len(gpt2Input) || len(logits[0]) != 320 {
		t.Fatalf("logits shape [%d][%d], want [5][320]", len(logits), len(logits[0]))
	}
	if got := m.GenerateIDs(gpt2Input, nil, 0, MaxTokens(10)); !equal(got, gpt2Greedy) {
		t.Errorf("GenerateIDs = %v, want %v", got, gpt2Greedy)
	}
	act := m.Capture(gpt2Input, "transformer.h.0.mlp.c_fc")
	if len(act) != 5 || len(act[0]) != 256 {
		t.Errorf("Capture shape [%d][%d], want [5][256]", len(act), len(act[0]))
	}

	// A map sending ln_f's output to 0 at λ = 1 zeroes the logits exactly;
	// at λ = 0 the logits are exactly the unsteered ones.
	zero := make([]float32, 64)
	tr := NewTransport()
	tr.Set("transformer.ln_f", zero, zero, nil, nil)
	for _, row := range m.LogitsWith(gpt2Input, tr, 1) {
		for _, v := range row {
			if v != 0 {
				t.Fatalf("steered logit %g, want 0", v)
			}
		}
	}
	for p, row := range m.LogitsWith(gpt2Input, tr, 0) {
		for v := range row {
			if row[v] != logits[p][v] {
				t.Fatalf("λ=0 logit [%d][%d] = %g, unsteered %g", p, v, row[v], logits[p][v])
			}
		}
	}
}

func TestModelErrors(t *testing.T) {
	m := Load(gpt2Dir)
	bad := NewTransport()
	bad.Set("transformer.h.9.ln_2", []float32{1}, []float32{0}, nil, nil)
	tests := []struct {
		name string
		f    func()
		msg  string
	}{
		{"missing folder", func() { Load("/nonexistent/model") }, "/nonexistent/model"},
		{"no match", func() { m.Points("nothing") }, `no gpt2 point matches "nothing"`},
		{"tokenize", func() { m.Tokenize("hello") }, "has no tokenizer.json"},
		{"decode", func() { m.Decode([]int{1}) }, "has no tokenizer.json"},
		{"unknown point", func() { m.LogitsWith(gpt2Input, bad, 0.5) }, `cannot steer "transformer.h.9.ln_2"`},
		{"capture", func() { m.Capture(gpt2Input, "ln_f") }, `cannot capture "ln_f"`},
		{"id range", func() { m.Logits([]int{999}) }, "token id 999 out of range"},
		{"sample", func() { m.GenerateIDs(gpt2Input, nil, 0, Sample(1, 2)) }, "topP"},
		{"position", func() { m.GenerateIDs(gpt2Input, NewTransport(), 0.5, Position("first")) }, `Position("first")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := panics(tc.f)
			if err == nil {
				t.Fatal("no panic")
			}
			if !strings.HasPrefix(err.Msg, "act: ") || !strings.Contains(err.Msg, tc.msg) {
				t.Errorf("panic %q, want an act: message containing %q", err.Msg, tc.msg)
			}
		})
	}
}

// TestGeneratePosition checks that Position("last") overrides where the
// transport applies: a map zeroing block 0's attention input changes the
// continuation differently when it hits every position than when it hits
// only the last token of each pass.
func TestGeneratePosition(t *testing.T) {
	m := Load(gpt2Dir)
	zero := make([]float32, 64)
	tr := NewTransport()
	tr.Set("transformer.h.0.ln_1", zero, zero, nil, nil)
	all := m.GenerateIDs(gpt2Input, tr, 1, MaxTokens(6))
	last := m.GenerateIDs(gpt2Input, tr, 1, MaxTokens(6), Position("last"))
	if equal(all, last) {
		t.Errorf("Position(last) gave the same tokens as every position: %v", all)
	}
	if again := m.GenerateIDs(gpt2Input, tr, 1, MaxTokens(6), Position("all")); !equal(again, all) {
		t.Errorf("Position(all) = %v, default %v", again, all)
	}
}

func TestGenerateSampled(t *testing.T) {
	m := Load(gpt2Dir)
	a := m.GenerateIDs(gpt2Input, nil, 0, MaxTokens(8), Sample(0.9, 0.95), TopK(50), Seed(7))
	b := m.GenerateIDs(gpt2Input, nil, 0, MaxTokens(8), Sample(0.9, 0.95), TopK(50), Seed(7))
	if len(a) != 8 || !equal(a, b) {
		t.Errorf("same seed gave %v and %v", a, b)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The unsteered greedy continuation repeats token 157 seven times; a strong
// repetition penalty must break that loop, and a negative one is refused.
func TestGenerateRepetitionPenalty(t *testing.T) {
	m := Load(gpt2Dir)
	got := m.GenerateIDs(gpt2Input, nil, 0, MaxTokens(10), RepetitionPenalty(5))
	count := 0
	for _, id := range got {
		if id == 157 {
			count++
		}
	}
	if len(got) != 10 || count > 1 {
		t.Errorf("RepetitionPenalty(5) gave %v (token 157 %d times), want at most once", got, count)
	}
	if err := panics(func() { m.GenerateIDs(gpt2Input, nil, 0, RepetitionPenalty(-1)) }); err == nil || !strings.Contains(err.Msg, "RepetitionPenalty(-1)") {
		t.Errorf("RepetitionPenalty(-1) error = %v", err)
	}
}

// TestGenerateBatch checks that a batch of prompts of different lengths
// gives, greedy, the continuations each prompt gets alone, unsteered and
// steered, and that a sampled batch is reproducible with its seed.
func TestGenerateBatch(t *testing.T) {
	m := Load("tiny")
	prompts := []string{"It was", "The man said that the", "In the morning"}
	tr := NewTransport()
	for _, p := range m.Points(".*ln_2") {
		w, b := make([]float32, m.Engine().Info().HiddenSize), make([]float32, m.Engine().Info().HiddenSize)
		for j := range w {
			w[j], b[j] = 0.5, float32(j%7)*0.1
		}
		tr.Set(p, w, b, nil, nil)
	}
	for _, lambda := range []float64{0, 0.8} {
		got := m.GenerateBatch(prompts, tr, lambda, MaxTokens(10))
		for i, p := range prompts {
			if want := m.Generate(p, tr, lambda, MaxTokens(10)); got[i] != want {
				t.Errorf("λ=%g %q: batched %q, alone %q", lambda, p, got[i], want)
			}
		}
	}
	a := m.GenerateBatch(prompts, nil, 0, MaxTokens(8), Sample(1, 1), Seed(3))
	b := m.GenerateBatch(prompts, nil, 0, MaxTokens(8), Sample(1, 1), Seed(3))
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("sampled batch row %d: %q then %q with the same seed", i, a[i], b[i])
		}
	}
	if msg := panics(func() { m.GenerateBatch(nil, nil, 0) }); msg == nil || !strings.Contains(msg.Msg, "no prompts") {
		t.Errorf("empty batch: %v", msg)
	}
}
