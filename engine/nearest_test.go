package engine_test

import (
	"testing"

	"github.com/actsh/actsh/engine"
)

func TestNearest(t *testing.T) {
	points := []string{"transformer_blocks.0:0", "transformer_blocks.0:1", "single_transformer_blocks.0", "norm_out"}
	tests := []struct {
		name, in, want string
		candidates     []string
	}{
		{"typo", "single_transformer_block.0", "single_transformer_blocks.0", points},
		{"element", "transformer_blocks.0:2", "transformer_blocks.0:0", points},
		{"exact", "norm_out", "norm_out", points},
		{"none", "norm_out", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := engine.Nearest(tc.in, tc.candidates); got != tc.want {
				t.Errorf("Nearest(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
