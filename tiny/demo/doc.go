// Package demo runs the concept-induction and mitigation demos of the
// embedded default model "tiny": the README's main job (recipes/demo.go),
// the quickstart and sweep notebooks and their tests share it, so the
// logic lives here and not in cells.
//
// The data are the concept data sets shipped in tiny/data/concepts
// ([Concepts], [Dataset]) and the lexicons that define them ([Lexicon]).
// [DefineConcept] makes any other concept from the words that name it,
// drawing its data set from a pool of 60,000 corpus sentences shipped with
// the model (tiny.Sentences).
//
// Concept presence is measured as the AcT paper measures it, by a judge:
// ml-act asks Llama-3-8B-Instruct whether a generation is about the
// concept and reports its probability of "yes"; here the judge is a
// classifier we train on the concept's sentences against the others
// ([Classifier]), and [Score] is its mean probability. [Rate] is the
// lexical measure of what the model talks about: the share of texts that
// name the concept (a word of its lexicon).
//
// [Sweep] fits each requested method ([Fit]: Linear-AcT, Mean-AcT, ITI-c,
// ActAdd, or any act.Fit method) with the concept's sentences as target and
// the other sentences as source, then samples continuations of neutral
// prompts ([Prompts]) at each strength λ, and measures per cell the
// concept's presence, its mentions, the share of corpus words
// ([WordShare]) and the perplexity of the continuations under the
// unsteered model ([Perplexity]), the fluency checks. [Report], [Table]
// and [Plot] show the result as text, HTML and a PNG.
//
// [Mitigate] is the mitigation demo, in the spirit of the paper's
// toxicity mitigation: it steers from religious prose (the Brown Corpus's
// religion genre, [RegisterDataset]) to the other genres on prompts that
// lead into it ([MitigationPrompts]), judged by a classifier we trained
// ([RegisterJudge]); [MitigationReport] prints it.
//
// Like package act, these functions panic with an *act.Error on bad input.
package demo
