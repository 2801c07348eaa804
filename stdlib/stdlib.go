package stdlib

import "reflect"

// Symbols holds the exported symbols of the packages listed in the
// go:generate lines below, keyed as Yaegi expects ("import/path/name"). Pass
// it to (*interp.Interpreter).Use.
var Symbols = map[string]map[string]reflect.Value{}

//go:generate go tool yaegi extract -name stdlib github.com/actsh/actsh/act
//go:generate go tool yaegi extract -name stdlib github.com/actsh/actsh/act/transport
//go:generate go tool yaegi extract -name stdlib github.com/actsh/actsh/act/responses
//go:generate go tool yaegi extract -name stdlib github.com/actsh/actsh/act/config
//go:generate go tool yaegi extract -name stdlib github.com/actsh/actsh/act/view
//go:generate go tool yaegi extract -name stdlib github.com/actsh/actsh/tiny/demo
//go:generate go tool yaegi extract -name stdlib gonum.org/v1/plot
//go:generate go tool yaegi extract -name stdlib gonum.org/v1/plot/plotter
//go:generate go tool yaegi extract -name stdlib gonum.org/v1/plot/vg
//go:generate go tool yaegi extract -name stdlib gonum.org/v1/plot/vg/draw
//go:generate go run ./internal/gendocs -dir ../act -out docs_gen.go

// Doc is the documentation of one name of package act, extracted from its
// doc comments at generate time.
type Doc struct {
	// Sig is the declaration: "func Load(name string, opts ...Option) *Model".
	Sig string
	// Text is the doc comment as plain text.
	Text string
}

// Docs maps the exported names of package act ("Load", "Model") and their
// methods ("Model.Generate") to their documentation. The empty key holds
// the package overview.
var Docs map[string]Doc
