// Package emoji reads the image set the embedded text-to-image model is
// trained on: the 64-pixel emoji images of two npm packages, one per
// drawing style, pinned by version and sha512 like the text corpus
// (tiny/corpus does the fetching).
//
// # Sources and licences
//
//	emoji-datasource-google 16.0.0   Noto Emoji images, Apache-2.0     style "noto"
//	emoji-datasource-twitter 16.0.0  Twemoji graphics, CC-BY-4.0       style "twemoji"
//
// Both packages are MIT-licensed as code and data (emoji.json, © 2013 Cal
// Henderson); their README states the images' own licences: Google's Noto
// Emoji under the Apache License 2.0 (github.com/googlefonts/noto-emoji),
// Twitter's Twemoji graphics under Creative Commons Attribution 4.0
// (github.com/jdecked/twemoji, LICENSE-GRAPHICS), which asks for
// attribution: "Twemoji graphics © Twitter, Inc. and other contributors,
// CC-BY 4.0". Both allow training on the images and redistributing what is
// made from them with that notice. The packages also ship Apple's and
// Facebook's images in their sister packages, which we do not use.
//
// # The set
//
// [Load] reads emoji.json (names, short names, categories) and the
// img/<set>/64/ image of each of its 1,911 emoji (skin-tone variations
// left out) from both tarballs, composites each on white (alpha over
// white, in 8-bit sRGB as image/draw does) and box-averages it down to
// Size×Size (a divisor of 64). A caption is the emoji's Unicode name in
// lower case, alone (untagged) or followed by the style tag
// ([Caption]: "grinning face, noto style"). [HeldOut] sets aside about a
// tenth of the emoji, chosen by a hash of their code points, for the
// demos and the classifier's test: every image of a held-out emoji is
// kept out of training, in both styles.
package emoji
