// Command actsh is the Activation Transport shell. See package repl.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "actsh: the shell is not built yet (see issue: actsh shell)")
	os.Exit(2)
}
