// Package concepts builds the demo datasets of the embedded default model
// from its corpus and measures how present a concept or a register is in
// generated text.
//
// # Concepts
//
// A [Spec] names a concept by WordNet noun senses ("ship.n.01").
// [BuildLexicon] turns it into a [Lexicon]: the lemmas of those senses and
// of all their hyponyms, keeping a hyponym's lemma only when its most
// frequent sense is inside the concept (and when an optional filter, such
// as "Brown tags it mostly as a noun", agrees), minus a short exclusion
// list. [Lexicon.Matches] finds its words in a text over [Words], with
// plurals and multi-word phrases; [Lexicon.Present] says whether any is
// there. [Rate] over a lexicon is the share of texts that name the
// concept; over a [Classifier] it is the mean probability the classifier
// gives, the judge-style presence measure of the AcT paper's concept
// induction (where ml-act asks an instruction-tuned LLM).
//
// # Datasets
//
// [CorpusSentences] cuts corpus records into [Sentences]; [CountConcepts]
// counts the sentences mentioning each concept; [ConceptSubsets] draws a
// json-subsets dataset {"<concept>": [...], "none": [...]} with a fixed
// seed ([Sample]), the format act.JSONSubsets reads. [Save] writes JSON
// atomically.
//
// # Register classifier
//
// For a register or genre (the "mitigation" pair: Brown's religion genre
// against the others) [TrainClassifier] fits an L2-regularized logistic
// regression on unigram and bigram presence features ([Features]) with
// gonum's L-BFGS; [Classifier.Score] is P(register | text) and
// [Classifier.Accuracy] measures it on held-out texts ([Held] picks a
// fifth by hash). Lexicons and classifiers are both a [Scorer].
//
// # Shipped data
//
// recipes/tiny_concepts.go writes the datasets, lexicons, the classifier
// and a summary.json of counts and accuracies under tiny/data/concepts;
// [LoadLexicon] and [LoadClassifier] read them back. With the pinned
// corpus, of 96,322 training sentences (6-40 words; Brown, State of the
// Union, Moby Dick) these mention each concept: war 3133, family 3112,
// food 2279, money 2172, religion 1917, ship 1240, sea 804, music 778
// (kept: at least 0.8%); whale 751, weather 510, horse 332 (dropped). The
// religion-register classifier (6191 features, L2 1e-4 chosen on an inner
// fold) is right on 76.8% of held-out single sentences and 88.2% of
// held-out three-sentence texts (balanced, chance 50%).
package concepts
