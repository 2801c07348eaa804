package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/actsh/actsh/act/estimate"
	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine/safetensors"
)

// fitShape is the size of the fit workload.
type fitShape struct{ points, units, perSide int }

func fitSize(quick bool) fitShape {
	if quick {
		return fitShape{points: 2, units: 64, perSide: 32}
	}
	return fitShape{points: 52, units: 2304, perSide: 512}
}

// fitVariants are the variants of PyTorch's fit (see runFit).
var fitVariants = []string{"ml-act", "one-support"}

// fitTolerance bounds the normwise relative difference of the fitted w and
// b: both sides sum in float64 and round to float32 (≈6e-8); ml-act's
// 1e-8 noise on the source moves w by about 1e-8 relative.
const fitTolerance = 1e-5

// responses are one point's source and target samples [sample][unit].
type responses struct{ src, dst [][]float32 }

// syntheticResponses draws, per unit, source values N(μ, σ) and target
// values N(μ', σ') with unit-specific means and spreads, like pooled
// post-layernorm activations.
func syntheticResponses(s fitShape) []responses {
	out := make([]responses, s.points)
	for p := range out {
		r := rand.New(rand.NewPCG(6, uint64(p)))
		mu, sd, mu2, sd2 := make([]float64, s.units), make([]float64, s.units), make([]float64, s.units), make([]float64, s.units)
		for j := range s.units {
			mu[j], sd[j] = r.NormFloat64(), 0.5+r.Float64()
			mu2[j], sd2[j] = mu[j]+0.5*r.NormFloat64(), 0.5+r.Float64()
		}
		draw := func(m, sdv []float64) [][]float32 {
			rows := make([][]float32, s.perSide)
			for i := range rows {
				rows[i] = make([]float32, s.units)
				for j := range rows[i] {
					rows[i][j] = float32(m[j] + sdv[j]*r.NormFloat64())
				}
			}
			return rows
		}
		out[p] = responses{src: draw(mu, sd), dst: draw(mu2, sd2)}
	}
	return out
}

// runFit times Linear-AcT on every point, on both sides.
//
// PyTorch's side has two variants, both against the same actsh timing:
// "ml-act", ml-act's fit as it is (it computes the bounds of all nine
// supports), and "one-support", the same with only the support used
// (q_0_100), which is the work actsh does.
func runFit(ctx context.Context, o *Options, py *python, dir string) ([]Result, error) {
	s := fitSize(o.Quick)
	o.logf("drawing synthetic responses: %d points × %d units, %d+%d samples", s.points, s.units, s.perSide, s.perSide)
	data := syntheticResponses(s)
	maps := make([]*transport.Map, s.points)
	warm, secs, err := measure(o.Reps, func() error {
		for p, d := range data {
			if err := ctx.Err(); err != nil {
				return err
			}
			m, err := estimate.LinearOT(d.src, d.dst, "q_0_100")
			if err != nil {
				return fmt.Errorf("point %d: %w", p, err)
			}
			maps[p] = m
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bench: fit: %w", err)
	}
	shape := fmt.Sprintf("%d×%d, %d+%d", s.points, s.units, s.perSide, s.perSide)
	actsh := newTiming(1, warm, secs)
	o.logf("actsh fit: warm-up %.2f s, %.3g s per fit", warm, 1/actsh.Rate)
	var results []Result
	for _, v := range fitVariants {
		results = append(results, Result{Workload: "fit", Variant: v, Shape: shape, Unit: "fits/s", Work: 1, Actsh: actsh})
	}
	if py == nil {
		return results, nil
	}

	in, outPath := filepath.Join(dir, "responses.safetensors"), filepath.Join(dir, "fitted.safetensors")
	if err := writeResponses(in, data); err != nil {
		return nil, err
	}
	data = nil
	o.logf("PyTorch fit (%d threads)", py.threads)
	out, err := py.run(ctx, dir, "torch_linear_ot.py", "--input", in, "--out", outPath,
		"--threads", strconv.Itoa(py.threads), "--reps", strconv.Itoa(o.Reps), "--variants", strings.Join(fitVariants, ","))
	if err != nil {
		return nil, err
	}
	check, ok, err := checkFit(outPath, maps)
	if err != nil {
		return nil, err
	}
	for i := range results {
		res := &results[i]
		tr := out.find("fit", res.Variant)
		if tr == nil {
			return nil, fmt.Errorf("bench: torch_linear_ot.py reported no %s fit", res.Variant)
		}
		t := newTiming(1, tr.WarmupSec, tr.Secs)
		t.Breakdown = tr.Breakdown
		res.Torch = &t
		res.Check, res.CheckOK = check, ok
		o.logf("torch fit %s: warm-up %.2f s, %.3g s per fit (sort loop %.3g s, quantiles %.3g s, least squares %.3g s); %s",
			res.Variant, tr.WarmupSec, 1/t.Rate, tr.Breakdown["sort_s"], tr.Breakdown["quantiles_s"], tr.Breakdown["lstsq_s"], check)
	}
	return results, nil
}

// writeResponses writes responses.<p> [src; dst] and labels (1: source),
// ml-act's layout, for torch_linear_ot.py.
func writeResponses(path string, data []responses) error {
	var ts []safetensors.Tensor
	for p, d := range data {
		rows, units := len(d.src)+len(d.dst), len(d.src[0])
		flat := make([]float32, 0, rows*units)
		for _, r := range d.src {
			flat = append(flat, r...)
		}
		for _, r := range d.dst {
			flat = append(flat, r...)
		}
		ts = append(ts, safetensors.F32("responses."+strconv.Itoa(p), []int{rows, units}, flat))
	}
	labels := make([]int64, len(data[0].src)+len(data[0].dst))
	for i := range data[0].src {
		labels[i] = 1
	}
	ts = append(ts, safetensors.I64("labels", []int{len(labels)}, labels))
	if err := safetensors.Write(path, ts, nil); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// checkFit compares PyTorch's fitted w and b (in path) with ours: the
// largest normwise relative difference max|Δ| / max|x| over points.
func checkFit(path string, maps []*transport.Map) (string, bool, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return "", false, fmt.Errorf("bench: read PyTorch's fit: %w", err)
	}
	defer f.Close()
	var dw, db float64
	for p, m := range maps {
		for _, v := range []struct {
			name string
			ours []float32
			d    *float64
		}{{"w", m.W, &dw}, {"b", m.B, &db}} {
			theirs, _, err := f.Float32(v.name + "." + strconv.Itoa(p))
			if err != nil {
				return "", false, fmt.Errorf("bench: read PyTorch's fit: %w", err)
			}
			if len(theirs) != len(v.ours) {
				return "", false, fmt.Errorf("bench: PyTorch's %s.%d has %d units, ours %d", v.name, p, len(theirs), len(v.ours))
			}
			var diff, scale float64
			for j := range theirs {
				diff = math.Max(diff, math.Abs(float64(v.ours[j])-float64(theirs[j])))
				scale = math.Max(scale, math.Abs(float64(theirs[j])))
			}
			if scale > 0 {
				*v.d = math.Max(*v.d, diff/scale)
			}
		}
	}
	return fmt.Sprintf("w, b rel |Δ| %.1e, %.1e", dw, db), dw <= fitTolerance && db <= fitTolerance, nil
}
