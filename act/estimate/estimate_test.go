package estimate_test

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/actsh/actsh/act/estimate"
	"github.com/actsh/actsh/act/transport"
)

// Tolerances, from testdata/reference/README.md ("Suggested tolerances"):
//
//   - outputs: 1e-5·max(1, |ref|) elementwise; ml-act computes the same
//     float32 formula, so only the rounding of w·z+b versus its own
//     grouping differs (a few ulp);
//   - quantiles, mu, std, Linear-AcT w1, b1: 1e-5 relative (floor 1e-6
//     absolute for values near 0); ml-act's 1e-8 noise moves w1, b1 by at
//     most 6e-8 relative, and torch's float32 quantile interpolation by an ulp;
//   - AUROC and alpha: 1e-6 absolute (both are exact rationals computed in
//     float64 here).
const (
	tolOut    = 1e-5
	tolParam  = 1e-5
	tolAUROC  = 1e-6
	paramZero = 1e-6
)

// paramErr is |got − want| / max(|want|, paramZero/tolParam).
func paramErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), paramZero/tolParam)
}

var quantileNames = []string{"q_0_100", "q_0.5_99.5", "q_1_99", "q_2_98", "q_5_95", "q_10_90", "q_20_80", "q_30_70", "q_40_60"}

func TestQuantilesMatchMLAct(t *testing.T) {
	dir, idx := readIndex(t)
	for name, c := range idx.Cases {
		f := readFixture(t, filepath.Join(dir, c.File))
		src, _ := split(t, f)
		for _, q := range quantileNames {
			t.Run(name+"/"+q, func(t *testing.T) {
				lo, hi, err := estimate.Quantiles(q, src)
				if err != nil {
					t.Fatal(err)
				}
				var worst float64
				for _, side := range []struct {
					got  []float32
					want string
				}{{lo, "compute_quantiles.quantiles." + q + ".lo"}, {hi, "compute_quantiles.quantiles." + q + ".hi"}} {
					want := f.vec(t, side.want)
					for j := range want {
						worst = max(worst, paramErr(float64(side.got[j]), float64(want[j])))
					}
				}
				if worst > tolParam {
					t.Errorf("max relative error %.3g > %g", worst, tolParam)
				}
				t.Logf("max relative error %.3g", worst)
			})
		}
	}
}

func TestQuantilesAllAndUnknown(t *testing.T) {
	src := [][]float32{{1, 2}, {3, 4}}
	lo, hi, err := estimate.Quantiles("q_all", src)
	if err != nil {
		t.Fatal(err)
	}
	if lo[0] != -1e6 || hi[1] != 1e6 {
		t.Errorf("q_all = %v, %v, want ±1e6", lo, hi)
	}
	_, _, err = estimate.Quantiles("q_3_97", src)
	if err == nil || !strings.Contains(err.Error(), "q_5_95") || !strings.Contains(err.Error(), `"q_3_97"`) {
		t.Errorf("unknown support error %v should name it and list the valid ones", err)
	}
}

