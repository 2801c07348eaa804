package cpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// one adapts a single-output replay.
func one(f func(s backends.Builder, in []backends.Op) (backends.Op, error)) replayFn {
	return func(s backends.Builder, in []backends.Op) ([]backends.Op, error) {
		o, err := f(s, in)
		if err != nil {
			return nil, err
		}
		return []backends.Op{o}, nil
	}
}

func clone[T any](s []T) []T { return slices.Clone(s) }

// The attributes the kernels read.
type (
	reduceParams    struct{ axes []int }
	transposeParams struct{ perm []int }
	broadcastParams struct {
		axes []int // for each input axis, the output axis it maps to
	}
	sliceParams  struct{ starts, limits, strides []int }
	concatParams struct{ axis int }
	iotaParams   struct{ axis int }
	dotParams    struct {
		lhsContract, lhsBatch, rhsContract, rhsBatch []int
	}
	gatherParams struct {
		indexVectorAxis                                                 int
		offsetOutputAxes, collapsedSliceAxes, startIndexMap, sliceSizes []int
	}
	dynSliceParams struct{ sizes []int }
	argParams      struct {
		axis  int
		isMin bool
	}
)

// native adds an operation the pure-Go backend does not have: its shape
// comes from the caller, and the shadow graph gets a stand-in parameter of
// that shape so that later operations still check and shape.
func (b *Builder) native(op backends.OpType, ins []backends.Op, params any, shape shapes.Shape) (backends.Op, error) {
	nodes, err := b.nodesOf(op.String(), ins...)
	if err != nil {
		return nil, err
	}
	s, err := b.shadow.Parameter(fmt.Sprintf("cpu.%s.%d", op, len(b.nodes)), shape, nil)
	if err != nil {
		return nil, err
	}
	return b.add(&Node{op: op, shape: shape, inputs: nodes, params: params, shadow: s}), nil
}

// nativeOnly lists the operations only this backend has.
var nativeOnly = map[backends.OpType]bool{
	backends.OpTypeDynamicUpdateSlice: true,
	backends.OpTypeDynamicSlice:       true,
}

// ArgMinMax implements backends.StandardOps.
func (b *Builder) ArgMinMax(x backends.Op, axis int, outputDType dtypes.DType, isMin bool) (backends.Op, error) {
	return b.op(backends.OpTypeArgMinMax, []backends.Op{x}, &argParams{axis, isMin}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ArgMinMax(in[0], axis, outputDType, isMin)
	}))
}

// BatchNormForInference implements backends.StandardOps.
func (b *Builder) BatchNormForInference(operand, scale, offset, mean, variance backends.Op, epsilon float32, featureAxis int) (backends.Op, error) {
	return b.op(backends.OpTypeBatchNormForInference, []backends.Op{operand, scale, offset, mean, variance}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.BatchNormForInference(in[0], in[1], in[2], in[3], in[4], epsilon, featureAxis)
	}))
}

// BatchNormForTraining implements backends.StandardOps.
func (b *Builder) BatchNormForTraining(operand, scale, offset backends.Op, epsilon float32, featureAxis int) (backends.Op, backends.Op, backends.Op, error) {
	o, err := b.multi(backends.OpTypeBatchNormForTraining, []backends.Op{operand, scale, offset}, nil, func(s backends.Builder, in []backends.Op) ([]backends.Op, error) {
		a, m, v, err := s.BatchNormForTraining(in[0], in[1], in[2], epsilon, featureAxis)
		return []backends.Op{a, m, v}, err
	}, 3)
	if err != nil {
		return nil, nil, nil, err
	}
	return o[0], o[1], o[2], nil
}

// BatchNormGradient implements backends.StandardOps.
func (b *Builder) BatchNormGradient(operand, scale, mean, variance, gradOutput backends.Op, epsilon float32, featureAxis int) (backends.Op, backends.Op, backends.Op, error) {
	o, err := b.multi(backends.OpTypeBatchNormGradient, []backends.Op{operand, scale, mean, variance, gradOutput}, nil, func(s backends.Builder, in []backends.Op) ([]backends.Op, error) {
		a, m, v, err := s.BatchNormGradient(in[0], in[1], in[2], in[3], in[4], epsilon, featureAxis)
		return []backends.Op{a, m, v}, err
	}, 3)
	if err != nil {
		return nil, nil, nil, err
	}
	return o[0], o[1], o[2], nil
}

