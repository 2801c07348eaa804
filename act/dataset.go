package act

import (
	"github.com/actsh/actsh/act/dataset"
)

// Dataset is a set of labelled texts in named subsets ("toxic",
// "non-toxic", "giraffe", ...), the input of [Model.Responses] and
// [Model.FitIncremental], which pick source and target subsets by name with
// [Src] and [Dst].
type Dataset struct {
	d *dataset.Dataset
}

// JSONSubsets reads ml-act's json-subsets format, {"subset": [texts...]},
// as in giraffes.json.
func JSONSubsets(path string) *Dataset { return wrapDataset(dataset.ReadJSONSubsets(path)) }

// Jigsaw reads the Kaggle Jigsaw toxic comments CSV as ml-act does: by
// default subsets "toxic" (rows flagged toxic) and "non-toxic" (rows with
// no flag at all); rows with other flags only are dropped. subsets may name
// other categories (severe_toxic, obscene, threat, insult, identity_hate),
// or "all" for any flag.
func Jigsaw(path string, subsets ...string) *Dataset {
	return wrapDataset(dataset.ReadJigsaw(path, subsets...))
}

// RealToxicityPrompts reads RealToxicityPrompts JSONL (prompted_gens_gpt2.jsonl):
// prompt texts in "toxic" (prompt toxicity ≥ 0.5) and "non-toxic"; prompts
// without a toxicity score are dropped.
func RealToxicityPrompts(path string) *Dataset {
	return wrapDataset(dataset.ReadRealToxicityPrompts(path))
}

// OneSec reads ml-act's OneSec concepts, the paper's concept induction
// data (OneSecConcepts-100_1.5.0: concept_list.csv and
// sense/<concept>.json): dir is that folder or the data directory holding
// it, and subsets name "<concept>" (sentences with the concept, the
// target) and "non-<concept>" (sentences without it, the source); no
// subsets reads every concept. The data is not published: a missing
// folder panics saying what to build (testdata/onesec has a small kit in
// the same layout).
func OneSec(dir string, subsets ...string) *Dataset {
	return wrapDataset(dataset.ReadOneSec(dir, subsets...))
}

// COCOCaptions reads a COCO captions annotation file: its captions in one
// subset "captions".
func COCOCaptions(path string) *Dataset { return wrapDataset(dataset.ReadCOCOCaptions(path)) }

// JSONL reads one JSON object per line, the text in textField and the
// subset in labelField (empty: one subset named after the file).
func JSONL(path, textField, labelField string) *Dataset {
	return wrapDataset(dataset.ReadJSONL(path, textField, labelField))
}

// CSV reads a CSV file with a header row, the text in column textCol and the
// subset in column labelCol (empty: one subset named after the file).
func CSV(path, textCol, labelCol string) *Dataset {
	return wrapDataset(dataset.ReadCSV(path, textCol, labelCol))
}

// TextFile reads one text per non-empty line into a subset named after the
// file ("toxic.txt" gives "toxic").
func TextFile(path string) *Dataset { return wrapDataset(dataset.ReadText(path)) }

// Texts returns a data set with one subset, named name, holding texts. Add
// more subsets with [Dataset.Add].
func Texts(name string, texts []string) *Dataset {
	d := dataset.New(name)
	d.Add(name, texts...)
	return &Dataset{d: d}
}

// Add appends texts to a subset (created if new) and returns ds.
func (ds *Dataset) Add(subset string, texts ...string) *Dataset {
	ds.raw().Add(subset, texts...)
	return ds
}

// Subsets lists the subset names in file order.
func (ds *Dataset) Subsets() []string { return ds.raw().Subsets() }

// Subset returns the texts of one subset; an unknown name panics listing
// the subsets there are.
func (ds *Dataset) Subset(name string) []string {
	t, err := ds.raw().Texts(name)
	must(err)
	return t
}

// Len returns the number of texts in all subsets.
func (ds *Dataset) Len() int { return ds.raw().Len() }

// Sample returns a data set with at most n randomly chosen texts per
// subset; the same seed gives the same texts.
func (ds *Dataset) Sample(n int, seed uint64) *Dataset {
	return &Dataset{d: ds.raw().Sample(n, seed)}
}

// String summarises the data set: name and each subset's count.
func (ds *Dataset) String() string {
	if ds == nil || ds.d == nil {
		return "act.Dataset(nil)"
	}
	return ds.d.String()
}

// Raw returns the underlying dataset.Dataset, for Go code that wants
// errors instead of panics.
func (ds *Dataset) Raw() *dataset.Dataset { return ds.raw() }

func (ds *Dataset) raw() *dataset.Dataset {
	if ds == nil || ds.d == nil {
		fail("dataset is nil")
	}
	return ds.d
}

func wrapDataset(d *dataset.Dataset, err error) *Dataset {
	must(err)
	return &Dataset{d: d}
}
