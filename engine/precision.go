package engine

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/gomlx/gomlx/backends"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/x448/float16"

	"github.com/actsh/actsh/engine/safetensors"
)

// backendHas reports whether the process backend runs half-precision
// weights of dtype dt: its capabilities list the dtype and a probe pass
// (Linear and Embed on a 2×2 matrix of dt) gives the exact float32 values.
// The probe runs once per dtype; it catches a backend that lists a dtype
// some of its operations cannot take. GoMLX's pure-Go backend has bfloat16
// but not float16. A variable so that tests can pretend otherwise.
var backendHas = func(dt dtypes.DType) bool {
	b, _, err := Backend()
	if err != nil || !b.Capabilities().DTypes[dt] {
		return false
	}
	probe, _ := halfProbes.LoadOrStore(dt, sync.OnceValue(func() bool { return probeHalf(b, dt) }))
	return probe.(func() bool)()
}

// halfProbes caches probeHalf's answer per dtype.
var halfProbes sync.Map

// probeHalf runs Linear and Embed with a weight [[1, 2], [3, 4]] of dtype
// dt on backend b and reports whether they give x·Wᵀ = [3, 7] for x = [1, 1]
// and row 1 = [3, 4]. Any failure (a panic while building or running the
// graph included) is a no.
func probeHalf(b backends.Backend, dt dtypes.DType) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var w *tensors.Tensor
	switch dt {
	case dtypes.BFloat16:
		w = tensors.FromFlatDataAndDimensions([]bfloat16.BFloat16{bfloat16.FromFloat32(1), bfloat16.FromFloat32(2), bfloat16.FromFloat32(3), bfloat16.FromFloat32(4)}, 2, 2)
	case dtypes.Float16:
		w = tensors.FromFlatDataAndDimensions([]float16.Float16{float16.Fromfloat32(1), float16.Fromfloat32(2), float16.Fromfloat32(3), float16.Fromfloat32(4)}, 2, 2)
	default:
		return false
	}
	e := graph.MustNewExec(b, func(x, w, ids *graph.Node) (*graph.Node, *graph.Node) {
		return Linear(x, w, nil), Embed(w, ids)
	})
	defer e.Finalize()
	x := tensors.FromFlatDataAndDimensions([]float32{1, 1}, 1, 2)
	ids := tensors.FromFlatDataAndDimensions([]int32{1}, 1, 1)
	outs := e.MustExec(x, w, ids)
	lin, emb := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])
	return slices.Equal(lin, []float32{3, 7}) && slices.Equal(emb, []float32{3, 4})
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

// loadRaw is LoadParam's (or, with transpose, LoadParamT's) path for
// weights with raw access: it checks the shape, picks the dtype the tensor
// is kept in ([keptDType]) and decodes the checkpoint's bytes straight into
// the parameter's memory ([newParam]): half-precision matrices as their
// bits, everything else widened (or, for F64, rounded) to float32. No
// float32 copy of a half matrix is ever made.
func loadRaw(w RawWeights, name string, want []int, transpose bool) (*tensors.Tensor, error) {
	st, shape, raw, err := w.Raw(name)
	if err != nil {
		return nil, fmt.Errorf("engine: weight %s: %w", name, err)
	}
	if !sameDims(shape, want) {
		return nil, fmt.Errorf("engine: weight %s has shape %v, want %v", name, shape, want)
	}
	if !st.IsFloat() {
		return nil, fmt.Errorf("engine: weight %s: dtype %s is not a float type (want F32, F16, BF16 or F64)", name, st)
	}
	dt := keptDType(st, len(shape))
	dims := want
	if transpose {
		dims = []int{want[1], want[0]}
	}
	t, err := newParam(shapes.Make(dt, dims...), func(flat any) error {
		if dt != dtypes.Float32 {
			b := flatBytes(flat)
			if transpose {
				transpose16(b, raw, want[0], want[1])
			} else {
				copy16(b, raw)
			}
			return nil
		}
		f := flat.([]float32)
		if !transpose {
			return safetensors.DecodeFloat32(f, raw, st)
		}
		tmp := make([]float32, len(f))
		if err := safetensors.DecodeFloat32(tmp, raw, st); err != nil {
			return err
		}
		rows, cols := want[0], want[1]
		for r := range rows {
			for c := range cols {
				f[c*rows+r] = tmp[r*cols+c]
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("engine: weight %s: %w", name, err)
	}
	return t, nil
}

// newParam allocates a parameter of shape and fills its flat data (a
// slice of the dtype's Go type). On a backend with shared buffers (the
// pure-Go one) the memory is the backend's buffer itself, so the weights
// are never copied a second time when a pass first uses them; elsewhere it
// is a host tensor, transferred at first use.
func newParam(shape shapes.Shape, fill func(flat any) error) (*tensors.Tensor, error) {
	if b, _, err := Backend(); err == nil && b.HasSharedBuffers() {
		buf, flat, err := b.NewSharedBuffer(0, shape)
		if err != nil {
			return nil, err
		}
		if err := fill(flat); err != nil {
			b.BufferFinalize(buf)
			return nil, err
		}
		return tensors.FromBuffer(b, buf)
	}
	t := tensors.FromShape(shape)
	var ferr error
	if err := t.MutableFlatData(func(flat any) { ferr = fill(flat) }); err != nil {
		return nil, err
	}
	return t, ferr
}

// flatBytes views a flat slice of 16-bit elements as bytes.
func flatBytes(flat any) []byte {
	switch f := flat.(type) {
	case []bfloat16.BFloat16:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 2*len(f))
	case []float16.Float16:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 2*len(f))
	}
	panic(fmt.Sprintf("engine: flatBytes of %T", flat)) // cannot happen: keptDType returns these or float32
}

// transpose16 writes the little-endian 16-bit matrix src [rows, cols]
// transposed into dst [cols, rows], in the host's byte order.
func transpose16(dst, src []byte, rows, cols int) {
	le, ne := binary.LittleEndian, binary.NativeEndian
	for r := range rows {
		for c := range cols {
			ne.PutUint16(dst[2*(c*rows+r):], le.Uint16(src[2*(r*cols+c):]))
		}
	}
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
