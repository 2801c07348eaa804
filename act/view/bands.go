package view

import (
	"bytes"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/actsh/actsh/act"
)

// Curve is one named series of samples for [BandsPNG]: at X[i], the
// values Samples[i] (one per generation, say).
type Curve struct {
	Name    string
	X       []float64
	Samples [][]float64
}

// Panel is one plot of [BandsPNG]: its title, axis labels and curves.
type Panel struct {
	Title, XLabel, YLabel string
	Curves                []Curve
	// Band says what each curve's line and band are; the zero value is
	// [IQR].
	Band Band
}

// Band is how [BandsPNG] summarises a curve's samples at each X.
type Band int

const (
	// IQR draws the median as the line and the band between the first
	// and third quartiles ([Quartiles]): the paper's Figure 4.
	IQR Band = iota
	// StdDev draws the mean as the line and the band of one standard
	// deviation (the population's, ddof 0) either side, mean ± std: the
	// diffusion recipes' curves of CLIP scores.
	StdDev
)

// BandsPNG draws panels side by side; each curve is a line with points
// at every X and a band around it shaded in the same colour, as its
// panel's [Band] says: by default its median and the band between its
// first and third quartiles ([Quartiles]), the way the AcT paper draws a
// measure against the strength λ (its Figure 4: p(yes) and perplexity of
// the generations). NaN samples are left out.
func BandsPNG(panels ...Panel) []byte {
	if len(panels) == 0 {
		fail("BandsPNG: no panels")
	}
	palette := []color.RGBA{blue, red, green, {R: 150, G: 100, B: 190, A: 255}, {R: 230, G: 130, B: 20, A: 255}, grey}
	plots := make([]*plot.Plot, len(panels))
	for i, pn := range panels {
		p := newPlot()
		p.Title.Text = pn.Title
		p.X.Label.Text = pn.XLabel
		p.Y.Label.Text = pn.YLabel
		p.Legend.Top = true
		p.Legend.Left = true
		p.Add(plotter.NewGrid())
		for k, c := range pn.Curves {
			if len(c.X) != len(c.Samples) {
				fail("BandsPNG: curve %q has %d x values and %d sets of samples", c.Name, len(c.X), len(c.Samples))
			}
			col := palette[k%len(palette)]
			var mid, lo, hi plotter.XYs
			for j, x := range c.X {
				q1, med, q3 := Quartiles(c.Samples[j])
				if pn.Band == StdDev {
					m, sd := act.NanMean(c.Samples[j]), act.NanStd(c.Samples[j])
					q1, med, q3 = m-sd, m, m+sd
				}
				if math.IsNaN(med) {
					continue
				}
				mid = append(mid, plotter.XY{X: x, Y: med})
				lo = append(lo, plotter.XY{X: x, Y: q1})
				hi = append(hi, plotter.XY{X: x, Y: q3})
			}
			if len(mid) == 0 {
				continue
			}
			band := append(plotter.XYs{}, lo...)
			for j := len(hi) - 1; j >= 0; j-- {
				band = append(band, hi[j])
			}
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				fail("BandsPNG %q: %v", c.Name, err)
			}
			// color.RGBA is premultiplied: a quarter of the colour at alpha 1/4.
			poly.Color = color.RGBA{R: col.R / 4, G: col.G / 4, B: col.B / 4, A: 64}
			poly.LineStyle.Width = 0
			p.Add(poly)
			l, pts, err := plotter.NewLinePoints(mid)
			if err != nil {
				fail("BandsPNG %q: %v", c.Name, err)
			}
			l.Color, pts.Color = col, col
			l.Width = vg.Points(1.5)
			p.Add(l, pts)
			p.Legend.Add(c.Name, l, pts)
		}
		plots[i] = p
	}
	w := 4.5 * vg.Inch * vg.Length(len(plots))
	img := vgimg.NewWith(vgimg.UseWH(w, height), vgimg.UseDPI(dpi))
	dc := draw.New(img)
	canvases := plot.Align([][]*plot.Plot{plots}, draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(16), PadTop: vg.Points(4), PadRight: vg.Points(8), PadLeft: vg.Points(4)}, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		fail("encode png: %v", err)
	}
	return buf.Bytes()
}

// Quartiles returns the first quartile, the median and the third quartile
// of xs as numpy's percentile computes them (linear interpolation between
// the sorted values: the p-th is at position p·(n−1)). NaNs are left out;
// with none left all three are NaN.
func Quartiles(xs []float64) (q1, median, q3 float64) {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	sort.Float64s(s)
	q := func(p float64) float64 {
		pos := p * float64(len(s)-1)
		i := int(pos)
		if i+1 >= len(s) {
			return s[len(s)-1]
		}
		return s[i] + (pos-float64(i))*(s[i+1]-s[i])
	}
	return q(0.25), q(0.5), q(0.75)
}
