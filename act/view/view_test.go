package view_test

import (
	"bytes"
	"image/png"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/act/view"
	fx "github.com/actsh/actsh/internal/fixture"
)

// fixture returns a hand-built map on 4 units and source/target responses:
// unit 0 is the identity, unit 1 shifts by +3, unit 2 doubles, unit 3
// shifts by +1 but only inside (−0.5, 0.5).
func fixture() (*act.Transport, *act.Responses) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([][]float32, 200)
	dst := make([][]float32, 150)
	for i := range src {
		src[i] = []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())}
	}
	for i := range dst {
		dst[i] = []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64() + 3), float32(2 * rng.NormFloat64()), float32(rng.NormFloat64() + 1)}
	}
	t := act.NewTransport()
	t.Set("p", []float32{1, 1, 2, 1}, []float32{0, 3, 0, 1}, []float32{-1e9, -1e9, -1e9, -0.5}, []float32{1e9, 1e9, 1e9, 0.5})
	return t, act.ResponsesOf("p", src, dst)
}

// checkPNG fails unless b decodes as a PNG of at least minW×minH pixels
// with more than a handful of colours (a blank or one-colour image is a
// broken plot).
func checkPNG(t *testing.T, b []byte, minW, minH int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	r := img.Bounds()
	if r.Dx() < minW || r.Dy() < minH {
		t.Errorf("PNG is %dx%d, want at least %dx%d", r.Dx(), r.Dy(), minW, minH)
	}
	if n := fx.Colours(img, 10); n < 10 {
		t.Errorf("PNG has %d colours, want at least 10", n)
	}
}

func TestPlots(t *testing.T) {
	tr, r := fixture()
	tests := []struct {
		name       string
		png        func() []byte
		minW, minH int
	}{
		{"MapPNG", func() []byte { return view.MapPNG(tr, "p") }, 600, 600},
		{"CoveragePNG", func() []byte { return view.CoveragePNG(tr, "p", r) }, 600, 600},
		{"HistogramPNG", func() []byte { return view.HistogramPNG(tr, "p", 1, r) }, 400, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkPNG(t, tt.png(), tt.minW, tt.minH) })
	}
}

func TestMoved(t *testing.T) {
	tr, r := fixture()
	// Displacements at λ = 1: unit 1 by 3 everywhere (9), unit 2 by z
	// (E z² ≈ 1), unit 3 by 1 on ≈38% of samples (≈0.38), unit 0 not at all.
	if got, want := view.Moved(tr, "p", r, 10), []int{1, 2, 3, 0}; !slices.Equal(got, want) {
		t.Errorf("Moved(10) = %v, want %v", got, want)
	}
	if got := view.Moved(tr, "p", r, 2); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("Moved(2) = %v, want [1 2]", got)
	}
}

func TestTables(t *testing.T) {
	tr, r := fixture()
	s := view.Summary(tr, r)
	for _, want := range []string{"<table>", "<td>p</td><td>4</td>", "</table>"} {
		if !strings.Contains(s, want) {
			t.Errorf("Summary lacks %q:\n%s", want, s)
		}
	}
	u := view.Units(tr, "p", r, []int{1, 3})
	// Unit 1: w 1, b 3; unit 3's support is (−0.5, 0.5).
	for _, want := range []string{"<tr><td>1</td><td>1</td><td>3</td>", "<td>(-0.5, 0.5)</td>"} {
		if !strings.Contains(u, want) {
			t.Errorf("Units lacks %q:\n%s", want, u)
		}
	}
}

func TestTable(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		rows   [][]string
		want   string
	}{
		{"escaped", []string{"a<b", "c"}, [][]string{{"x & y", "1\n2"}},
			"<table>\n<tr><th>a&lt;b</th><th>c</th></tr>\n<tr><td style=\"text-align:left\">x &amp; y</td><td style=\"text-align:left\">1<br>2</td></tr>\n</table>\n"},
		{"padded", []string{"a", "b"}, [][]string{{"x"}},
			"<table>\n<tr><th>a</th><th>b</th></tr>\n<tr><td style=\"text-align:left\">x</td><td style=\"text-align:left\"></td></tr>\n</table>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := view.Table(tt.header, tt.rows); got != tt.want {
				t.Errorf("Table =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tr, r := fixture()
	other := act.ResponsesOf("p", [][]float32{{1, 2}}, [][]float32{{1, 2}})
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"unknown point", func() { view.MapPNG(tr, "q") }, `no map for point "q"`},
		{"nil transport", func() { view.Moved(nil, "p", r, 1) }, "act: view: transport is nil"},
		{"width", func() { view.CoveragePNG(tr, "p", other) }, "act: view: p: source sample 0 has 2 units, the map has 4"},
		{"unit range", func() { view.Units(tr, "p", r, []int{4}) }, "act: view: p: unit 4 out of range [0, 4)"},
		{"long row", func() { view.Table([]string{"a"}, [][]string{{"x", "y"}}) }, "act: view: table: row 0 has 2 cells, the header 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				e, ok := recover().(*act.Error)
				if !ok || !strings.Contains(e.Msg, tt.want) {
					t.Errorf("panic %v, want an *act.Error containing %q", e, tt.want)
				}
			}()
			tt.f()
		})
	}
}
