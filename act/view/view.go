package view

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/actsh/actsh/act"
)

// Size of every plot, in inches at 96 dpi.
const (
	width  = 7 * vg.Inch
	height = 3.5 * vg.Inch
	dpi    = 96
)

var (
	red   = color.RGBA{R: 200, G: 40, B: 40, A: 255}
	blue  = color.RGBA{R: 40, G: 70, B: 200, A: 255}
	green = color.RGBA{G: 140, B: 60, A: 255}
	grey  = color.RGBA{R: 120, G: 120, B: 120, A: 255}
)

// fail panics with an act error, as the functions of package act do.
func fail(format string, args ...any) {
	err := fmt.Errorf(format, args...)
	panic(&act.Error{Msg: "act: view: " + err.Error(), Err: err})
}

// affine is one point's map read from a transport.
type affine struct {
	w, b, lo, hi []float32
}

func mapOf(t *act.Transport, point string) affine {
	if t == nil {
		fail("transport is nil")
	}
	w, b, lo, hi := t.Map(point)
	return affine{w, b, lo, hi}
}

// inside reports whether z lies strictly inside unit j's support.
func (m affine) inside(j int, z float32) bool {
	return (m.lo == nil || m.lo[j] < z) && (m.hi == nil || z < m.hi[j])
}

// moved returns z transported at λ = 1.
func (m affine) moved(j int, z float32) float32 {
	if !m.inside(j, z) {
		return z
	}
	return m.w[j]*z + m.b[j]
}

// source returns the source responses of point, checked against the map's width.
func source(m affine, point string, r *act.Responses) [][]float32 {
	if r == nil {
		fail("%s: responses are nil", point)
	}
	src := r.Source(point)
	for i, z := range src {
		if len(z) != len(m.w) {
			fail("%s: source sample %d has %d units, the map has %d", point, i, len(z), len(m.w))
		}
	}
	if len(src) == 0 {
		fail("%s: no source responses", point)
	}
	return src
}

// unitStats holds, per unit, the share of source values inside the support
// and the mean squared displacement at λ = 1.
func unitStats(m affine, src [][]float32) (coverage, disp []float64) {
	n := len(m.w)
	coverage, disp = make([]float64, n), make([]float64, n)
	for _, z := range src {
		for j, v := range z {
			if m.inside(j, v) {
				coverage[j]++
			}
			d := float64(m.moved(j, v)) - float64(v)
			disp[j] += d * d
		}
	}
	for j := range n {
		coverage[j] /= float64(len(src))
		disp[j] /= float64(len(src))
	}
	return coverage, disp
}

// ticks are gonum's default ticks labelled with up to 4 significant
// digits (gonum's own labels can round 1.05 to "1").
var ticks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	t := plot.DefaultTicks{}.Ticks(min, max)
	for i := range t {
		if !t[i].IsMinor() {
			t[i].Label = strconv.FormatFloat(t[i].Value, 'g', 4, 64)
		}
	}
	return t
})

// newPlot returns a plot with the package's tick labels.
func newPlot() *plot.Plot {
	p := plot.New()
	p.X.Tick.Marker = ticks
	p.Y.Tick.Marker = ticks
	return p
}

// encode renders plots stacked in one column into a PNG.
func encode(plots ...*plot.Plot) []byte {
	h := height * vg.Length(len(plots))
	img := vgimg.NewWith(vgimg.UseWH(width, h), vgimg.UseDPI(dpi))
	dc := draw.New(img)
	col := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		col[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(col, draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(6), PadTop: vg.Points(4), PadRight: vg.Points(8)}, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		fail("encode png: %v", err)
	}
	return buf.Bytes()
}

// perUnit returns the values of v as (unit, value) points.
func perUnit(v []float64) plotter.XYs {
	xy := make(plotter.XYs, len(v))
	for j, y := range v {
		xy[j] = plotter.XY{X: float64(j), Y: y}
	}
	return xy
}

