package imagedemo_test

import (
	"testing"

	"github.com/actsh/actsh/act"
	"github.com/actsh/actsh/tiny/imagedemo"
	"github.com/actsh/actsh/tiny/images"
)

// TestStyleRises runs a small demo on the embedded model — maps fitted
// on 200 training names per side, 8 held-out emoji drawn in 10 steps at
// λ = 0 and 1 — and checks that the classifier's mean probability of the
// style is higher at λ = 1 than at λ = 0 for both styles. It checks the
// direction only: the size of the rise depends on the run (the recipe's
// full run is in the README).
func TestStyleRises(t *testing.T) {
	p := act.LoadImagePipeline(images.Name)
	c, err := images.Classifier()
	if err != nil {
		t.Fatal(err)
	}
	rs := imagedemo.Run(p, c, imagedemo.Options{Lambdas: []float64{0, 1}, FitNames: 200, Show: 8, Steps: 10, Seed: 1})
	t.Logf("\n%s", imagedemo.Report(rs))
	if len(rs) != 2 {
		t.Fatalf("%d results, want one per style", len(rs))
	}
	for _, r := range rs {
		if r.Mean[1] <= r.Mean[0] {
			t.Errorf("%s: P(style) %.3f at λ = 0, %.3f at λ = 1: it should rise", r.Style, r.Mean[0], r.Mean[1])
		}
		if len(r.Images) != 8 || len(r.Images[0]) != 2 {
			t.Errorf("%s: %d rows of images", r.Style, len(r.Images))
		}
	}
	if g := rs[0].Grid(2); g.Width() != 2*(2*32+4)+4 {
		t.Errorf("grid %d pixels wide", g.Width())
	}
}
