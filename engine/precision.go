package engine

import (
	"encoding/binary"
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/safetensors"
)

// backendHas reports whether the process backend holds tensors of dtype dt.
// The pure-Go backend has bfloat16 but not float16. A variable so that
// tests can pretend otherwise.
var backendHas = func(dt dtypes.DType) bool {
	b, _, err := Backend()
	return err == nil && b.Capabilities().DTypes[dt]
}

// keptDType is the dtype a checkpoint tensor stored as st with rank axes is
// held in: matrices in bfloat16 or float16 stay so when the backend has the
// dtype; vectors (norm weights, biases), float32 and float64 tensors are
// float32.
func keptDType(st safetensors.DType, rank int) dtypes.DType {
	if rank < 2 {
		return dtypes.Float32
	}
	var dt dtypes.DType
	switch st {
	case safetensors.DTypeBF16:
		dt = dtypes.BFloat16
	case safetensors.DTypeF16:
		dt = dtypes.Float16
	default:
		return dtypes.Float32
	}
	if !backendHas(dt) {
		return dtypes.Float32
	}
	return dt
}

// loadHalf is LoadParam's (or, with transpose, LoadParamT's) path for a
// matrix kept in half precision: the checkpoint's bits are copied into a
// tensor of the same dtype, never through float32. ok is false when w has
// no raw access or the tensor is not kept half; the caller then reads it
// through Float32.
func loadHalf(w Weights, name string, want []int, transpose bool) (t *tensors.Tensor, ok bool, err error) {
	rw, isRaw := w.(RawWeights)
	if !isRaw || len(want) < 2 {
		return nil, false, nil
	}
	st, shape, raw, err := rw.Raw(name)
	if err != nil {
		return nil, false, fmt.Errorf("engine: weight %s: %w", name, err)
	}
	if !sameDims(shape, want) {
		return nil, false, fmt.Errorf("engine: weight %s has shape %v, want %v", name, shape, want)
	}
	dt := keptDType(st, len(shape))
	if dt == dtypes.Float32 {
		return nil, false, nil
	}
	if transpose {
		rows, cols := want[0], want[1]
		t = tensors.FromShape(shapes.Make(dt, cols, rows))
		le, ne := binary.LittleEndian, binary.NativeEndian
		err = t.MutableBytes(func(b []byte) {
			for r := range rows {
				for c := range cols {
					ne.PutUint16(b[2*(c*rows+r):], le.Uint16(raw[2*(r*cols+c):]))
				}
			}
		})
	} else {
		t = tensors.FromShape(shapes.Make(dt, want...))
		err = t.MutableBytes(func(b []byte) { copy16(b, raw) })
	}
	if err != nil {
		return nil, false, fmt.Errorf("engine: weight %s: %w", name, err)
	}
	return t, true, nil
}

// copy16 copies little-endian 16-bit elements from src into dst in the
// host's byte order.
func copy16(dst, src []byte) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		copy(dst, src)
		return
	}
	for i := 0; i+1 < len(src); i += 2 {
		dst[i], dst[i+1] = src[i+1], src[i]
	}
}

// ParamBytes is the memory the model's parameters occupy, in bytes, by
// dtype: half-precision matrices count two bytes an element, float32
// tensors four.
func (m *Model) ParamBytes() map[dtypes.DType]int64 {
	out := map[dtypes.DType]int64{}
	for _, t := range m.params {
		out[t.DType()] += int64(t.Memory())
	}
	return out
}
