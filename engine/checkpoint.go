package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/x448/float16"
)

// dirWeights reads the safetensors weights of a checkpoint folder:
// model.safetensors, or the shards listed by model.safetensors.index.json.
// F32, F16, BF16 and F64 tensors convert to float32.
//
// It is the engine's own minimal reader, used by [Load] until the
// engine/safetensors package takes over.
type dirWeights struct {
	files   map[string]string // tensor name → file path
	entries map[string]stEntry
	data    map[string][]byte // file path → data section
}

type stEntry struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

func openDirWeights(dir string) (*dirWeights, error) {
	w := &dirWeights{files: map[string]string{}, entries: map[string]stEntry{}, data: map[string][]byte{}}
	var shards []string
	index := filepath.Join(dir, "model.safetensors.index.json")
	if b, err := os.ReadFile(index); err == nil {
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(b, &idx); err != nil {
			return nil, fmt.Errorf("engine: parse %s: %w", index, err)
		}
		seen := map[string]bool{}
		for _, f := range idx.WeightMap {
			if !seen[f] {
				seen[f] = true
				shards = append(shards, filepath.Join(dir, f))
			}
		}
		sort.Strings(shards)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("engine: %w", err)
	} else {
		shards = []string{filepath.Join(dir, "model.safetensors")}
	}
	for _, path := range shards {
		if err := w.add(path); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (w *dirWeights) add(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("engine: read weights: %w", err)
	}
	if len(b) < 8 {
		return fmt.Errorf("engine: %s: %d bytes, too short for a safetensors file", path, len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return fmt.Errorf("engine: %s: header length %d exceeds the file size %d", path, n, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return fmt.Errorf("engine: %s: header: %w", path, err)
	}
	data := b[8+n:]
	for name, v := range raw {
		if name == "__metadata__" {
			continue
		}
		var e stEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("engine: %s: tensor %s: %w", path, name, err)
		}
		if e.Offsets[0] < 0 || e.Offsets[1] < e.Offsets[0] || e.Offsets[1] > len(data) {
			return fmt.Errorf("engine: %s: tensor %s: offsets %v outside the %d data bytes", path, name, e.Offsets, len(data))
		}
		w.files[name], w.entries[name] = path, e
	}
	w.data[path] = data
	return nil
}

// Names lists the tensors, sorted.
func (w *dirWeights) Names() []string {
	out := make([]string, 0, len(w.entries))
	for n := range w.entries {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Float32 returns a tensor converted to float32, with its shape.
func (w *dirWeights) Float32(name string) ([]float32, []int, error) {
	e, ok := w.entries[name]
	if !ok {
		return nil, nil, fmt.Errorf("tensor %s not found", name)
	}
	raw := w.data[w.files[name]][e.Offsets[0]:e.Offsets[1]]
	count := 1
	for _, d := range e.Shape {
		count *= d
	}
	size := map[string]int{"F32": 4, "F16": 2, "BF16": 2, "F64": 8}[e.DType]
	if size == 0 {
		return nil, nil, fmt.Errorf("tensor %s: dtype %s, want F32, F16, BF16 or F64", name, e.DType)
	}
	if len(raw) != count*size {
		return nil, nil, fmt.Errorf("tensor %s: %d bytes for shape %v of %s", name, len(raw), e.Shape, e.DType)
	}
	out := make([]float32, count)
	for i := range out {
		switch e.DType {
		case "F32":
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		case "F16":
			out[i] = float16.Frombits(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
		case "BF16":
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		case "F64":
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	}
	return out, e.Shape, nil
}
