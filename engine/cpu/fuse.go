package cpu

import (
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/actsh/actsh/internal/vecf32"
)

// Elementwise fusion. Elementwise operations (arithmetic, comparisons,
// selections, conversions and broadcasts) whose intermediate values are
// used only inside one group run as one loop over the output, a chunk at a
// time: the intermediates live in small scratch buffers, never in memory
// the size of the tensor, and the loop is split over the cores.

// chunk is the number of elements evaluated per step of a fused loop.
const chunk = 1024

// elementwise lists the operations that fuse, with the dtypes they accept.
var elementwiseOps = map[backends.OpType]bool{
	backends.OpTypeNeg: true, backends.OpTypeAbs: true, backends.OpTypeExp: true, backends.OpTypeLog: true,
	backends.OpTypeTanh: true, backends.OpTypeLogistic: true, backends.OpTypeSqrt: true, backends.OpTypeRsqrt: true,
	backends.OpTypeSin: true, backends.OpTypeCos: true, backends.OpTypeIdentity: true, backends.OpTypeFloor: true,
	backends.OpTypeCeil: true, backends.OpTypeSign: true, backends.OpTypeLogicalNot: true,
	backends.OpTypeAdd: true, backends.OpTypeSub: true, backends.OpTypeMul: true, backends.OpTypeDiv: true,
	backends.OpTypeMax: true, backends.OpTypeMin: true, backends.OpTypePow: true,
	backends.OpTypeEqual: true, backends.OpTypeNotEqual: true, backends.OpTypeLessThan: true,
	backends.OpTypeLessOrEqual: true, backends.OpTypeGreaterThan: true, backends.OpTypeGreaterOrEqual: true,
	backends.OpTypeLogicalAnd: true, backends.OpTypeLogicalOr: true, backends.OpTypeLogicalXor: true,
	backends.OpTypeWhere: true, backends.OpTypeConvertDType: true, backends.OpTypeBroadcastInDim: true,
}

func laneType(d dtypes.DType) bool {
	return d == dtypes.Float32 || d == dtypes.Int32 || d == dtypes.Bool
}

// fusible reports whether n can be part of a fused loop: an elementwise
// operation on float32, int32 and bool values with the dimensions of its
// output (or scalars, or a broadcast's operand).
func fusible(n *Node) bool {
	if !elementwiseOps[n.op] || n.tuple != nil || !laneType(n.shape.DType) {
		return false
	}
	for _, in := range n.inputs {
		if !laneType(in.shape.DType) {
			return false
		}
	}
	switch n.op {
	case backends.OpTypeBroadcastInDim:
		return true
	case backends.OpTypePow, backends.OpTypeSin, backends.OpTypeCos, backends.OpTypeFloor, backends.OpTypeCeil,
		backends.OpTypeSign, backends.OpTypeExp, backends.OpTypeLog, backends.OpTypeTanh, backends.OpTypeLogistic,
		backends.OpTypeSqrt, backends.OpTypeRsqrt:
		if n.shape.DType != dtypes.Float32 {
			return false
		}
	}
	for _, in := range n.inputs {
		if in.shape.Rank() != 0 && in.shape.Rank() != n.shape.Rank() {
			return false
		}
	}
	return true
}

// lane is one value of a fused loop over a chunk: one of the slices is
// used, by the value's dtype.
type lane struct {
	f []float32
	i []int32
	b []bool
}

// leaf is an input of a fused loop: a value computed elsewhere, read with
// the strides of the loop's output index space (0 on broadcast axes).
type leaf struct {
	node     *Node
	strides  []int // per output axis
	constant bool  // one value over each row of the loop
	slot     int   // its lane
}

// instr is one operation of a fused loop: out = op(args) on lanes.
type instr struct {
	n    *Node
	out  int
	args []int
}

// fusion is a compiled fused loop producing root.
type fusion struct {
	root   *Node
	dims   []int // output dimensions
	leaves []leaf
	prog   []instr
	slots  []dtypes.DType // per lane slot (leaves and instructions)
	result int            // the slot of the root's value
	pool   sync.Pool      // of scratch lanes ([]lane)
	// The output axes split..rank−1 form the rows of the loop (inner
	// elements each): over them every leaf is either contiguous or
	// constant. Rows iterate over the axes before split.
	split, inner int
}