// RNGBitGenerator implements backends.StandardOps.
func (b *Builder) RNGBitGenerator(state backends.Op, shape shapes.Shape) (backends.Op, backends.Op, error) {
	o, err := b.multi(backends.OpTypeRNGBitGenerator, []backends.Op{state}, nil, func(s backends.Builder, in []backends.Op) ([]backends.Op, error) {
		st, v, err := s.RNGBitGenerator(in[0], shape)
		return []backends.Op{st, v}, err
	}, 2)
	if err != nil {
		return nil, nil, err
	}
	return o[0], o[1], nil
}

// Bitcast implements backends.StandardOps.
func (b *Builder) Bitcast(x backends.Op, targetDType dtypes.DType) (backends.Op, error) {
	return b.op(backends.OpTypeBitcast, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Bitcast(in[0], targetDType)
	}))
}

// BroadcastInDim implements backends.StandardOps.
func (b *Builder) BroadcastInDim(x backends.Op, outputShape shapes.Shape, broadcastAxes []int) (backends.Op, error) {
	return b.op(backends.OpTypeBroadcastInDim, []backends.Op{x}, &broadcastParams{axes: clone(broadcastAxes)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.BroadcastInDim(in[0], outputShape, broadcastAxes)
	}))
}

// Clamp implements backends.StandardOps.
func (b *Builder) Clamp(lo, x, hi backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeClamp, []backends.Op{lo, x, hi}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Clamp(in[0], in[1], in[2])
	}))
}

// Concatenate implements backends.StandardOps.
func (b *Builder) Concatenate(axis int, operands ...backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeConcatenate, operands, &concatParams{axis}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Concatenate(axis, in...)
	}))
}

// ConvGeneral implements backends.StandardOps. 2-D float32 convolutions
// laid out as nn.Conv2d run on the matrix kernels (conv.go).
func (b *Builder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig, strides []int, paddings [][2]int,
	inputDilations, kernelDilations []int, channelGroupCount, batchGroupCount int) (backends.Op, error) {
	params := &convParams{axes.Clone(), clone(strides), clone(paddings), clone(inputDilations), clone(kernelDilations), channelGroupCount, batchGroupCount}
	return b.op(backends.OpTypeConvGeneral, []backends.Op{input, kernel}, params, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ConvGeneral(in[0], in[1], axes, strides, paddings, inputDilations, kernelDilations, channelGroupCount, batchGroupCount)
	}))
}

// ConvertDType implements backends.StandardOps.
func (b *Builder) ConvertDType(x backends.Op, dtype dtypes.DType) (backends.Op, error) {
	return b.op(backends.OpTypeConvertDType, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ConvertDType(in[0], dtype)
	}))
}

// DotGeneral implements backends.StandardOps. A float32 product whose
// rhs is a bfloat16 or float16 value converted to float32 (weights kept in
// their checkpoint's dtype) reads the half-precision values directly: the
// kernels widen them as they go, and the converted copy is never made.
func (b *Builder) DotGeneral(lhs backends.Op, lhsContractingAxes, lhsBatchAxes []int, rhs backends.Op, rhsContractingAxes, rhsBatchAxes []int) (backends.Op, error) {
	lc, lb, rc, rb := clone(lhsContractingAxes), clone(lhsBatchAxes), clone(rhsContractingAxes), clone(rhsBatchAxes)
	p := &dotParams{lc, lb, rc, rb}
	op, err := b.op(backends.OpTypeDotGeneral, []backends.Op{lhs, rhs}, p, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.DotGeneral(in[0], clone(lc), clone(lb), in[1], clone(rc), clone(rb))
	}))
	if err != nil {
		return nil, err
	}
	n := op.(*Node)
	if c := n.inputs[1]; c.op == backends.OpTypeConvertDType && c.shape.DType == dtypes.Float32 && n.inputs[0].isFloat32() &&
		(c.inputs[0].shape.DType == dtypes.BFloat16 || c.inputs[0].shape.DType == dtypes.Float16) {
		n.inputs[1] = c.inputs[0]
		n.replay = one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
			w, err := s.ConvertDType(in[1], dtypes.Float32)
			if err != nil {
				return nil, err
			}
			return s.DotGeneral(in[0], clone(lc), clone(lb), w, clone(rc), clone(rb))
		})
	}
	return n, nil
}

