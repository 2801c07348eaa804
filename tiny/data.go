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
func ConceptFiles() fs.FS { return sub(concepts, "data/concepts") }
