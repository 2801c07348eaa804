package dataset_test

import (
	"fmt"

	"github.com/actsh/actsh/act/dataset"
)

func ExampleReadJSONSubsets() {
	ds, err := dataset.ReadJSONSubsets("testdata/subsets.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ds)
	src, dst, err := ds.Balance([]string{"zebra"}, []string{"none"}, 0, 42)
	fmt.Println(len(src), len(dst), err)
	// Output:
	// testdata/subsets.json: 5 texts (zebra 2, none 3, empty 0)
	// 2 2 <nil>
}

func ExampleReadJigsaw() {
	// Rows flagged toxic, and rows with no flag at all; a row flagged only
	// obscene is dropped, as ml-act does.
	ds, err := dataset.ReadJigsaw("testdata/jigsaw.csv", "toxic", "non-toxic")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ds)
	// Output: testdata/jigsaw.csv: 3 texts (toxic 1, non-toxic 2)
}

func ExampleReadOneSec() {
	// ml-act's concept induction data: "<concept>" holds the sentences with
	// the concept (the target), "non-<concept>" those without (the source).
	ds, err := dataset.ReadOneSec("testdata/onesec", "non-zebra", "zebra")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ds)
	// Output: testdata/onesec/OneSecConcepts-100_1.5.0: 5 texts (non-zebra 3, zebra 2)
}
