package stdlib

import (
	"strings"
	"testing"

	"github.com/traefik/yaegi/interp"
	ystdlib "github.com/traefik/yaegi/stdlib"
)

// TestSymbolsCoverDocs checks that every exported top-level name of act
// documented in Docs has a symbol: a name missing here is one yaegi
// extract dropped (a generic function) and needs a hand-written wrapper,
// or generated files that are out of date with each other.
func TestSymbolsCoverDocs(t *testing.T) {
	syms := Symbols["github.com/actsh/actsh/act/act"]
	if len(syms) == 0 {
		t.Fatal("no symbols for package act")
	}
	for name, d := range Docs {
		if name == "" || strings.Contains(name, ".") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if _, ok := syms[name]; !ok {
				t.Errorf("act.%s (%s) has no symbol", name, d.Sig)
			}
		})
	}
}

// TestInterpreter runs a small program using act, gonum/plot and the
// standard library through Yaegi with these symbols.
func TestInterpreter(t *testing.T) {
	var out strings.Builder
	i := interp.New(interp.Options{Stdout: &out})
	if err := i.Use(ystdlib.Symbols); err != nil {
		t.Fatal(err)
	}
	if err := i.Use(Symbols); err != nil {
		t.Fatal(err)
	}
	const src = `package main

import (
	"encoding/json"
	"fmt"
	"sort"

	. "github.com/actsh/actsh/act"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

func main() {
	xs := []int{3, 1, 2}
	sort.Ints(xs)
	b, _ := json.Marshal(xs)
	p := plot.New()
	p.Title.Text = "t"
	pts := plotter.XYs{{X: 0, Y: 1}}
	_ = pts
	fmt.Println(string(b), p.Title.Text, Pool("mean") != nil)
}
`
	if _, err := i.Eval(src); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "[1,2,3] t true\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}
