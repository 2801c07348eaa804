package train

import (
	"os"
	"testing"
)

// TestMain runs the pure-Go backend with its ops one after another: its
// default parallel op scheduler can deadlock on training graphs (every
// worker of the shared pool waiting for a free worker; seen as a hang in
// about 1 of 10 runs). An explicit GOMLX_BACKEND is left alone.
func TestMain(m *testing.M) {
	if os.Getenv("GOMLX_BACKEND") == "" {
		os.Setenv("GOMLX_BACKEND", "go:ops_sequential")
	}
	os.Exit(m.Run())
}
