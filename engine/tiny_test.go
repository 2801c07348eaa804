package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/actsh/actsh/engine"
	_ "github.com/actsh/actsh/engine/gpt2"
	"github.com/actsh/actsh/tiny"
)

// TestLoadTiny loads the embedded default model and checks it against the
// same files exported to a folder and loaded through the ordinary path:
// same points, same tokenizer, bit-identical logits.
func TestLoadTiny(t *testing.T) {
	ctx := context.Background()
	emb, err := engine.Load(ctx, "tiny", engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if emb.Name() != "tiny" || emb.Tokenizer() == nil {
		t.Fatalf("embedded model: name %q, tokenizer %v", emb.Name(), emb.Tokenizer())
	}
	dir := filepath.Join(t.TempDir(), "tiny")
	if err := tiny.Export(dir); err != nil {
		t.Fatal(err)
	}
	if err := tiny.Export(dir); err == nil {
		t.Error("Export over an existing folder succeeded")
	}
	disk, err := engine.Load(ctx, dir, engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := "The ship sailed into the harbour at dawn."
	ids := emb.Tokenizer().Encode(text, true)
	if got := emb.Tokenizer().Decode(ids, false); got != text {
		t.Errorf("tokenizer round trip %q, want %q", got, text)
	}
	a, err := emb.Forward(ctx, [][]int{ids}, engine.ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := disk.Forward(ctx, [][]int{ids}, engine.ForwardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Logits[0] {
		for v := range a.Logits[0][i] {
			if a.Logits[0][i][v] != b.Logits[0][i][v] {
				t.Fatalf("logit [%d][%d]: embedded %g, exported folder %g", i, v, a.Logits[0][i][v], b.Logits[0][i][v])
			}
		}
	}
	if len(emb.Points()) != len(disk.Points()) || len(emb.Points()) == 0 {
		t.Errorf("points: embedded %d, folder %d", len(emb.Points()), len(disk.Points()))
	}
}
