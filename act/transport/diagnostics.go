package transport

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Diagnostics describes what a map does to a set of source responses.
type Diagnostics struct {
	// Cost is the transport cost: the mean over samples of the squared
	// displacement ‖out − z‖², summed over units, at strength 1.
	Cost float64
	// Coverage is the fraction of source values (samples × units) that lie
	// strictly inside the support and are therefore moved.
	Coverage float64
	// Samples and Units are the size of the responses measured.
	Samples, Units int
}

// Diagnose measures the map of point on source responses src [sample][unit]
// at strength 1.
func (t *Transport) Diagnose(point string, src [][]float32) (Diagnostics, error) {
	m, ok := t.Maps[point]
	if !ok {
		return Diagnostics{}, fmt.Errorf("transport: diagnose: no map for point %q (have %v)", point, t.PointNames())
	}
	if len(src) == 0 {
		return Diagnostics{}, fmt.Errorf("transport: diagnose %s: no source responses", point)
	}
	d := Diagnostics{Samples: len(src), Units: m.Units()}
	var inside int
	out := make([]float32, m.Units())
	for i, z := range src {
		if len(z) != m.Units() {
			return Diagnostics{}, fmt.Errorf("transport: diagnose %s: sample %d has %d units, the map has %d", point, i, len(z), m.Units())
		}
		m.ApplyTo(out, z, 1)
		for j, v := range z {
			if m.Inside(j, v) {
				inside++
			}
			dv := float64(out[j]) - float64(v)
			d.Cost += dv * dv
		}
	}
	d.Cost /= float64(len(src))
	d.Coverage = float64(inside) / float64(len(src)*m.Units())
	return d, nil
}

// HistogramPNG draws, for one unit of one point, the histograms of the
// source values, the target values and the transported source values (at
// strength 1) into a PNG file at path.
func (t *Transport) HistogramPNG(path, point string, unit int, src, dst [][]float32) error {
	m, ok := t.Maps[point]
	if !ok {
		return fmt.Errorf("transport: histogram: no map for point %q (have %v)", point, t.PointNames())
	}
	if unit < 0 || unit >= m.Units() {
		return fmt.Errorf("transport: histogram %s: unit %d out of range [0, %d)", point, unit, m.Units())
	}
	col := func(name string, x [][]float32, moved bool) (plotter.Values, error) {
		v := make(plotter.Values, 0, len(x))
		for i, r := range x {
			if len(r) != m.Units() {
				return nil, fmt.Errorf("transport: histogram %s: %s sample %d has %d units, the map has %d", point, name, i, len(r), m.Units())
			}
			z := r[unit]
			if moved && m.Inside(unit, z) {
				z = m.T(unit, z)
			}
			v = append(v, float64(z))
		}
		if len(v) == 0 {
			return nil, fmt.Errorf("transport: histogram %s: no %s responses", point, name)
		}
		return v, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s unit %d", point, unit)
	p.X.Label.Text = "activation"
	p.Y.Label.Text = "density"
	series := []struct {
		name  string
		x     [][]float32
		moved bool
		c     color.RGBA
	}{
		{"source", src, false, color.RGBA{R: 200, A: 255}},
		{"target", dst, false, color.RGBA{B: 200, A: 255}},
		{"transported", src, true, color.RGBA{G: 150, A: 255}},
	}
	for _, s := range series {
		v, err := col(s.name, s.x, s.moved)
		if err != nil {
			return err
		}
		h, err := plotter.NewHist(v, int(math.Max(5, math.Sqrt(float64(len(v))))))
		if err != nil {
			return fmt.Errorf("transport: histogram %s %s: %w", point, s.name, err)
		}
		h.Normalize(1)
		h.FillColor = color.NRGBA{R: s.c.R, G: s.c.G, B: s.c.B, A: 70} // not premultiplied: RGBA{R: 200, A: 70} is not a colour
		h.LineStyle.Color = s.c
		p.Add(h)
		p.Legend.Add(s.name, h)
	}
	p.Legend.Top = true
	tmp, err := tempPath(path)
	if err != nil {
		return fmt.Errorf("transport: histogram %s: %w", path, err)
	}
	if err := p.Save(6*vg.Inch, 4*vg.Inch, tmp); err != nil {
		removeQuiet(tmp)
		return fmt.Errorf("transport: histogram %s: %w", path, err)
	}
	return commit(tmp, path)
}