// plan groups elementwise nodes into fused loops: a fusible node whose
// uses are all fusible consumers of the same dimensions that run in one
// loop joins that loop (one use: its consumer's; several: a value shared
// inside the loop, computed once per chunk). It returns the loops by root
// index and the set of nodes absorbed into another's loop.
func plan(order []*Node, uses []int, isOutput []bool) (map[int]*fusion, []bool) {
	absorbed := make([]bool, len(uses))
	consumers := make([][]*Node, len(uses))
	for _, n := range order {
		for _, in := range n.inputs {
			consumers[in.idx] = append(consumers[in.idx], n)
		}
	}
	// root[i] is the index of the loop node i runs in; consumers come after
	// their inputs in order, so walking it backwards settles them first.
	root := make([]int, len(uses))
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		root[n.idx] = n.idx
		cs := consumers[n.idx]
		if !fusible(n) || isOutput[n.idx] || len(cs) == 0 || len(cs) != uses[n.idx] {
			continue
		}
		r := root[cs[0].idx]
		joins := true
		for _, c := range cs {
			if !fusible(c) || root[c.idx] != r || !slices.Equal(n.shape.Dimensions, c.shape.Dimensions) {
				joins = false
				break
			}
		}
		if joins {
			absorbed[n.idx] = true
			root[n.idx] = r
		}
	}
	loops := map[int]*fusion{}
	for _, n := range order {
		if absorbed[n.idx] || !fusible(n) {
			continue
		}
		loops[n.idx] = buildFusion(n, absorbed)
	}
	return loops, absorbed
}

func buildFusion(root *Node, absorbed []bool) *fusion {
	f := &fusion{root: root, dims: root.shape.Dimensions}
	slotOf := map[*Node]int{}
	leafSlot := map[string]int{}
	var visit func(n *Node, strides []int) int
	// addLeaf returns the lane slot of value x read with strides.
	addLeaf := func(x *Node, strides []int) int {
		key := strconv.Itoa(x.idx) + ":" + intsKey(strides)
		if s, ok := leafSlot[key]; ok {
			return s
		}
		s := len(f.slots)
		f.leaves = append(f.leaves, leaf{node: x, strides: strides, slot: s})
		f.slots = append(f.slots, x.shape.DType)
		leafSlot[key] = s
		return s
	}
	// direct is the strides of an input with the output's rank (or a
	// scalar) read in the output's index space.
	direct := func(x *Node) []int {
		st := make([]int, len(f.dims))
		if x.shape.Rank() == 0 {
			return st
		}
		rs := rowMajorStrides(x.shape.Dimensions)
		for a, d := range x.shape.Dimensions {
			if d != 1 || f.dims[a] == 1 {
				st[a] = rs[a]
			}
		}
		return st
	}
	visit = func(n *Node, _ []int) int {
		if s, ok := slotOf[n]; ok {
			return s
		}
		if n.op == backends.OpTypeBroadcastInDim {
			// The operand is read through the broadcast.
			x := n.inputs[0]
			axes := n.params.(*broadcastParams).axes
			st := make([]int, len(f.dims))
			rs := rowMajorStrides(x.shape.Dimensions)
			for i, a := range axes {
				if x.shape.Dimensions[i] != 1 {
					st[a] = rs[i]
				}
			}
			s := addLeaf(x, st)
			slotOf[n] = s
			return s
		}
		args := make([]int, len(n.inputs))
		for i, in := range n.inputs {
			if absorbed[in.idx] {
				args[i] = visit(in, nil)
			} else {
				args[i] = addLeaf(in, direct(in))
			}
		}
		s := len(f.slots)
		f.slots = append(f.slots, n.shape.DType)
		f.prog = append(f.prog, instr{n: n, out: s, args: args})
		slotOf[n] = s
		return s
	}
	f.result = visit(root, nil)
	f.pool.New = func() any { return f.scratch() }
	// The trailing block: the longest run of trailing axes over which
	// every leaf is either constant or laid out as the output is.
	f.split = len(f.dims)
	f.inner = 1
	for a := len(f.dims) - 1; a >= 0; a-- {
		ok := true
		for _, l := range f.leaves {
			if !constantOver(l.strides, f.dims, a) && !contiguousOver(l.strides, f.dims, a) {
				ok = false
			}
		}
		if !ok {
			break
		}
		f.split = a
		f.inner *= f.dims[a]
	}
	for i, l := range f.leaves {
		f.leaves[i].constant = constantOver(l.strides, f.dims, f.split)
	}
	return f
}

