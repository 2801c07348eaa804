// Package dataset holds labelled texts in named subsets and reads them from
// the formats ml-act (github.com/apple/ml-act) uses, plus plain JSONL, CSV
// and text files.
//
// # Datasets
//
// A [Dataset] is a name and an ordered list of subsets, each a list of
// texts. The subsets play the roles of a fit: the source subsets (the
// behaviour to move away from, such as "toxic") and the target subsets (the
// behaviour to move towards, such as "non-toxic").
//
//	ds, err := dataset.ReadJSONSubsets("giraffes.json")
//	src, dst, err := ds.Balance([]string{"none"}, []string{"giraffe"}, 0, 42)
//
// # Formats
//
//   - [ReadJSONSubsets]: {"subset": ["text", ...], ...}, subsets in file order
//     (ml-act's json-subsets, e.g. giraffes.json).
//   - [ReadJigsaw]: the Kaggle Jigsaw toxic comments train.csv. A row goes to
//     the first requested category it is flagged with, to "non-toxic" when it
//     has no flag at all, and is dropped when its only flags are categories
//     not requested; "all" requests every category (subset "all"), as
//     ml-act's JigsawDataset does.
//   - [ReadRealToxicityPrompts]: the RealToxicityPrompts JSONL shipped by
//     DExperts: prompt.text labelled "toxic" when prompt.toxicity ≥ 0.5 and
//     "non-toxic" below; rows with a null toxicity are dropped (ml-act's
//     RTP evaluation uses the same threshold and filter).
//   - [ReadOneSec]: ml-act's OneSec concepts (OneSecConcepts-100_1.5.0:
//     concept_list.csv and sense/<concept>.json), subsets "<concept>"
//     (sentences.positive) and "non-<concept>" (sentences.negative); the
//     data is not published ([ErrNoOneSec] says what to build).
//   - [ReadCOCOCaptions]: a COCO captions JSON, annotations[].caption in file
//     order, in one subset "captions".
//   - [ReadCOCOStyles], [ReadCOCOConcepts], [ReadDiffusionPrompts]: ml-act's
//     text-to-image data sets (coco-captions-styles, coco-captions-concepts,
//     diffusion-prompts) as [ImagePrompts]: items with an id, the caption,
//     the prompt and a subset, in data-set order for generation, and
//     [ImagePrompts.Dataset] grouping the prompts by subset. COCO captions
//     get subsets by cycling through those asked for and a style's tags
//     (style_prompts.json) or a concept's phrase
//     (diffusion_concept_prompts.json) appended; both files are ml-act's
//     data/ files, read from a folder the caller names.
//   - [ReadJSONL], [ReadCSV]: one example per line or row, text and label
//     taken from named fields or columns; no label field means one subset
//     named after the file.
//   - [ReadText]: one example per non-empty line, subset named after the
//     file's stem.
//
// Errors name the file and what is wrong: the line of a JSON syntax error,
// the columns found when one is missing, the subsets available when an
// unknown one is asked for.
//
// # Sampling
//
// [Dataset.Balance] draws equal numbers of source and target texts: the
// smaller side's count, or at most n per side, chosen by a permutation from
// a PCG generator seeded with the seed, so the same seed gives the same
// texts in the same order (ml-act's StratifiedSampler likewise keeps
// min(count) per class). [Dataset.Sample] keeps at most n texts per subset.
package dataset
