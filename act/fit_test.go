package act_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	. "github.com/actsh/actsh/act"
	"github.com/actsh/actsh/act/estimate"
)

// actPanic runs f and returns the message of the *Error it panicked with
// ("" if none); any other panic fails the test.
func actPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				t.Fatalf("panic %v (%T), want *act.Error", r, r)
			}
			msg = e.Msg
		}
	}()
	f()
	return ""
}

// gaussians returns n source and n target samples of width d with
// different means and scales per unit.
func gaussians(seed uint64, n, d int) (src, dst [][]float32) {
	r := rand.New(rand.NewPCG(seed, 1))
	for range n {
		s, t := make([]float32, d), make([]float32, d)
		for j := range d {
			s[j] = float32(float64(j) + r.NormFloat64())
			t[j] = float32(-float64(j) + 2*r.NormFloat64())
		}
		src, dst = append(src, s), append(dst, t)
	}
	return src, dst
}

// TestFitMatchesEstimate checks that every script-facing fit gives the
// estimate package's map (bit-identical: the same code on the same input)
// with ml-act's default support, and fills the metadata.
func TestFitMatchesEstimate(t *testing.T) {
	src, dst := gaussians(1, 40, 5)
	r := ResponsesOf("model.layers.2.mlp.down_proj", src, dst)
	z := [][]float32{{0.5, 1, 2, -3, 7}, {0, 0, 0, 0, 0}}
	for _, tc := range []struct {
		method, support string
		est             func() ([][]float32, error)
	}{
		{"linear_ot", "q_0_100", func() ([][]float32, error) {
			m, err := estimate.LinearOT(src, dst, "q_0_100")
			return applyAll(m.ApplyTo, z, 0.3), err
		}},
		{"mean_ot", "q_all", func() ([][]float32, error) {
			m, err := estimate.MeanOT(src, dst, "")
			return applyAll(m.ApplyTo, z, 0.3), err
		}},
		{"gaussian_ot", "q_all", func() ([][]float32, error) {
			m, err := estimate.GaussianOT(src, dst, "")
			return applyAll(m.ApplyTo, z, 0.3), err
		}},
		{"aura", "", func() ([][]float32, error) {
			m, _, err := estimate.AurA(src, dst)
			return applyAll(m.ApplyTo, z, 0.3), err
		}},
		{"actadd", "", func() ([][]float32, error) {
			m, err := estimate.ActAdd(src, dst, 1)
			return applyAll(m.ApplyTo, z, 0.3), err
		}},
		{"exact_ot", "q_0_100", func() ([][]float32, error) {
			m, err := estimate.ExactOT(src, dst, 40, "")
			return applyAll(m.ApplyTo, z, 0.3), err
		}},
		{"itic", "", func() ([][]float32, error) {
			m, _, err := estimate.ITIc(src, dst, 0, 0.01)
			return applyAll(m.ApplyTo, z, 0.3), err
		}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			tr := Fit(r, tc.method)
			want, err := tc.est()
			if err != nil {
				t.Fatal(err)
			}
			if got := tr.Apply("model.layers.2.mlp.down_proj", z, 0.3); !reflect.DeepEqual(got, want) {
				t.Errorf("Apply = %v, want %v", got, want)
			}
			s := tr.String()
			if !strings.Contains(s, "transport "+tc.method) || (tc.support != "" && !strings.Contains(s, "support "+tc.support)) {
				t.Errorf("String() = %q, want method %s and support %q", s, tc.method, tc.support)
			}
			if tr.Method() != tc.method {
				t.Errorf("Method() = %q", tr.Method())
			}
		})
	}
	id := Fit(r, "none").Apply("model.layers.2.mlp.down_proj", z, 1)
	if !reflect.DeepEqual(id, z) {
		t.Errorf("none changed the activations: %v", id)
	}
}

func applyAll(f func(dst, z []float32, s float32) []float32, z [][]float32, s float32) [][]float32 {
	out := make([][]float32, len(z))
	for i := range z {
		out[i] = f(nil, z[i], s)
	}
	return out
}

