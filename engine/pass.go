package engine

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// maskValue replaces the scores of masked keys. It is large, negative and
// finite: a query that sees no key at all (a pad query in a left-padded row)
// then gets a uniform softmax instead of NaN, and NaN never reaches real
// tokens through 0·NaN in later layers.
const maskValue = -math.MaxFloat32

// Pass is the graph-building context of one forward pass, handed to a
// family's Forward and Logits. It holds the inputs (token ids, position ids),
// the model's parameters as graph nodes, the steering and capture requests,
// and the KV cache when generating.
type Pass struct {
	g *Graph

	// Tokens holds the token ids, int32 [Batch, Len].
	Tokens *Node
	// Positions holds the position ids, int32 [Batch, Len]: for each row the
	// number of real tokens before each slot (pads get the position of the
	// next real token, clamped to 0…MaxPositions−1).
	Positions *Node
	// Batch and Len are the (bucketed) shape of Tokens.
	Batch, Len int

	params map[string]*Node

	// keyValid is bool [Batch, S]: which key slots hold real tokens.
	keyValid *Node
	// offset is the int32 scalar cache slot of the first token of this pass
	// (nil without cache: slot = position in this pass).
	offset         *Node
	cacheK, cacheV []*Node
	newK, newV     []*Node

	// Points steers and captures the intervention points (Point); its
	// selected positions are bool [Batch, Len].
	*Points
}

// Graph returns the graph being built.
func (p *Pass) Graph() *Graph { return p.g }

// Weight returns the parameter called name (as in Arch.Params) as a node.
// An unknown name panics: it is a bug in the family.
func (p *Pass) Weight(name string) *Node {
	n, ok := p.params[name]
	if !ok {
		panic("engine: family asked for unknown parameter " + name)
	}
	return n
}

// AttnOptions are the family-specific parts of attention.
type AttnOptions struct {
	// Scale multiplies q·k (1/√head_dim unless the family says otherwise).
	Scale float64
	// Softcap, when positive, caps scores as Softcap·tanh(s/Softcap) before
	// the mask is applied (Gemma-2).
	Softcap float64
	// Window, when positive, lets a query see only the Window most recent
	// slots, itself included (keys j with i−Window < j ≤ i). Slots are
	// cache positions, padding included, as transformers' sliding masks
	// count them (not position ids).
	Window int
	// Bidirectional lets every query see every real key of the pass,
	// before and after it (encoders); only padding is masked. It cannot
	// be combined with a KV cache or a Window.
	Bidirectional bool
	// Bias, when not nil, is added to the scaled scores before
	// soft-capping and masking, scores = Scale·q·kᵀ + Bias: float32
	// [Batch or 1, H, Len, S], S the key slots (Len without a KV cache,
	// the cache's length with one). T5 passes its relative position bias
	// here.
	Bias *Node
}

// Valid returns which slots of the pass hold real tokens: bool [Batch, Len],
// false at padding. Encoders use it where the model reads padding from
// the token ids (RoBERTa's position ids). It panics when the pass has a KV
// cache (its slots are not the pass's own).
func (p *Pass) Valid() *Node {
	if p.offset != nil {
		panic("engine: Pass.Valid is not available in a pass with a KV cache")
	}
	return p.keyValid
}

