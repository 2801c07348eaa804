package engine

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/x448/float16"
)

// writeST writes a safetensors file of raw tensors (name → dtype, shape, bytes).
func writeST(t testing.TB, path string, tensors map[string]struct {
	dtype string
	shape []int
	data  []byte
}) {
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for name, tt := range tensors {
		header[name] = map[string]any{"dtype": tt.dtype, "shape": tt.shape, "data_offsets": []int{len(data), len(data) + len(tt.data)}}
		data = append(data, tt.data...)
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(append(out, h...), data...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

type rawTensor = struct {
	dtype string
	shape []int
	data  []byte
}

func TestDirWeights(t *testing.T) {
	dir := t.TempDir()
	vals := []float32{1.5, -2, 0.25, 3}
	var f32, f16, bf16 []byte
	for _, v := range vals {
		f32 = binary.LittleEndian.AppendUint32(f32, math.Float32bits(v))
		f16 = binary.LittleEndian.AppendUint16(f16, float16.Fromfloat32(v).Bits())
		bf16 = binary.LittleEndian.AppendUint16(bf16, uint16(math.Float32bits(v)>>16))
	}
	writeST(t, filepath.Join(dir, "a.safetensors"), map[string]rawTensor{"x.f32": {"F32", []int{2, 2}, f32}, "x.f16": {"F16", []int{4}, f16}})
	writeST(t, filepath.Join(dir, "b.safetensors"), map[string]rawTensor{"x.bf16": {"BF16", []int{4, 1}, bf16}, "x.i64": {"I64", []int{1}, make([]byte, 8)}})
	idx := `{"weight_map":{"x.f32":"a.safetensors","x.f16":"a.safetensors","x.bf16":"b.safetensors","x.i64":"b.safetensors"}}`
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), []byte(idx), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := openDirWeights(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.Names(), ","); got != "x.bf16,x.f16,x.f32,x.i64" {
		t.Errorf("Names() = %s", got)
	}
	// The values are exact in all three formats: tolerance 0.
	for _, name := range []string{"x.f32", "x.f16", "x.bf16"} {
		got, _, err := w.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range vals {
			if got[i] != vals[i] {
				t.Errorf("%s[%d] = %g, want %g", name, i, got[i], vals[i])
			}
		}
	}
	for name, want := range map[string]string{"x.i64": "dtype I64", "nope": "tensor nope not found"} {
		if _, _, err := w.Float32(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Float32(%s): %v, want %q", name, err, want)
		}
	}
}

func TestDirWeightsErrors(t *testing.T) {
	tests := []struct {
		name, content, err string
	}{
		{"short", "abc", "too short"},
		{"header length", "\xff\x00\x00\x00\x00\x00\x00\x00{}", "exceeds the file size"},
		{"bad json", "\x02\x00\x00\x00\x00\x00\x00\x00{x", "header"},
		{"offsets", withHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,400]}}`), "outside the"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := openDirWeights(dir); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
	if _, err := openDirWeights(t.TempDir()); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Errorf("empty folder: %v", err)
	}
}

func FuzzDirWeights(f *testing.F) {
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Add([]byte(withHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`) + "abcd"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := openDirWeights(dir)
		if err != nil {
			return
		}
		for _, n := range w.Names() {
			_, _, _ = w.Float32(n) // must not panic
		}
	})
}

// withHeader prefixes a JSON header with its little-endian length.
func withHeader(h string) string {
	return string(binary.LittleEndian.AppendUint64(nil, uint64(len(h)))) + h
}
