package act_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/act"
)

func TestTransportMap(t *testing.T) {
	inf := float32(math.Inf(1))
	tr := act.NewTransport()
	tr.Set("p", []float32{2, 1}, []float32{0.5, -1}, []float32{-1, -inf}, nil)
	w, b, lo, hi := tr.Map("p")
	if !slices.Equal(w, []float32{2, 1}) || !slices.Equal(b, []float32{0.5, -1}) ||
		!slices.Equal(lo, []float32{-1, -inf}) || hi != nil {
		t.Fatalf("Map = %v %v %v %v", w, b, lo, hi)
	}
	// Map returns copies: changing them leaves the transport alone.
	w[0] = 7
	if w2, _, _, _ := tr.Map("p"); w2[0] != 2 {
		t.Errorf("Map shares its slices with the transport: w[0] = %v after writing the copy", w2[0])
	}
	msg := func() (msg string) {
		defer func() { msg = recover().(*act.Error).Msg }()
		tr.Map("q")
		return ""
	}()
	if !strings.Contains(msg, `no map for point "q"`) || !strings.Contains(msg, "[p]") {
		t.Errorf("unknown point: %q", msg)
	}
}
