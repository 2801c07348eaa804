package imagedemo

import (
	"fmt"
	"image"
	"strings"

	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/tiny/emoji"
	"github.com/actsh/actsh/tiny/images"
	"github.com/actsh/actsh/tiny/style"
)

// Options size a demo run. The zero value is the recipe's run.
type Options struct {
	// Styles to steer towards (default noto and twemoji).
	Styles []string
	// Lambdas are the strengths (default 0, 0.25, 0.5, 0.75, 1).
	Lambdas []float64
	// Points is the pattern of the steered points (default
	// text_encoder.text_model.final_layer_norm: the text states the UNet
	// attends to; see the package documentation).
	Points string
	// FitNames bounds the training emoji the maps are fitted on (default
	// 0: all of them, about 1,700 per side).
	FitNames int
	// Names are the emoji drawn (default: Show held-out ones, spread
	// evenly over the held-out list, which follows emoji.json's
	// categories).
	Names []string
	// Show is how many held-out emoji are drawn when Names is empty
	// (default 16).
	Show int
	// Steps and Guidance are the sampler's (default 20 and 3).
	Steps    int
	Guidance float64
	// Seed is the first image's noise seed (name i gets Seed + i at every
	// λ) and the fit's sampling seed.
	Seed uint64
}

func (o *Options) defaults() {
	if len(o.Styles) == 0 {
		o.Styles = []string{emoji.Noto.Name, emoji.Twemoji.Name}
	}
	if len(o.Lambdas) == 0 {
		o.Lambdas = []float64{0, 0.25, 0.5, 0.75, 1}
	}
	if o.Points == "" {
		o.Points = "text_encoder.text_model.final_layer_norm"
	}
	if o.Show == 0 {
		o.Show = 16
	}
	if len(o.Names) == 0 {
		held := images.Names(true)
		o.Names = spread(held, min(o.Show, len(held)))
	}
	if o.Steps == 0 {
		o.Steps = 20
	}
	if o.Guidance == 0 {
		o.Guidance = 3
	}
}

// Result is one style's sweep.
type Result struct {
	Style   string
	Lambdas []float64
	Names   []string
	// Transport is the fitted map.
	Transport *act.Transport
	// Scores[l][i] is P(style | image of Names[i] at Lambdas[l]); Mean[l]
	// their mean.
	Scores [][]float64
	Mean   []float64
	// Images[i][l] is Names[i] drawn at Lambdas[l].
	Images [][]*act.Image
}

// FitData is the fitting data for a style: subset "none" holds the
// untagged training names, subset style the same names tagged.
func FitData(styleName string, n int) *act.Dataset {
	names := images.Names(false)
	if n > 0 && n < len(names) {
		names = spread(names, n)
	}
	ds := act.Texts("none", names)
	for _, nm := range names {
		ds.Add(styleName, emoji.Caption(nm, styleName))
	}
	return ds
}

// spread picks n names evenly over the list (emoji.json groups them by
// category, so a prefix would be all faces).
func spread(names []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = names[i*len(names)/n]
	}
	return out
}

// Run fits and sweeps every style of o on p (the embedded pipeline,
// LoadImagePipeline("tiny")), scoring with c (images.Classifier()).
func Run(p *act.ImagePipeline, c *style.Classifier, o Options) []*Result {
	o.defaults()
	var out []*Result
	for _, st := range o.Styles {
		if st != c.Styles[0] && st != c.Styles[1] {
			panic(&act.Error{Msg: fmt.Sprintf("imagedemo: style %q is not one the classifier knows (%s, %s)", st, c.Styles[0], c.Styles[1])})
		}
		ds := FitData(st, o.FitNames)
		r := p.Responses(ds, o.Points, act.Src("none"), act.Dst(st), act.Seed(o.Seed))
		t := act.FitLinearOT(r)
		res := &Result{Style: st, Lambdas: o.Lambdas, Names: o.Names, Transport: t,
			Scores: make([][]float64, len(o.Lambdas)), Mean: make([]float64, len(o.Lambdas)), Images: make([][]*act.Image, len(o.Names))}
		for l, lambda := range o.Lambdas {
			imgs := p.GenerateBatch(o.Names, t, lambda, act.Steps(o.Steps), act.Guidance(o.Guidance), act.Seed(o.Seed))
			for i, im := range imgs {
				s, err := c.Score(im, st)
				if err != nil {
					panic(&act.Error{Msg: err.Error()})
				}
				res.Scores[l] = append(res.Scores[l], s)
				res.Mean[l] += s / float64(len(imgs))
				im.Label = fmt.Sprintf("%.2f", lambda)
				res.Images[i] = append(res.Images[i], im)
			}
		}
		out = append(out, res)
	}
	return out
}

// Grid lays the images out: a row per emoji, a column per λ, each image
// labelled with its λ, scaled up by zoom (nearest neighbour: 32×32 is
// small on a screen).
func (r *Result) Grid(zoom int) *act.Image {
	var all []*act.Image
	for _, row := range r.Images {
		for _, im := range row {
			z := im
			if zoom > 1 {
				z = Scale(im, zoom)
			}
			all = append(all, z)
		}
	}
	return act.Grid(len(r.Lambdas), all...)
}

// Report is the table of mean scores, a line per style.
func Report(rs []*Result) string {
	var b strings.Builder
	if len(rs) == 0 {
		return ""
	}
	fmt.Fprintf(&b, "%-10s", "P(style)")
	for _, l := range rs[0].Lambdas {
		fmt.Fprintf(&b, "  λ=%-5.2f", l)
	}
	b.WriteString("\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "%-10s", r.Style)
		for _, m := range r.Mean {
			fmt.Fprintf(&b, "  %-7.3f", m)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Scale enlarges an image k times, each pixel a k×k block, keeping its
// label.
func Scale(im *act.Image, k int) *act.Image {
	w, h := im.Width(), im.Height()
	dst := image.NewNRGBA(image.Rect(0, 0, k*w, k*h))
	for y := range k * h {
		for x := range k * w {
			dst.Set(x, y, im.At(x/k, y/k))
		}
	}
	out := act.NewImage(dst)
	out.Label, out.Prompt, out.Lambda, out.Seed = im.Label, im.Prompt, im.Lambda, im.Seed
	return out
}
