// Package images embeds the default text-to-image model "tiny" and its
// style judge, so that act.LoadImagePipeline("tiny") and the image demo
// (tiny/imagedemo, recipes/tiny_images.go) need nothing downloaded.
//
// # The model
//
// [Pipeline] is a PixelFlowPipeline folder in diffusers' layout
// (model_index.json, scheduler/, text_encoder/, tokenizer/, unet/) written
// by recipes/tiny_image_train.go: a UNet2DConditionModel that draws 32×32
// emoji in RGB pixels by flow matching, conditioned on a small
// CLIPTextModel, trained from scratch on the emoji of Google's Noto Emoji
// (Apache-2.0) and Twitter's Twemoji (graphics CC-BY-4.0: "Twemoji
// graphics © Twitter, Inc. and other contributors, CC-BY 4.0") with
// captions such as "grinning face", "grinning face, noto style" and
// "grinning face, twemoji style" (tiny/emoji, tiny/imagetrain).
// engine/diffusion loads it under the name [Name]; [Export] writes it out
// for other tools.
//
// # The judge
//
// [Classifier] is the style classifier the same recipe fits (tiny/style):
// P(noto | image) against P(twemoji | image), with its accuracy on the
// held-out emoji recorded in the file.
//
// data/train.log is the log of the run that made both.
package images