// Attend computes causal (or, with o.Bidirectional, padding-masked)
// multi-head attention with grouped key/value heads and returns the merged
// heads [Batch, Len, H·hd]. q is [Batch, Len, H, hd],
// k and v [Batch, Len, KV, hd] with H a multiple of KV; query head h uses
// key/value head h / (H/KV). layer indexes the KV cache: when generating,
// k and v are written into the cache at the pass's offset and the query
// attends over every valid cached slot up to its own.
func (p *Pass) Attend(layer int, q, k, v *Node, o AttnOptions) *Node {
	g := p.g
	B, T := p.Batch, p.Len
	H, hd := q.Shape().Dimensions[2], q.Shape().Dimensions[3]
	KV := k.Shape().Dimensions[2]
	G := H / KV

	if o.Bidirectional && (p.offset != nil || o.Window > 0) {
		panic("engine: bidirectional attention cannot use a KV cache or a window")
	}
	// Keys and values are head-major, [B, KV, S, hd], as the cache keeps
	// them: attention reads each head's slots contiguously and the cache is
	// never transposed.
	keys := TransposeAllAxes(k, 0, 2, 1, 3)   // [B,KV,T,hd]
	values := TransposeAllAxes(v, 0, 2, 1, 3) // [B,KV,T,hd]
	var qslot *Node                           // int32 [T]: slot of each query
	iotaT := Iota(g, shapes.Make(dtypes.Int32, T), 0)
	if p.offset != nil {
		qslot = Add(iotaT, p.offset)
		keys = writeCache(p.cacheK[layer], keys, p.offset)
		values = writeCache(p.cacheV[layer], values, p.offset)
		p.newK[layer], p.newV[layer] = keys, values
	} else {
		qslot = iotaT
	}
	S := keys.Shape().Dimensions[2]

	qh := TransposeAllAxes(Reshape(q, B, T, KV, G, hd), 0, 2, 3, 1, 4) // [B,KV,G,T,hd]
	kh, vh := keys, values
	scores := Einsum("bkgtd,bksd->bkgts", qh, kh)
	scores = MulScalar(scores, o.Scale)
	if o.Bias != nil {
		scores = Add(scores, biasLike(o.Bias, scores))
	}
	if o.Softcap > 0 {
		scores = MulScalar(Tanh(DivScalar(scores, o.Softcap)), o.Softcap)
	}

	// mask[b,t,s] = valid[b,s] && s <= qslot[t] && (no window || s > qslot[t]-W);
	// bidirectional: valid[b,s] alone.
	mask := BroadcastToDims(Reshape(p.keyValid, B, 1, S), B, T, S)
	if !o.Bidirectional {
		sIdx := Iota(g, shapes.Make(dtypes.Int32, T, S), 1)
		qs := BroadcastToDims(Reshape(qslot, T, 1), T, S)
		causal := LessOrEqual(sIdx, qs)
		if o.Window > 0 {
			causal = LogicalAnd(causal, GreaterThan(sIdx, SubScalar(qs, float64(o.Window))))
		}
		mask = LogicalAnd(BroadcastToDims(Reshape(causal, 1, T, S), B, T, S), mask)
	}
	mask = BroadcastToDims(Reshape(mask, B, 1, 1, T, S), B, KV, G, T, S)
	scores = Where(mask, scores, Const(g, float32(maskValue)))
	probs := Softmax(scores, -1)
	out := Einsum("bkgts,bksd->bkgtd", probs, vh) // [B,KV,G,T,hd]
	out = TransposeAllAxes(out, 0, 3, 1, 2, 4)    // [B,T,KV,G,hd]
	return Reshape(out, B, T, H*hd)
}

// biasLike lays out an attention bias [B or 1, H, T, S] as scores
// [B, KV, G, T, S] are: query head h = kv·G + g, as Attend groups the
// heads.
func biasLike(bias, scores *Node) *Node {
	d := scores.Shape().Dimensions
	bd := bias.Shape().Dimensions
	if len(bd) != 4 || (bd[0] != 1 && bd[0] != d[0]) || bd[1] != d[1]*d[2] || bd[2] != d[3] || bd[3] != d[4] {
		panic(fmt.Sprintf("engine: attention bias has shape %v, want [%d or 1, %d, %d, %d]", bd, d[0], d[1]*d[2], d[3], d[4]))
	}
	return BroadcastToDims(Reshape(bias, bd[0], d[1], d[2], d[3], d[4]), d...)
}

// writeCache returns cache [B,KV,S,hd] with x [B,KV,T,hd] written at slots
// offset … offset+T−1. Backends that have DynamicUpdateSlice (the CPU
// backend, XLA) write the slots in place when the cache buffer is donated
// (see Model.run), so a step costs the same whatever the cache's length.
// GoMLX's pure-Go backend has no such operation: there x is placed with a
// one-hot [T,S] contraction (every output is one product by 1 plus zeros,
// hence exact) and selected into a copy of the cache.
func writeCache(cache, x, offset *Node) *Node {
	g := cache.Graph()
	if g.Backend().Capabilities().Operations[backends.OpTypeDynamicUpdateSlice] {
		zero := ScalarZero(g, offset.DType())
		return DynamicUpdateSlice(cache, x, []*Node{zero, zero, offset, zero})
	}
	dims := cache.Shape().Dimensions
	B, KV, S, hd := dims[0], dims[1], dims[2], dims[3]
	T := x.Shape().Dimensions[2]
	sIdx := Iota(g, shapes.Make(dtypes.Int32, T, S), 1)
	slots := Add(Iota(g, shapes.Make(dtypes.Int32, T), 0), offset)
	hit := Equal(sIdx, BroadcastToDims(Reshape(slots, T, 1), T, S)) // [T,S]
	place := ConvertDType(hit, dtypes.Float32)
	placed := Einsum("ts,bktd->bksd", place, x)
	covered := ReduceLogicalOr(hit, 0) // [S]
	covered = BroadcastToDims(Reshape(covered, 1, 1, S, 1), B, KV, S, hd)
	return Where(covered, placed, cache)
}
