package repl

import (
	"io"
	"log"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Yaegi logs its internal panics with the standard logger before they
	// reach the session, as cmd/actsh does not show them either.
	log.SetOutput(io.Discard)
	os.Exit(m.Run())
}
