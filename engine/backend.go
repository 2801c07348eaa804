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

// Backend returns the process-wide GoMLX backend and its description,
// creating it on first use:
//
//  1. $GOMLX_BACKEND, when set, is used as is (e.g. "go", "xla:cuda");
//  2. otherwise the pure-Go backend ("go").
//
// XLA is used only when named explicitly: the XLA backend is not linked
// by default because GoMLX's default setup may try to install PJRT plugins
// from the network. The choice is reported once on stderr.
func Backend() (backends.Backend, string, error) {
	backendOnce.Do(func() {
		config, set := os.LookupEnv("GOMLX_BACKEND")
		if !set || config == "" {
			config = "go"
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
