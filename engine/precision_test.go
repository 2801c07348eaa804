package engine_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/safetensors"
)

// halfDTypes are the half-precision checkpoint dtypes: how a value rounds
// to each and how the writer stores it.
var halfDTypes = []struct {
	name  string
	dtype dtypes.DType
	round func(float32) float32
	write func(name string, shape []int, v []float32) safetensors.Tensor
}{
	{"bf16", dtypes.BFloat16, func(x float32) float32 { return safetensors.BFloat16ToFloat32(safetensors.Float32ToBFloat16(x)) }, safetensors.BF16},
	{"f16", dtypes.Float16, func(x float32) float32 { return safetensors.HalfToFloat32(safetensors.Float32ToHalf(x)) }, safetensors.F16},
}

// halfCopies writes two copies of the reference checkpoint dir into
// t.TempDir(): half, with every float tensor stored by write, and rounded,
// float32 tensors holding the same (rounded) values.
func halfCopies(t *testing.T, dir string, round func(float32) float32, write func(string, []int, []float32) safetensors.Tensor) (half, rounded string) {
	t.Helper()
	set, err := safetensors.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var hs, rs []safetensors.Tensor
	for _, n := range set.Names() {
		dt, shape, raw, err := set.Raw(n)
		if err != nil {
			t.Fatal(err)
		}
		if !dt.IsFloat() {
			tn := safetensors.Tensor{Name: n, DType: dt, Shape: shape, Data: raw}
			hs, rs = append(hs, tn), append(rs, tn)
			continue
		}
		v, _, err := set.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		for i := range v {
			v[i] = round(v[i])
		}
		hs, rs = append(hs, write(n, shape, v)), append(rs, safetensors.F32(n, shape, v))
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, c := range []struct {
		dir string
		ts  []safetensors.Tensor
	}{{"half", hs}, {"rounded", rs}} {
		d := filepath.Join(root, c.dir)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "config.json"), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := safetensors.Write(filepath.Join(d, "model.safetensors"), c.ts, map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "half"), filepath.Join(root, "rounded")
}

// referenceInputs returns the fixture's input sequences.
func referenceInputs(t *testing.T, fam string) [][]int {
	t.Helper()
	e := loadExpected(t, fam)
	var seqs [][]int
	for k := 0; e.has(fmt.Sprintf("input_ids.%d", k)); k++ {
		seqs = append(seqs, e.ints(fmt.Sprintf("input_ids.%d", k)))
	}
	return seqs
}

// TestHalfPrecisionBitIdentical checks that a half-precision checkpoint,
// whose matrices stay half in memory and are widened inside the graph,
// gives exactly the logits and activations of a float32 checkpoint holding
// the same values: widening bf16 and f16 to float32 is exact, so the
// tolerance is zero (bit equality).
func TestHalfPrecisionBitIdentical(t *testing.T) {
	ctx := context.Background()
	for _, fam := range families {
		for _, hd := range halfDTypes {
			t.Run(fam.name+"/"+hd.name, func(t *testing.T) {
				half, rounded := halfCopies(t, filepath.Join(refDir(t, fam.name), fam.checkpoints[0]), hd.round, hd.write)
				mh := loadCheckpoint(t, half)
				mr := loadCheckpoint(t, rounded)
				hb, rb := mh.ParamBytes(), mr.ParamBytes()
				if rb[hd.dtype] != 0 || hb[hd.dtype] == 0 && hd.dtype == dtypes.BFloat16 {
					t.Fatalf("param bytes: half checkpoint %v, float32 checkpoint %v", hb, rb)
				}
				if hb[hd.dtype] == 0 {
					t.Logf("%s: the backend does not run %s weights (probe), matrices were widened at load (%v)", mh.BackendName(), hd.dtype, hb)
				}
				// Batched, right-padded: the shorter sequences exercise the masks too.
				seqs := referenceInputs(t, fam.name)
				points := mh.Points()
				opts := engine.ForwardOptions{Capture: points}
				oh, err := mh.Forward(ctx, seqs, opts)
				if err != nil {
					t.Fatal(err)
				}
				or, err := mr.Forward(ctx, seqs, opts)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for s := range seqs {
					n += bitDiffs(t, fmt.Sprintf("logits[%d]", s), oh.Logits[s], or.Logits[s])
					for _, p := range points {
						n += bitDiffs(t, fmt.Sprintf("%s[%d]", p, s), oh.Captured[p][s], or.Captured[p][s])
					}
				}
				if n > 0 {
					t.Errorf("%d values differ in their bits", n)
				}
			})
		}
	}
}

// bitDiffs reports (the first few of) the values of got and want
// [position][unit] whose float32 bits differ, and returns their count.
func bitDiffs(t *testing.T, what string, got, want [][]float32) int {
	t.Helper()
	n := 0
	for p := range want {
		for j := range want[p] {
			if math.Float32bits(got[p][j]) != math.Float32bits(want[p][j]) {
				if n < 3 {
					t.Errorf("%s[%d][%d] = %v, want %v (bit-identical)", what, p, j, got[p][j], want[p][j])
				}
				n++
			}
		}
	}
	return n
}

// TestHalfPrecisionMemory checks that a bf16 checkpoint's parameters take
// about half the memory of the float32 one: every matrix is two bytes an
// element, only the norm weights and biases are widened. For the tiny
// fixtures the vectors are 1-2% of the parameters, so the ratio must be
// below 0.52.
func TestHalfPrecisionMemory(t *testing.T) {
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			dir := filepath.Join(refDir(t, fam.name), fam.checkpoints[0])
			half, _ := halfCopies(t, dir, halfDTypes[0].round, halfDTypes[0].write)
			sum := func(m *engine.Model) (n int64) {
				for _, b := range m.ParamBytes() {
					n += b
				}
				return n
			}
			mh, mf := loadCheckpoint(t, half), loadCheckpoint(t, dir)
			h, f := sum(mh), sum(mf)
			ratio := float64(h) / float64(f)
			t.Logf("parameters: bf16 checkpoint %d bytes (%v), float32 checkpoint %d bytes; ratio %.3f", h, mh.ParamBytes(), f, ratio)
			if ratio > 0.52 {
				t.Errorf("bf16 parameters take %d bytes, %.3f of float32's %d; want about half", h, ratio, f)
			}
		})
	}
}
