package act_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	. "github.com/actsh/actsh/act"
)

// selfBLEUFixture is testdata/selfbleu/fixture.json, written by
// make_fixture.py with NLTK.
type selfBLEUFixture struct {
	NLTK   string `json:"nltk"`
	Tokens []struct {
		Text   string   `json:"text"`
		Tokens []string `json:"tokens"`
	} `json:"tokens"`
	Sets []struct {
		Name   string   `json:"name"`
		Texts  []string `json:"texts"`
		Orders []struct {
			Order  int       `json:"order"`
			Scores []float64 `json:"scores"`
			Mean   float64   `json:"mean"`
		} `json:"orders"`
	} `json:"sets"`
}

func readSelfBLEUFixture(t *testing.T) selfBLEUFixture {
	t.Helper()
	data, err := os.ReadFile("testdata/selfbleu/fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var f selfBLEUFixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWordTokensNLTK(t *testing.T) {
	f := readSelfBLEUFixture(t)
	bad := 0
	for _, c := range f.Tokens {
		got := WordTokens(c.Text)
		if len(got) == 0 && len(c.Tokens) == 0 {
			continue
		}
		if !slices.Equal(got, c.Tokens) {
			bad++
			if bad <= 10 {
				t.Errorf("WordTokens(%q)\n got %q\nwant %q (NLTK %s)", c.Text, got, c.Tokens, f.NLTK)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts tokenised differently from NLTK", bad, len(f.Tokens))
	}
}

// TestSelfBLEUNLTK checks Self-BLEU against NLTK's sentence_bleu with
// method1 smoothing. 1e-12 relative: both sides compute the same float64
// formula; they differ only in the last bits of log and exp and in NLTK
// summing the log precisions with math.fsum.
func TestSelfBLEUNLTK(t *testing.T) {
	const tol = 1e-12
	f := readSelfBLEUFixture(t)
	var worst float64
	close := func(got, want float64) bool {
		if want == 0 {
			return got == 0
		}
		d := math.Abs(got-want) / math.Abs(want)
		worst = max(worst, d)
		return d <= tol
	}
	for _, set := range f.Sets {
		for _, o := range set.Orders {
			t.Run(set.Name+"/"+string(rune('0'+o.Order)), func(t *testing.T) {
				scores := SelfBLEUScores(set.Texts, BLEUOrder(o.Order))
				if len(scores) != len(o.Scores) {
					t.Fatalf("%d scores, want %d", len(scores), len(o.Scores))
				}
				for i := range scores {
					if !close(scores[i], o.Scores[i]) {
						t.Errorf("text %d (%q): BLEU %.17g, NLTK %.17g", i, set.Texts[i], scores[i], o.Scores[i])
					}
				}
				if got := SelfBLEU(set.Texts, BLEUOrder(o.Order)); !close(got, o.Mean) {
					t.Errorf("SelfBLEU %.17g, NLTK %.17g", got, o.Mean)
				}
			})
		}
	}
	t.Logf("largest relative difference from NLTK %s: %.3g", f.NLTK, worst)
}

func TestSelfBLEUDefaultOrder(t *testing.T) {
	texts := []string{"the cat sat on the mat", "the cat sat on a mat", "a cat sat"}
	if a, b := SelfBLEU(texts), SelfBLEU(texts, BLEUOrder(4)); a != b {
		t.Errorf("default %v, BLEUOrder(4) %v", a, b)
	}
}

// naiveBLEU is sentence BLEU written the direct way, for cross-checking
// SelfBLEUTokens' shortcut (the two largest counts per n-gram).
func naiveBLEU(hyp []string, refs [][]string, order int) float64 {
	count := func(seq []string, n int) map[string]int {
		m := map[string]int{}
		for k := 0; k+n <= len(seq); k++ {
			m[strings.Join(seq[k:k+n], "\x00")]++
		}
		return m
	}
	var logSum float64
	for n := 1; n <= order; n++ {
		h := count(hyp, n)
		num, den := 0, 0
		for g, c := range h {
			best := 0
			for _, r := range refs {
				best = max(best, count(r, n)[g])
			}
			num += min(c, best)
			den += c
		}
		den = max(den, 1)
		if n == 1 && num == 0 {
			return 0
		}
		p := float64(num) / float64(den)
		if num == 0 {
			p = 0.1 / float64(den)
		}
		logSum += math.Log(p) / float64(order)
	}
	c, r := len(hyp), -1
	for _, ref := range refs {
		l := len(ref)
		if r < 0 || abs(l-c) < abs(r-c) || (abs(l-c) == abs(r-c) && l < r) {
			r = l
		}
	}
	bp := 1.0
	if c <= r {
		bp = math.Exp(1 - float64(r)/float64(c))
	}
	return bp * math.Exp(logSum)
}

func abs(x int) int { return max(x, -x) }

func TestSelfBLEUTokensNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	vocab := []string{"a", "b", "c", "d", "e"}
	for trial := range 50 {
		n := 2 + rng.IntN(12)
		tokens := make([][]string, n)
		for i := range tokens {
			for range rng.IntN(12) {
				tokens[i] = append(tokens[i], vocab[rng.IntN(len(vocab))])
			}
		}
		if trial%5 == 0 { // duplicates: several texts share the largest count
			tokens[n-1] = tokens[0]
		}
		order := 1 + rng.IntN(5)
		got := SelfBLEUTokens(tokens, BLEUOrder(order))
		for i := range tokens {
			refs := slices.Concat(tokens[:i], tokens[i+1:])
			want := naiveBLEU(tokens[i], refs, order)
			if math.Abs(got[i]-want) > 1e-12*math.Abs(want) {
				t.Fatalf("trial %d, text %d of %q, order %d: %v, direct %v", trial, i, tokens, order, got[i], want)
			}
		}
	}
}

func TestSelfBLEUBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func()
		want string
	}{
		{"no texts", func() { SelfBLEU(nil) }, "act: SelfBLEU needs at least 2 texts"},
		{"one text", func() { SelfBLEU([]string{"alone"}) }, "got 1"},
		{"one token list", func() { SelfBLEUTokens([][]string{{"alone"}}) }, "got 1"},
		{"order 0", func() { SelfBLEU([]string{"a", "b"}, BLEUOrder(0)) }, "BLEUOrder(0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				err, ok := r.(error)
				var actErr *Error
				if !ok || !errors.As(err, &actErr) {
					t.Fatalf("panic %v, want an *act.Error", r)
				}
				if !strings.Contains(actErr.Msg, tc.want) {
					t.Errorf("message %q does not contain %q", actErr.Msg, tc.want)
				}
			}()
			tc.call()
		})
	}
}
