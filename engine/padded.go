package engine

import (
	"context"
	"fmt"
)

// ForwardPadded runs a batch laid out by the caller, as transformers takes
// input_ids and attention_mask: rows of one length, mask[i][t] = 1 for a
// real token and 0 for padding, in any layout (left, right, or holes).
// Unlike [Model.Forward], results are indexed by slot, padding included:
// Logits[i][t] and Captured[point][i][t] are what the model computes at
// slot t (finite at padding; for an encoder, what transformers computes
// there too, as a padded query still attends to the real keys). Pooling
// (opts.Pool) reduces over the real slots only; opts.LeftPad is ignored.
//
// Position ids count the real tokens before each slot, as in Forward.
// Each row needs at least one real token, and at most MaxPositions.
func (m *Model) ForwardPadded(ctx context.Context, ids, mask [][]int, opts ForwardOptions) (*Output, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(ids) != len(mask) {
		return nil, fmt.Errorf("engine: %d rows of ids but %d rows of mask", len(ids), len(mask))
	}
	if len(ids) == 0 {
		return &Output{}, nil
	}
	capture, err := m.checkOptions(opts)
	if err != nil {
		return nil, err
	}
	L := len(ids[0])
	for i := range ids {
		if len(ids[i]) != L || len(mask[i]) != L {
			return nil, fmt.Errorf("engine: row %d has %d ids and %d mask values, row 0 has %d ids", i, len(ids[i]), len(mask[i]), L)
		}
		n := 0
		for t, v := range mask[i] {
			if v != 0 && v != 1 {
				return nil, fmt.Errorf("engine: row %d: mask value %d at slot %d (want 0 or 1)", i, v, t)
			}
			n += v
		}
		if n == 0 {
			return nil, fmt.Errorf("engine: row %d has no real token (its mask is all 0)", i)
		}
		if mp := m.info.MaxPositions; mp > 0 && n > mp {
			return nil, fmt.Errorf("engine: row %d: %d tokens exceed the model's %d positions", i, n, mp)
		}
		for _, id := range ids[i] {
			if id < 0 || id >= m.info.VocabSize {
				return nil, fmt.Errorf("engine: row %d: token id %d out of range [0, %d)", i, id, m.info.VocabSize)
			}
		}
	}
	if opts.NoLogits && len(capture) == 0 {
		return &Output{}, nil
	}
	B, T := batchBucket(len(ids)), bucket(L)
	r := &request{B: B, T: T, steering: opts.Steering, capture: capture}
	if !opts.NoLogits {
		r.logits = logitsAll
	}
	r.tokens, r.positions = make([]int32, B*T), make([]int32, B*T)
	r.keyValid, r.selected = make([]int32, B*T), make([]int32, B*T)
	st := opts.Steering
	for i := range ids {
		last := -1
		for t, v := range mask[i] {
			if v == 1 {
				last = t
			}
		}
		n := 0 // real tokens before slot t
		for t := range T {
			k := i*T + t
			r.positions[k] = int32(m.clampPos(n))
			if t >= L {
				continue
			}
			r.tokens[k] = int32(ids[i][t])
			if mask[i][t] == 1 {
				r.keyValid[k] = 1
				if st != nil && (!st.LastOnly || t == last) {
					r.selected[k] = 1
				}
				n++
			}
		}
	}
	res, err := m.run(r)
	if err != nil {
		return nil, err
	}
	starts, lens := make([]int, len(ids)), make([]int, len(ids))
	for i := range lens {
		lens[i] = L
	}
	keep := func(i, t int) bool { return mask[i][t] == 1 }
	return m.output(res, T, starts, lens, opts.Pool, capture, keep), nil
}
