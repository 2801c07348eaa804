// Package tokenizer encodes text into token ids and back with the semantics
// of Hugging Face tokenizers, reading the tokenizer.json that checkpoints ship.
//
// # Loading
//
// [Load] takes a tokenizer.json file or a folder holding one, and reads the
// tokenizer_config.json and special_tokens_map.json beside it when present
// (BOS, EOS and pad tokens, add_bos_token/add_eos_token,
// clean_up_tokenization_spaces). [Parse] and [ParseWithConfig] do the same
// from bytes. Unsupported components are errors naming them, never a
// silently different tokenizer.
//
// # Encoding
//
// [Tokenizer.Encode] runs Hugging Face's pipeline:
//
//  1. Added tokens are cut out first, leftmost and then longest, honouring
//     their single_word, lstrip, rstrip and normalized flags.
//  2. The normalizer rewrites the rest: Sequence, Prepend, Replace, NFC,
//     NFD, NFKC, NFKD, Lowercase, Strip.
//  3. The pre-tokenizer cuts it into words: ByteLevel (add_prefix_space,
//     use_regex), Split (String or Regex pattern, the five behaviours,
//     invert), Metaspace, Digits, WhitespaceSplit, Sequence. The regexes of
//     GPT-2, Llama 3 and Qwen 2 use look-ahead, which Go's regexp lacks; they
//     are hand-written scanners here, others go to Go's regexp.
//  4. The BPE model encodes each word: merges by rank with a per-word cache,
//     byte_fallback, ignore_merges, unk_token with fuse_unk,
//     continuing_subword_prefix and end_of_word_suffix. Merges may be
//     written "a b" or ["a", "b"].
//  5. With addSpecial, the post-processor adds its special tokens:
//     TemplateProcessing, Bert/RobertaProcessing, Sequence. For transformers'
//     Llama and Gemma classes, add_bos_token and add_eos_token rebuild the
//     template as transformers does.
//
// # Decoding
//
// [Tokenizer.Decode] maps ids to tokens (dropping special ones on request),
// runs the decoder (ByteLevel, Replace, ByteFallback, Fuse, Strip,
// Metaspace, BPEDecoder, Sequence) and, when the config sets
// clean_up_tokenization_spaces, transformers' clean-up of spaces before
// punctuation. Invalid UTF-8 becomes U+FFFD as in Rust's from_utf8_lossy.
//
// # Conformance
//
// testdata/ holds GPT-2, Llama 3 and Gemma 3 tokenizers with over 2,000
// varied lines each (prose, code, scripts, emoji, numbers, whitespace runs,
// contractions, special-token strings) and the ids and decodings that
// @lenml/tokenizers, a port of Hugging Face tokenizers, gives for them;
// scripts/golden-tokenizers regenerates them. The tests require equality on
// every line.
//
// Not supported: the WordPiece, Unigram and WordLevel models, the
// Precompiled (SentencePiece) and Bert normalizers, BPE dropout, pairs of
// sequences, offsets.
package tokenizer
