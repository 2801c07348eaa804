package act_test

import (
	"fmt"

	. "github.com/actsh/actsh/act"
)

// The paper's concept induction learns from OneSec sentences without a
// concept to sentences with it; testdata/onesec holds a small kit in
// ml-act's layout for the embedded model's concepts.
func ExampleOneSec() {
	ds := OneSec("../testdata/onesec", "non-money", "money")
	fmt.Println(ds.Subsets(), len(ds.Subset("money")))
	// Output: [non-money money] 100
}

// The concept judge is given the concept's WordNet definition: the gloss
// of its first noun sense.
func ExampleConceptDefinition() {
	fmt.Println(ConceptDefinition("football"))
	fmt.Println(ConceptDefinition("balloon"))
	// Output:
	// any of various games played with a ball (round or oval) in which two teams try to kick or carry or propel the ball into each other's goal
	// large tough nonrigid bag filled with gas or heated air
}

// Ask a chat model whether texts are about a concept and read its
// probability of "Yes", the paper's p(yes) (Llama-3-8B-Instruct judges
// there; the embedded model here, which was not chat-tuned, so its values
// are small and say little).
func ExampleModel_ConceptScore() {
	judge := Load("tiny")
	p := judge.ConceptScore("money", "", []string{"The bank paid the money.", "The ship sailed at dawn."})
	fmt.Println(len(p), p[0] > 0 && p[0] < 1, p[1] > 0 && p[1] < 1)
	// Output: 2 true true
}
