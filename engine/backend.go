package engine

import (
	"fmt"
	"os"
	"sync"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the pure-Go backend, always available
)

var (
	backendOnce sync.Once
	backendVal  backends.Backend
	backendName string
	backendErr  error
)

// detectXLA returns the XLA backend configuration for an installed PJRT
// plugin ("xla:cuda" first), or "" when none is installed or the XLA
// backend is not linked (builds without cgo).
var detectXLA = func() string { return "" }

// Backend returns the process-wide GoMLX backend and its configuration,
// creating it on first use:
//
//  1. $GOMLX_BACKEND, when set, is used as is (e.g. "go", "xla:cuda");
//  2. otherwise XLA when a PJRT plugin is installed (CUDA preferred),
//     found by searching the plugin folders as go-xla does
//     ($PJRT_PLUGIN_LIBRARY_PATH, /usr/local/lib/go-xla,
//     ~/.local/lib/go-xla, the system library folders);
//  3. otherwise the pure-Go backend ("go").
//
// Plugins are never downloaded (GoMLX's auto-install is switched off). If
// an XLA plugin fails to start, the pure-Go backend is used instead. The
// choice is reported once on stderr.
func Backend() (backends.Backend, string, error) {
	backendOnce.Do(func() {
		config, set := os.LookupEnv("GOMLX_BACKEND")
		if !set || config == "" {
			config = "go"
			if x := detectXLA(); x != "" {
				b, err := newBackend(x)
				if err == nil {
					backendVal, backendName = b, x
					fmt.Fprintf(os.Stderr, "actsh: backend %s\n", x)
					return
				}
				fmt.Fprintf(os.Stderr, "actsh: %s unavailable (%v); using the pure-Go backend\n", x, err)
			}
		}
		backendVal, backendErr = newBackend(config)
		if backendErr != nil {
			backendErr = fmt.Errorf("engine: backend %q: %w", config, backendErr)
			return
		}
		backendName = config
		if config == "go" {
			fmt.Fprintln(os.Stderr, "actsh: backend go (pure Go; set GOMLX_BACKEND=xla:cuda for GPU)")
		} else {
			fmt.Fprintf(os.Stderr, "actsh: backend %s\n", config)
		}
	})
	return backendVal, backendName, backendErr
}

func newBackend(config string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v (registered backends: %v)", r, backends.List())
		}
	}()
	return backends.NewWithConfig(config)
}
