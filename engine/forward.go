package engine

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// ForwardOptions tune [Model.Forward]. The zero value computes the logits
// of an unsteered pass.
type ForwardOptions struct {
	// Steering, when not nil, is active during the pass.
	Steering *Steering
	// Capture lists the points whose outputs are returned.
	Capture []string
	// Pool reduces each captured output over the real tokens of each
	// sequence: "mean", "max", "min", "median" (the lower middle value, as
	// torch.median), "last"; "" or "all" keeps every position.
	Pool string
	// NoLogits skips the output head (capture-only passes). With nothing
	// to capture either, Forward only validates its input.
	NoLogits bool
	// LastLogits returns the logits of each sequence's last token only
	// (Output.Logits[i] has one row): what a next-token judge needs,
	// without moving every position's vocabulary off the device.
	LastLogits bool
	// LeftPad pads sequences on the left instead of the right. Results are
	// the same up to float rounding; it exists to test that.
	LeftPad bool
}

// Output is what [Model.Forward] returns. Everything is indexed by the
// sequence's own (unpadded) positions.
type Output struct {
	// Logits is [sequence][position][vocab], nil with NoLogits. For a
	// classifier (Info.Labels) it is [sequence][position][label]: the
	// head at every position, the classification being position 0's. For
	// a text encoder (Info.EmbedWidth) it is its output embedding at
	// every position.
	Logits [][][]float32
	// Captured is [point][sequence][position][unit] when Pool is "" or "all".
	Captured map[string][][][]float32
	// Pooled is [point][sequence][unit] when Pool names a reduction.
	Pooled map[string][][]float32
}

// Forward runs the model on a batch of token-id sequences (each non-empty).
func (m *Model) Forward(ctx context.Context, batch [][]int, opts ForwardOptions) (*Output, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(batch) == 0 {
		return &Output{}, nil
	}
	pool := opts.Pool
	capture, err := m.checkOptions(opts)
	if err != nil {
		return nil, err
	}
	maxLen := 0
	for i, s := range batch {
		if len(s) == 0 {
			return nil, fmt.Errorf("engine: sequence %d is empty", i)
		}
		if err := m.checkIDs(s); err != nil {
			return nil, fmt.Errorf("engine: sequence %d: %w", i, err)
		}
		maxLen = max(maxLen, len(s))
	}
	if opts.NoLogits && len(capture) == 0 {
		return &Output{}, nil
	}
	B, T := batchBucket(len(batch)), bucket(maxLen)
	r := &request{B: B, T: T, steering: opts.Steering, capture: capture}
	if !opts.NoLogits {
		r.logits = logitsAll
		if opts.LastLogits {
			r.logits, r.lastIdx = logitsLast, make([]int32, B)
		}
	}
	starts := make([]int, len(batch)) // slot of each sequence's first token
	r.tokens, r.positions = make([]int32, B*T), make([]int32, B*T)
	r.keyValid, r.selected = make([]int32, B*T), make([]int32, B*T)
	for i, s := range batch {
		if opts.LeftPad {
			starts[i] = T - len(s)
		}
		m.fillRow(r, i, T, starts[i], s, opts.Steering)
		if r.lastIdx != nil {
			r.lastIdx[i] = int32(starts[i] + len(s) - 1)
		}
	}
	res, err := m.run(r)
	if err != nil {
		return nil, err
	}
	if r.lastIdx != nil { // [B, 1, V]: one row per sequence
		V := m.info.LogitsWidth()
		flat := tensors.MustCopyFlatData[float32](res.logits)
		lastOut := &Output{Logits: make([][][]float32, len(batch))}
		for i := range batch {
			lastOut.Logits[i] = [][]float32{flat[i*V : (i+1)*V : (i+1)*V]}
		}
		if len(capture) > 0 {
			lens := make([]int, len(batch))
			for i, seq := range batch {
				lens[i] = len(seq)
			}
			res.logits = nil
			o := m.output(res, T, starts, lens, pool, capture, nil)
			lastOut.Captured, lastOut.Pooled = o.Captured, o.Pooled
		}
		return lastOut, nil
	}
	lens := make([]int, len(batch))
	for i, seq := range batch {
		lens[i] = len(seq)
	}
	return m.output(res, T, starts, lens, pool, capture, nil), nil
}

