package t5

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/actsh/actsh/engine"
)

// Bucket is transformers' T5Attention._relative_position_bucket for the
// encoder (bidirectional): the bucket of key j seen from query i, with
// d = j − i, n = numBuckets/2 buckets per direction and e = n/2 exact ones,
//
//	bucket = n·[d > 0] + |d|                                          if |d| < e
//	bucket = n·[d > 0] + min(n−1, e + ⌊log(|d|/e)/log(maxDistance/e)·(n−e)⌋)  otherwise
//
// The logarithmic part is computed in float32 operation by operation, as
// torch does, and truncated: at distances where the exact value is an
// integer (16, 32, 64 and 128 for T5's 32 buckets over 128) a float64
// computation could land on the other side of it.
func Bucket(d, numBuckets, maxDistance int) int {
	n := numBuckets / 2
	b := 0
	if d > 0 {
		b = n
	}
	a := d
	if a < 0 {
		a = -a
	}
	e := n / 2
	if a < e {
		return b + a
	}
	// torch: (log(a.float() / e) / math.log(maxDistance / e) * (n − e)).long()
	r := float32(a) / float32(e)
	l := float32(math.Log(float64(r)))
	v := l / float32(math.Log(float64(maxDistance)/float64(e))) * float32(n-e)
	return b + min(n-1, e+int(v))
}

// positionBias is block 0's relative position bias for a pass of T slots,
// float32 [1, num_heads, T, T]: relative_attention_bias[Bucket(j − i)] for
// query slot i and key slot j. The buckets of the 2T−1 distances are
// computed on the host; the graph gathers them by j − i + T − 1.
func (m *Model) positionBias(p *engine.Pass) *Node {
	g := p.Graph()
	T := p.Len
	c := m.cfg
	table := make([]int32, 2*T-1)
	for i := range table {
		table[i] = int32(Bucket(i-(T-1), c.RelativeAttentionNumBuckets, c.RelativeAttentionMaxDistance))
	}
	dist := AddScalar(Sub(Iota(g, shapes.Make(dtypes.Int32, T, T), 1), Iota(g, shapes.Make(dtypes.Int32, T, T), 0)), float64(T-1))
	buckets := Reshape(Gather(Reshape(Const(g, table), 2*T-1, 1), ExpandAxes(dist, -1)), T, T)
	bias := engine.Embed(p.Weight(relativeAttentionBias), buckets) // [T, T, H]
	return ExpandAxes(TransposeAllAxes(bias, 2, 0, 1), 0)          // [1, H, T, T]
}
