package cpu

import (
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// storage is a buffer of the pure-Go backend holding one or more values
// (a reshape is a view of its input's storage).
type storage struct {
	buf   backends.Buffer
	flat  any
	shape shapes.Shape // the buffer's own shape (views may differ)
	// refs counts the uses still pending, over every value it holds.
	refs int
	// owned: this run may reuse or free it (an intermediate, or a donated
	// input); inputs that were not donated and constants are not owned.
	owned    bool
	returned bool
}

// value is one node's result in a run.
type value struct {
	st    *storage
	shape shapes.Shape
}

// kernel computes node n from its input values.
type kernel func(r *run, n *Node, in []*value) (*value, error)

// Executable is a compiled graph of the CPU backend.
type Executable struct {
	backend *Backend
	name    string
	params  []*Node
	outputs []*Node
	order   []*Node   // the nodes to run, in build order (fused ones run inside their loop's root)
	args    [][]*Node // per node index: the values its kernel reads (a fused loop: its leaves)
	uses    []int     // per node index: pending uses in one run (outputs count once)
	kernels []kernel
	consts  map[int]*storage
	loops   map[int]*fusion // fused loops by root index
}

var _ backends.Executable = (*Executable)(nil)

func newExecutable(b *Builder, outputs []*Node) (*Executable, error) {
	e := &Executable{backend: b.backend, name: b.name, params: b.params, outputs: outputs,
		uses: make([]int, len(b.nodes)), kernels: make([]kernel, len(b.nodes)), args: make([][]*Node, len(b.nodes)),
		consts: map[int]*storage{}}
	need := make([]bool, len(b.nodes))
	var mark func(n *Node)
	mark = func(n *Node) {
		if need[n.idx] {
			return
		}
		need[n.idx] = true
		for _, in := range n.inputs {
			mark(in)
		}
	}
	isOutput := make([]bool, len(b.nodes))
	for _, o := range outputs {
		if o.tuple == nil && o.outs != nil {
			return nil, fmt.Errorf("cpu: compile %s: an output is a multi-output op", b.name)
		}
		mark(o)
		isOutput[o.idx] = true
	}
	var order []*Node
	uses := make([]int, len(b.nodes))
	for _, n := range b.nodes {
		if !need[n.idx] {
			continue
		}
		for _, in := range n.inputs {
			uses[in.idx]++
		}
		if n.op != backends.OpTypeParameter {
			order = append(order, n)
		}
	}
	loops, absorbed := plan(order, uses, isOutput)
	e.loops = loops
	for _, n := range order {
		if absorbed[n.idx] {
			continue
		}
		e.order = append(e.order, n)
		if f, ok := loops[n.idx]; ok {
			for _, l := range f.leaves {
				e.args[n.idx] = append(e.args[n.idx], l.node)
			}
			e.kernels[n.idx] = f.kernel()
		} else {
			e.args[n.idx] = n.inputs
			k, err := e.kernelFor(n)
			if err != nil {
				return nil, fmt.Errorf("cpu: compile %s: %s: %w", b.name, n.op, err)
			}
			e.kernels[n.idx] = k
		}
		for _, in := range e.args[n.idx] {
			e.uses[in.idx]++
		}
	}
	for _, o := range outputs {
		e.uses[o.idx]++
	}
	return e, nil
}

// kernelFor picks n's kernel: ours when there is one for its operation
// and types, otherwise the pure-Go backend's.
func (e *Executable) kernelFor(n *Node) (kernel, error) {
	switch {
	case n.op == backends.OpTypeConstant:
		buf, err := e.backend.BufferFromFlatData(0, n.constant, n.shape)
		if err != nil {
			return nil, err
		}
		flat, _ := e.backend.BufferData(buf)
		e.consts[n.idx] = &storage{buf: buf, flat: flat, shape: n.shape}
		return func(r *run, n *Node, _ []*value) (*value, error) {
			return &value{st: e.consts[n.idx], shape: n.shape}, nil
		}, nil
	case n.tuple != nil:
		return func(r *run, n *Node, _ []*value) (*value, error) {
			return r.tuples[n.tuple.idx][n.outIdx], nil
		}, nil
	}
	if k := nativeKernel(n); k != nil {
		return k, nil
	}
	if n.replay == nil {
		return nil, fmt.Errorf("no kernel for %s on %s", n.op, n.shape)
	}
	return e.fallback(n)
}

// rootShape is the shape of the buffer holding n's value: reshapes are
// views of their input.
func rootShape(n *Node) shapes.Shape {
	for n.op == backends.OpTypeReshape {
		n = n.inputs[0]
	}
	return n.shape
}

// fallback compiles n alone on the pure-Go backend.
func (e *Executable) fallback(n *Node) (kernel, error) {
	e.backend.countFallback(n.op.String())
	sb := e.backend.simple.Builder(e.name + "." + n.op.String())
	ins := make([]backends.Op, len(n.inputs))
	for i, in := range n.inputs {
		rs := rootShape(in)
		p, err := sb.Parameter(fmt.Sprintf("in%d", i), rs, nil)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(rs.Dimensions, in.shape.Dimensions) {
			if p, err = sb.Reshape(p, in.shape.Dimensions...); err != nil {
				return nil, err
			}
		}
		ins[i] = p
	}
	outs, err := n.replay(sb, ins)
	if err != nil {
		return nil, err
	}
	exe, err := sb.Compile(outs, nil)
	if err != nil {
		return nil, err
	}
	nOut := len(outs)
	return func(r *run, n *Node, in []*value) (*value, error) {
		bufs := make([]backends.Buffer, len(in))
		for i, v := range in {
			bufs[i] = v.st.buf
		}
		res, err := exe.Execute(bufs, make([]bool, len(in)), 0)
		if err != nil {
			return nil, err
		}
		vals := make([]*value, nOut)
		for i, b := range res {
			flat, err := e.backend.BufferData(b)
			if err != nil {
				return nil, err
			}
			shape, _ := e.backend.BufferShape(b)
			vals[i] = &value{st: &storage{buf: b, flat: flat, shape: shape, owned: true}, shape: shape}
		}
		if n.outs != nil {
			r.tuples[n.idx] = vals
			return nil, nil
		}
		return vals[0], nil
	}, nil
}

// run is the state of one execution.
type run struct {
	e      *Executable
	vals   []*value
	tuples map[int][]*value
}

// alloc returns a new owned storage for shape (not zeroed).
func (r *run) alloc(shape shapes.Shape) (*value, error) {
	buf, flat, err := r.e.backend.NewSharedBuffer(0, shape)
	if err != nil {
		return nil, err
	}
	return &value{st: &storage{buf: buf, flat: flat, shape: shape, owned: true}, shape: shape}, nil
}

// reusable reports whether the kernel may write its output into v's
// buffer: v is owned, this is its last use, and the buffer has shape.
func reusable(v *value, shape shapes.Shape) bool {
	if !v.st.owned || v.st.returned || v.st.refs != 1 || v.st.shape.DType != shape.DType {
		return false
	}
	return slices.Equal(v.st.shape.Dimensions, shape.Dimensions)
}

func (r *run) release(v *value) {
	if v == nil {
		return
	}
	v.st.refs--
	if v.st.refs == 0 && v.st.owned && !v.st.returned {
		_ = r.e.backend.BufferFinalize(v.st.buf)
		v.st.buf, v.st.flat = nil, nil
	}
}

// Execute implements backends.Executable.
func (e *Executable) Execute(inputs []backends.Buffer, donate []bool, _ backends.DeviceNum) (outs []backends.Buffer, err error) {
	if len(inputs) != len(e.params) {
		return nil, fmt.Errorf("cpu: %s takes %d inputs, got %d", e.name, len(e.params), len(inputs))
	}
	r := &run{e: e, vals: make([]*value, len(e.uses)), tuples: map[int][]*value{}}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cpu: %s: %v\n%s", e.name, p, debug.Stack())
		}
	}()
	for i, p := range e.params {
		shape, err := e.backend.BufferShape(inputs[i])
		if err != nil {
			return nil, err
		}
		if !shape.Equal(p.shape) {
			return nil, fmt.Errorf("cpu: %s: input %d (%s) is %s, want %s", e.name, i, p.name, shape, p.shape)
		}
		flat, err := e.backend.BufferData(inputs[i])
		if err != nil {
			return nil, err
		}
		owned := i < len(donate) && donate[i]
		st := &storage{buf: inputs[i], flat: flat, shape: shape, owned: owned, refs: e.uses[p.idx]}
		if st.refs == 0 && owned {
			_ = e.backend.BufferFinalize(inputs[i])
			continue
		}
		r.vals[p.idx] = &value{st: st, shape: p.shape}
	}
	for _, n := range e.order {
		in := make([]*value, len(e.args[n.idx]))
		for i, x := range e.args[n.idx] {
			if x.outs == nil || x.tuple != nil {
				in[i] = r.vals[x.idx]
			}
		}
		var start time.Time
		profiling := profile.on.Load()
		if profiling {
			start = time.Now()
		}
		v, err := e.kernels[n.idx](r, n, in)
		if profiling {
			e.record(n, time.Since(start))
		}
		if err != nil {
			return nil, fmt.Errorf("cpu: %s: %s: %w", e.name, n.op, err)
		}
		if v != nil {
			v.st.refs += e.uses[n.idx]
			r.vals[n.idx] = v
		}
		for _, x := range in {
			r.release(x)
		}
	}
	outs = make([]backends.Buffer, len(e.outputs))
	for i, o := range e.outputs {
		v := r.vals[o.idx]
		if v.st.owned && !v.st.returned && slices.Equal(v.st.shape.Dimensions, o.shape.Dimensions) {
			v.st.returned = true
			outs[i] = v.st.buf
			continue
		}
		c, err := r.alloc(o.shape)
		if err != nil {
			return nil, err
		}
		copyFlat(c.st.flat, v.st.flat)
		outs[i] = c.st.buf
		r.release(v)
	}
	return outs, nil
}

// Finalize implements backends.Executable.
func (e *Executable) Finalize() {
	for _, st := range e.consts {
		_ = e.backend.BufferFinalize(st.buf)
	}
	e.consts = nil
}

// Inputs implements backends.Executable.
func (e *Executable) Inputs() ([]string, []shapes.Shape) {
	names := make([]string, len(e.params))
	ss := make([]shapes.Shape, len(e.params))
	for i, p := range e.params {
		names[i], ss[i] = p.name, p.shape
	}
	return names, ss
}

// Outputs implements backends.Executable.
func (e *Executable) Outputs() []shapes.Shape {
	ss := make([]shapes.Shape, len(e.outputs))
	for i, o := range e.outputs {
		ss[i] = o.shape
	}
	return ss
}
