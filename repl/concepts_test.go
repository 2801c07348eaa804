package repl

import (
	"encoding/csv"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/actsh/actsh/act"
)

// TestConceptsRecipe runs recipes/concepts.go at CI size (-small: the
// embedded model as steered model, judge and perplexity model, the
// OneSec-format kit in testdata/onesec) through the pipeline, every
// concept and method, and checks its outputs: a plot per concept and for
// all, the Markdown tables and summary.csv; that λ = 0 is the same
// unsteered run for every method; and that the pipeline's p(yes) is what
// ConceptScore gives for the same texts. Then a bad flag.
func TestConceptsRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nine pipelines")
	}
	res := t.TempDir()
	out, stderr, code := runActsh(t, "", "run", "../recipes/concepts.go", "-small", "-kit", "../testdata/onesec", "-results-dir", res)
	if code != 0 {
		t.Fatalf("actsh run recipes/concepts.go -small: exit %d: %s", code, stderr)
	}
	groups := []string{"food", "family", "money", "all"}
	for _, g := range groups {
		f, err := os.Open(filepath.Join(res, g+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s.png: %v", g, err)
		}
		b := img.Bounds()
		colors := map[[4]uint32]bool{}
		for y := b.Min.Y; y < b.Max.Y; y += 7 {
			for x := b.Min.X; x < b.Max.X; x += 7 {
				r, g, bl, a := img.At(x, y).RGBA()
				colors[[4]uint32{r, g, bl, a}] = true
			}
		}
		if b.Dx() < 600 || b.Dy() < 200 || len(colors) < 10 {
			t.Errorf("%s.png: %dx%d with %d colours: not the two panels", g, b.Dx(), b.Dy(), len(colors))
		}
	}

	// The Markdown: a table per group, a row per λ, p(yes) and PPL per method.
	md, err := os.ReadFile(filepath.Join(res, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, string(md)) {
		t.Error("the recipe's output does not hold summary.md")
	}
	for _, g := range []string{"#### food", "#### family", "#### money", "#### all concepts (food, family, money)"} {
		i := strings.Index(string(md), g)
		if i < 0 {
			t.Fatalf("no section %q in:\n%s", g, md)
		}
		sec := string(md[i:])
		for _, l := range []string{"0", "0.5", "1", "1.5"} {
			j := strings.Index(sec, "\n| "+l+" |")
			if j < 0 {
				t.Fatalf("%s: no row λ = %s", g, l)
			}
			line := sec[j+1 : j+1+strings.Index(sec[j+1:], "\n")]
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			if len(cells) != 7 {
				t.Fatalf("%s: row %q has %d cells, want λ and 3 methods × (p(yes), PPL)", g, line, len(cells))
			}
			for _, c := range cells[1:] {
				if c == "–" || strings.Contains(c, "NaN") {
					t.Errorf("%s: row %q: a measure is missing", g, line)
				}
			}
		}
	}

	// summary.csv: 4 groups × 3 methods × 4 strengths.
	f, err := os.Open(filepath.Join(res, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+4*3*4 {
		t.Fatalf("summary.csv has %d rows, want 1 + 48", len(rows))
	}
	atZero := map[string][]string{} // group → the λ = 0 measures of the first method
	for _, r := range rows[1:] {
		n, _ := strconv.Atoi(r[3])
		if want := map[bool]int{true: 12, false: 4}[r[0] == "all"]; n != want {
			t.Errorf("row %v: %d continuations, want %d", r, n, want)
		}
		num := func(i int) float64 { v, _ := strconv.ParseFloat(r[i], 64); return v }
		if !(0 <= num(4) && num(4) <= num(5) && num(5) <= num(6) && num(6) <= 1) {
			t.Errorf("row %v: p(yes) quartiles not ordered within [0, 1]", r)
		}
		if !(1 <= num(7) && num(7) <= num(8) && num(8) <= num(9)) {
			t.Errorf("row %v: PPL quartiles not ordered above 1", r)
		}
		if r[2] != "0" {
			continue
		}
		// λ = 0 is the unsteered model: the same continuations, so the same numbers, for every method.
		if first, ok := atZero[r[0]]; !ok {
			atZero[r[0]] = r[3:]
		} else if strings.Join(first, ",") != strings.Join(r[3:], ",") {
			t.Errorf("group %s: λ = 0 of %s is %v, of the first method %v: λ = 0 must be the unsteered model", r[0], r[1], r[3:], first)
		}
	}

	// The pipeline's p(yes) is ConceptScore's on the same continuations.
	zs, err := os.Open(filepath.Join(res, "food", "linear_ot", "evaluate_0shot", "0shot_eval.csv"))
	if err != nil {
		t.Fatal(err)
	}
	zrows, err := csv.NewReader(zs).ReadAll()
	zs.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		for i, h := range zrows[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("0shot_eval.csv has no column %s: %v", name, zrows[0])
		return -1
	}
	gen, yes := col("generation"), col("q0_Yes_sm_10")
	var texts []string
	var want []float64
	for _, r := range zrows[1:] {
		texts = append(texts, r[gen])
		v, _ := strconv.ParseFloat(r[yes], 64)
		want = append(want, v)
	}
	got := act.Load("tiny").ConceptScore("food", "", texts)
	for i := range want {
		// The CSV holds float32 values; batches of other shapes round differently.
		if math.Abs(got[i]-want[i]) > 1e-5*want[i]+1e-9 {
			t.Errorf("text %d: ConceptScore %g, pipeline %g", i, got[i], want[i])
		}
	}

	_, stderr, code = runActsh(t, "", "run", "../recipes/concepts.go", "-small", "-kit", "../testdata/onesec", "-results-dir", res, "-methods", "linear_ot,dexperts")
	if code != 1 || !strings.Contains(stderr, `unknown method "dexperts"`) {
		t.Errorf("unknown method: exit %d, stderr %q; want 1 and a line naming it", code, stderr)
	}
}
