package estimate

import (
	"fmt"
	"slices"
	"strings"
)

// Poolings lists the pooling names [Pool] accepts.
var Poolings = []string{"mean", "max", "min", "median", "last"}

// Pool reduces one sequence's per-token activations x [position][unit] to
// one vector over the positions where valid is true (nil valid: every
// position), as ml-act's pooling ops do with an attention mask:
//
//   - "mean": the mean over valid positions (float64 sum);
//   - "max", "min": the elementwise maximum or minimum;
//   - "median": the lower median (torch.nanmedian's choice for an even count);
//   - "last": the last valid position.
//
// A sequence without valid positions is an error.
func Pool(name string, x [][]float32, valid []bool) ([]float32, error) {
	_, d, err := shape("token", x)
	if err != nil {
		return nil, fmt.Errorf("estimate: pool %s: %w", name, err)
	}
	if valid != nil && len(valid) != len(x) {
		return nil, fmt.Errorf("estimate: pool %s: mask has %d positions, activations have %d", name, len(valid), len(x))
	}
	var rows [][]float32
	for i, r := range x {
		if valid == nil || valid[i] {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("estimate: pool %s: no valid position among %d", name, len(x))
	}
	out := make([]float32, d)
	switch name {
	case "mean":
		for j := range d {
			var s float64
			for _, r := range rows {
				s += float64(r[j])
			}
			out[j] = float32(s / float64(len(rows)))
		}
	case "max", "min":
		for j := range d {
			v := rows[0][j]
			for _, r := range rows[1:] {
				if name == "max" {
					v = max(v, r[j])
				} else {
					v = min(v, r[j])
				}
			}
			out[j] = v
		}
	case "median":
		col := make([]float32, len(rows))
		for j := range d {
			for i, r := range rows {
				col[i] = r[j]
			}
			slices.Sort(col)
			out[j] = col[(len(col)-1)/2]
		}
	case "last":
		copy(out, rows[len(rows)-1])
	default:
		return nil, fmt.Errorf("estimate: unknown pooling %q (valid: %s)", name, strings.Join(Poolings, ", "))
	}
	return out, nil
}
