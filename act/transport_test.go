package act_test

import (
	"path/filepath"
	"reflect"
	"testing"

	. "github.com/actsh/actsh/act"
)

// TestTransportRoundTrip checks that every method's transport, saved and
// reloaded, applies bit-identically (reflect.DeepEqual on float32).
func TestTransportRoundTrip(t *testing.T) {
	src, dst := gaussians(5, 32, 6)
	r := ResponsesOf("transformer.h.1.ln_2", src, dst)
	z := append(append([][]float32{}, src[:3]...), dst[:3]...)
	for _, method := range []string{"linear_ot", "mean_ot", "gaussian_ot", "aura", "actadd", "itic", "exact_ot", "none"} {
		t.Run(method, func(t *testing.T) {
			tr := Fit(r, method, Position("last"))
			path := filepath.Join(t.TempDir(), method+".act.safetensors")
			tr.Save(path)
			back := LoadTransport(path)
			for _, lambda := range []float64{0, 0.4, 1} {
				a := tr.Apply("transformer.h.1.ln_2", z, lambda)
				b := back.Apply("transformer.h.1.ln_2", z, lambda)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("λ=%g: outputs differ after the round trip", lambda)
				}
				if lambda == 0 && !reflect.DeepEqual(a, z) {
					t.Fatalf("λ=0 changed the activations")
				}
			}
		})
	}
}

func TestNewTransport(t *testing.T) {
	tr := NewTransport()
	tr.Set("b", []float32{2, 1}, []float32{0, 1}, nil, []float32{10, 10})
	tr.Set("a", []float32{1, 1}, []float32{1, 1}, nil, nil)
	if got := tr.Points(); !reflect.DeepEqual(got, []string{"b", "a"}) {
		t.Errorf("Points() = %v, want insertion order [b a]", got)
	}
	// 0.5·(2·3) + 0.5·3 = 4.5; 20 is outside hi and stays. Exact in float32.
	got := tr.Apply("b", [][]float32{{3, 20}}, 0.5)
	if !reflect.DeepEqual(got, [][]float32{{4.5, 20}}) {
		t.Errorf("Apply = %v, want [[4.5 20]]", got)
	}
	w := []float32{1, 1}
	tr.Set("c", w, w, nil, nil)
	w[0] = 9
	if tr.Apply("c", [][]float32{{0, 0}}, 1)[0][0] != 1 {
		t.Error("Set did not copy its arguments")
	}
}
