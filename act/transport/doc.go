// Package transport holds fitted Activation Transport maps: per intervention
// point, a per-unit affine map with a support interval,
//
//	out = λ·(w·z + b) + (1 − λ)·z   where lo < z < hi, else z,
//
// and the metadata that says how it was fitted. Every method actsh supports
// (Linear-AcT, Mean-AcT, Gaussian OT, AurA, ActAdd, ITI-c) is such a map.
package transport