// DynamicSlice implements backends.StandardOps (the pure-Go backend has
// no such operation: this one has a kernel only).
func (b *Builder) DynamicSlice(operand backends.Op, startIndices []backends.Op, sliceDims []int) (backends.Op, error) {
	ns, err := b.nodesOf("DynamicSlice", append([]backends.Op{operand}, startIndices...)...)
	if err != nil {
		return nil, err
	}
	x := ns[0].shape
	if len(startIndices) != x.Rank() || len(sliceDims) != x.Rank() {
		return nil, fmt.Errorf("cpu: DynamicSlice of %s needs %d start indices and slice sizes, got %d and %d", x, x.Rank(), len(startIndices), len(sliceDims))
	}
	for i, d := range sliceDims {
		if d < 0 || d > x.Dimensions[i] {
			return nil, fmt.Errorf("cpu: DynamicSlice of %s: slice size %d out of range on axis %d", x, d, i)
		}
		if s := ns[1+i].shape; s.Rank() != 0 || !s.DType.IsInt() {
			return nil, fmt.Errorf("cpu: DynamicSlice: start index %d must be an integer scalar, got %s", i, s)
		}
	}
	return b.native(backends.OpTypeDynamicSlice, append([]backends.Op{operand}, startIndices...), &dynSliceParams{clone(sliceDims)}, shapes.Make(x.DType, sliceDims...))
}

// DynamicUpdateSlice implements backends.StandardOps (kernel only): the
// result is operand with update written at startIndices, each clamped so
// that update fits (XLA's rule). When operand's buffer is not used
// elsewhere (a donated input, or an intermediate value), the update is
// written in place.
func (b *Builder) DynamicUpdateSlice(operand, update backends.Op, startIndices []backends.Op) (backends.Op, error) {
	all := append([]backends.Op{operand, update}, startIndices...)
	ns, err := b.nodesOf("DynamicUpdateSlice", all...)
	if err != nil {
		return nil, err
	}
	x, u := ns[0].shape, ns[1].shape
	if x.DType != u.DType || x.Rank() != u.Rank() || len(startIndices) != x.Rank() {
		return nil, fmt.Errorf("cpu: DynamicUpdateSlice of %s with update %s needs matching dtype and rank and %d start indices (got %d)", x, u, x.Rank(), len(startIndices))
	}
	for i := range x.Rank() {
		if u.Dimensions[i] > x.Dimensions[i] {
			return nil, fmt.Errorf("cpu: DynamicUpdateSlice: update %s is larger than operand %s on axis %d", u, x, i)
		}
		if s := ns[2+i].shape; s.Rank() != 0 || !s.DType.IsInt() {
			return nil, fmt.Errorf("cpu: DynamicUpdateSlice: start index %d must be an integer scalar, got %s", i, s)
		}
	}
	return b.native(backends.OpTypeDynamicUpdateSlice, all, nil, x.Clone())
}

// FFT implements backends.StandardOps.
func (b *Builder) FFT(operand backends.Op, fftType backends.FFTType, fftLength []int) (backends.Op, error) {
	return b.op(backends.OpTypeFFT, []backends.Op{operand}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.FFT(in[0], fftType, fftLength)
	}))
}

// Gather implements backends.StandardOps.
func (b *Builder) Gather(operand, startIndices backends.Op, indexVectorAxis int, offsetOutputAxes, collapsedSliceAxes, startIndexMap, sliceSizes []int, indicesAreSorted bool) (backends.Op, error) {
	p := &gatherParams{indexVectorAxis, clone(offsetOutputAxes), clone(collapsedSliceAxes), clone(startIndexMap), clone(sliceSizes)}
	return b.op(backends.OpTypeGather, []backends.Op{operand, startIndices}, p, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Gather(in[0], in[1], indexVectorAxis, offsetOutputAxes, collapsedSliceAxes, startIndexMap, sliceSizes, indicesAreSorted)
	}))
}

// Iota implements backends.StandardOps.
func (b *Builder) Iota(shape shapes.Shape, iotaAxis int) (backends.Op, error) {
	return b.op(backends.OpTypeIota, nil, &iotaParams{iotaAxis}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Iota(shape, iotaAxis)
	}))
}

// Pad implements backends.StandardOps.
func (b *Builder) Pad(x, fillValue backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	return b.op(backends.OpTypePad, []backends.Op{x, fillValue}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Pad(in[0], in[1], axesConfig...)
	}))
}

