package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine"
)

// TestClose: a closed model's passes fail with a clear error instead of
// touching freed buffers.
func TestClose(t *testing.T) {
	ctx := context.Background()
	m, err := engine.Load(ctx, "../testdata/reference/gpt2/checkpoint", engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Forward(ctx, [][]int{{1, 2, 3}}, engine.ForwardOptions{}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := m.Forward(ctx, [][]int{{1, 2, 3}}, engine.ForwardOptions{}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("a pass on a closed model: %v", err)
	}
}
