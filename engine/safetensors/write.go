package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Tensor is one tensor to write: raw little-endian Data of the given DType
// and Shape.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// F32 builds an F32 tensor from v (copied).
func F32(name string, shape []int, v []float32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, DType: DTypeF32, Shape: shape, Data: b}
}

// F64 builds an F64 tensor from v (copied).
func F64(name string, shape []int, v []float64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return Tensor{Name: name, DType: DTypeF64, Shape: shape, Data: b}
}

// F16 builds an F16 tensor from v, rounding each value to nearest even.
func F16(name string, shape []int, v []float32) Tensor {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], Float32ToHalf(x))
	}
	return Tensor{Name: name, DType: DTypeF16, Shape: shape, Data: b}
}

// BF16 builds a BF16 tensor from v, rounding each value to nearest even.
func BF16(name string, shape []int, v []float32) Tensor {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], Float32ToBFloat16(x))
	}
	return Tensor{Name: name, DType: DTypeBF16, Shape: shape, Data: b}
}

// I64 builds an I64 tensor from v (copied).
func I64(name string, shape []int, v []int64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return Tensor{Name: name, DType: DTypeI64, Shape: shape, Data: b}
}

// I32 builds an I32 tensor from v (copied).
func I32(name string, shape []int, v []int32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return Tensor{Name: name, DType: DTypeI32, Shape: shape, Data: b}
}

// Encode returns the bytes of a safetensors file holding tensors and
// metadata: tensors in name order, the header padded with spaces to a
// multiple of 8 bytes (as the Rust implementation does) so the data section
// is 8-byte aligned. The output depends only on the inputs.
func Encode(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	b, err := encode(tensors, metadata)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return b, nil
}

func encode(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	ts := make([]Tensor, len(tensors))
	copy(ts, tensors)
	sort.SliceStable(ts, func(a, b int) bool { return ts[a].Name < ts[b].Name })
	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata) // sorted keys
		if err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
		h.WriteString(`"__metadata__":`)
		h.Write(m)
	}
	var off int64
	for i, t := range ts {
		if err := checkTensor(t); err != nil {
			return nil, err
		}
		if i > 0 && ts[i-1].Name == t.Name {
			return nil, fmt.Errorf("tensor %q given twice", t.Name)
		}
		if h.Len() > 1 {
			h.WriteByte(',')
		}
		name, _ := json.Marshal(t.Name)
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		sh, _ := json.Marshal(shape)
		fmt.Fprintf(&h, `%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, name, t.DType, sh, off, off+int64(len(t.Data)))
		off += int64(len(t.Data))
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := make([]byte, 8, 8+int64(h.Len())+off)
	binary.LittleEndian.PutUint64(out, uint64(h.Len()))
	out = append(out, h.Bytes()...)
	for _, t := range ts {
		out = append(out, t.Data...)
	}
	return out, nil
}

func checkTensor(t Tensor) error {
	if t.Name == "" || t.Name == "__metadata__" {
		return fmt.Errorf("invalid tensor name %q", t.Name)
	}
	if !t.DType.Valid() {
		return fmt.Errorf("tensor %q: unknown dtype %q", t.Name, string(t.DType))
	}
	n := int64(1)
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: shape %v has a negative dim", t.Name, t.Shape)
		}
		n *= int64(d)
	}
	if want := n * int64(t.DType.Size()); int64(len(t.Data)) != want {
		return fmt.Errorf("tensor %q: %d bytes of data, but %s shape %v needs %d", t.Name, len(t.Data), t.DType, t.Shape, want)
	}
	return nil
}

// Write stores tensors and metadata as a safetensors file at path (see
// [Encode] for the layout), atomically: it writes a temporary file in the
// same folder, syncs it and renames it over path, so readers see either
// the old file or the complete new one.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	b, err := encode(tensors, metadata)
	if err == nil {
		err = WriteFileAtomic(path, b, 0o644)
	}
	if err != nil {
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	return nil
}

// WriteFileAtomic writes b to path through a synced temporary file in the
// same folder renamed over path; on failure the temporary file is removed.
func WriteFileAtomic(path string, b []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: make the rename durable
		d.Close()
	}
	return nil
}
