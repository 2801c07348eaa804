package bpe_test

import (
	"fmt"

	"github.com/actsh/actsh/tiny/bpe"
)

func Example() {
	tr := bpe.NewTrainer()
	for i := 0; i < 3; i++ {
		tr.Add("the ship and the sea, the ship and the whale")
	}
	tok, err := tr.Train(bpe.Options{VocabSize: 270})
	if err != nil {
		panic(err)
	}
	ids := tok.Encode("the ship")
	fmt.Println(len(tok.Vocab), tok.Merges[0], len(ids), tok.Decode(ids))
	// Output: 270 [h e] 2 the ship
}
