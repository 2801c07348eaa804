package download

import (
	"path"
	"strings"
)

// Source is one named data set: the files that make it up and where they
// go under the data directory.
type Source struct {
	// Name is what `actsh download NAME` selects.
	Name string
	// What says in a few words what the files are.
	What string
	// Note says what a user providing the files by hand should know: the
	// layout readers expect, where the paper's copy differs, other sources.
	Note string
	// Default marks the sources of ml-act's download_external_data.py,
	// fetched when no name is given.
	Default bool
	// Files are fetched in order.
	Files []File
}

// File is one download. A File with Members is an archive: it is kept at
// Dest only while its members are extracted, then removed.
type File struct {
	// URL is where the file is published; empty when no public source is
	// known, in which case only the by-hand route remains.
	URL string
	// Dest is the destination, slash-separated, relative to the data
	// directory.
	Dest string
	// Size is the length in bytes, 0 when not known.
	Size int64
	// SHA256 is the published hex digest of the file, empty when none was
	// found; a download or present file that does not match is refused.
	SHA256 string
	// Members, when set, are the only archive members extracted (Dest ends
	// in .zip or .tar).
	Members []Member
}

// Member is one file taken out of an archive.
type Member struct {
	// Name is the member's path inside the archive.
	Name string
	// Dest is where it goes, relative to the data directory.
	Dest string
}

// Outputs returns the paths, relative to the data directory, that the
// file leaves in place: the extracted members of an archive, else Dest.
func (f File) Outputs() []string {
	if len(f.Members) == 0 {
		return []string{f.Dest}
	}
	out := make([]string, len(f.Members))
	for i, m := range f.Members {
		out[i] = m.Dest
	}
	return out
}

// Outputs returns every path the source leaves in the data directory.
func (s Source) Outputs() []string {
	var out []string
	for _, f := range s.Files {
		out = append(out, f.Outputs()...)
	}
	return out
}

