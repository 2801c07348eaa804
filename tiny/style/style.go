package style

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// Classifier is a fitted style classifier. Its fields are its JSON form.
type Classifier struct {
	// Styles are the two classes: Styles[1] is the positive one.
	Styles [2]string `json:"styles"`
	// Size is the image side the features are computed at.
	Size int `json:"size"`
	// Mean and Std standardise the features; Weights and Bias are the
	// logistic regression's.
	Mean    []float64 `json:"mean"`
	Std     []float64 `json:"std"`
	Weights []float64 `json:"weights"`
	Bias    float64   `json:"bias"`
	// L2 is the regularisation the fit used.
	L2 float64 `json:"l2"`
	// TrainAccuracy and HeldOutAccuracy are the shares classified right
	// (set by the caller that measured them; HeldOutAccuracy 0 when not
	// measured).
	TrainAccuracy   float64 `json:"train_accuracy"`
	HeldOutAccuracy float64 `json:"held_out_accuracy"`
	// HeldOutImages is how many images HeldOutAccuracy was measured on.
	HeldOutImages int `json:"held_out_images"`
}

// NumFeatures is the length of [Features]' vector.
const NumFeatures = 1 + 64 + 6 + 7 + 2 + 2 + 2 + 162

// Features describes how img is drawn (see the package documentation).
// img is box-averaged to size×size first when its size differs (its
// sides must then be multiples of size).
func Features(img image.Image, size int) ([]float64, error) {
	px, err := pixels(img, size)
	if err != nil {
		return nil, err
	}
	S := size
	f := make([]float64, 0, NumFeatures)
	luma := make([]float64, S*S)
	fg := make([]bool, S*S)
	nfg := 0
	for i := range S * S {
		r, g, b := px[3*i], px[3*i+1], px[3*i+2]
		luma[i] = 0.299*r + 0.587*g + 0.114*b
		fg[i] = min(r, g, b) < 0.94
		if fg[i] {
			nfg++
		}
	}
	f = append(f, float64(nfg)/float64(S*S))
	n := math.Max(1, float64(nfg))
	hist := make([]float64, 64)
	var sum, sq [3]float64
	var satSum, satSq, dark1, dark2 float64
	for i := range S * S {
		if !fg[i] {
			continue
		}
		r, g, b := px[3*i], px[3*i+1], px[3*i+2]
		q := func(v float64) int { return min(3, int(v*4)) }
		hist[q(r)*16+q(g)*4+q(b)]++
		for c, v := range []float64{r, g, b} {
			sum[c] += v
			sq[c] += v * v
		}
		mx, mn := max(r, g, b), min(r, g, b)
		sat := 0.0
		if mx > 0 {
			sat = (mx - mn) / mx
		}
		satSum += sat
		satSq += sat * sat
		if luma[i] < 0.2 {
			dark1++
		}
		if luma[i] < 0.4 {
			dark2++
		}
	}
	for _, h := range hist {
		f = append(f, h/n)
	}
	for c := range 3 {
		m := sum[c] / n
		f = append(f, m, math.Sqrt(math.Max(0, sq[c]/n-m*m)))
	}
	// Luma gradients between horizontally and vertically adjacent
	// foreground pixels.
	edges := []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32}
	grad := make([]float64, len(edges)+1)
	pairs := 0.0
	outline, outlineLuma := 0.0, 0.0
	for y := range S {
		for x := range S {
			i := y*S + x
			if !fg[i] {
				continue
			}
			touches := false
			for _, d := range [][2]int{{1, 0}, {0, 1}, {-1, 0}, {0, -1}} {
				xx, yy := x+d[0], y+d[1]
				if xx < 0 || yy < 0 || xx >= S || yy >= S {
					continue
				}
				j := yy*S + xx
				if !fg[j] {
					touches = true
					continue
				}
				if d[0] < 0 || d[1] < 0 {
					continue // each pair once
				}
				g := math.Abs(luma[i] - luma[j])
				k := 0
				for k < len(edges) && g >= edges[k] {
					k++
				}
				grad[k]++
				pairs++
			}
			if touches {
				outline++
				outlineLuma += luma[i]
			}
		}
	}
	for _, g := range grad {
		f = append(f, g/math.Max(1, pairs))
	}
	f = append(f, dark1/n, dark2/n)
	ms := satSum / n
	f = append(f, ms, math.Sqrt(math.Max(0, satSq/n-ms*ms)))
	f = append(f, outline/n, outlineLuma/math.Max(1, outline))
	// A hue × saturation × value histogram of the foreground: 12 hues,
	// saturation and value each split at one half.
	hsv := make([]float64, 162)
	for i := range S * S {
		if !fg[i] {
			continue
		}
		r, g, b := px[3*i], px[3*i+1], px[3*i+2]
		mx, mn := max(r, g, b), min(r, g, b)
		h := 0.0
		if d := mx - mn; d > 0 {
			switch mx {
			case r:
				h = math.Mod((g-b)/d+6, 6)
			case g:
				h = (b-r)/d + 2
			default:
				h = (r-g)/d + 4
			}
		}
		sat := 0.0
		if mx > 0 {
			sat = (mx - mn) / mx
		}
		k := min(17, int(h*3))*9 + min(2, int(sat*3))*3 + min(2, int(mx*3))
		hsv[k]++
	}
	for _, v := range hsv {
		f = append(f, v/n)
	}
	return f, nil
}

