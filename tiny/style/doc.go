// Package style is the judge of the image demo: a classifier that tells
// the two emoji drawing styles of tiny/emoji apart ("noto", Google's Noto
// Emoji, shaded; "twemoji", Twitter's Twemoji, flat), trained by the
// project on the training emoji and measured on the held-out ones.
//
// # Features and model
//
// [Features] describes an image by 246 numbers that say how it is drawn
// rather than what it shows, computed on its foreground (the pixels that
// are not near-white): the share of foreground; a 4×4×4 histogram of its
// colours in RGB and an 18×3×3 one in hue, saturation and value (the two
// sets' palettes differ); each channel's mean and standard deviation; a
// histogram of the luma gradient between neighbouring foreground pixels
// (flat fills against shading); the shares of dark pixels; saturation's
// mean and spread; and the share and luma of the outline (foreground
// pixels touching the background). The classifier is L2-regularised
// logistic regression on the standardised features, fitted by Newton's
// method in float64 (deterministic), on every training image and a
// blurred, noisy copy of it ([Degrade]) so that it holds on the soft
// images a small generator draws:
//
//	P(twemoji | image) = σ(w·(f − μ)/s + b),   P(noto | image) = 1 − P(twemoji | image)
//
// # Use
//
//	c, err := style.Train(images, labels, style.Options{})    // labels: 0 noto, 1 twemoji
//	p := c.Score(img, "noto")                                 // P(noto | img)
//	b, _ := c.Marshal()                                       // JSON: styles, μ, s, w, b, accuracies
//	c, err = style.Parse(b)
//
// Images of another size than the one trained on are box-averaged to it
// first ([Classifier.Size]).
package style