// ScoreTokens runs the model on a batch of sequences and returns, for each
// sequence i and position t, log p(targets[i][t] | inputs[i][:t+1]): the
// log-softmax of the logits at t, taken at the target id, computed on the
// device in float32 (only these numbers come back, not the logits). A
// negative target scores nothing (its value is 0). Targets have the
// lengths of their inputs; opts.Steering applies as in Forward (LastOnly:
// at each input's last token); captures and pooling are not read.
func (m *Model) ScoreTokens(ctx context.Context, inputs, targets [][]int, opts ForwardOptions) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(inputs) != len(targets) {
		return nil, fmt.Errorf("engine: %d inputs for %d target rows", len(inputs), len(targets))
	}
	if len(inputs) == 0 {
		return nil, nil
	}
	if err := m.checkSteering(opts.Steering); err != nil {
		return nil, err
	}
	if len(m.info.Labels) > 0 {
		return nil, fmt.Errorf("engine: ScoreTokens needs a language model; %s is a classifier", m.info.Family)
	}
	if m.info.EmbedWidth > 0 {
		return nil, fmt.Errorf("engine: ScoreTokens needs a language model; %s is a text encoder", m.info.Family)
	}
	maxLen := 0
	for i, s := range inputs {
		if len(s) == 0 {
			return nil, fmt.Errorf("engine: sequence %d is empty", i)
		}
		if len(targets[i]) != len(s) {
			return nil, fmt.Errorf("engine: sequence %d has %d tokens and %d targets", i, len(s), len(targets[i]))
		}
		if err := m.checkIDs(s); err != nil {
			return nil, fmt.Errorf("engine: sequence %d: %w", i, err)
		}
		for t, id := range targets[i] {
			if id >= m.info.VocabSize {
				return nil, fmt.Errorf("engine: sequence %d: target %d at %d is outside the vocabulary (%d ids)", i, id, t, m.info.VocabSize)
			}
		}
		maxLen = max(maxLen, len(s))
	}
	B, T := batchBucket(len(inputs)), bucket(maxLen)
	r := &request{B: B, T: T, steering: opts.Steering, logits: logitsScore}
	r.tokens, r.positions = make([]int32, B*T), make([]int32, B*T)
	r.keyValid, r.selected = make([]int32, B*T), make([]int32, B*T)
	r.targets = make([]int32, B*T)
	for i, s := range inputs {
		m.fillRow(r, i, T, 0, s, opts.Steering)
		for t, id := range targets[i] {
			r.targets[i*T+t] = int32(max(id, 0))
		}
	}
	res, err := m.run(r)
	if err != nil {
		return nil, err
	}
	flat := tensors.MustCopyFlatData[float32](res.logits)
	out := make([][]float32, len(inputs))
	for i, s := range inputs {
		row := make([]float32, len(s))
		for t, id := range targets[i] {
			if id >= 0 {
				row[t] = flat[i*T+t]
			}
		}
		out[i] = row
	}
	return out, nil
}

// output unpacks a pass's results: sequence i's are the lens[i] slots from
// starts[i] of its row of T slots. Pooling reduces over the slots keep
// allows (nil: all of them).
func (m *Model) output(res *result, T int, starts, lens []int, pool string, capture []string, keep func(i, t int) bool) *Output {
	slots := func(x *tensors.Tensor, D int) [][][]float32 {
		flat := tensors.MustCopyFlatData[float32](x)
		out := make([][][]float32, len(lens))
		for i, n := range lens {
			rows := make([][]float32, n)
			for t := range n {
				off := (i*T + starts[i] + t) * D
				rows[t] = flat[off : off+D : off+D]
			}
			out[i] = rows
		}
		return out
	}
	out := &Output{}
	if res.logits != nil {
		out.Logits = slots(res.logits, m.info.LogitsWidth())
	}
	for _, name := range capture {
		per := slots(res.captured[name], m.pointWidth[name])
		if pool == "" || pool == "all" {
			if out.Captured == nil {
				out.Captured = map[string][][][]float32{}
			}
			out.Captured[name] = per
			continue
		}
		if out.Pooled == nil {
			out.Pooled = map[string][][]float32{}
		}
		pooled := make([][]float32, len(per))
		for i, rows := range per {
			if keep != nil {
				var kept [][]float32
				for t, row := range rows {
					if keep(i, t) {
						kept = append(kept, row)
					}
				}
				rows = kept
			}
			pooled[i] = Pool(pool, rows)
		}
		out.Pooled[name] = pooled
	}
	return out
}

