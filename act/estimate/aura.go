package estimate

import (
	"fmt"
	"slices"

	"github.com/actsh/actsh/act/transport"
)

// AUROC returns, per unit, the area under the ROC curve of the unit's value
// as a score for "is a source sample": P(x > y) + ½·P(x = y) for a source
// value x and a target value y (sklearn's roc_auc_score with the source as
// the positive class), computed from average ranks in float64.
func AUROC(src, dst [][]float32) ([]float64, error) {
	ns, nd, d, err := pair(src, dst)
	if err != nil {
		return nil, fmt.Errorf("estimate: auroc: %w", err)
	}
	type obs struct {
		v   float32
		pos bool
	}
	all := make([]obs, ns+nd)
	out := make([]float64, d)
	for j := range d {
		for i, r := range src {
			all[i] = obs{r[j], true}
		}
		for i, r := range dst {
			all[ns+i] = obs{r[j], false}
		}
		slices.SortFunc(all, func(a, b obs) int {
			switch {
			case a.v < b.v:
				return -1
			case a.v > b.v:
				return 1
			}
			return 0
		})
		// Sum of the (1-based, tie-averaged) ranks of the source values.
		var rankSum float64
		for i := 0; i < len(all); {
			k := i
			for k < len(all) && all[k].v == all[i].v {
				k++
			}
			avg := float64(i+1+k) / 2 // mean of ranks i+1..k
			for t := i; t < k; t++ {
				if all[t].pos {
					rankSum += avg
				}
			}
			i = k
		}
		u := rankSum - float64(ns)*float64(ns+1)/2
		out[j] = u / (float64(ns) * float64(nd))
	}
	return out, nil
}

// AurA fits AurA (ml-act's aura): per unit, dampen by
//
//	alpha = 1 − 2·(auroc − 0.5) where auroc > 0.5, else 1,
//
// a pure scaling map w = alpha, b = 0 with no support bounds. It also
// returns the AUROC per unit.
func AurA(src, dst [][]float32) (*transport.Map, []float64, error) {
	auroc, err := AUROC(src, dst)
	if err != nil {
		return nil, nil, fmt.Errorf("estimate: aura: %w", err)
	}
	m := &transport.Map{W: make([]float32, len(auroc)), B: make([]float32, len(auroc))}
	for j, a := range auroc {
		m.W[j] = 1
		if a > 0.5 {
			m.W[j] = float32(1 - 2*(a-0.5))
		}
	}
	return m, auroc, nil
}