// constantOver reports whether a leaf read with strides has one value
// over the output axes from..rank−1 (axes of size 1 do not count).
func constantOver(strides, dims []int, from int) bool {
	for a := from; a < len(dims); a++ {
		if dims[a] > 1 && strides[a] != 0 {
			return false
		}
	}
	return true
}

// contiguousOver reports whether a leaf is laid out as the output over
// the axes from..rank−1.
func contiguousOver(strides, dims []int, from int) bool {
	size := 1
	for a := len(dims) - 1; a >= from; a-- {
		if dims[a] > 1 && strides[a] != size {
			return false
		}
		size *= dims[a]
	}
	return true
}

func intsKey(s []int) string {
	b := make([]byte, 0, 4*len(s))
	for _, v := range s {
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	return string(b)
}

// kernel returns the fused loop's kernel.
func (f *fusion) kernel() kernel {
	return func(r *run, n *Node, leafVals []*value) (*value, error) {
		var out *value
		for i, l := range f.leaves {
			if leafVals[i].st.refs == 1 && reusable(leafVals[i], n.shape) && slices.Equal(l.strides, rowMajorStrides(f.dims)) {
				out = leafVals[i]
				break
			}
		}
		if out == nil {
			var err error
			if out, err = r.alloc(n.shape); err != nil {
				return nil, err
			}
		}
		total := n.shape.Size()
		if total == 0 {
			return out, nil
		}
		rows := total / f.inner
		// Work items: (row, chunk of the row).
		per := (f.inner + chunk - 1) / chunk
		items := rows * per
		parallelFor(items, total, func(lo, hi int) {
			sc := f.pool.Get().([]lane)
			defer f.pool.Put(sc)
			for it := lo; it < hi; it++ {
				row, c := it/per, it%per
				start := c * chunk
				m := min(chunk, f.inner-start)
				f.evalChunk(sc, leafVals, out, row, start, m)
			}
		})
		return out, nil
	}
}

// scratch allocates one chunk of lanes per slot.
func (f *fusion) scratch() []lane {
	ls := make([]lane, len(f.slots))
	for i, d := range f.slots {
		switch d {
		case dtypes.Float32:
			ls[i].f = make([]float32, chunk)
		case dtypes.Int32:
			ls[i].i = make([]int32, chunk)
		case dtypes.Bool:
			ls[i].b = make([]bool, chunk)
		}
	}
	return ls
}

// rowOffset returns the flat offset, in a value read with strides, of the
// first element of output row row.
func (f *fusion) rowOffset(strides []int, row int) int {
	off := 0
	for a := f.split - 1; a >= 0; a-- {
		d := f.dims[a]
		off += (row % d) * strides[a]
		row /= d
	}
	return off
}

// evalChunk computes m elements of output row row from start.
func (f *fusion) evalChunk(ls []lane, leafVals []*value, out *value, row, start, m int) {
	for i, l := range f.leaves {
		base := f.rowOffset(l.strides, row)
		contiguous := !l.constant
		v := leafVals[i]
		ln := &ls[l.slot]
		switch f.slots[l.slot] {
		case dtypes.Float32:
			src := v.st.flat.([]float32)
			if contiguous {
				ln.f = src[base+start : base+start+m]
			} else {
				fill(ln.f[:m], src[base])
			}
		case dtypes.Int32:
			src := v.st.flat.([]int32)
			if contiguous {
				ln.i = src[base+start : base+start+m]
			} else {
				fill(ln.i[:m], src[base])
			}
		case dtypes.Bool:
			src := v.st.flat.([]bool)
			if contiguous {
				ln.b = src[base+start : base+start+m]
			} else {
				fill(ln.b[:m], src[base])
			}
		}
	}
	for _, in := range f.prog {
		evalInstr(in, ls, m)
	}
	o := row*f.inner + start
	res := ls[f.result]
	switch d := out.st.flat.(type) {
	case []float32:
		copy(d[o:o+m], res.f[:m])
	case []int32:
		copy(d[o:o+m], res.i[:m])
	case []bool:
		copy(d[o:o+m], res.b[:m])
	}
}

func fill[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

func evalInstr(in instr, ls []lane, m int) {
	o := &ls[in.out] // a scratch slot: leaves have slots of their own
	a := ls[in.args[0]]
	n := in.n
	switch n.op {
	case backends.OpTypeConvertDType:
		convertLane(o, a, n.inputs[0].shape.DType, n.shape.DType, m)
		return
	case backends.OpTypeWhere:
		cond, t, e := a, ls[in.args[1]], ls[in.args[2]]
		switch n.shape.DType {
		case dtypes.Float32:
			for j := range m {
				if cond.b[j] {
					o.f[j] = t.f[j]
				} else {
					o.f[j] = e.f[j]
				}
			}
		case dtypes.Int32:
			for j := range m {
				if cond.b[j] {
					o.i[j] = t.i[j]
				} else {
					o.i[j] = e.i[j]
				}
			}
		case dtypes.Bool:
			for j := range m {
				o.b[j] = (cond.b[j] && t.b[j]) || (!cond.b[j] && e.b[j])
			}
		}
		return
	}
	if len(in.args) == 1 {
		unaryLane(n.op, n.shape.DType, o, a, m)
		return
	}
	b := ls[in.args[1]]
	switch n.inputs[0].shape.DType {
	case dtypes.Float32:
		if n.shape.DType == dtypes.Bool {
			compareLane(n.op, o.b[:m], a.f[:m], b.f[:m])
		} else {
			binaryF32(n.op, o.f[:m], a.f[:m], b.f[:m])
		}
	case dtypes.Int32:
		if n.shape.DType == dtypes.Bool {
			compareLane(n.op, o.b[:m], a.i[:m], b.i[:m])
		} else {
			binaryI32(n.op, o.i[:m], a.i[:m], b.i[:m])
		}
	case dtypes.Bool:
		x, y, z := o.b[:m], a.b[:m], b.b[:m]
		switch n.op {
		case backends.OpTypeLogicalAnd:
			for j := range x {
				x[j] = y[j] && z[j]
			}
		case backends.OpTypeLogicalOr:
			for j := range x {
				x[j] = y[j] || z[j]
			}
		case backends.OpTypeLogicalXor, backends.OpTypeNotEqual:
			for j := range x {
				x[j] = y[j] != z[j]
			}
		case backends.OpTypeEqual:
			for j := range x {
				x[j] = y[j] == z[j]
			}
		default:
			panic("cpu: fused " + n.op.String() + " on bool")
		}
	}
}

func binaryF32(op backends.OpType, o, a, b []float32) {
	switch op {
	case backends.OpTypeAdd:
		vecf32.Add(o, a, b)
	case backends.OpTypeSub:
		vecf32.Sub(o, a, b)
	case backends.OpTypeMul:
		vecf32.Mul(o, a, b)
	case backends.OpTypeDiv:
		vecf32.Div(o, a, b)
	case backends.OpTypeMax:
		vecf32.Max(o, a, b)
	case backends.OpTypeMin:
		vecf32.Min(o, a, b)
	case backends.OpTypePow:
		for j := range o {
			o[j] = float32(math.Pow(float64(a[j]), float64(b[j])))
		}
	default:
		panic("cpu: fused " + op.String() + " on float32")
	}
}

// maxF32 and minF32 propagate NaN, as XLA's max and min do.
func maxF32(a, b float32) float32 {
	if a != a || a > b {
		return a
	}
	return b
}

func minF32(a, b float32) float32 {
	if a != a || a < b {
		return a
	}
	return b
}

func binaryI32(op backends.OpType, o, a, b []int32) {
	switch op {
	case backends.OpTypeAdd:
		for j := range o {
			o[j] = a[j] + b[j]
		}
	case backends.OpTypeSub:
		for j := range o {
			o[j] = a[j] - b[j]
		}
	case backends.OpTypeMul:
		for j := range o {
			o[j] = a[j] * b[j]
		}
	case backends.OpTypeDiv:
		for j := range o {
			o[j] = a[j] / b[j]
		}
	case backends.OpTypeMax:
		for j := range o {
			o[j] = max(a[j], b[j])
		}
	case backends.OpTypeMin:
		for j := range o {
			o[j] = min(a[j], b[j])
		}
	default:
		panic("cpu: fused " + op.String() + " on int32")
	}
}

func compareLane[T float32 | int32](op backends.OpType, o []bool, a, b []T) {
	switch op {
	case backends.OpTypeEqual:
		for j := range o {
			o[j] = a[j] == b[j]
		}
	case backends.OpTypeNotEqual:
		for j := range o {
			o[j] = a[j] != b[j]
		}
	case backends.OpTypeLessThan:
		for j := range o {
			o[j] = a[j] < b[j]
		}
	case backends.OpTypeLessOrEqual:
		for j := range o {
			o[j] = a[j] <= b[j]
		}
	case backends.OpTypeGreaterThan:
		for j := range o {
			o[j] = a[j] > b[j]
		}
	case backends.OpTypeGreaterOrEqual:
		for j := range o {
			o[j] = a[j] >= b[j]
		}
	default:
		panic("cpu: fused comparison " + op.String())
	}
}

func convertLane(o *lane, a lane, from, to dtypes.DType, m int) {
	switch {
	case from == to:
		switch to {
		case dtypes.Float32:
			copy(o.f[:m], a.f[:m])
		case dtypes.Int32:
			copy(o.i[:m], a.i[:m])
		case dtypes.Bool:
			copy(o.b[:m], a.b[:m])
		}
	case from == dtypes.Bool && to == dtypes.Float32:
		for j := range m {
			o.f[j] = 0
			if a.b[j] {
				o.f[j] = 1
			}
		}
	case from == dtypes.Bool && to == dtypes.Int32:
		for j := range m {
			o.i[j] = 0
			if a.b[j] {
				o.i[j] = 1
			}
		}
	case from == dtypes.Int32 && to == dtypes.Float32:
		for j := range m {
			o.f[j] = float32(a.i[j])
		}
	case from == dtypes.Float32 && to == dtypes.Int32:
		for j := range m {
			o.i[j] = int32(a.f[j])
		}
	case to == dtypes.Bool && from == dtypes.Float32:
		for j := range m {
			o.b[j] = a.f[j] != 0
		}
	case to == dtypes.Bool && from == dtypes.Int32:
		for j := range m {
			o.b[j] = a.i[j] != 0
		}
	}
}

func unaryLane(op backends.OpType, d dtypes.DType, o *lane, a lane, m int) {
	switch d {
	case dtypes.Bool:
		if op != backends.OpTypeLogicalNot && op != backends.OpTypeIdentity {
			panic("cpu: fused " + op.String() + " on bool")
		}
		for j := range m {
			o.b[j] = a.b[j] != (op == backends.OpTypeLogicalNot)
		}
		return
	case dtypes.Int32:
		x, y := o.i[:m], a.i[:m]
		switch op {
		case backends.OpTypeNeg:
			for j := range x {
				x[j] = -y[j]
			}
		case backends.OpTypeAbs:
			for j := range x {
				x[j] = y[j]
				if y[j] < 0 {
					x[j] = -y[j]
				}
			}
		case backends.OpTypeIdentity:
			copy(x, y)
		default:
			panic("cpu: fused " + op.String() + " on int32")
		}
		return
	}
	x, y := o.f[:m], a.f[:m]
	switch op {
	case backends.OpTypeNeg:
		for j := range x {
			x[j] = -y[j]
		}
	case backends.OpTypeAbs:
		for j := range x {
			x[j] = float32(math.Abs(float64(y[j])))
		}
	case backends.OpTypeIdentity:
		copy(x, y)
	case backends.OpTypeExp:
		vecf32.Exp(x, y)
	case backends.OpTypeLog:
		for j := range x {
			x[j] = float32(math.Log(float64(y[j])))
		}
	case backends.OpTypeTanh:
		vecf32.Tanh(x, y)
	case backends.OpTypeLogistic:
		vecf32.Logistic(x, y)
	case backends.OpTypeSqrt:
		for j := range x {
			x[j] = float32(math.Sqrt(float64(y[j])))
		}
	case backends.OpTypeRsqrt:
		for j := range x {
			x[j] = float32(1 / math.Sqrt(float64(y[j])))
		}
	case backends.OpTypeSin:
		for j := range x {
			x[j] = float32(math.Sin(float64(y[j])))
		}
	case backends.OpTypeCos:
		for j := range x {
			x[j] = float32(math.Cos(float64(y[j])))
		}
	case backends.OpTypeFloor:
		for j := range x {
			x[j] = float32(math.Floor(float64(y[j])))
		}
	case backends.OpTypeCeil:
		for j := range x {
			x[j] = float32(math.Ceil(float64(y[j])))
		}
	case backends.OpTypeSign:
		for j := range x {
			switch {
			case y[j] > 0:
				x[j] = 1
			case y[j] < 0:
				x[j] = -1
			default:
				x[j] = y[j]
			}
		}
	default:
		panic("cpu: fused " + op.String() + " on float32")
	}
}
