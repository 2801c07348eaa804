package act_test

import (
	"fmt"

	. "github.com/actsh/actsh/act"
)

// Self-BLEU of three generations: each is scored with BLEU against the two
// others, and the scores are averaged. The first two share most of their
// words, so they score high; lower Self-BLEU means more diverse text.
func ExampleSelfBLEU() {
	texts := []string{
		"The cat sat on the mat.",
		"The cat sat on a mat.",
		"A dog ran in the park!",
	}
	fmt.Println(WordTokens(texts[0]))
	fmt.Printf("%.4f\n", SelfBLEUScores(texts))
	fmt.Printf("%.4f\n", SelfBLEU(texts))
	fmt.Printf("%.4f\n", SelfBLEU(texts, BLEUOrder(2)))
	// Output:
	// [The cat sat on the mat .]
	// [0.5081 0.4889 0.0330]
	// 0.3434
	// 0.5404
}
