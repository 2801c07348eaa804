package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// logitsMode says which logits a compiled pass returns.
type logitsMode int

const (
	logitsNone logitsMode = iota
	logitsAll
	logitsLast  // one row per sequence, at the index given by the lastIdx input
	logitsScore // log p(target) at every slot, the targets an input: [B, T] instead of [B, T, V]
)

// graphKey identifies a compiled pass. Everything that is a value (token
// ids, masks, maps, λ, the steered positions) is an input; only shapes and
// the sets of steered and captured points are part of the key.
type graphKey struct {
	batch, length, cache int // cache = 0: no KV cache
	steer, capture       string
	logits               logitsMode
}

type compiled struct {
	g             *Graph
	steerPoints   []string
	capturePoints []string
}

// request is one forward pass's inputs, already padded to bucket shapes.
type request struct {
	B, T, S   int // S: cache capacity, 0 without cache
	tokens    []int32
	positions []int32
	keyValid  []int32 // [B, S or T]
	selected  []int32 // [B, T]
	offset    int
	cacheK    []*tensors.Tensor
	cacheV    []*tensors.Tensor
	steering  *Steering
	steerIn   steerSet // when not nil: the steering inputs, built once for all passes that share it
	capture   []string
	logits    logitsMode
	lastIdx   []int32 // [B], logitsLast only
	targets   []int32 // [B, T], logitsScore only (any valid id where nothing is scored)
}

// steerSet holds the steering inputs of the passes of one generation by
// point: built and moved to the device on the first pass, reused by the
// others (the maps cannot change during a Generate call).
type steerSet map[string][]*tensors.Tensor

type result struct {
	logits     *tensors.Tensor
	captured   map[string]*tensors.Tensor
	newK, newV []*tensors.Tensor
}

func (m *Model) keyFor(r *request) (graphKey, []string) {
	var steerPts []string
	if r.steering != nil {
		for name := range r.steering.Maps {
			steerPts = append(steerPts, name)
		}
		sort.Strings(steerPts)
	}
	var sk []string
	for _, n := range steerPts {
		sk = append(sk, n+"="+mapKind(r.steering.Maps[n]))
	}
	return graphKey{
		batch: r.B, length: r.T, cache: r.S,
		steer:   strings.Join(sk, ","),
		capture: strings.Join(r.capture, ","),
		logits:  r.logits,
	}, steerPts
}

// compile builds and compiles the pass for key. Graph-building panics
// (GoMLX's convention) come back as errors.
func (m *Model) compile(key graphKey, steerPts []string, kinds map[string]string, capturePts []string) (c *compiled, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("engine: build %s graph: %v", m.info.Family, r)
		}
	}()
	info := m.info
	g := NewGraph(m.backend, "actsh_"+info.Family)
	B, T := key.batch, key.length
	S := key.cache
	if S == 0 {
		S = T
	}
	p := &Pass{g: g, Batch: B, Len: T, params: map[string]*Node{}, Points: &Points{}}
	for _, name := range m.paramNames {
		p.params[name] = Parameter(g, name, m.params[name].Shape())
	}
	i32 := func(name string, dims ...int) *Node { return Parameter(g, name, shapes.Make(dtypes.Int32, dims...)) }
	p.Tokens = i32("tokens", B, T)
	p.Positions = i32("positions", B, T)
	kv := i32("key_valid", B, S)
	p.keyValid = NotEqual(kv, ZerosLike(kv))
	sel := i32("selected", B, T)
	p.selected = NotEqual(sel, ZerosLike(sel))
	p.lambda = Parameter(g, "lambda", shapes.Make(dtypes.Float32))
	p.steer = map[string]*steerInputs{}
	for _, name := range steerPts {
		p.steer[name] = newSteerInputs(g, name, m.pointWidth[name], kinds[name])
	}
	if key.cache > 0 {
		p.offset = i32("offset")
		L := info.NumLayers
		p.cacheK, p.cacheV = make([]*Node, L), make([]*Node, L)
		p.newK, p.newV = make([]*Node, L), make([]*Node, L)
		cs := shapes.Make(dtypes.Float32, B, info.NumKeyValueHeads, S, info.HeadDim)
		for l := range L {
			p.cacheK[l] = Parameter(g, fmt.Sprintf("cache_k.%d", l), cs)
			p.cacheV[l] = Parameter(g, fmt.Sprintf("cache_v.%d", l), cs)
		}
	}
	var lastIdx, targets *Node
	switch key.logits {
	case logitsLast:
		lastIdx = i32("last_idx", B)
	case logitsScore:
		targets = i32("targets", B, T)
	}
	p.capture = map[string]bool{}
	for _, n := range capturePts {
		p.capture[n] = true
	}
	p.order = capturePts
	p.captured = map[string]*Node{}

	h := m.arch.Forward(p)
	var outs []*Node
	switch key.logits {
	case logitsAll:
		outs = append(outs, m.arch.Logits(p, h))
	case logitsLast:
		rows := Iota(g, shapes.Make(dtypes.Int32, B), 0)
		idx := Stack([]*Node{rows, lastIdx}, 1) // [B, 2]
		last := Reshape(Gather(h, idx), B, 1, info.HiddenSize)
		outs = append(outs, m.arch.Logits(p, last))
	case logitsScore:
		outs = append(outs, targetLogProbs(m.arch.Logits(p, h), targets))
	}
	captured, err := p.Captured()
	if err != nil {
		return nil, fmt.Errorf("%w (%s family)", err, info.Family)
	}
	outs = append(outs, captured...)
	if key.cache > 0 {
		for l := range info.NumLayers {
			if p.newK[l] == nil {
				return nil, fmt.Errorf("engine: %s family did not attend in layer %d", info.Family, l)
			}
			outs = append(outs, p.newK[l], p.newV[l])
		}
	}
	g.Compile(outs...)
	m.compilations.Add(1)
	return &compiled{g: g, steerPoints: steerPts, capturePoints: capturePts}, nil
}

