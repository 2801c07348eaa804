package style

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// flat draws a disc of one colour; shaded the same disc with a radial
// gradient: stand-ins for the two drawing styles.
func disc(S int, c color.NRGBA, shaded bool, rng *rand.Rand) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, S, S))
	cx, cy := float64(S)/2+rng.Float64()*2-1, float64(S)/2+rng.Float64()*2-1
	r := float64(S) * (0.3 + 0.1*rng.Float64())
	for y := range S {
		for x := range S {
			d := math.Hypot(float64(x)-cx, float64(y)-cy)
			if d > r {
				img.Set(x, y, color.White)
				continue
			}
			k := 1.0
			if shaded {
				k = 1 - 0.8*d/r
			}
			img.Set(x, y, color.NRGBA{uint8(float64(c.R) * k), uint8(float64(c.G) * k), uint8(float64(c.B) * k), 255})
		}
	}
	return img
}

func synthetic(n int, seed uint64) ([]image.Image, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var imgs []image.Image
	var labels []int
	for i := range n {
		c := color.NRGBA{uint8(100 + rng.IntN(156)), uint8(rng.IntN(256)), uint8(rng.IntN(200)), 255}
		imgs = append(imgs, disc(16, c, i%2 == 0, rng))
		labels = append(labels, 1-i%2) // shaded: 0, flat: 1
	}
	return imgs, labels
}

// TestTrain fits shaded against flat discs and checks it tells fresh ones
// apart, that Score's two styles sum to 1, and that the JSON form gives
// the same probabilities.
func TestTrain(t *testing.T) {
	imgs, labels := synthetic(200, 1)
	c, err := Train([2]string{"shaded", "flat"}, 16, imgs, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	test, tl := synthetic(100, 2)
	acc, err := c.Accuracy(test, tl)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.9 {
		t.Errorf("accuracy %.2f on fresh discs, want ≥ 0.9", acc)
	}
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range test[:5] {
		p, _ := c.Score(im, "flat")
		q, _ := c.Score(im, "shaded")
		r, _ := d.Score(im, "flat")
		if math.Abs(p+q-1) > 1e-12 || p != r {
			t.Errorf("P(flat) %g, P(shaded) %g, after JSON %g", p, q, r)
		}
	}
	if _, err := c.Score(test[0], "cubist"); err == nil {
		t.Error("an unknown style was scored")
	}
	// A larger image is box-averaged to the classifier's size.
	big := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			big.Set(x, y, test[0].At(x/2, y/2))
		}
	}
	p1, _ := c.Prob(test[0])
	p2, err := c.Prob(big)
	if err != nil || math.Abs(p1-p2) > 1e-9 {
		t.Errorf("P at 16² %g, at 32² %g (%v)", p1, p2, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, b := range []string{`{`, `{"styles":["a","b"],"size":32}`} {
		if _, err := Parse([]byte(b)); err == nil {
			t.Errorf("Parse(%s) succeeded", b)
		}
	}
}
