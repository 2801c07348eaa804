package dataset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Dataset is a named collection of texts in ordered, named subsets.
type Dataset struct {
	// Name identifies the data set (usually its file), recorded with
	// responses and transports.
	Name string

	order   []string
	subsets map[string][]string
}

// New returns an empty data set.
func New(name string) *Dataset {
	return &Dataset{Name: name, subsets: map[string][]string{}}
}

// Add appends texts to a subset, creating it after the existing ones.
func (d *Dataset) Add(subset string, texts ...string) {
	if d.subsets == nil {
		d.subsets = map[string][]string{}
	}
	if _, ok := d.subsets[subset]; !ok {
		d.order = append(d.order, subset)
		d.subsets[subset] = nil
	}
	d.subsets[subset] = append(d.subsets[subset], texts...)
}

// Subsets lists the subset names in the order they were first seen.
func (d *Dataset) Subsets() []string { return slices.Clone(d.order) }

// Len returns the number of texts in all subsets.
func (d *Dataset) Len() int {
	n := 0
	for _, t := range d.subsets {
		n += len(t)
	}
	return n
}

// Texts returns the texts of the named subsets, concatenated in the order
// given. An unknown subset is an error naming the available ones.
func (d *Dataset) Texts(subsets ...string) ([]string, error) {
	var out []string
	for _, s := range subsets {
		t, ok := d.subsets[s]
		if !ok {
			return nil, fmt.Errorf("dataset: %s has no subset %q (have %s)", d.Name, s, strings.Join(d.order, ", "))
		}
		out = append(out, t...)
	}
	return out, nil
}

// String summarises the data set: its name and each subset's count.
func (d *Dataset) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d texts", d.Name, d.Len())
	for i, s := range d.order {
		sep := ", "
		if i == 0 {
			sep = " ("
		}
		fmt.Fprintf(&b, "%s%s %d", sep, s, len(d.subsets[s]))
	}
	if len(d.order) > 0 {
		b.WriteString(")")
	}
	return b.String()
}

// Balance returns equal numbers of source and target texts: all texts of
// the src subsets and of the dst subsets, each side shuffled with a PCG
// generator seeded by seed and cut to the smaller side's count, or to n
// when 0 < n is smaller. The result depends only on the data and the seed.
func (d *Dataset) Balance(src, dst []string, n int, seed uint64) (srcTexts, dstTexts []string, err error) {
	if len(src) == 0 || len(dst) == 0 {
		return nil, nil, fmt.Errorf("dataset: %s: need source and target subsets (got source %v, target %v; have %s)", d.Name, src, dst, strings.Join(d.order, ", "))
	}
	s, err := d.Texts(src...)
	if err != nil {
		return nil, nil, err
	}
	t, err := d.Texts(dst...)
	if err != nil {
		return nil, nil, err
	}
	k := min(len(s), len(t))
	if n > 0 {
		k = min(k, n)
	}
	if k == 0 {
		return nil, nil, fmt.Errorf("dataset: %s: source %v has %d texts and target %v has %d: nothing to balance", d.Name, src, len(s), dst, len(t))
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed_da7a))
	return pick(rng, s, k), pick(rng, t, k), nil
}

// Sample returns a data set with at most n texts per subset, chosen like
// [Dataset.Balance] with a PCG generator seeded by seed. n ≤ 0 keeps all.
func (d *Dataset) Sample(n int, seed uint64) *Dataset {
	out := New(d.Name)
	rng := rand.New(rand.NewPCG(seed, 0x5eed_da7a))
	for _, s := range d.order {
		t := d.subsets[s]
		k := len(t)
		if n > 0 {
			k = min(k, n)
		}
		out.Add(s, pick(rng, t, k)...)
	}
	return out
}

// pick returns k texts of t in the order of a random permutation.
func pick(rng *rand.Rand, t []string, k int) []string {
	perm := rng.Perm(len(t))
	out := make([]string, k)
	for i := range k {
		out[i] = t[perm[i]]
	}
	return out
}