// run executes one pass, compiling it on first use of its key.
func (m *Model) run(r *request) (res *result, err error) {
	key, steerPts := m.keyFor(r)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("engine: %s model was closed", m.info.Family)
	}
	c, ok := m.graphs[key]
	if !ok {
		kinds := map[string]string{}
		for _, n := range steerPts {
			kinds[n] = mapKind(r.steering.Maps[n])
		}
		c, err = m.compile(key, steerPts, kinds, r.capture)
		if err != nil {
			return nil, err
		}
		m.graphs[key] = c
	}
	S := r.S
	if S == 0 {
		S = r.T
	}
	inputs := make([]any, 0, len(m.paramNames)+16)
	for _, name := range m.paramNames {
		inputs = append(inputs, m.params[name])
	}
	inputs = append(inputs,
		tensors.FromFlatDataAndDimensions(r.tokens, r.B, r.T),
		tensors.FromFlatDataAndDimensions(r.positions, r.B, r.T),
		tensors.FromFlatDataAndDimensions(r.keyValid, r.B, S),
		tensors.FromFlatDataAndDimensions(r.selected, r.B, r.T))
	var lambda float32
	if r.steering != nil {
		lambda = r.steering.Strength
	}
	inputs = append(inputs, tensors.FromScalar(lambda))
	for _, name := range steerPts {
		ts, ok := r.steerIn[name]
		if !ok {
			if ts, err = steerTensors(name, r.steering.Maps[name], m.pointWidth[name]); err != nil {
				return nil, err
			}
			if r.steerIn != nil {
				r.steerIn[name] = ts
			}
		}
		for _, t := range ts {
			inputs = append(inputs, t)
		}
	}
	if r.S > 0 {
		inputs = append(inputs, tensors.FromScalar(int32(r.offset)))
		// The cache is donated: the pass writes its new slots in place
		// (backends with DynamicUpdateSlice) and returns it as newK/newV;
		// the request's tensors are invalid afterwards.
		for l := range m.info.NumLayers {
			for _, c := range []*tensors.Tensor{r.cacheK[l], r.cacheV[l]} {
				d, err := DonateTensorBuffer(c, m.backend, 0)
				if err != nil {
					return nil, fmt.Errorf("engine: run %s pass: donate the KV cache: %w", m.info.Family, err)
				}
				inputs = append(inputs, d)
			}
		}
	}
	switch r.logits {
	case logitsLast:
		inputs = append(inputs, tensors.FromFlatDataAndDimensions(r.lastIdx, r.B))
	case logitsScore:
		inputs = append(inputs, tensors.FromFlatDataAndDimensions(r.targets, r.B, r.T))
	}
	outs, err := runGraph(c.g, inputs)
	if err != nil {
		return nil, fmt.Errorf("engine: run %s pass [%d×%d]: %w", m.info.Family, r.B, r.T, err)
	}
	res = &result{captured: map[string]*tensors.Tensor{}}
	i := 0
	if r.logits != logitsNone {
		res.logits = outs[0]
		i++
	}
	for _, n := range c.capturePoints {
		res.captured[n] = outs[i]
		i++
	}
	if r.S > 0 {
		for range m.info.NumLayers {
			res.newK = append(res.newK, outs[i])
			res.newV = append(res.newV, outs[i+1])
			i += 2
		}
	}
	return res, nil
}

// targetLogProbs is log softmax(logits)[b, t, targets[b, t]] in float32:
// [B, T] from [B, T, V], so that scoring a text moves one number per token
// off the device instead of a vocabulary's worth.
func targetLogProbs(logits, targets *Node) *Node {
	g := logits.Graph()
	if logits.DType() != dtypes.Float32 {
		logits = ConvertDType(logits, dtypes.Float32)
	}
	B, T := logits.Shape().Dimensions[0], logits.Shape().Dimensions[1]
	mx := StopGradient(ReduceAndKeep(logits, ReduceMax, -1))
	lse := Add(Log(ReduceAndKeep(Exp(Sub(logits, mx)), ReduceSum, -1)), mx) // [B, T, 1]
	ix := shapes.Make(dtypes.Int32, B, T, 1)
	idx := Concatenate([]*Node{Iota(g, ix, 0), Iota(g, ix, 1), Reshape(targets, B, T, 1)}, -1) // [B, T, 3]
	return Sub(Gather(logits, idx), Reshape(lse, B, T))
}

func runGraph(g *Graph, inputs []any) (outs []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return g.Run(inputs...), nil
}

// bucket rounds a sequence length up to the compiled shape used for it:
// powers of two from 8 to 64, then multiples of 64.
func bucket(n int) int {
	if n > 64 {
		return (n + 63) / 64 * 64
	}
	b := 8
	for b < n {
		b *= 2
	}
	return b
}

// batchBucket rounds a batch size up to a power of two.
func batchBucket(n int) int {
	b := 1
	for b < n {
		b *= 2
	}
	return b
}