// ReduceWindow implements backends.StandardOps.
func (b *Builder) ReduceWindow(x backends.Op, reductionType backends.ReduceOpType, windowDimensions, strides, baseDilations, windowDilations []int, paddings [][2]int) (backends.Op, error) {
	return b.op(backends.OpTypeReduceWindow, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ReduceWindow(in[0], reductionType, windowDimensions, strides, baseDilations, windowDilations, paddings)
	}))
}

// Reshape implements backends.StandardOps.
func (b *Builder) Reshape(x backends.Op, dimensions ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReshape, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Reshape(in[0], dimensions...)
	}))
}

// Reverse implements backends.StandardOps.
func (b *Builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	return b.op(backends.OpTypeReverse, []backends.Op{x}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Reverse(in[0], axes...)
	}))
}

func (b *Builder) scatter(op backends.OpType, f func(s backends.Builder, in []backends.Op) (backends.Op, error), operand, idx, updates backends.Op) (backends.Op, error) {
	return b.op(op, []backends.Op{operand, idx, updates}, nil, one(f))
}

// ScatterMax implements backends.StandardOps.
func (b *Builder) ScatterMax(operand, scatterIndices, updates backends.Op, indexVectorAxis int, updateWindowAxes, insertedWindowAxes, scatterAxesToOperandAxes []int, indicesAreSorted, uniqueIndices bool) (backends.Op, error) {
	return b.scatter(backends.OpTypeScatterMax, func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ScatterMax(in[0], in[1], in[2], indexVectorAxis, updateWindowAxes, insertedWindowAxes, scatterAxesToOperandAxes, indicesAreSorted, uniqueIndices)
	}, operand, scatterIndices, updates)
}

// ScatterMin implements backends.StandardOps.
func (b *Builder) ScatterMin(operand, scatterIndices, updates backends.Op, indexVectorAxis int, updateWindowAxes, insertedWindowAxes, scatterAxesToOperandAxes []int, indicesAreSorted, uniqueIndices bool) (backends.Op, error) {
	return b.scatter(backends.OpTypeScatterMin, func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ScatterMin(in[0], in[1], in[2], indexVectorAxis, updateWindowAxes, insertedWindowAxes, scatterAxesToOperandAxes, indicesAreSorted, uniqueIndices)
	}, operand, scatterIndices, updates)
}

// ScatterSum implements backends.StandardOps.
func (b *Builder) ScatterSum(operand, scatterIndices, updates backends.Op, indexVectorAxis int, updateWindowAxes, insertedWindowAxes, scatterAxesToOperandAxes []int, indicesAreSorted, uniqueIndices bool) (backends.Op, error) {
	return b.scatter(backends.OpTypeScatterSum, func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.ScatterSum(in[0], in[1], in[2], indexVectorAxis, updateWindowAxes, insertedWindowAxes, scatterAxesToOperandAxes, indicesAreSorted, uniqueIndices)
	}, operand, scatterIndices, updates)
}

// SelectAndScatterMax implements backends.StandardOps.
func (b *Builder) SelectAndScatterMax(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.op(backends.OpTypeSelectAndScatterMax, []backends.Op{operand, source}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.SelectAndScatterMax(in[0], in[1], windowDimensions, windowStrides, paddings)
	}))
}

// SelectAndScatterMin implements backends.StandardOps.
func (b *Builder) SelectAndScatterMin(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.op(backends.OpTypeSelectAndScatterMin, []backends.Op{operand, source}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.SelectAndScatterMin(in[0], in[1], windowDimensions, windowStrides, paddings)
	}))
}

// Slice implements backends.StandardOps.
func (b *Builder) Slice(x backends.Op, starts, limits, strides []int) (backends.Op, error) {
	return b.op(backends.OpTypeSlice, []backends.Op{x}, &sliceParams{clone(starts), clone(limits), clone(strides)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Slice(in[0], starts, limits, strides)
	}))
}

// Transpose implements backends.StandardOps.
func (b *Builder) Transpose(x backends.Op, permutation ...int) (backends.Op, error) {
	return b.op(backends.OpTypeTranspose, []backends.Op{x}, &transposeParams{clone(permutation)}, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Transpose(in[0], permutation...)
	}))
}

// Where implements backends.StandardOps.
func (b *Builder) Where(condition, onTrue, onFalse backends.Op) (backends.Op, error) {
	return b.op(backends.OpTypeWhere, []backends.Op{condition, onTrue, onFalse}, nil, one(func(s backends.Builder, in []backends.Op) (backends.Op, error) {
		return s.Where(in[0], in[1], in[2])
	}))
}
