package act_test

import (
	"fmt"

	. "github.com/actsh/actsh/act"
)

// MMLU on the embedded model: the prompt of one question with two shots,
// as lm-evaluation-harness writes it, then the whole subject scored 1-shot
// with no steering (nil transport). Real runs read the 57 subjects from
// $DATA_DIR/mmlu with LoadMMLU("") after `actsh download mmlu`.
func ExampleModel_MMLU() {
	d := LoadMMLU("testdata/mmlu", "miscellaneous")
	ctx, conts := d.Subjects[0].Prompt(0, 2)
	fmt.Println(ctx)
	fmt.Printf("%q\n", conts)

	m := Load("tiny")
	r := m.MMLU(d, nil, 0, Shots(1))
	fmt.Println(r.Overall.Name, r.Overall.N, len(r.Items), r.Categories[0].Name)
	// Output:
	// The following are multiple choice questions (with answers) about miscellaneous.
	//
	// How many legs does a spider have?
	// A. 6
	// B. 8
	// C. 10
	// D. 12
	// Answer: B
	//
	// What colour do you get by mixing blue and yellow?
	// A. Green
	// B. Purple
	// C. Orange
	// D. Brown
	// Answer: A
	//
	// What is the boiling point of water at sea level in Celsius?
	// A. 90
	// B. 95
	// C. 100
	// D. 105
	// Answer:
	// [" A" " B" " C" " D"]
	// mmlu 4 4 other
}
