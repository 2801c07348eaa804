package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/actsh/actsh/stdlib"
	"github.com/traefik/yaegi/interp"
	ystd "github.com/traefik/yaegi/stdlib"
)

func main() {
	log.SetOutput(io.Discard)
	for _, tags := range [][]string{nil, {"ignore"}} {
		i := interp.New(interp.Options{Stdout: os.Stdout, BuildTags: tags, Args: []string{"a", "b"}})
		i.Use(ystd.Symbols)
		i.Use(stdlib.Symbols)
		for _, src := range []string{"//go:build ignore\n\npackage main\nimport \"fmt\"\nimport \"os\"\nfunc main() { fmt.Println(\"main ran\", os.Args) }\n", `x := 2`, `func g() { for i := range 3 { _ = i } }`, `x`, `main()`, `for i := 0; i < 2; i++ { fmt.Println(i) }`, `a, b := 1, 2`, `a+b`} {
			v, err := i.EvalWithContext(context.Background(), src)
			fmt.Printf("%q -> valid=%v ", src, v.IsValid())
			if v.IsValid() {
				fmt.Printf("type=%v val=%v ", v.Type(), v)
			}
			if err != nil {
				if p, ok := err.(interp.Panic); ok {
					fmt.Printf("PANIC %T %v", p.Value, p.Value)
				} else {
					fmt.Printf("ERR %T %v", err, err)
				}
			}
			fmt.Println()
		}
	}
}
