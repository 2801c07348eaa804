package engine_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

// stFile is a minimal safetensors reader for the tests (F32 and I64 only),
// so the engine's tests do not depend on the loader package.
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
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, err
	}
	f := &stFile{data: b[8+n:], entries: map[string]stEntry{}}
	for k, v := range raw {
		if k == "__metadata__" {
			continue
		}
		var e stEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, err
		}
		f.entries[k] = e
	}
	return f, nil
}

func (f *stFile) Names() []string {
	var out []string
	for k := range f.entries {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (f *stFile) Float32(name string) ([]float32, []int, error) {
	e, ok := f.entries[name]
	if !ok {
		return nil, nil, fmt.Errorf("tensor %s not found", name)
	}
	raw := f.data[e.Offsets[0]:e.Offsets[1]]
	switch e.DType {
	case "F32":
		out := make([]float32, len(raw)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return out, e.Shape, nil
	case "I64":
		out := make([]float32, len(raw)/8)
		for i := range out {
			out[i] = float32(int64(binary.LittleEndian.Uint64(raw[8*i:])))
		}
		return out, e.Shape, nil
	}
	return nil, nil, fmt.Errorf("tensor %s: dtype %s", name, e.DType)
}

func (f *stFile) Ints(name string) ([]int, []int, error) {
	e, ok := f.entries[name]
	if !ok {
		return nil, nil, fmt.Errorf("tensor %s not found", name)
	}
	if e.DType != "I64" {
		return nil, nil, fmt.Errorf("tensor %s: dtype %s, want I64", name, e.DType)
	}
	raw := f.data[e.Offsets[0]:e.Offsets[1]]
	out := make([]int, len(raw)/8)
	for i := range out {
		out[i] = int(int64(binary.LittleEndian.Uint64(raw[8*i:])))
	}
	return out, e.Shape, nil
}
