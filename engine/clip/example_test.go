package clip_test

import (
	"context"
	"fmt"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/clip"
)

// ExampleEncode runs SDXL's second text encoder (here the tiny random one
// of the reference fixture) on ids padded with "!" (id 0), as
// diffusers calls it: no attention mask, the penultimate hidden state for
// the UNet, text_embeds as the pooled embedding.
func ExampleEncode() {
	ctx := context.Background()
	m, err := engine.Load(ctx, "../../testdata/reference/encoders/clip_text/text_encoder_2", engine.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := [][]int{{62, 34, 17, 48, 11, 63, 0, 0, 0, 0, 0, 0}}
	out, err := clip.Encode(ctx, m, ids, clip.EncodeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Arch().(*clip.Model).Penultimate())
	fmt.Println(len(out.Penultimate[0]), "slots ×", len(out.Penultimate[0][0]), "units")
	fmt.Println(len(out.TextEmbeds[0]), "units of text_embeds")
	// Output:
	// text_model.encoder.layers.2
	// 12 slots × 16 units
	// 24 units of text_embeds
}
