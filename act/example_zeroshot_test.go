package act_test

import (
	"fmt"

	. "github.com/actsh/actsh/act"
)

// Ask a chat model whether each text is about money, as ml-act's zero-shot
// judge asks Llama-3-8B-Instruct whether a text is toxic. The embedded
// model was not chat-tuned, so its one-token replies are rarely "Yes" or
// "No"; the answers' scores are still its logits and top-10 softmax
// values for those tokens.
func ExampleModel_ZeroShot() {
	judge := Load("tiny")
	texts := []string{"The bank paid the money.", "The ship sailed at dawn."}
	for i, s := range judge.ZeroShot("Is this text about money?", []string{"Yes", "No"}, texts) {
		fmt.Printf("%s: reply %q, counted as %d; P(Yes) > P(No): %v\n", texts[i], s.Answer, s.Choice, s.Softmax[0] > s.Softmax[1])
	}
	// Output:
	// The bank paid the money.: reply ",", counted as 1; P(Yes) > P(No): false
	// The ship sailed at dawn.: reply ",", counted as 1; P(Yes) > P(No): false
}
