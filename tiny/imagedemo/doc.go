// Package imagedemo runs the image demo of the embedded text-to-image
// model "tiny" (tiny/images): the diffusion half of the AcT paper
// (its style control, Figure 6) offline, on 32×32 emoji.
//
// For each style (noto, twemoji), [Run] fits Linear-AcT from the untagged
// prompts of the training emoji ("grinning face") to the same prompts with
// the style's tag ("grinning face, noto style") on the output of the text
// encoder's final layer norm — the text states the UNet attends to at
// every step — mean-pooled over the prompt's slots, then draws held-out
// emoji from their untagged names at each strength λ with fixed seeds
// (the same noise at every λ) and measures each image with the style
// classifier shipped beside the model (tiny/style): its probability of
// the style should rise with λ. [Result.Grid] lays a style's images out,
// a row per emoji and a column per λ.
//
// # Why the text encoder
//
// recipes/diffusion_styles.go steers SDXL at every normalisation layer of
// the UNet (unet.*norm.*), fitted on ml-act's one-step responses (σ = 1,
// pure noise). On this model that transport moves both styles' images
// the same way: on 12 held-out emoji the judge's P(noto) fell from 0.80
// (λ = 0) to 0.68 (λ = 1) when steering towards noto, while
// P(twemoji) rose from 0.20 to 0.28 towards twemoji. The maps are fitted
// on the activations of the first step and gated by their range (ml-act's
// q_0_100 support), and the UNet's activations at the later steps of a
// 20-step flow lie elsewhere. The text encoder's states do not depend on
// the step: steered there, P(noto) rose from 0.80 to 0.88 and P(twemoji)
// from 0.20 to 0.25, against 0.88 and 0.28 for the tagged prompts
// themselves.
//
// recipes/tiny_images.go is the one-line command; the test checks the
// direction of the scores on a small run. Like package act, the functions
// panic with an *act.Error on bad input.
package imagedemo