// pixels returns img's RGB values in [0, 1], size×size, box-averaged
// from a larger image whose sides are multiples of size.
func pixels(img image.Image, size int) ([]float64, error) {
	b := img.Bounds()
	if b.Dx() != b.Dy() || b.Dx()%size != 0 {
		return nil, fmt.Errorf("style: image is %d×%d; want a square whose side is a multiple of %d", b.Dx(), b.Dy(), size)
	}
	k := b.Dx() / size
	out := make([]float64, 3*size*size)
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			o := 3 * ((y/k)*size + x/k)
			out[o] += float64(r) / 65535
			out[o+1] += float64(g) / 65535
			out[o+2] += float64(bb) / 65535
		}
	}
	for i := range out {
		out[i] /= float64(k * k)
	}
	return out, nil
}

// Options tune [Train].
type Options struct {
	// L2 is the penalty λ·|w|² on the standardised weights (default 1).
	L2 float64
	// Iterations bounds Newton's method (default 50; it stops when the
	// step is below 1e-10).
	Iterations int
	// Clean fits on the images alone. By default each image also enters
	// degraded ([Degrade], noise 0.05, seeded by Seed), so that the
	// classifier holds on the soft, grainy images a small generator
	// draws.
	Clean bool
	Seed  uint64
}

// Degrade returns img blurred by the 3×3 kernel [1 2 1]ᵀ[1 2 1]/16
// (renormalised at the borders) with Gaussian noise of standard
// deviation noise (in [0, 1] units) added to every channel, drawn from
// rng, rounded and clamped to bytes.
func Degrade(img image.Image, noise float64, rng *rand.Rand) *image.NRGBA {
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, W, H))
	px := make([]float64, 3*W*H)
	for y := range H {
		for x := range W {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			o := 3 * (y*W + x)
			px[o], px[o+1], px[o+2] = float64(r)/257, float64(g)/257, float64(bb)/257
		}
	}
	for y := range H {
		for x := range W {
			for c := range 3 {
				var v, n float64
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						xx, yy := x+dx, y+dy
						if xx < 0 || yy < 0 || xx >= W || yy >= H {
							continue
						}
						w := float64((2 - dx*dx) * (2 - dy*dy))
						v += w * px[3*(yy*W+xx)+c]
						n += w
					}
				}
				v = v/n + rng.NormFloat64()*noise*255
				out.Pix[out.PixOffset(x, y)+c] = uint8(math.Round(min(255, max(0, v))))
			}
			out.Pix[out.PixOffset(x, y)+3] = 255
		}
	}
	return out
}

// Train fits a classifier of Styles[0] (label 0) against Styles[1]
// (label 1) on images of size×size (or multiples). It sets TrainAccuracy
// (on what it was fitted on: the degraded copies too, unless Clean).
func Train(styles [2]string, size int, imgs []image.Image, labels []int, o Options) (*Classifier, error) {
	if len(imgs) == 0 || len(imgs) != len(labels) {
		return nil, fmt.Errorf("style: %d images and %d labels", len(imgs), len(labels))
	}
	if o.L2 == 0 {
		o.L2 = 1
	}
	if o.Iterations == 0 {
		o.Iterations = 50
	}
	var X [][]float64
	var y []int
	rng := rand.New(rand.NewPCG(o.Seed, 0x7374_796c_65))
	for i, im := range imgs {
		f, err := Features(im, size)
		if err != nil {
			return nil, fmt.Errorf("style: image %d: %w", i, err)
		}
		X, y = append(X, f), append(y, labels[i])
		if !o.Clean {
			if f, err = Features(Degrade(im, 0.05, rng), size); err != nil {
				return nil, fmt.Errorf("style: image %d: %w", i, err)
			}
			X, y = append(X, f), append(y, labels[i])
		}
	}
	labels = y
	c := &Classifier{Styles: styles, Size: size, L2: o.L2, Mean: make([]float64, NumFeatures), Std: make([]float64, NumFeatures)}
	N := float64(len(X))
	for _, x := range X {
		for j, v := range x {
			c.Mean[j] += v / N
		}
	}
	for _, x := range X {
		for j, v := range x {
			c.Std[j] += (v - c.Mean[j]) * (v - c.Mean[j]) / N
		}
	}
	for j := range c.Std {
		c.Std[j] = math.Sqrt(c.Std[j])
		if c.Std[j] < 1e-9 {
			c.Std[j] = 1
		}
	}
	Z := make([][]float64, len(X))
	for i, x := range X {
		Z[i] = c.standardise(x)
	}
	w, err := newton(Z, labels, o.L2, o.Iterations)
	if err != nil {
		return nil, err
	}
	c.Weights, c.Bias = w[:NumFeatures], w[NumFeatures]
	right := 0
	for i, z := range Z {
		if (c.logit(z) > 0) == (labels[i] == 1) {
			right++
		}
	}
	c.TrainAccuracy = float64(right) / N
	return c, nil
}