// fitFor fits method on a case's responses with a support.
func fitFor(t *testing.T, method, support string, src, dst [][]float32) *transport.Map {
	t.Helper()
	var m *transport.Map
	var err error
	switch method {
	case "linear_ot":
		m, err = estimate.LinearOT(src, dst, support)
	case "gaussian_ot":
		m, err = estimate.GaussianOT(src, dst, support)
	case "mean_ot":
		m, err = estimate.MeanOT(src, dst, support)
	case "aura":
		m, _, err = estimate.AurA(src, dst)
	default:
		t.Fatalf("method %s", method)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOutputsMatchMLAct(t *testing.T) {
	dir, idx := readIndex(t)
	for name, c := range idx.Cases {
		f := readFixture(t, filepath.Join(dir, c.File))
		src, dst := split(t, f)
		held := f.rows(t, "heldout") // [batch·pos][unit]
		sh := f.shapes["heldout"]
		batch, pos := sh[0], sh[1]
		for method, mm := range c.Methods {
			if !mm.Supported {
				continue
			}
			for _, o := range mm.Outputs {
				t.Run(name+"/"+o.Tensor, func(t *testing.T) {
					m := fitFor(t, method, o.Support, src, dst)
					tr := transport.New()
					tr.Set("p", m)
					want := f.rows(t, o.Tensor)
					var worst float64
					for b := range batch {
						got, err := tr.Apply("p", held[b*pos:(b+1)*pos], o.Strength, o.Position == "last")
						if err != nil {
							t.Fatal(err)
						}
						for i := range pos {
							for j := range got[i] {
								worst = max(worst, relErr(float64(got[i][j]), float64(want[b*pos+i][j])))
							}
						}
					}
					if worst > tolOut {
						t.Errorf("max error %.3g > %g·max(1,|ref|)", worst, tolOut)
					}
					t.Logf("max error %.3g", worst)
				})
			}
		}
	}
}

func TestLinearOTParams(t *testing.T) {
	dir, idx := readIndex(t)
	for name, c := range idx.Cases {
		if !c.Methods["linear_ot"].Supported {
			continue
		}
		t.Run(name, func(t *testing.T) {
			f := readFixture(t, filepath.Join(dir, c.File))
			src, dst := split(t, f)
			m, err := estimate.LinearOT(src, dst, "")
			if err != nil {
				t.Fatal(err)
			}
			w1, b1 := f.vec(t, "linear_ot.w1"), f.vec(t, "linear_ot.b1")
			var worst float64
			for j := range w1 {
				if slices.Contains(c.Noise, j) {
					continue // 0/0 without ml-act's noise: checked in TestLinearOTDegenerate
				}
				worst = max(worst, paramErr(float64(m.W[j]), float64(w1[j])), paramErr(float64(m.B[j]), float64(b1[j])))
			}
			for _, q := range []string{"q_0_100", "q_5_95"} {
				mq, _ := estimate.LinearOT(src, dst, q)
				lo, hi := f.vec(t, "linear_ot.quantiles."+q+".lo"), f.vec(t, "linear_ot.quantiles."+q+".hi")
				for j := range lo {
					worst = max(worst, paramErr(float64(mq.Lo[j]), float64(lo[j])), paramErr(float64(mq.Hi[j]), float64(hi[j])))
				}
			}
			if worst > tolParam {
				t.Errorf("max relative error %.3g > %g (skipped dims %v)", worst, tolParam, c.Noise)
			}
			t.Logf("max relative error %.3g (skipped dims %v)", worst, c.Noise)
		})
	}
}

// TestLinearOTDegenerate checks our decision for units ml-act turns into
// noise: a constant source gives w = 0, b = mean(target), which equals
// ml-act's map on the constant value itself.
func TestLinearOTDegenerate(t *testing.T) {
	dir, idx := readIndex(t)
	c := idx.Cases["constant_dims"]
	f := readFixture(t, filepath.Join(dir, c.File))
	src, dst := split(t, f)
	m, err := estimate.LinearOT(src, dst, "q_all")
	if err != nil {
		t.Fatal(err)
	}
	w1, b1 := f.vec(t, "linear_ot.w1"), f.vec(t, "linear_ot.b1")
	for _, j := range []int{3, 7} {
		if m.W[j] != 0 {
			t.Errorf("dim %d: w = %g, want 0", j, m.W[j])
		}
		// ml-act's map at the constant source value 0 is b1.
		if e := paramErr(float64(m.B[j]), float64(b1[j])); e > tolParam {
			t.Errorf("dim %d: b = %g, ml-act's T(0) = %g (w1 %g)", j, m.B[j], b1[j], w1[j])
		}
	}
	if m.W[11] != 0 || m.B[11] != 0.5 {
		t.Errorf("dim 11 (constant target 0.5): w, b = %g, %g, want 0, 0.5", m.W[11], m.B[11])
	}
}

func TestGaussianMoments(t *testing.T) {
	dir, idx := readIndex(t)
	for name, c := range idx.Cases {
		t.Run(name, func(t *testing.T) {
			f := readFixture(t, filepath.Join(dir, c.File))
			src, dst := split(t, f)
			g, err := estimate.FitGaussian(src, dst)
			if err != nil {
				t.Fatal(err)
			}
			var worst float64
			for _, method := range []string{"gaussian_ot", "mean_ot"} {
				for _, p := range []struct {
					got  []float32
					name string
				}{{g.Mu1, "mu1"}, {g.Std1, "std1"}, {g.Mu2, "mu2"}, {g.Std2, "std2"}} {
					want := f.vec(t, method+"."+p.name)
					for j := range want {
						worst = max(worst, paramErr(float64(p.got[j]), float64(want[j])))
					}
				}
				mask := f.i64[method+".mask"]
				for j, v := range mask {
					if g.Mask[j] != (v == 1) {
						t.Errorf("%s mask[%d] = %v, want %d", method, j, g.Mask[j], v)
					}
				}
				for _, q := range []string{"q_0_100", "q_5_95"} {
					m := fitFor(t, method, q, src, dst)
					lo, hi := f.vec(t, method+".quantiles."+q+".lo"), f.vec(t, method+".quantiles."+q+".hi")
					for j := range lo {
						worst = max(worst, paramErr(float64(m.Lo[j]), float64(lo[j])), paramErr(float64(m.Hi[j]), float64(hi[j])))
					}
				}
			}
			if worst > tolParam {
				t.Errorf("max relative error %.3g > %g", worst, tolParam)
			}
			t.Logf("max relative error %.3g", worst)
		})
	}
}

func TestAurAParams(t *testing.T) {
	dir, idx := readIndex(t)
	for name, c := range idx.Cases {
		t.Run(name, func(t *testing.T) {
			f := readFixture(t, filepath.Join(dir, c.File))
			src, dst := split(t, f)
			m, auroc, err := estimate.AurA(src, dst)
			if err != nil {
				t.Fatal(err)
			}
			if m.Lo != nil || m.Hi != nil {
				t.Error("AurA has support bounds, want none")
			}
			wa, wal := f.vec(t, "aura.auroc"), f.vec(t, "aura.alpha")
			var worst float64
			for j := range wa {
				worst = max(worst, math.Abs(auroc[j]-float64(wa[j])), math.Abs(float64(m.W[j])-float64(wal[j])))
				if m.B[j] != 0 {
					t.Errorf("b[%d] = %g, want 0", j, m.B[j])
				}
			}
			if worst > tolAUROC {
				t.Errorf("max error %.3g > %g", worst, tolAUROC)
			}
			t.Logf("max error %.3g", worst)
		})
	}
}