// checkOptions validates the pooling, capture and steering of opts and
// returns the captured points sorted and without repeats.
func (m *Model) checkOptions(opts ForwardOptions) ([]string, error) {
	switch opts.Pool {
	case "", "all", "mean", "max", "min", "median", "last":
	default:
		return nil, fmt.Errorf("engine: unknown pooling %q (want mean, max, min, median, last or all)", opts.Pool)
	}
	capture := append([]string(nil), opts.Capture...)
	sort.Strings(capture)
	capture = dedup(capture)
	for _, c := range capture {
		if _, ok := m.pointWidth[c]; !ok {
			return nil, fmt.Errorf("engine: cannot capture %q: not a %s point", c, m.info.Family)
		}
	}
	if err := m.checkSteering(opts.Steering); err != nil {
		return nil, err
	}
	return capture, nil
}

// fillRow writes sequence s into row i of r (T slots), starting at slot
// start, with positions counting real tokens and steering selection.
func (m *Model) fillRow(r *request, i, T, start int, s []int, st *Steering) {
	for t := range T {
		k := i*T + t
		rel := t - start
		switch {
		case rel < 0:
			r.positions[k] = 0
		case rel < len(s):
			r.tokens[k] = int32(s[rel])
			r.positions[k] = int32(rel)
			r.keyValid[k] = 1
			if st != nil && (!st.LastOnly || rel == len(s)-1) {
				r.selected[k] = 1
			}
		default:
			r.positions[k] = int32(m.clampPos(rel))
		}
	}
}

func (m *Model) clampPos(p int) int {
	if mp := m.info.MaxPositions; mp > 0 && p >= mp {
		return mp - 1
	}
	return p
}

func (m *Model) checkIDs(s []int) error {
	if mp := m.info.MaxPositions; mp > 0 && len(s) > mp {
		return fmt.Errorf("%d tokens exceed the model's %d positions", len(s), mp)
	}
	for _, id := range s {
		if id < 0 || id >= m.info.VocabSize {
			return fmt.Errorf("token id %d out of range [0, %d)", id, m.info.VocabSize)
		}
	}
	return nil
}

func (m *Model) checkSteering(s *Steering) error {
	if s == nil {
		return nil
	}
	for name, mp := range s.Maps {
		w, ok := m.pointWidth[name]
		if !ok {
			return fmt.Errorf("engine: cannot steer %q: not a %s point", name, m.info.Family)
		}
		if _, err := steerTensors(name, mp, w); err != nil {
			return err
		}
	}
	return nil
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Pool reduces rows [position][unit] to one vector with the named
// reduction (mean, max, min, median, last). Means are accumulated in float64.
func Pool(name string, rows [][]float32) []float32 {
	if len(rows) == 0 {
		return nil
	}
	D := len(rows[0])
	out := make([]float32, D)
	switch name {
	case "last":
		copy(out, rows[len(rows)-1])
	case "mean":
		for d := range D {
			var s float64
			for _, r := range rows {
				s += float64(r[d])
			}
			out[d] = float32(s / float64(len(rows)))
		}
	case "max", "min":
		for d := range D {
			v := rows[0][d]
			for _, r := range rows[1:] {
				if (name == "max" && r[d] > v) || (name == "min" && r[d] < v) {
					v = r[d]
				}
			}
			out[d] = v
		}
	case "median":
		col := make([]float64, len(rows))
		for d := range D {
			for i, r := range rows {
				col[i] = float64(r[d])
			}
			sort.Float64s(col)
			out[d] = float32(col[(len(col)-1)/2])
		}
	default:
		for d := range out {
			out[d] = float32(math.NaN())
		}
	}
	return out
}
