package repl_test

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/actsh/actsh/repl"
)

// A session fed from a reader: multi-line input, printed results, an error
// on one line, and the session going on.
func ExampleSession_Run() {
	s, err := repl.New(repl.Options{Stdout: os.Stdout, Stderr: os.Stdout})
	if err != nil {
		panic(err)
	}
	input := `func square(x float64) float64 {
	return x * x
}
square(1.5)
nope
[][]float32{{1, 2}, {3, 4}}
`
	if err := s.Run(repl.NewReader(strings.NewReader(input))); err != nil {
		panic(err)
	}
	// Output:
	// 2.25
	// error: undefined: nope
	// [2][2]float32
	//   1 2
	//   3 4
}

// Completion of a package member and of a method of a value in scope.
func ExampleSession_Complete() {
	s, err := repl.New(repl.Options{})
	if err != nil {
		panic(err)
	}
	s.Eval("var b strings.Builder")
	cands, _ := s.Complete("b.WriteS", len("b.WriteS"))
	fmt.Println(cands)
	cands, _ = s.Complete("x := strings.ToU", len("x := strings.ToU"))
	fmt.Println(cands)
	// Output:
	// [b.WriteString]
	// [strings.ToUpper strings.ToUpperSpecial]
}

// RunSource runs a Go program as `go run` would.
func ExampleRunSource() {
	src := `package main

import "fmt"

func main() { fmt.Println("hello from a script") }
`
	if err := repl.RunSource(src, []string{"script"}, os.Stdout, os.Stderr); err != nil {
		fmt.Println(err)
	}
	// Output: hello from a script
}

func ExampleFormat() {
	fmt.Println(repl.Format(reflect.ValueOf([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})))
	fmt.Println(repl.Format(reflect.ValueOf("a\tb")))
	// Output:
	// [0 1 2 3 4 5 … 8 9] (len 10)
	// "a\tb"
}

func ExampleIncomplete() {
	fmt.Println(repl.Incomplete("for i := 0; i < 3; i++ {"))
	fmt.Println(repl.Incomplete("x := 1"))
	// Output:
	// true
	// false
}