func TestFitOptions(t *testing.T) {
	src, dst := gaussians(2, 30, 3)
	r := ResponsesOf("p", src, dst).Add("q", dst, src)
	if got := r.Points(); !reflect.DeepEqual(got, []string{"p", "q"}) {
		t.Fatalf("Points() = %v", got)
	}
	tr := FitLinearOT(r, Support("q_5_95"), Position("last"))
	if got := tr.Points(); !reflect.DeepEqual(got, []string{"p", "q"}) {
		t.Errorf("transport points %v, want [p q]", got)
	}
	z := [][]float32{{0.1, 1, 2}, {0.1, 1, 2}}
	out := tr.Apply("p", z, 1)
	if !reflect.DeepEqual(out[0], z[0]) || reflect.DeepEqual(out[1], z[1]) {
		t.Errorf("Position(\"last\") should move only the last position: %v", out)
	}
	if !strings.Contains(tr.String(), "support q_5_95") || !strings.Contains(tr.String(), "position last") {
		t.Errorf("String() = %q", tr.String())
	}
	// ITI with an explicit beta: b has norm |beta|.
	b := FitITI(r, 2).Apply("p", [][]float32{{0, 0, 0}}, 1)[0]
	if n := math.Sqrt(float64(b[0]*b[0] + b[1]*b[1] + b[2]*b[2])); math.Abs(n-2) > 1e-5 {
		t.Errorf("‖b‖ = %g, want 2 (float32 rounding: 1e-5)", n)
	}
	// ActAdd from one pair: b = beta·(a⁺ − a⁻).
	pair := ResponsesOf("p", [][]float32{{1, 2, 3}}, [][]float32{{2, 2, 5}})
	if got := FitActAdd(pair, 0.5).Apply("p", [][]float32{{0, 0, 0}}, 1)[0]; !reflect.DeepEqual(got, []float32{0.5, 0, 1}) {
		t.Errorf("ActAdd vector %v, want [0.5 0 1]", got)
	}
}

func TestFitErrors(t *testing.T) {
	src, dst := gaussians(3, 10, 2)
	r := ResponsesOf("p", src, dst)
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"unknown method", func() { Fit(r, "pca") }, `act: fit: unknown method "pca" (valid: linear_ot`},
		{"unknown support", func() { FitLinearOT(r, Support("q_3_97")) }, `unknown support "q_3_97"`},
		{"position", func() { FitMeanOT(r, Position("first")) }, `position "first"`},
		{"nil responses", func() { FitAurA(nil) }, "act: responses are nil"},
		{"ragged", func() { ResponsesOf("p", [][]float32{{1, 2}, {3}}, dst) }, "sample 1 has 1 units"},
		{"widths", func() { ResponsesOf("p", src, [][]float32{{1}}) }, "source has 2 units, target has 1"},
		{"empty", func() { ResponsesOf("p", nil, dst) }, "no samples"},
		{"missing point", func() { FitLinearOT(r).Apply("q", src, 1) }, `no map for point "q"`},
		{"apply width", func() { FitLinearOT(r).Apply("p", [][]float32{{1}}, 1) }, "position 0 has 1 units, the map has 2"},
		{"set lengths", func() { NewTransport().Set("p", []float32{1, 2}, []float32{1}, nil, nil) }, "len(b)=1, want len(w)=2"},
		{"set bounds", func() { NewTransport().Set("p", []float32{1}, []float32{1}, []float32{1, 2}, nil) }, "len(lo)=2"},
		{"gguf scaling", func() { FitGaussianOT(r).ExportGGUF(filepath.Join(t.TempDir(), "x.gguf")) }, "a control vector only adds"},
		{"load", func() { LoadTransport(filepath.Join(t.TempDir(), "none.safetensors")) }, "none.safetensors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := actPanic(t, tc.f)
			if !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "act: ") {
				t.Errorf("panic %q, want an act error containing %q", msg, tc.want)
			}
		})
	}
}

func TestDiagnosticsAndFiles(t *testing.T) {
	src, dst := gaussians(4, 50, 4)
	r := ResponsesOf("model.layers.1", src, dst)
	tr := FitMeanOT(r)
	if c := tr.Coverage("model.layers.1", r); c != 1 {
		t.Errorf("q_all coverage %g, want 1", c)
	}
	// Mean-AcT moves every sample by the same b: cost = ‖b‖² (float32
	// rounding of z + b − z: 1e-4 relative).
	b := tr.Apply("model.layers.1", [][]float32{{0, 0, 0, 0}}, 1)[0]
	var nb float64
	for _, v := range b {
		nb += float64(v) * float64(v)
	}
	if c := tr.Cost("model.layers.1", r); math.Abs(c-nb) > 1e-4*nb {
		t.Errorf("cost %g, want ‖b‖² = %g", c, nb)
	}
	if c := FitLinearOT(r, Support("q_40_60")).Coverage("model.layers.1", r); c < 0.15 || c > 0.25 {
		t.Errorf("q_40_60 coverage %g, want about 0.2 (strict bounds on 50 samples)", c)
	}
	dir := t.TempDir()
	tr.Histogram(filepath.Join(dir, "h.png"), "model.layers.1", 2, r)
	tr.ExportGGUF(filepath.Join(dir, "cv.gguf"))
	tr.Save(filepath.Join(dir, "t.act.safetensors"))
	back := LoadTransport(filepath.Join(dir, "t.act.safetensors"))
	if back.String() != tr.String() {
		t.Errorf("summary changed after the round trip:\n%s\nwant\n%s", back, tr)
	}
	if !strings.Contains(r.String(), "model.layers.1: 50 source, 50 target, 4 units") {
		t.Errorf("Responses.String() = %q", r.String())
	}
}
