package concepts_test

import (
	"fmt"

	"github.com/actsh/actsh/tiny/concepts"
)

func ExampleRate() {
	ship := &concepts.Lexicon{Name: "ship", Words: []string{"ship", "boat", "whaling ship"}}
	generations := []string{
		"The boats were hauled up on the beach.",
		"He spoke of the election.",
		"A whaling ship came into port.",
		"The jury said nothing.",
	}
	fmt.Println(concepts.Rate(ship, generations), ship.Matches(generations[2]))
	// Output: 0.5 [whaling ship ship]
}
