package tiny

import (
	"embed"
	"io/fs"
)

// The demo datasets and scorers written by recipes/tiny_concepts.go.
//
//go:embed data/concepts/*.json
var concepts embed.FS

// ConceptFiles returns the embedded tiny/data/concepts folder: per concept
// "<concept>.json" (json-subsets {"<concept>": [...], "none": [...]}) and
// "<concept>.lexicon.json", the religion register pair and its classifier,
// and summary.json. Package tiny/demo reads them; see tiny/data/README.md.
func ConceptFiles() fs.FS {
	sub, err := fs.Sub(concepts, "data/concepts")
	if err != nil { // cannot happen: the path is a literal of this package
		panic(err)
	}
	return sub
}
