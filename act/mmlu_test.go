package act

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// mmluFixture is testdata/mmlu/prompts.json, written by make_prompts.py
// from lm-evaluation-harness's own templates and prompt assembly.
type mmluFixture struct {
	HarnessCommit string `json:"harness_commit"`
	Subjects      map[string]struct {
		Description string `json:"description"`
		Category    string `json:"category"`
	} `json:"subjects"`
	Prompts []struct {
		Subject       string   `json:"subject"`
		Index         int      `json:"index"`
		Shots         int      `json:"shots"`
		Context       string   `json:"context"`
		Continuations []string `json:"continuations"`
		Gold          int      `json:"gold"`
	} `json:"prompts"`
}

func readMMLUFixture(t *testing.T) *mmluFixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "mmlu", "prompts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f mmluFixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Prompts) == 0 {
		t.Fatal("no prompts in the fixture")
	}
	return &f
}

// fixtureSubjects are the subjects the fixture's CSVs hold.
func (f *mmluFixture) subjects() []string {
	var out []string
	for _, p := range f.Prompts {
		if !slices.Contains(out, p.Subject) {
			out = append(out, p.Subject)
		}
	}
	return out
}

// The prompts are byte for byte those lm-evaluation-harness builds for the
// same documents (its template strings rendered by its own Jinja
// environment, its few-shot assembly), at 0, 1, 2 and 5 shots.
func TestMMLUPromptsMatchHarness(t *testing.T) {
	f := readMMLUFixture(t)
	d := LoadMMLU(filepath.Join("testdata", "mmlu"), f.subjects()...)
	for _, p := range f.Prompts {
		name := fmt.Sprintf("%s/%d/%d-shot", p.Subject, p.Index, p.Shots)
		s := d.Subject(p.Subject)
		if s == nil {
			t.Fatalf("%s: subject not read", name)
		}
		ctx, conts := s.Prompt(p.Index, p.Shots)
		if ctx != p.Context {
			t.Errorf("%s: context\n got %q\nwant %q", name, ctx, p.Context)
		}
		if !slices.Equal(conts, p.Continuations) {
			t.Errorf("%s: continuations %q, want %q", name, conts, p.Continuations)
		}
		if s.Test[p.Index].Answer != p.Gold {
			t.Errorf("%s: answer %d, want %d", name, s.Test[p.Index].Answer, p.Gold)
		}
	}
}

// The subject list, descriptions and categories are the harness's, for all
// 57 subjects.
func TestMMLUSubjectsMatchHarness(t *testing.T) {
	f := readMMLUFixture(t)
	all := MMLUSubjects()
	if len(all) != 57 || len(f.Subjects) != 57 {
		t.Fatalf("%d subjects here, %d in the harness; want 57", len(all), len(f.Subjects))
	}
	for _, s := range all {
		want, ok := f.Subjects[s]
		if !ok {
			t.Errorf("subject %s is not the harness's", s)
			continue
		}
		if got := mmluDescription(s); got != want.Description {
			t.Errorf("%s: description %q, want %q", s, got, want.Description)
		}
		if got := MMLUCategory(s); got != want.Category {
			t.Errorf("%s: category %q, want %q", s, got, want.Category)
		}
	}
	n := 0
	for _, c := range []string{"stem", "humanities", "social_sciences", "other"} {
		n += len(MMLUSubjects(c))
	}
	if n != 57 {
		t.Errorf("categories hold %d subjects, want 57", n)
	}
}

// MMLU's items are LogLikelihood of the four letters after Prompt, its
// predictions their argmax, and its accuracies the counts of right answers,
// weighted by size in the groups.
func TestMMLUMatchesLogLikelihood(t *testing.T) {
	m := Load("tiny")
	d := LoadMMLU(filepath.Join("testdata", "mmlu"), "abstract_algebra", "miscellaneous", "us_foreign_policy")
	r := m.MMLU(d, nil, 0, Shots(1))
	if len(r.Items) != 3+4+2 || r.Shots != 1 || r.Limit != 0 {
		t.Fatalf("%d items, shots %d, limit %d", len(r.Items), r.Shots, r.Limit)
	}
	correct := map[string]int{}
	for _, it := range r.Items {
		ctx, conts := d.Subject(it.Subject).Prompt(it.Index, 1)
		ll := m.LogLikelihood(ctx, conts, nil, 0)
		// The same computation: equal to the last bit.
		if !slices.Equal(ll, it.LogLik[:]) {
			t.Errorf("%s %d: MMLU has %v, LogLikelihood gives %v", it.Subject, it.Index, it.LogLik, ll)
		}
		best := 0
		for j := range ll {
			if ll[j] > ll[best] {
				best = j
			}
		}
		if it.Pred != best || it.Answer != d.Subject(it.Subject).Test[it.Index].Answer {
			t.Errorf("%s %d: pred %d answer %d; argmax %d", it.Subject, it.Index, it.Pred, it.Answer, best)
		}
		if best == it.Answer {
			correct[it.Subject]++
		}
	}
	total := 0
	for _, s := range r.Subjects {
		n := len(d.Subject(s.Name).Test)
		if s.N != n || s.Correct != correct[s.Name] || s.Acc != float64(correct[s.Name])/float64(n) {
			t.Errorf("%s: %+v; want %d of %d", s.Name, s, correct[s.Name], n)
		}
		total += correct[s.Name]
	}
	// Weighted by size, the overall accuracy is the fraction of all questions
	// (to rounding: the harness sums accᵢ·nᵢ).
	if r.Overall.N != 9 || r.Overall.Correct != total || math.Abs(r.Overall.Acc-float64(total)/9) > 1e-15 {
		t.Errorf("overall %+v; want %d of 9", r.Overall, total)
	}
	var cats []string
	for _, c := range r.Categories {
		cats = append(cats, c.Name)
	}
	if strings.Join(cats, " ") != "stem other social_sciences" {
		t.Errorf("categories %v", cats)
	}
	for _, want := range []string{"MMLU, 1-shot", "mmlu ", " - stem", "    - abstract_algebra"} {
		if !strings.Contains(r.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, r)
		}
	}
}