func to64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// addLine draws ys per unit as a line with small dots, named in the legend.
func addLine(p *plot.Plot, name string, ys []float64, c color.Color) {
	l, s, err := plotter.NewLinePoints(perUnit(ys))
	if err != nil {
		fail("plot %s: %v", name, err)
	}
	l.Color, s.Color = c, c
	s.Radius = vg.Points(1.5)
	p.Add(l, s)
	if name != "" {
		p.Legend.Add(name, l)
	}
}

// addLevel draws a dashed horizontal reference line at y.
func addLevel(p *plot.Plot, y float64, n int) {
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: y}, {X: float64(max(n-1, 1)), Y: y}})
	if err != nil {
		fail("plot level: %v", err)
	}
	l.Color = grey
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
}

// MapPNG draws the map of one point: its slope w and offset b per unit
// (the identity is w = 1, b = 0, dashed), in two stacked panels.
func MapPNG(t *act.Transport, point string) []byte {
	m := mapOf(t, point)
	pw := newPlot()
	pw.Title.Text = fmt.Sprintf("%s: T(z) = w·z + b, per unit (%s)", point, t.Method())
	pw.Y.Label.Text = "w"
	addLevel(pw, 1, len(m.w))
	addLine(pw, "", to64(m.w), blue)
	pb := newPlot()
	pb.X.Label.Text = "unit"
	pb.Y.Label.Text = "b"
	addLevel(pb, 0, len(m.b))
	addLine(pb, "", to64(m.b), red)
	return encode(pw, pb)
}

// CoveragePNG draws, per unit of point, the share of the source responses
// of r that lie inside the support (the values the map moves) and, on a
// second panel, the root mean squared displacement of the source at λ = 1.
func CoveragePNG(t *act.Transport, point string, r *act.Responses) []byte {
	m := mapOf(t, point)
	coverage, disp := unitStats(m, source(m, point, r))
	var mean float64
	for _, c := range coverage {
		mean += c
	}
	mean /= float64(len(coverage))
	pc := newPlot()
	pc.Title.Text = fmt.Sprintf("%s: support coverage per unit (mean %.3f)", point, mean)
	pc.Y.Label.Text = "share moved"
	pc.Y.Min, pc.Y.Max = 0, 1.05
	addLine(pc, "", coverage, green)
	pd := newPlot()
	pd.X.Label.Text = "unit"
	pd.Y.Label.Text = "RMS displacement"
	rms := make([]float64, len(disp))
	for j, d := range disp {
		rms[j] = math.Sqrt(d)
	}
	addLine(pd, "", rms, blue)
	return encode(pc, pd)
}

