//go:build cgo

package engine

import (
	"sort"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends/xla"
)

func init() {
	// Never download plugins: the machine may be offline, and a missing
	// plugin must fall back to the pure-Go backend instead of hanging.
	xla.EnableAutoInstall(false)
	detectXLA = func() string {
		plugins := pjrt.AvailablePlugins() // a search of the plugin folders; no network
		if _, ok := plugins["cuda"]; ok {
			return "xla:cuda"
		}
		var names []string
		for n := range plugins {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) > 0 {
			return "xla:" + names[0]
		}
		return ""
	}
}
