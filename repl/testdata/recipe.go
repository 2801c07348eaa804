//go:build ignore

// A small recipe: run with `actsh run repl/testdata/recipe.go x y` or
// `go run repl/testdata/recipe.go x y`; both print the same lines.
package main

import (
	"fmt"
	"math"
	"os"
	"strings"

	. "github.com/actsh/actsh/act"
)

type stat struct {
	name  string
	value float64
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func main() {
	fmt.Println("args:", strings.Join(os.Args[1:], ","))
	xs := []float64{1, 2, 3, 4}
	stats := []stat{{"mean", mean(xs)}, {"sqrt2", math.Sqrt2}}
	for _, s := range stats {
		fmt.Printf("%-6s %.4f\n", s.name, s.value)
	}
	t := NewTransport()
	t.Set("transformer.h.0.ln_2", []float32{1, 0.5}, []float32{0, 1}, nil, nil)
	fmt.Println(t != nil, Pool("mean") != nil)
	defer fmt.Println("deferred")
	m := map[string]int{"a": 1}
	m["b"] = 2
	fmt.Println(len(m), m["b"])
}