// Sources is the table of everything `actsh download` knows. Each URL,
// size and digest was taken from a public record named beside it.
var Sources = []Source{
	{
		Name:    "coco",
		What:    "COCO 2017 caption annotations (text-to-image tasks)",
		Default: true,
		Note: "Only captions_train2017.json and captions_val2017.json are taken from the 241 MiB " +
			"annotations zip; ml-act reads them from coco_captions_2017/.",
		Files: []File{{
			URL:  "http://images.cocodataset.org/annotations/annotations_trainval2017.zip",
			Dest: "coco_captions_2017/annotations_trainval2017.zip",
			// tensorflow/datasets, tensorflow_datasets/url_checksums/coco.txt.
			Size:   252907541,
			SHA256: "113a836d90195ee1f884e704da6304dfaaecff1f023f49b6ca93c4aaae470268",
			Members: []Member{
				{"annotations/captions_train2017.json", "coco_captions_2017/captions_train2017.json"},
				{"annotations/captions_val2017.json", "coco_captions_2017/captions_val2017.json"},
			},
		}},
	},
	{
		Name:    "rtp",
		What:    "RealToxicityPrompts prompts with GPT-2 generations, the file ml-act's script fetches",
		Default: true,
		Note: "This is the URL ml-act's download_external_data.py uses, pinned to the commit DExperts' " +
			"main branch points at: DExperts' toy_prompt example, one prompt and no prompt.toxicity, " +
			"which ml-act's RTP evaluation needs. The file the paper used (as ml-act's test sample: " +
			"prompts with toxicity scores and 25 GPT-2 generations each) is not at a plain URL; DExperts' " +
			"README publishes its generations as generations.zip on Google Drive. Put that file here by " +
			"hand, or use `actsh download rtp-prompts` for the whole RealToxicityPrompts set.",
		Files: []File{{
			URL:  "https://raw.githubusercontent.com/alisawuffles/DExperts/4ef198fe4cad76f87f7ceac362171a3bda906303/generations/toy_prompt/gpt2/prompted_gens_gpt2.jsonl",
			Dest: "prompted_gens_gpt2.jsonl",
			// Git blob 6caa452935b1842f449a707936023dd9c2925821 at that commit;
			// the digest is of that blob's bytes.
			Size:   7393,
			SHA256: "9391b7e21bf6d30ee6ed97dde81ff87493fcc37a8566644593ac0d771f60e2f9",
		}},
	},
	{
		Name: "rtp-prompts",
		What: "RealToxicityPrompts, all 99k prompts (allenai)",
		Note: "JSON lines with prompt.text and prompt.toxicity, the fields ml-act's RTP evaluation reads; " +
			"a superset of the paper's prompts, not the same sample.",
		Files: []File{{
			URL:  "https://huggingface.co/datasets/allenai/real-toxicity-prompts/resolve/d3a6507562064c4f37cdf267bdc2faa7b0873173/prompts.jsonl",
			Dest: "real-toxicity-prompts/prompts.jsonl",
			// Git LFS object of prompts.jsonl at that revision (Hub file page).
			SHA256: "4b6808878edc985fcc6bcb6a2a7239a0fb05420cb495f1f6ca1450da5e35c163",
		}},
	},
	{
		Name:    "jigsaw",
		What:    "Jigsaw toxic comment classification (Kaggle 2018): train, test, test labels",
		Default: true,
		Note:    "CSV with id, comment_text, toxic, severe_toxic, obscene, threat, insult, identity_hate.",
		Files: []File{
			{URL: hfJigsaw + "train.csv", Dest: "jigsaw/train.csv"},
			{URL: hfJigsaw + "test.csv", Dest: "jigsaw/test.csv"},
			{URL: hfJigsaw + "test_labels.csv", Dest: "jigsaw/test_labels.csv"},
		},
	},
	{
		Name: "wikipedia",
		What: "English Wikipedia sentences, one per line, gzip (7.87M; perplexity)",
		Note: "ml-act's toxicity evaluation reads wikipedia_sentences.csv (columns: index, text, concept; " +
			"rows with concept \"wikipedia\"), a file it does not publish; if you have it, put it in the " +
			"data directory. This is the public sentence set sentence-transformers ships (also the Hub " +
			"dataset sentence-transformers/wikipedia-en-sentences).",
		Files: []File{{
			URL:  "https://sbert.net/datasets/wikipedia-en-sentences.txt.gz",
			Dest: "wikipedia-en-sentences.txt.gz",
		}},
	},
	{
		Name: "mmlu",
		What: "MMLU (Hendrycks et al.): dev, val and test CSVs of 57 subjects",
		Note: "Headerless CSV rows: question, A, B, C, D, answer letter; mmlu/<split>/<subject>_<split>.csv. " +
			"lm-evaluation-harness takes its 5 shots from dev and scores test. MMLU's data.tar, first " +
			"published at https://people.eecs.berkeley.edu/~hendrycks/data.tar (hendrycks/test README).",
		Files: []File{{
			URL:  "https://huggingface.co/datasets/hails/mmlu_no_train/resolve/9bf8f5c830b7adb9f90f3efc2a6fb3179b0fea36/data.tar",
			Dest: "mmlu/data.tar",
			// Git LFS pointer of data.tar in that commit (also nateraw/mmlu-data).
			Size:    166184960,
			SHA256:  "bec563ba4bac1d6aaf04141cd7d1605d7a5ca833e38f994051e818489592989b",
			Members: mmluMembers(),
		}},
	},
	{
		Name: "truthfulqa",
		What: "TruthfulQA: questions and answers (CSV) and the MC1/MC2 task (JSON)",
		Note: "mc_task.json is a list of {question, mc0_targets, mc1_targets, mc2_targets}, each target an " +
			"object from answer to 0/1 whose key order is the choice order (correct answers first): " +
			"read it in order. lm-evaluation-harness's truthfulqa_mc1/mc2 use these choices.",
		Files: []File{
			{
				// huggingface/datasets, datasets/truthful_qa/truthful_qa.py and
				// dataset_infos.json (download_checksums).
				URL:    tqaCommit + "TruthfulQA.csv",
				Dest:   "truthfulqa/TruthfulQA.csv",
				Size:   443723,
				SHA256: "8d7dd15f033196140f032d97d30f037da7a7b1192c3f36f9937c1850925335a2",
			},
			{
				URL:    tqaCommit + "data/mc_task.json",
				Dest:   "truthfulqa/mc_task.json",
				Size:   710607,
				SHA256: "6eb4125d25750c0145c4be2dce00440736684ab6f74ce6bff2139571cc758954",
			},
		},
	},
	{
		Name: "onesec",
		What: "OneSec concepts (ml-act's concept induction data set)",
		Note: "No public copy found: Apple derived OneSecConcepts-100_1.5.0 from OneSeC (Scarlini et al. 2019, " +
			"http://trainomatic.org/onesec) but did not publish it. Layout: concept_list.csv (a `concept` " +
			"column) and sense/<concept>.json = {\"sentences\": {\"positive\": [...], \"negative\": [...]}}; " +
			"github.com/apple/ml-selfcond's assets/football and assets/gender_bias are small samples of it.",
		Files: []File{{Dest: "OneSecConcepts-100_1.5.0/concept_list.csv"}},
	},
}

const (
	hfJigsaw  = "https://huggingface.co/datasets/dirtycomputer/Toxic_Comment_Classification_Challenge/resolve/main/"
	tqaCommit = "https://raw.githubusercontent.com/sylinrl/TruthfulQA/013686a06be7a7bde5bf8223943e106c7250123c/"
)

// mmluSubjects are the 57 subjects of MMLU, as lm-evaluation-harness names
// its mmlu_<subject> tasks.
var mmluSubjects = strings.Fields(`
abstract_algebra anatomy astronomy business_ethics clinical_knowledge
college_biology college_chemistry college_computer_science college_mathematics
college_medicine college_physics computer_security conceptual_physics
econometrics electrical_engineering elementary_mathematics formal_logic
global_facts high_school_biology high_school_chemistry
high_school_computer_science high_school_european_history
high_school_geography high_school_government_and_politics
high_school_macroeconomics high_school_mathematics high_school_microeconomics
high_school_physics high_school_psychology high_school_statistics
high_school_us_history high_school_world_history human_aging human_sexuality
international_law jurisprudence logical_fallacies machine_learning management
marketing medical_genetics miscellaneous moral_disputes moral_scenarios
nutrition philosophy prehistory professional_accounting professional_law
professional_medicine professional_psychology public_relations
security_studies sociology us_foreign_policy virology world_religions`)

// mmluMembers lists data/<split>/<subject>_<split>.csv of data.tar for the
// dev, val and test splits (not auxiliary_train).
func mmluMembers() []Member {
	var ms []Member
	for _, split := range []string{"dev", "val", "test"} {
		for _, s := range mmluSubjects {
			name := s + "_" + split + ".csv"
			ms = append(ms, Member{path.Join("data", split, name), path.Join("mmlu", split, name)})
		}
	}
	return ms
}
