package gemma2

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

// stFile is a minimal safetensors reader (F32 and I64 only) so that these
// tests depend on no loader package.
type stFile struct {
	data    []byte
	entries map[string]stEntry
}

type stEntry struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

func readST(path string) (*stFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 8 {
		return nil, fmt.Errorf("%s: short file", path)
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("%s: header length %d beyond the file", path, n)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &stFile{data: b[8+n:], entries: map[string]stEntry{}}
	for k, v := range raw {
		if k == "__metadata__" {
			continue
		}
		var e stEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		f.entries[k] = e
	}
	return f, nil
}

func (f *stFile) Names() []string {
	out := make([]string, 0, len(f.entries))
	for k := range f.entries {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (f *stFile) raw(name, dtype string, size int) ([]byte, []int, error) {
	e, ok := f.entries[name]
	if !ok {
		return nil, nil, fmt.Errorf("tensor %s not found", name)
	}
	if e.DType != dtype {
		return nil, nil, fmt.Errorf("tensor %s is %s, want %s", name, e.DType, dtype)
	}
	b := f.data[e.Offsets[0]:e.Offsets[1]]
	n := 1
	for _, d := range e.Shape {
		n *= d
	}
	if len(b) != n*size {
		return nil, nil, fmt.Errorf("tensor %s: %d bytes for shape %v", name, len(b), e.Shape)
	}
	return b, e.Shape, nil
}

// Float32 implements engine.Weights.
func (f *stFile) Float32(name string) ([]float32, []int, error) {
	b, shape, err := f.raw(name, "F32", 4)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, shape, nil
}

// Ints reads an I64 tensor.
func (f *stFile) Ints(name string) ([]int, []int, error) {
	b, shape, err := f.raw(name, "I64", 8)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int, len(b)/8)
	for i := range out {
		out[i] = int(int64(binary.LittleEndian.Uint64(b[8*i:])))
	}
	return out, shape, nil
}
