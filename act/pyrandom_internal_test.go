package act

import (
	"slices"
	"testing"
)

// The expected orders are CPython 3.11's (Debian's /usr/bin/python3):
//
//	random.seed(s); x = list(range(n)); random.shuffle(x)
func TestPyRandomShuffle(t *testing.T) {
	for _, tc := range []struct {
		seed uint64
		n    int
		want []int // whole list, or first 8 and last 4 for n=1000
	}{
		{0, 12, []int{1, 9, 8, 5, 10, 2, 3, 7, 4, 0, 11, 6}},
		{42, 12, []int{7, 5, 2, 8, 9, 6, 11, 3, 4, 0, 1, 10}},
		{7, 12, []int{7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5}},
		{1<<40 + 3, 12, []int{10, 7, 2, 6, 9, 11, 5, 4, 1, 8, 0, 3}},
		{42, 1000, []int{776, 507, 895, 922, 33, 483, 85, 750, 759, 25, 114, 654}},
	} {
		x := make([]int, tc.n)
		for i := range x {
			x[i] = i
		}
		newPyRandom(tc.seed).shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
		got := x
		if tc.n > 12 {
			got = append(slices.Clone(x[:8]), x[len(x)-4:]...)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("seed %d n %d: %v, want %v (Python's random.shuffle)", tc.seed, tc.n, got, tc.want)
		}
	}
}
