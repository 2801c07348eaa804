// Package bpe trains GPT-2-style byte-level BPE tokenizers and writes them
// as Hugging Face tokenizer.json files.
//
// # Pre-tokenization
//
// [Split] cuts text as GPT-2's regular expression does (contractions,
// letter runs, number runs and punctuation runs each with an optional
// leading space, whitespace runs that leave their last space to the next
// word); [ByteLevel] maps each byte to GPT-2's printable stand-in (space
// becomes "Ġ", newline "Ċ"), and [FromByteLevel] maps back.
//
// # Training
//
// A [Trainer] counts the byte-level pieces of every text given to
// [Trainer.Add]; [Trainer.Train] then learns merges over that
// word-frequency table. The vocabulary starts with the 256 byte tokens in
// GPT-2's order (ids 0-255), gains one token per merge, and ends with the
// special tokens ([EndOfText] by default), so a 4096-token vocabulary has
// 3839 merges and <|endoftext|> = 4095. Each step merges the pair with the
// highest count, count(a, b) = Σ_words freq(word)·occurrences(a b in word),
// ties going to the lexicographically smallest (a, b) token strings; so
// training is deterministic. Counts are updated incrementally (only the
// words holding the merged pair are recounted, a max-heap with lazy
// deletion picks the next pair), which trains 4096 tokens on the 28 MB
// tiny corpus in about five seconds on one core.
//
// # Files
//
// [Tokenizer.WriteFiles] writes tokenizer.json ([Tokenizer.TokenizerJSON]:
// model BPE with vocab and "left right" merges, ByteLevel pre-tokenizer
// with add_prefix_space false, ByteLevel post-processor and decoder, the
// special tokens as added tokens) and tokenizer_config.json
// ([Tokenizer.ConfigJSON]: GPT2Tokenizer, <|endoftext|> as BOS, EOS and
// UNK, no BOS added), the layout Hugging Face tokenizers and
// engine/tokenizer read; [ParseTokenizerJSON] reads such a file back.
// [Tokenizer.Encode] and [Tokenizer.Decode] are a small reference encoder
// over the same merges.
//
// # Checks
//
// On the shipped tokenizer (tiny/data/tokenizer), our encoder,
// engine/tokenizer and @lenml/tokenizers (a JavaScript port of Hugging
// Face tokenizers) give identical ids: on the whole validation split for
// the first two (recipes/tiny_tokenizer.go checks it); for the third, on
// 760 validation lines (104,026 tokens) in a one-off check, and on the 34
// texts of testdata/lenml_ids.json (validation lines and edge cases) in
// the tests.
package bpe
