package clip

import (
	"context"
	"fmt"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/tokenizer"
)

// EncodeOptions tune [Encode]. The zero value encodes as SDXL and FLUX do:
// no attention mask, no steering.
type EncodeOptions struct {
	// Mask is transformers' attention_mask, one row per sequence (1 for a
	// token, 0 for padding). Nil attends to every slot, padding included,
	// as diffusers' pipelines call the text encoders.
	Mask [][]int
	// Steering, when not nil, is active during the pass.
	Steering *engine.Steering
	// Capture lists further points whose outputs are returned by slot in
	// Output.Captured (HiddenState gives the names of hidden_states[k]).
	Capture []string
}

// Output holds a CLIP text encoder's outputs for a batch, every slot of
// the ids given (padding included), as transformers returns them.
type Output struct {
	// LastHiddenState is [sequence][slot][hidden_size]: the final layer
	// norm's output.
	LastHiddenState [][][]float32
	// Penultimate is hidden_states[-2], [sequence][slot][hidden_size]: the
	// output of layer num_hidden_layers − 2, not final-layer-normed. SDXL
	// concatenates both encoders' along the last axis as prompt_embeds.
	Penultimate [][][]float32
	// Pooled is pooler_output, [sequence][hidden_size]: LastHiddenState at
	// the slot [Config.PoolIndex] picks. FLUX's pooled_projections are
	// CLIPTextModel's.
	Pooled [][]float32
	// TextEmbeds is text_embeds, [sequence][projection_dim]:
	// text_projection(Pooled), for CLIPTextModelWithProjection only (nil
	// otherwise). SDXL's pooled_prompt_embeds are text_encoder_2's.
	TextEmbeds [][]float32
	// Captured holds the points of EncodeOptions.Capture,
	// [point][sequence][slot][unit].
	Captured map[string][][][]float32
}

// Encode runs a CLIP text encoder loaded by engine.Load on rows of token
// ids of one length (a tokenizer's output padded to max_length, see
// [Tokenize]) and returns its outputs. m must be a model of this family.
func Encode(ctx context.Context, m *engine.Model, ids [][]int, opts EncodeOptions) (*Output, error) {
	a, ok := m.Arch().(*Model)
	if !ok {
		return nil, fmt.Errorf("clip: Encode needs a CLIP text encoder, got %s (%s)", m.Info().Family, m.Info().Architecture)
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
	pen := a.Penultimate()
	capture := append([]string{FinalLayerNorm, pen}, opts.Capture...)
	out, err := m.ForwardPadded(ctx, ids, mask, engine.ForwardOptions{Capture: capture, Steering: opts.Steering})
	if err != nil {
		return nil, fmt.Errorf("clip: encode: %w", err)
	}
	o := &Output{
		LastHiddenState: out.Captured[FinalLayerNorm],
		Penultimate:     out.Captured[pen],
		Pooled:          make([][]float32, len(ids)),
	}
	if a.project {
		o.TextEmbeds = make([][]float32, len(ids))
	}
	for i, row := range ids {
		t := a.cfg.PoolIndex(row)
		o.Pooled[i] = o.LastHiddenState[i][t]
		if a.project {
			o.TextEmbeds[i] = out.Logits[i][t]
		}
	}
	if len(opts.Capture) > 0 {
		o.Captured = map[string][][][]float32{}
		for _, p := range opts.Capture {
			o.Captured[p] = out.Captured[p]
		}
	}
	return o, nil
}

// Tokenize encodes texts as diffusers' pipelines ask transformers' CLIP
// tokenizers to (padding="max_length", truncation=True): each text's
// tokens, cut to length minus the special tokens, between the tokenizer's
// <|startoftext|> and <|endoftext|>, then the tokenizer's pad token up to
// length. mask is 1 on the tokens and 0 on the padding. SDXL's tokenizer
// pads with <|endoftext|>, its tokenizer_2 with "!" (id 0).
func Tokenize(tok *tokenizer.Tokenizer, texts []string, length int) (ids, mask [][]int, err error) {
	pad, ok := tok.Pad()
	if !ok {
		return nil, nil, fmt.Errorf("clip: the tokenizer has no pad_token to pad to %d tokens", length)
	}
	before, after := tok.AddsSpecial()
	room := length - len(before) - len(after)
	if room < 0 {
		return nil, nil, fmt.Errorf("clip: length %d leaves no room for the %d special tokens", length, len(before)+len(after))
	}
	for _, text := range texts {
		words := tok.Encode(text, false)
		if len(words) > room {
			words = words[:room]
		}
		row := make([]int, 0, length)
		row = append(append(append(row, before...), words...), after...)
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
