package repl

import (
	"errors"
	"reflect"
	"testing"
)

type named struct {
	Name   string
	Values []float32
	Inner  *named
	hidden int
}

type strung struct{ x int }

func (s strung) String() string { return "strung!" }

func TestFormat(t *testing.T) {
	long := make([]float64, 100)
	for i := range long {
		long[i] = float64(i)
	}
	big := make([][]float32, 20)
	for i := range big {
		big[i] = make([]float32, 30)
		big[i][0] = float32(i)
	}
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"int", 42, "42"},
		{"float", 1.0 / 3, "0.3333333333333333"},
		{"string", "a\nb", `"a\nb"`},
		{"bool", true, "true"},
		{"short vector", []float32{1, 2.5}, "[1 2.5]"},
		{"long vector", long, "[0 1 2 3 4 5 … 98 99] (len 100)"},
		{"matrix", [][]float32{{1, 2}, {30, 4.5}}, "[2][2]float32\n   1   2\n  30 4.5"},
		{"big matrix", big, "[20][30]float32\n   0 0 0 0 0 0 … 0 0\n   1 0 0 0 0 0 … 0 0\n   2 0 0 0 0 0 … 0 0\n   3 0 0 0 0 0 … 0 0\n   4 0 0 0 0 0 … 0 0\n   5 0 0 0 0 0 … 0 0\n   6 0 0 0 0 0 … 0 0\n   7 0 0 0 0 0 … 0 0\n   8 0 0 0 0 0 … 0 0\n   9 0 0 0 0 0 … 0 0\n  ⋮\n  18 0 0 0 0 0 … 0 0\n  19 0 0 0 0 0 … 0 0"},
		{"stringer", strung{}, "strung!"},
		{"strings", []string{"a", "b c"}, `["a" "b c"]`},
		{"nil strings", []string(nil), "nil"},
		{"structs", []strung{{}, {}}, "[strung! strung!]"},
		{"error", errors.New("bad"), "bad"},
		{"struct summary", named{Name: "n", Values: make([]float32, 50), Inner: &named{}}, `repl.named{Name: "n", Values: [50]float32, Inner: &repl.named{…}}`},
		{"pointer summary", &named{Name: "p"}, `&repl.named{Name: "p", Values: nil, Inner: nil}`},
		{"nil pointer", (*named)(nil), "nil"},
		{"map", map[string]int{"b": 2, "a": 1}, `map["a": 1, "b": 2]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Format(reflect.ValueOf(tc.v)); got != tc.want {
				t.Errorf("Format(%#v) =\n%s\nwant\n%s", tc.v, got, tc.want)
			}
		})
	}
	if got := Format(reflect.Value{}); got != "" {
		t.Errorf("Format(no value) = %q, want empty", got)
	}
}
