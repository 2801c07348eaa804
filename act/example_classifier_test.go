package act_test

import (
	"fmt"

	. "github.com/actsh/actsh/act"
)

// Load the tiny RoBERTa sequence classifier the tests ship and score two
// id sequences (<s> … </s>, as its tokenizer would return them): one
// probability per label, in the order of Labels.
func ExampleLoadClassifier() {
	c := LoadClassifier("../testdata/reference/encoders/roberta_cls/checkpoint")
	fmt.Println(c.Labels())
	probs := c.ClassifyIDs([][]int{
		{0, 21, 51, 65, 51, 45, 9, 2},
		{0, 27, 60, 73, 62, 54, 59, 7, 47, 36, 20, 14, 89, 11, 80, 2},
	})
	for _, p := range probs {
		fmt.Printf("%.3f\n", p)
	}
	// Output:
	// [NEGATIVE POSITIVE]
	// [0.448 0.552]
	// [0.438 0.562]
}
