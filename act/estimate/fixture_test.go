package estimate_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	repo "github.com/actsh/actsh/internal/fixture"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// fixture is a minimal safetensors reader for the reference files (F32 and
// I64 only), independent of the package under test.
type fixture struct {
	shapes map[string][]int
	f32    map[string][]float32
	i64    map[string][]int64
}

func readFixture(t *testing.T, path string) *fixture {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &hdr); err != nil {
		t.Fatalf("%s header: %v", path, err)
	}
	data := raw[8+n:]
	f := &fixture{shapes: map[string][]int{}, f32: map[string][]float32{}, i64: map[string][]int64{}}
	for name, msg := range hdr {
		if name == "__metadata__" {
			continue
		}
		var e struct {
			Dtype   string `json:"dtype"`
			Shape   []int  `json:"shape"`
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &e); err != nil {
			t.Fatalf("%s %s: %v", path, name, err)
		}
		b := data[e.Offsets[0]:e.Offsets[1]]
		f.shapes[name] = e.Shape
		switch e.Dtype {
		case "F32":
			v := make([]float32, len(b)/4)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
			f.f32[name] = v
		case "I64":
			v := make([]int64, len(b)/8)
			for i := range v {
				v[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
			}
			f.i64[name] = v
		default:
			t.Fatalf("%s %s: dtype %s not handled by the test reader", path, name, e.Dtype)
		}
	}
	return f
}

func (f *fixture) vec(t *testing.T, name string) []float32 {
	t.Helper()
	v, ok := f.f32[name]
	if !ok {
		t.Fatalf("fixture has no F32 tensor %q", name)
	}
	return v
}

// rows splits tensor name into rows of its last dimension.
func (f *fixture) rows(t *testing.T, name string) [][]float32 {
	t.Helper()
	v := f.vec(t, name)
	sh := f.shapes[name]
	d := sh[len(sh)-1]
	out := make([][]float32, len(v)/d)
	for i := range out {
		out[i] = v[i*d : (i+1)*d]
	}
	return out
}

// index is the part of testdata/reference/act/index.json the tests read.
type index struct {
	Cases map[string]struct {
		File    string `json:"file"`
		NSrc    int    `json:"n_src"`
		NDst    int    `json:"n_dst"`
		Noise   []int  `json:"linear_ot_zero_over_zero_without_noise_dims"`
		Methods map[string]struct {
			Supported bool `json:"supported"`
			Outputs   []struct {
				Tensor   string  `json:"tensor"`
				Strength float32 `json:"strength"`
				Support  string  `json:"quantiles_src"`
				Position string  `json:"intervention_position"`
			} `json:"outputs"`
		} `json:"methods"`
	} `json:"cases"`
}

func readIndex(t *testing.T) (string, *index) {
	t.Helper()
	dir := repo.Reference(t, "act")
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx index
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	return dir, &idx
}

// split returns the source (label 1) and target (label 0) rows of a case.
func split(t *testing.T, f *fixture) (src, dst [][]float32) {
	t.Helper()
	rows := f.rows(t, "responses")
	labels := f.i64["labels"]
	if len(labels) != len(rows) {
		t.Fatalf("%d labels for %d rows", len(labels), len(rows))
	}
	for i, r := range rows {
		switch labels[i] {
		case 1:
			src = append(src, r)
		case 0:
			dst = append(dst, r)
		default:
			t.Fatalf("label %d", labels[i])
		}
	}
	return src, dst
}

// relErr is |got − want| / max(1, |want|).
func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(1, math.Abs(want))
}

func fmtDims(d []int) string { return fmt.Sprint(d) }