// A model's answers are known: questions whose correct letter is the one
// the model prefers (from the harness's own prompt text) score 1, those
// whose correct letter it likes least score 0. Steering changes the
// scores; λ = 0 is the plain model.
func TestMMLUKnownAnswers(t *testing.T) {
	f := readMMLUFixture(t)
	m := Load("tiny")
	best, worst := map[string]byte{}, map[string]byte{}
	for _, p := range f.Prompts {
		if p.Shots != 0 {
			continue
		}
		ll := m.LogLikelihood(p.Context, p.Continuations, nil, 0)
		b, w := 0, 0
		for j := range ll {
			if ll[j] > ll[b] {
				b = j
			}
			if ll[j] < ll[w] {
				w = j
			}
		}
		if b == w {
			t.Fatalf("%s %d: all letters equally likely %v", p.Subject, p.Index, ll)
		}
		k := fmt.Sprint(p.Subject, p.Index)
		best[k], worst[k] = "ABCD"[b], "ABCD"[w]
	}
	for _, tc := range []struct {
		name    string
		answers map[string]byte
		want    float64
	}{{"preferred", best, 1}, {"least liked", worst, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, s := range f.subjects() {
				copyFile(t, filepath.Join("testdata", "mmlu", "dev", s+"_dev.csv"), filepath.Join(dir, "dev", s+"_dev.csv"))
				src := LoadMMLU(filepath.Join("testdata", "mmlu"), s).Subjects[0]
				var sb strings.Builder
				for i, q := range src.Test {
					fmt.Fprintf(&sb, "%s,%s,%s,%s,%s,%c\n", csvField(q.Question), csvField(q.Choices[0]), csvField(q.Choices[1]),
						csvField(q.Choices[2]), csvField(q.Choices[3]), tc.answers[fmt.Sprint(s, i)])
				}
				writeFile(t, filepath.Join(dir, "test", s+"_test.csv"), sb.String())
			}
			r := m.MMLU(LoadMMLU(dir, f.subjects()...), nil, 0, Shots(0))
			if r.Overall.Acc != tc.want {
				t.Errorf("accuracy %g, want %g:\n%s", r.Overall.Acc, tc.want, r)
			}
		})
	}

	d := LoadMMLU(filepath.Join("testdata", "mmlu"), "miscellaneous")
	tr := NewTransport()
	for _, p := range m.Points(".*ln_2") {
		w := make([]float32, m.Engine().Info().HiddenSize)
		b := make([]float32, m.Engine().Info().HiddenSize)
		for i := range b {
			b[i] = float32(i%7) - 3
		}
		tr.Set(p, w, b, nil, nil)
	}
	plain := m.MMLU(d, nil, 0, Shots(2), Limit(2))
	off := m.MMLU(d, tr, 0, Shots(2), Limit(2))
	on := m.MMLU(d, tr, 1, Shots(2), Limit(2))
	if len(plain.Items) != 2 || plain.Limit != 2 {
		t.Fatalf("Limit(2): %d items", len(plain.Items))
	}
	for i := range plain.Items {
		if plain.Items[i].LogLik != off.Items[i].LogLik {
			t.Errorf("λ=0 item %d: %v, plain %v", i, off.Items[i].LogLik, plain.Items[i].LogLik)
		}
		if plain.Items[i].LogLik == on.Items[i].LogLik {
			t.Errorf("λ=1 item %d equals the plain model's %v", i, on.Items[i].LogLik)
		}
	}
}

func csvField(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(data))
}

