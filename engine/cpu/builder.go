package cpu

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// replayFn issues one operation on another builder, with that builder's
// ops for the inputs; it returns the operation's outputs.
type replayFn func(s backends.Builder, in []backends.Op) ([]backends.Op, error)

// Node is an operation of a graph being built (the backends.Op of this
// backend).
type Node struct {
	b      *Builder
	idx    int
	op     backends.OpType
	shape  shapes.Shape
	inputs []*Node
	// params holds the operation's attributes for its kernel (axes,
	// permutation, …): one of the *xxxParams types.
	params any
	// replay issues the operation on the pure-Go backend's builder: it
	// makes the shadow graph (shapes, validation) and the fallback.
	replay replayFn
	// shadow is the mirror op in the pure-Go builder's graph, nil when
	// that backend does not have the operation.
	shadow backends.Op

	// tuple is set on the outputs of a multi-output operation: the node
	// that runs it, and which of its outputs this is.
	tuple  *Node
	outIdx int
	outs   []shapes.Shape // on a tuple node: its outputs' shapes

	paramIdx int // Parameter: its position
	name     string
	constant any // Constant: the flat values
}

// Builder builds a graph for the CPU backend. Every operation is also
// issued on a pure-Go builder (the shadow), which checks it and gives its
// shape as that backend defines them.
type Builder struct {
	backend  *Backend
	name     string
	shadow   backends.Builder
	nodes    []*Node
	params   []*Node
	compiled bool
}

var _ backends.Builder = (*Builder)(nil)

// Name implements backends.Builder.
func (b *Builder) Name() string { return b.name }

// OpShape implements backends.Builder.
func (b *Builder) OpShape(op backends.Op) (shapes.Shape, error) {
	ns, err := b.nodesOf("OpShape", op)
	if err != nil {
		return shapes.Invalid(), err
	}
	return ns[0].shape, nil
}

func (b *Builder) nodesOf(what string, ops ...backends.Op) ([]*Node, error) {
	if b.compiled {
		return nil, fmt.Errorf("cpu: %s on graph %q, which is already compiled", what, b.name)
	}
	ns := make([]*Node, len(ops))
	for i, op := range ops {
		n, ok := op.(*Node)
		switch {
		case !ok:
			return nil, fmt.Errorf("cpu: %s: input #%d is a %T, not an op of the %s backend", what, i, op, Name)
		case n.b != b:
			return nil, fmt.Errorf("cpu: %s: input #%d comes from another graph", what, i)
		case n.tuple == nil && n.outs != nil:
			return nil, fmt.Errorf("cpu: %s: input #%d is a multi-output op, use its outputs", what, i)
		}
		ns[i] = n
	}
	return ns, nil
}

func (b *Builder) add(n *Node) *Node {
	n.b, n.idx = b, len(b.nodes)
	b.nodes = append(b.nodes, n)
	return n
}

// op adds an operation with one output. shape is used when the pure-Go
// backend does not know the operation (it must then be native).
func (b *Builder) op(op backends.OpType, ins []backends.Op, params any, replay replayFn) (backends.Op, error) {
	outs, err := b.multi(op, ins, params, replay, 1)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// multi adds an operation with nOut outputs, checked and shaped by the
// shadow builder.
func (b *Builder) multi(op backends.OpType, ins []backends.Op, params any, replay replayFn, nOut int) ([]backends.Op, error) {
	nodes, err := b.nodesOf(op.String(), ins...)
	if err != nil {
		return nil, err
	}
	shadowIns := make([]backends.Op, len(nodes))
	for i, n := range nodes {
		if n.shadow == nil {
			return nil, fmt.Errorf("cpu: %s: input #%d (%s) exists only on this backend; it cannot feed %s", op, i, n.op, op)
		}
		shadowIns[i] = n.shadow
	}
	souts, err := replay(b.shadow, shadowIns)
	if err != nil {
		return nil, err
	}
	shapesOut := make([]shapes.Shape, len(souts))
	for i, so := range souts {
		if shapesOut[i], err = b.shadow.OpShape(so); err != nil {
			return nil, err
		}
	}
	if nOut == 1 && len(souts) == 1 {
		return []backends.Op{b.add(&Node{op: op, shape: shapesOut[0], inputs: nodes, params: params, replay: replay, shadow: souts[0]})}, nil
	}
	t := b.add(&Node{op: op, shape: shapes.Invalid(), inputs: nodes, params: params, replay: replay, outs: shapesOut})
	res := make([]backends.Op, len(souts))
	for i := range souts {
		res[i] = b.add(&Node{op: op, shape: shapesOut[i], inputs: []*Node{t}, tuple: t, outIdx: i, shadow: souts[i]})
	}
	return res, nil
}

// Parameter implements backends.Builder.
func (b *Builder) Parameter(name string, shape shapes.Shape, sharding *backends.ShardingSpec) (backends.Op, error) {
	if sharding != nil {
		return nil, errors.New("cpu: sharding is not supported")
	}
	if b.compiled {
		return nil, fmt.Errorf("cpu: Parameter on graph %q, which is already compiled", b.name)
	}
	s, err := b.shadow.Parameter(name, shape, nil)
	if err != nil {
		return nil, err
	}
	n := b.add(&Node{op: backends.OpTypeParameter, shape: shape.Clone(), shadow: s, name: name, paramIdx: len(b.params)})
	b.params = append(b.params, n)
	return n, nil
}

// Constant implements backends.Builder.
func (b *Builder) Constant(flat any, dims ...int) (backends.Op, error) {
	if b.compiled {
		return nil, fmt.Errorf("cpu: Constant on graph %q, which is already compiled", b.name)
	}
	s, err := b.shadow.Constant(flat, dims...)
	if err != nil {
		return nil, err
	}
	shape, err := b.shadow.OpShape(s)
	if err != nil {
		return nil, err
	}
	v := reflect.ValueOf(flat)
	cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	reflect.Copy(cp, v)
	return b.add(&Node{op: backends.OpTypeConstant, shape: shape, shadow: s, constant: cp.Interface()}), nil
}

// DistributedSPMD implements backends.Builder: one device only.
func (b *Builder) DistributedSPMD(n int) error {
	if n == 1 {
		return nil
	}
	return fmt.Errorf("cpu: %d devices asked, the CPU backend has one", n)
}

// DistributedAutoSharding implements backends.Builder: not supported.
func (b *Builder) DistributedAutoSharding(...backends.Mesh) error {
	return errors.New("cpu: distributed execution is not supported")
}

// DeviceAssignment implements backends.Builder: device 0 only.
func (b *Builder) DeviceAssignment(devices ...backends.DeviceNum) error {
	for _, d := range devices {
		if d != 0 {
			return fmt.Errorf("cpu: device %d does not exist (one device, 0)", d)
		}
	}
	return nil
}

// AllReduce implements backends.CollectiveOps: not supported on one device.
func (b *Builder) AllReduce([]backends.Op, backends.ReduceOpType, [][]int) ([]backends.Op, error) {
	return nil, errors.New("cpu: AllReduce needs several devices; the CPU backend has one")
}

// Compile implements backends.Builder.
func (b *Builder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	if len(shardings) != 0 {
		return nil, errors.New("cpu: sharding is not supported")
	}
	outs, err := b.nodesOf("Compile", outputs...)
	if err != nil {
		return nil, err
	}
	b.compiled = true
	return newExecutable(b, outs)
}

// isFloat32 reports whether n is a float32 value.
func (n *Node) isFloat32() bool { return n.shape.DType == dtypes.Float32 }
