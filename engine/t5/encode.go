package t5

import (
	"context"
	"fmt"

	"github.com/actsh/actsh/engine"
)

// EncodeOptions tune [Encode]. The zero value encodes as FluxPipeline
// does: no attention mask, no steering.
type EncodeOptions struct {
	// Mask is transformers' attention_mask, one row per sequence (1 for a
	// token, 0 for padding). Nil attends to every slot, padding included,
	// as FluxPipeline calls its T5 encoder.
	Mask [][]int
	// Steering, when not nil, is active during the pass.
	Steering *engine.Steering
	// Capture lists further points whose outputs are returned by slot in
	// Output.Captured ([HiddenState] gives the names of hidden_states[k]).
	Capture []string
}

// Output holds a T5 encoder's outputs for a batch, every slot of the ids
// given (padding included), as transformers returns them.
type Output struct {
	// LastHiddenState is [sequence][slot][d_model]: the final RMS norm's
	// output, FLUX's prompt_embeds.
	LastHiddenState [][][]float32
	// Captured holds the points of EncodeOptions.Capture,
	// [point][sequence][slot][unit].
	Captured map[string][][][]float32
}

// Encode runs a T5 encoder loaded by engine.Load on rows of token ids of
// one length (a tokenizer's output padded to max_length, see [PadIDs]) and
// returns its outputs. m must be a model of this family.
func Encode(ctx context.Context, m *engine.Model, ids [][]int, opts EncodeOptions) (*Output, error) {
	if _, ok := m.Arch().(*Model); !ok {
		return nil, fmt.Errorf("t5: Encode needs a T5 encoder, got %s (%s)", m.Info().Family, m.Info().Architecture)
	}
	if len(ids) == 0 {
		return &Output{}, nil
	}
	mask := opts.Mask
	if mask == nil {
		mask = make([][]int, len(ids))
		for i, row := range ids {
			mask[i] = make([]int, len(row))
			for t := range mask[i] {
				mask[i][t] = 1
			}
		}
	}
	capture := append([]string{FinalLayerNorm}, opts.Capture...)
	out, err := m.ForwardPadded(ctx, ids, mask, engine.ForwardOptions{Capture: capture, Steering: opts.Steering, NoLogits: true})
	if err != nil {
		return nil, fmt.Errorf("t5: encode: %w", err)
	}
	o := &Output{LastHiddenState: out.Captured[FinalLayerNorm]}
	if len(opts.Capture) > 0 {
		o.Captured = map[string][][][]float32{}
		for _, p := range opts.Capture {
			o.Captured[p] = out.Captured[p]
		}
	}
	return o, nil
}

// PadIDs lays token ids out as diffusers asks T5's tokenizer to
// (padding="max_length", truncation=True, the tokenizer adding </s>):
// each row's ids, cut to length − 1, then eos, then pad up to length.
// mask is 1 on the ids and eos, 0 on the padding. FluxPipeline uses
// length max_sequence_length (256 for FLUX.1-schnell, 512 for dev), eos
// 1 and pad 0 ([engine.Info.EOS] and Pad of the model).
func PadIDs(rows [][]int, length, eos, pad int) (ids, mask [][]int, err error) {
	if length < 1 {
		return nil, nil, fmt.Errorf("t5: length %d leaves no room for </s>", length)
	}
	for _, r := range rows {
		if len(r) > length-1 {
			r = r[:length-1]
		}
		row := make([]int, 0, length)
		row = append(append(row, r...), eos)
		m := make([]int, length)
		for t := range row {
			m[t] = 1
		}
		for len(row) < length {
			row = append(row, pad)
		}
		ids, mask = append(ids, row), append(mask, m)
	}
	return ids, mask, nil
}
