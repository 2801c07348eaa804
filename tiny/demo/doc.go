// Package demo runs the concept-induction demos of the embedded default
// model "tiny": the README's main job (recipes/demo.go), the quickstart
// and sweep notebooks and their tests share it, so the logic lives here
// and not in cells.
//
// The data are the concept data sets shipped in tiny/data/concepts
// ([Concepts], [Dataset]) and the lexicons that define them ([Lexicon],
// [Rate]: the share of texts that mention the concept, the concept rate of
// the AcT paper's concept-induction experiments).
//
// [Sweep] fits each requested method ([Fit]: Linear-AcT, Mean-AcT, ITI-c,
// ActAdd, or any act.Fit method) with the concept's sentences as target and
// the other sentences as source, then samples continuations of neutral
// prompts ([Prompts]) at each strength λ, and measures per cell the concept
// rate and the perplexity of the continuations under the unsteered model
// ([Perplexity]), the fluency check. [Report], [Table] and [Plot] show the
// result as text, HTML and a PNG.
//
// Like package act, these functions panic with an *act.Error on bad input.
package demo