func (c *Classifier) standardise(f []float64) []float64 {
	z := make([]float64, len(f))
	for j, v := range f {
		z[j] = (v - c.Mean[j]) / c.Std[j]
	}
	return z
}

func (c *Classifier) logit(z []float64) float64 {
	s := c.Bias
	for j, v := range z {
		s += c.Weights[j] * v
	}
	return s
}

// newton fits logistic regression weights (the last one the bias, not
// penalised) by Newton's method: w ← w − (XᵀDX + λI)⁻¹(Xᵀ(p − y) + λw).
func newton(Z [][]float64, y []int, l2 float64, iters int) ([]float64, error) {
	D := len(Z[0]) + 1
	w := make([]float64, D)
	row := func(z []float64) []float64 { return append(append(make([]float64, 0, D), z...), 1) }
	for range iters {
		g := make([]float64, D)
		H := make([][]float64, D)
		for i := range H {
			H[i] = make([]float64, D)
		}
		for i, z := range Z {
			x := row(z)
			s := 0.0
			for j, v := range x {
				s += w[j] * v
			}
			p := 1 / (1 + math.Exp(-s))
			d := p * (1 - p)
			for j, v := range x {
				g[j] += (p - float64(y[i])) * v
				for k := j; k < D; k++ {
					H[j][k] += d * v * x[k]
				}
			}
		}
		for j := range D {
			for k := 0; k < j; k++ {
				H[j][k] = H[k][j]
			}
			if j < D-1 {
				H[j][j] += l2
				g[j] += l2 * w[j]
			}
		}
		step, err := solve(H, g)
		if err != nil {
			return nil, err
		}
		norm := 0.0
		for j := range w {
			w[j] -= step[j]
			norm += step[j] * step[j]
		}
		if norm < 1e-20 {
			break
		}
	}
	return w, nil
}

// solve solves H·x = g for a symmetric positive definite H (Cholesky).
func solve(H [][]float64, g []float64) ([]float64, error) {
	n := len(g)
	L := make([][]float64, n)
	for i := range L {
		L[i] = make([]float64, n)
	}
	for i := range n {
		for j := 0; j <= i; j++ {
			s := H[i][j]
			for k := 0; k < j; k++ {
				s -= L[i][k] * L[j][k]
			}
			if i == j {
				if s <= 0 {
					return nil, errors.New("style: the Hessian is not positive definite")
				}
				L[i][i] = math.Sqrt(s)
			} else {
				L[i][j] = s / L[j][j]
			}
		}
	}
	y := make([]float64, n)
	for i := range n {
		s := g[i]
		for k := 0; k < i; k++ {
			s -= L[i][k] * y[k]
		}
		y[i] = s / L[i][i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= L[k][i] * x[k]
		}
		x[i] = s / L[i][i]
	}
	return x, nil
}

// Prob is P(Styles[1] | img).
func (c *Classifier) Prob(img image.Image) (float64, error) {
	f, err := Features(img, c.Size)
	if err != nil {
		return 0, err
	}
	return 1 / (1 + math.Exp(-c.logit(c.standardise(f)))), nil
}

// Score is P(style | img) for one of the classifier's two styles.
func (c *Classifier) Score(img image.Image, style string) (float64, error) {
	p, err := c.Prob(img)
	if err != nil {
		return 0, err
	}
	switch style {
	case c.Styles[1]:
		return p, nil
	case c.Styles[0]:
		return 1 - p, nil
	}
	return 0, fmt.Errorf("style: unknown style %q (the classifier knows %s and %s)", style, c.Styles[0], c.Styles[1])
}

// Accuracy is the share of imgs classified as their label (0: Styles[0],
// 1: Styles[1]).
func (c *Classifier) Accuracy(imgs []image.Image, labels []int) (float64, error) {
	if len(imgs) == 0 || len(imgs) != len(labels) {
		return 0, fmt.Errorf("style: %d images and %d labels", len(imgs), len(labels))
	}
	right := 0
	for i, im := range imgs {
		p, err := c.Prob(im)
		if err != nil {
			return 0, err
		}
		if (p > 0.5) == (labels[i] == 1) {
			right++
		}
	}
	return float64(right) / float64(len(imgs)), nil
}

// Marshal returns the classifier as indented JSON.
func (c *Classifier) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Parse reads a classifier written by [Classifier.Marshal].
func Parse(b []byte) (*Classifier, error) {
	var c Classifier
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	if c.Size <= 0 || len(c.Mean) != NumFeatures || len(c.Std) != NumFeatures || len(c.Weights) != NumFeatures || c.Styles[0] == "" || c.Styles[1] == "" {
		return nil, fmt.Errorf("style: classifier JSON needs two styles, a positive size and %d means, stds and weights (got size %d, %d, %d, %d)",
			NumFeatures, c.Size, len(c.Mean), len(c.Std), len(c.Weights))
	}
	return &c, nil
}
