// Package download fetches the public data sets of the AcT paper into a
// data directory, in the layout ml-act reads: the logic of
// `actsh download`.
//
// # Sources
//
// [Sources] is the table. Each [Source] has a name and [File]s, each with
// its URL, its destination relative to the data directory, and its size and
// SHA-256 where a public record gives them (the comment beside each entry
// names the record). Archives name the [Member]s to take out; nothing else
// is extracted. With no names the command fetches what ml-act's
// act/scripts/download_external_data.py fetches: coco, rtp, jigsaw.
//
//	coco         coco_captions_2017/captions_{train,val}2017.json, from COCO's annotations zip
//	rtp          prompted_gens_gpt2.jsonl, the URL ml-act uses (DExperts' one-prompt toy file)
//	rtp-prompts  real-toxicity-prompts/prompts.jsonl, all of RealToxicityPrompts
//	jigsaw       jigsaw/{train,test,test_labels}.csv
//	wikipedia    wikipedia-en-sentences.txt.gz, one sentence per line
//	mmlu         mmlu/{dev,val,test}/<subject>_<split>.csv, from MMLU's data.tar
//	truthfulqa   truthfulqa/TruthfulQA.csv and truthfulqa/mc_task.json
//	onesec       OneSecConcepts-100_1.5.0/: not published; by hand only
//
// [Source.Note] says what differs from the paper's copy where it does
// (rtp, wikipedia, onesec) and the layout a reader expects.
//
// # Fetching
//
// [Fetch] makes one source present. A file already at its destination is
// kept, and checked when its digest is known. A missing one is downloaded
// to <dest>.part beside its destination; a .part left by an interrupted
// run is continued with an HTTP Range request when the server answers 206,
// else the download starts over. The complete file is checked (size,
// SHA-256; a mismatch deletes the .part and names both digests) and only
// then renamed into place. Archive members are each written to a temporary
// file and renamed; the archive is removed afterwards. Cancelling the
// context (Ctrl-C in the command) leaves only .part files.
//
// Nothing can hang: [Options.Timeout] bounds the connection (DNS, TCP,
// TLS), the wait for response headers and every stall of a body. Without
// network each source fails within seconds with one [Error] naming the URL,
// the cause, the destination and how to provide the file by hand: put it
// at that path, or point [Options.Mirror] (--mirror) at a copy of the same
// paths, an HTTP server or a file:// folder.
//
// # Progress
//
// Downloads report through package internal/progress on
// [Options.Progress]: a bar on a terminal, a plain line every few seconds
// elsewhere, in kB.
package download
