package t5_test

import (
	"context"
	"fmt"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/t5"
)

// ExampleEncode runs FLUX's T5 encoder (here the tiny random one of the
// reference fixture) as FluxPipeline calls it: token ids followed by </s>
// and padded to max_sequence_length (256 for FLUX.1-schnell; 8 here),
// no attention mask; last_hidden_state is the prompt embedding.
func ExampleEncode() {
	ctx := context.Background()
	m, err := engine.Load(ctx, "../../testdata/reference/encoders/t5/checkpoint", engine.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	info := m.Info()
	ids, _, err := t5.PadIDs([][]int{{34, 17, 48}}, 8, info.EOS, info.Pad)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := t5.Encode(ctx, m, ids, t5.EncodeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ids[0])
	fmt.Println(len(out.LastHiddenState[0]), "slots ×", len(out.LastHiddenState[0][0]), "units")
	// Output:
	// [34 17 48 1 0 0 0 0]
	// 8 slots × 32 units
}
