// Package demo runs the concept-induction demos of the embedded default
// model "tiny": the README's main job (recipes/demo.go), the quickstart
// and sweep notebooks and their tests share it, so the logic lives here
// and not in cells.
//
// The data are the concept data sets shipped in tiny/data/concepts
// ([Concepts], [Dataset]) and the lexicons that define them ([Lexicon]).
//
// Concept presence is measured as the AcT paper measures it, by a judge:
// ml-act asks Llama-3-8B-Instruct whether a generation is about the
// concept and reports its probability of "yes"; here the judge is a
// classifier we train on the concept's sentences against the others
// ([Classifier]), and [Score] is its mean probability. [Rate] is the
// stricter lexical measure: the share of texts that name the concept (a
// word of its lexicon).
//
// [Sweep] fits each requested method ([Fit]: Linear-AcT, Mean-AcT, ITI-c,
// ActAdd, or any act.Fit method) with the concept's sentences as target and
// the other sentences as source, then samples continuations of neutral
// prompts ([Prompts]) at each strength λ, and measures per cell the
// concept's presence, its mentions and the perplexity of the
// continuations under the unsteered model ([Perplexity]), the fluency
// check. [Report], [Table] and [Plot] show the
// result as text, HTML and a PNG.
//
// Like package act, these functions panic with an *act.Error on bad input.
package demo
