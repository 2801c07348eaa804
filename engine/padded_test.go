package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine"
)

// TestForwardPadded runs the Llama reference's left-padded batch as laid
// out in the fixture: the real slots must give the unpadded logits (within
// the family's conformance tolerance), pooling must see the real slots
// only, and malformed layouts are refused with the row named.
func TestForwardPadded(t *testing.T) {
	ctx := context.Background()
	e := loadExpected(t, "llama")
	m := loadCheckpoint(t, filepath.Join(refDir(t, "llama"), "checkpoint"))
	flat, shape, err := e.Ints("batch_left.input_ids")
	if err != nil {
		t.Fatal(err)
	}
	mask := e.ints("batch_left.attention_mask")
	n, T := shape[0], shape[1]
	ids, masks := make([][]int, n), make([][]int, n)
	var seqs [][]int
	for i := range n {
		ids[i], masks[i] = flat[i*T:(i+1)*T], mask[i*T:(i+1)*T]
		var s []int
		for j, v := range masks[i] {
			if v == 1 {
				s = append(s, ids[i][j])
			}
		}
		seqs = append(seqs, s)
	}
	point := m.Points()[0]
	out, err := m.ForwardPadded(ctx, ids, masks, engine.ForwardOptions{Capture: []string{point}, Pool: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := m.Forward(ctx, seqs, engine.ForwardOptions{Capture: []string{point}, Pool: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if len(out.Logits[i]) != T {
			t.Fatalf("row %d: %d slots, want %d", i, len(out.Logits[i]), T)
		}
		var realRows [][]float32
		for j, v := range masks[i] {
			if v == 1 {
				realRows = append(realRows, out.Logits[i][j])
			}
		}
		var want []float32
		for _, r := range ref.Logits[i] {
			want = append(want, r...)
		}
		if d := maxDiff(realRows, want, false); d > 2e-4 {
			t.Errorf("row %d: real slots differ from the unpadded run by %.3g", i, d)
		}
		if d := maxDiff([][]float32{out.Pooled[point][i]}, ref.Pooled[point][i], false); d > 1e-4 {
			t.Errorf("row %d: pooled %s differs by %.3g", i, point, d)
		}
	}
	for _, tc := range []struct {
		name      string
		ids, mask [][]int
		want      string
	}{
		{"rows", [][]int{{5, 6}}, [][]int{{1, 1}, {1, 1}}, "1 rows of ids but 2 rows of mask"},
		{"lengths", [][]int{{5, 6}, {5}}, [][]int{{1, 1}, {1}}, "row 1 has 1 ids"},
		{"no token", [][]int{{5, 6}}, [][]int{{0, 0}}, "row 0 has no real token"},
		{"mask value", [][]int{{5, 6}}, [][]int{{1, 2}}, "mask value 2 at slot 1"},
		{"vocabulary", [][]int{{5, 999}}, [][]int{{1, 1}}, "token id 999 out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.ForwardPadded(ctx, tc.ids, tc.mask, engine.ForwardOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestForwardPaddedSlidingWindowHoles runs the Mistral reference's rows
// with padding in the middle. transformers counts the sliding window in
// cache slots, padding included, and so does the engine: a hole of pads
// uses up window places. The reference logits follow that rule with
// cumsum(mask)−1 position ids at the real slots, which is what
// ForwardPadded gives them; counting the window in real tokens instead
// moves the logits by 10.5 (meta.json "sensitivity"). Tolerance: the
// family's conformance tolerance, 2e-4.
func TestForwardPaddedSlidingWindowHoles(t *testing.T) {
	ctx := context.Background()
	e := loadExpected(t, "mistral")
	m := loadCheckpoint(t, filepath.Join(refDir(t, "mistral"), "checkpoint"))
	flat, shape, err := e.Ints("batch_holes.input_ids")
	if err != nil {
		t.Fatal(err)
	}
	mask := e.ints("batch_holes.attention_mask")
	want, _ := e.floats("batch_holes.logits")
	n, T := shape[0], shape[1]
	V := m.Info().VocabSize
	ids, masks := make([][]int, n), make([][]int, n)
	for i := range n {
		ids[i], masks[i] = flat[i*T:(i+1)*T], mask[i*T:(i+1)*T]
	}
	out, err := m.ForwardPadded(ctx, ids, masks, engine.ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		var got [][]float32
		var w []float32
		for j, v := range masks[i] {
			if v == 1 {
				got = append(got, out.Logits[i][j])
				w = append(w, want[(i*T+j)*V:(i*T+j+1)*V]...)
			}
		}
		if d := maxDiff(got, w, false); d > 2e-4 {
			t.Errorf("row %d: real slots differ from the reference by %.3g", i, d)
		} else {
			t.Logf("row %d: max abs diff %.3g", i, d)
		}
	}
}
