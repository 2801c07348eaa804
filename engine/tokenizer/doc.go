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
// silently different tokenizer. [LoadVocabMerges] builds the tokenizer of
// a GPT-2, RoBERTa or CLIP checkpoint that ships only vocab.json and
// merges.txt (older classifiers; SDXL's tokenizer and tokenizer_2), as
// transformers converts them to tokenizer.json. [LoadSentencePiece] does
// the same for a T5 folder that ships only SentencePiece's spiece.model
// (FLUX.1's tokenizer_2 has both), building what transformers' T5Converter
// builds; it reads the protobuf itself, Unigram models only.
//
// # Encoding
//
// [Tokenizer.Encode] runs Hugging Face's pipeline:
//
//  1. Added tokens are cut out first, leftmost and then longest, honouring
//     their single_word, lstrip, rstrip and normalized flags.
//  2. The normalizer rewrites the rest: Sequence, Prepend, Replace, NFC,
//     NFD, NFKC, NFKD, Lowercase, Strip, and Precompiled, SentencePiece's
//     normalization rules (T5's nmt_nfkc) as a darts-clone double-array
//     trie of byte sequences and their replacements. Precompiled follows
//     Hugging Face, not SentencePiece, where they differ: it maps each
//     extended grapheme cluster (github.com/rivo/uniseg) shorter than 6
//     bytes by the shortest key it starts with, dropping the rest of the
//     cluster ("Ａ" with a combining acute becomes "A"), and longer clusters
//     character by character, where SentencePiece takes the longest key
//     anywhere ("a" with three combining marks composes to "á" there).
//  3. The pre-tokenizer cuts it into words: ByteLevel (add_prefix_space,
//     use_regex), Split (String or Regex pattern, the five behaviours,
//     invert), Metaspace, Digits, WhitespaceSplit, Sequence. The regexes of
//     GPT-2, Llama 3 and Qwen 2 use look-ahead, which Go's regexp lacks; they
//     are hand-written scanners here, others go to Go's regexp, with
//     Oniguruma's \s (Unicode White_Space; Go's is ASCII) spelled out, as
//     CLIP's word regex and whitespace normalizer need.
//  4. The model encodes each word. BPE: merges by rank with a per-word
//     cache, byte_fallback, ignore_merges, unk_token with fuse_unk,
//     continuing_subword_prefix and end_of_word_suffix; merges may be
//     written "a b" or ["a", "b"]. Unigram (SentencePiece's, as T5 uses
//     it): the Viterbi segmentation maximizing the sum of the pieces'
//     log-probabilities, a character no piece covers scoring the lowest
//     piece score minus 10, consecutive unknown characters fused into one
//     unk_id, byte_fallback; ties go to the path found first, as in Hugging
//     Face tokenizers.
//  5. With addSpecial, the post-processor adds its special tokens:
//     TemplateProcessing, Bert/RobertaProcessing, Sequence. For transformers'
//     Llama and Gemma classes, add_bos_token and add_eos_token rebuild the
//     template as transformers does.
//
// # Decoding
//
// [Tokenizer.Decode] maps ids to tokens (dropping special ones on request),
// runs the decoder (ByteLevel, Replace, ByteFallback, Fuse, Strip,
// Metaspace, BPEDecoder, Sequence; Metaspace drops every ▁ of the first
// token, as Hugging Face's does) and, when the config sets
// clean_up_tokenization_spaces, transformers' clean-up of spaces before
// punctuation. Invalid UTF-8 becomes U+FFFD as in Rust's from_utf8_lossy.
// For CLIP (tokenizer_class CLIPTokenizer, or no class and CLIP's layout:
// an end-of-word suffix under a ByteLevel decoder) Decode then turns "</w>"
// into a space and strips the text, as CLIPTokenizerFast does.
//
// # Chat templates
//
// [LoadChatTemplate] reads a checkpoint's chat template (chat_template.jinja,
// else tokenizer_config.json's chat_template, the "default" one of a list)
// with the special tokens transformers passes to it, and
// [ChatTemplate.Render] turns a conversation into the prompt text as
// transformers' apply_chat_template(messages, tokenize=False) does, byte
// for byte: jinja2's sandbox with trim_blocks and lstrip_blocks, break and
// continue, {% generation %}, raise_exception (a [*TemplateError]),
// strftime_now ([ChatTemplate.Now]), transformers' tojson (json.dumps
// without HTML escaping), and messages, tools, documents,
// add_generation_prompt and the special tokens as variables.
// [NewChatTemplate] compiles a template given as text.
//
// The Jinja engine is github.com/ardanlabs/jinja. Where it differs from
// jinja2, this package supplies jinja2's behaviour: the whitespace rules
// and Python's string literals are applied before the engine parses the
// template; tojson, trim, wordcount, title, capitalize, upper, lower and
// indent, and the str methods strip, lstrip, rstrip, split, rsplit,
// splitlines, join, title, capitalize, upper, lower, startswith, endswith,
// removeprefix and removesuffix, are Python's; values print as Python's
// str() prints them. One difference remains: an attribute or item of an
// undefined value (messages[0]['role'] with no messages) is undefined
// here, where jinja2 raises an error. Go maps have no order, so a message
// given as a map reaches tojson with "role" and "content" first and the
// other keys sorted.
//
// testdata/chat_templates holds Llama 3's and Gemma 3's templates and two
// of ours, rendered by Python's jinja2 in transformers' environment over
// conversations with and without the generation prompt; the tests require
// the same bytes and the same errors.
//
// # Conformance
//
// testdata/ holds GPT-2, Llama 3 and Gemma 3 tokenizers with over 2,000
// varied lines each (prose, code, scripts, emoji, numbers, whitespace runs,
// contractions, special-token strings) and the ids and decodings that
// @lenml/tokenizers, a port of Hugging Face tokenizers, gives for them;
// scripts/golden-tokenizers regenerates them. A fourth set covers RoBERTa's
// layout (RobertaProcessing's <s> … </s>, a <mask> with lstrip), on a
// tokenizer the test derives from GPT-2's files. Two more cover CLIP:
// openai/clip-vit-large-patch14's tokenizer.json, rebuilt from OpenAI's
// bpe_simple_vocab_16e6 merges as transformers' CLIPConverter writes it
// (SDXL's tokenizer), and SDXL's tokenizer_2, the same with pad_token "!"
// a special added token; their ids and decodings come from Hugging Face
// tokenizers itself (the Rust library, 0.22.2), where @lenml/tokenizers
// misreads upper-case special-token strings. The tests require equality
// on every line.
//
// T5's set (t5.*) is a SentencePiece Unigram model of 400 pieces trained
// with nmt_nfkc normalization on text the repository ships, with 100
// extra ids, as spiece.model and as the tokenizer.json transformers'
// T5TokenizerFast saves; scripts/golden-t5 trains it and converts it, and
// gives each of 2,089 lines (prose, prompts, full-width and compatibility
// characters, combining marks, scripts, emoji, whitespace runs,
// special-token strings, random mixes) SentencePiece's ids, and
// scripts/golden-tokenizers/t5.mjs adds Hugging Face tokenizers' (0.22.2)
// ids and decodings. Both loading paths must give Hugging Face's ids and
// decodings on every line, and SentencePiece's ids on every line without a
// special-token string or a grapheme cluster of several characters (the
// two places where Hugging Face's T5TokenizerFast differs from
// SentencePiece). The same holds for testdata/flux-tiny/tokenizer_2 (96
// pieces, no extra ids, for the tiny FLUX pipeline's T5 encoder), and
// for the older layout of T5 files (runs of spaces made one space, no
// right strip).
//
// Not supported: the WordPiece and WordLevel models, the Bert normalizer,
// BPE dropout, spiece.model for tokenizer classes other than T5's and for
// SentencePiece BPE models, pairs of sequences, offsets.
package tokenizer