// HistogramPNG draws the histograms of one unit's source, target and
// transported source values (λ = 1) at point, as [act.Transport.Histogram]
// does, and returns the PNG.
func HistogramPNG(t *act.Transport, point string, unit int, r *act.Responses) []byte {
	if t == nil {
		fail("transport is nil")
	}
	dir, err := os.MkdirTemp("", "actsh-view-")
	if err != nil {
		fail("histogram %s unit %d: %v", point, unit, err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "hist.png")
	t.Histogram(path, point, unit, r)
	b, err := os.ReadFile(path)
	if err != nil {
		fail("histogram %s unit %d: %v", point, unit, err)
	}
	return b
}

// Moved returns the k units of point whose source responses in r the map
// moves the most (mean squared displacement at λ = 1), most moved first;
// all units when k exceeds their number.
func Moved(t *act.Transport, point string, r *act.Responses, k int) []int {
	m := mapOf(t, point)
	_, disp := unitStats(m, source(m, point, r))
	units := make([]int, len(disp))
	for j := range units {
		units[j] = j
	}
	sort.SliceStable(units, func(a, b int) bool { return disp[units[a]] > disp[units[b]] })
	return units[:max(0, min(k, len(units)))]
}

// Summary returns an HTML table with one row per point of t found in r:
// units, transport cost, support coverage ([act.Transport.Cost],
// [act.Transport.Coverage]), mean |w − 1| and mean |b|.
func Summary(t *act.Transport, r *act.Responses) string {
	if t == nil {
		fail("transport is nil")
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "<table>\n<caption>%s</caption>\n", html.EscapeString(t.Method()))
	sb.WriteString("<tr><th>point</th><th>units</th><th>cost</th><th>coverage</th><th>mean |w − 1|</th><th>mean |b|</th></tr>\n")
	for _, p := range t.Points() {
		m := mapOf(t, p)
		source(m, p, r) // checks widths, names the point
		var dw, db float64
		for j := range m.w {
			dw += math.Abs(float64(m.w[j]) - 1)
			db += math.Abs(float64(m.b[j]))
		}
		n := float64(len(m.w))
		fmt.Fprintf(&sb, "<tr><td>%s</td><td>%d</td><td>%.4g</td><td>%.3f</td><td>%.4g</td><td>%.4g</td></tr>\n",
			html.EscapeString(p), len(m.w), t.Cost(p, r), t.Coverage(p, r), dw/n, db/n)
	}
	sb.WriteString("</table>\n")
	return sb.String()
}

// Units returns an HTML table describing the given units of point: the
// map (w, b, support) and the means of the source, target and transported
// source values (λ = 1).
func Units(t *act.Transport, point string, r *act.Responses, units []int) string {
	m := mapOf(t, point)
	src := source(m, point, r)
	dst := r.Target(point)
	bound := func(x []float32, j int, inf string) string {
		if x == nil || math.IsInf(float64(x[j]), 0) {
			return inf
		}
		return fmt.Sprintf("%.4g", x[j])
	}
	mean := func(x [][]float32, j int, f func(float32) float32) float64 {
		var s float64
		for _, z := range x {
			s += float64(f(z[j]))
		}
		return s / float64(len(x))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "<table>\n<caption>%s</caption>\n", html.EscapeString(point))
	sb.WriteString("<tr><th>unit</th><th>w</th><th>b</th><th>support</th><th>source mean</th><th>target mean</th><th>transported mean</th></tr>\n")
	for _, j := range units {
		if j < 0 || j >= len(m.w) {
			fail("%s: unit %d out of range [0, %d)", point, j, len(m.w))
		}
		id := func(z float32) float32 { return z }
		mv := func(z float32) float32 { return m.moved(j, z) }
		fmt.Fprintf(&sb, "<tr><td>%d</td><td>%.4g</td><td>%.4g</td><td>(%s, %s)</td><td>%.4g</td><td>%.4g</td><td>%.4g</td></tr>\n",
			j, m.w[j], m.b[j], bound(m.lo, j, "−∞"), bound(m.hi, j, "∞"),
			mean(src, j, id), mean(dst, j, id), mean(src, j, mv))
	}
	sb.WriteString("</table>\n")
	return sb.String()
}

// Table returns an HTML table with a header row and one row per entry of
// rows, every cell escaped; newlines in a cell become line breaks. Rows
// shorter than the header are padded with empty cells.
func Table(header []string, rows [][]string) string {
	var sb strings.Builder
	sb.WriteString("<table>\n<tr>")
	for _, h := range header {
		fmt.Fprintf(&sb, "<th>%s</th>", html.EscapeString(h))
	}
	sb.WriteString("</tr>\n")
	for i, row := range rows {
		if len(row) > len(header) {
			fail("table: row %d has %d cells, the header %d", i, len(row), len(header))
		}
		sb.WriteString("<tr>")
		for j := range header {
			cell := ""
			if j < len(row) {
				cell = strings.ReplaceAll(html.EscapeString(row[j]), "\n", "<br>")
			}
			fmt.Fprintf(&sb, `<td style="text-align:left">%s</td>`, cell)
		}
		sb.WriteString("</tr>\n")
	}
	sb.WriteString("</table>\n")
	return sb.String()
}