// Aggregation as the harness's weight_by_size groups: accuracy weighted by
// questions, the pooled standard error, N/A for a one-question subject.
func TestMMLUAggregate(t *testing.T) {
	items := func(subject string, answers ...int) []MMLUItem {
		var out []MMLUItem
		for i, a := range answers {
			out = append(out, MMLUItem{Subject: subject, Index: i, Pred: a})
		}
		return out
	}
	r := &MMLUResult{}
	r.Items = append(r.Items, items("anatomy", 0, 0, 1, 1)...)            // 2 of 4
	r.Items = append(r.Items, items("astronomy", 0, 0, 0, 0, 0, 0, 1)...) // 6 of 7
	r.Items = append(r.Items, items("virology", 0, 0)...)                 // 2 of 2
	r.aggregate()
	// The tolerance is float64 rounding of a few operations.
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	anat, astr := r.Subjects[0], r.Subjects[1]
	if anat.Acc != 0.5 || !near(anat.Stderr, math.Sqrt(0.25/3)) || !near(astr.Acc, 6.0/7) {
		t.Errorf("subjects %+v", r.Subjects)
	}
	stem := r.Categories[0]
	if stem.Name != "stem" || stem.N != 11 || !near(stem.Acc, 8.0/11) {
		t.Errorf("stem %+v; want 8 of 11 (not the mean of 0.5 and 6/7)", stem)
	}
	// Pooled: √(Σ (nᵢ−1)·nᵢ·seᵢ² / (Σnᵢ − k) / Σnᵢ).
	pooled := math.Sqrt((3*4*anat.Stderr*anat.Stderr + 6*7*astr.Stderr*astr.Stderr) / (11 - 2) / 11)
	if !near(stem.Stderr, pooled) {
		t.Errorf("stem stderr %g, want %g", stem.Stderr, pooled)
	}
	if r.Overall.N != 13 || !near(r.Overall.Acc, 10.0/13) || r.Categories[1].Name != "other" {
		t.Errorf("overall %+v, categories %+v", r.Overall, r.Categories)
	}
	r = &MMLUResult{Items: append(items("anatomy", 0), items("astronomy", 0, 1)...)}
	r.aggregate()
	if !math.IsNaN(r.Subjects[0].Stderr) || !math.IsNaN(r.Overall.Stderr) || !strings.Contains(r.String(), "N/A") {
		t.Errorf("a one-question subject has a standard error: %+v\n%s", r.Subjects, r)
	}
}

// Bad data: one line naming the file, the row and what to do.
func TestLoadMMLUErrors(t *testing.T) {
	good := "What?,a,b,c,d,A\n"
	cases := []struct {
		name     string
		files    map[string]string
		subjects []string
		want     []string
	}{
		{"missing folder", nil, nil, []string{"actsh download mmlu", "MMLU data missing in DIR", "abstract_algebra_dev.csv and 113 more"}},
		{"one file missing", map[string]string{"dev/anatomy_dev.csv": good}, []string{"anatomy"}, []string{"DIR/test/anatomy_test.csv", "actsh download mmlu"}},
		{"five fields", map[string]string{"dev/anatomy_dev.csv": good, "test/anatomy_test.csv": good + "Why?,a,b,c,A\n"}, []string{"anatomy"},
			[]string{"DIR/test/anatomy_test.csv:2: 5 fields, want 6"}},
		{"bad letter", map[string]string{"dev/anatomy_dev.csv": "\"Multi\nline\",a,b,c,d,A\nQ,a,b,c,d,E\n", "test/anatomy_test.csv": good}, []string{"anatomy"},
			[]string{"DIR/dev/anatomy_dev.csv:3: answer \"E\": want A, B, C or D"}},
		{"no questions", map[string]string{"dev/anatomy_dev.csv": good, "test/anatomy_test.csv": ""}, []string{"anatomy"}, []string{"anatomy_test.csv has no questions"}},
		{"unknown subject", nil, []string{"anatomyy"}, []string{`unknown subject "anatomyy"`, `did you mean "anatomy"?`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tc.files {
				writeFile(t, filepath.Join(dir, name), text)
			}
			_, err := ReadMMLU(dir, tc.subjects...)
			if err == nil {
				t.Fatal("no error")
			}
			msg := strings.ReplaceAll(err.Error(), dir, "DIR")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error of several lines: %q", msg)
			}
		})
	}
	// A data directory holding mmlu/ is read as well, and LoadMMLU panics
	// with an act error.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "mmlu", "dev", "anatomy_dev.csv"), good)
	writeFile(t, filepath.Join(dir, "mmlu", "test", "anatomy_test.csv"), good+good)
	if d := LoadMMLU(dir, "mmlu_anatomy"); len(d.Subjects) != 1 || len(d.Subjects[0].Test) != 2 || d.Subjects[0].Category != "stem" {
		t.Errorf("read %v", d)
	}
	err := catch(func() { LoadMMLU(filepath.Join(dir, "nope")) })
	if err == nil || !strings.HasPrefix(err.Error(), "act: MMLU data missing") {
		t.Errorf("LoadMMLU of a missing folder: %v", err)
	}
	err = catch(func() { Load("tiny").MMLU(LoadMMLU(dir, "anatomy"), nil, 0) })
	if err == nil || !strings.Contains(err.Error(), "Shots(5): anatomy has 1 dev questions") {
		t.Errorf("5 shots from 1 dev question: %v", err)
	}
}
