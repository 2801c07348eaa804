package act

import (
	"fmt"
	"strings"

	"github.com/actsh/actsh/act/responses"
)

// Responses holds pooled activations per intervention point for source
// and target samples: what every Fit function estimates a transport from.
// Get them from [Model.Responses] or build them from raw matrices with
// [ResponsesOf].
type Responses struct {
	r    *responses.Set
	from fittedOn // the model they came from (zero for ResponsesOf)
}

// ResponsesOf returns responses for one point from raw matrices
// [sample][unit]: src are the source samples (the behaviour to move away
// from), dst the target samples. Both must be non-empty, rectangular and of
// the same width; the counts may differ. The matrices are not copied.
func ResponsesOf(point string, src, dst [][]float32) *Responses {
	if point == "" {
		fail("responses: empty point name")
	}
	checkMatrix("responses "+point+" source", src)
	checkMatrix("responses "+point+" target", dst)
	if len(src[0]) != len(dst[0]) {
		fail("responses %s: source has %d units, target has %d", point, len(src[0]), len(dst[0]))
	}
	return &Responses{r: responses.FromMatrices(point, src, dst)}
}

// Add stores the responses of one more point (or replaces a point's), with
// the same checks as [ResponsesOf], and returns r.
func (r *Responses) Add(point string, src, dst [][]float32) *Responses {
	ResponsesOf(point, src, dst) // checks
	r.set().Add(point, src, dst)
	return r
}

// Points returns the intervention points held, in module order.
func (r *Responses) Points() []string {
	return append([]string(nil), r.set().Points...)
}

// Source returns the source responses of a point, [sample][unit].
func (r *Responses) Source(point string) [][]float32 {
	src, _ := r.point(point)
	return src
}

// Target returns the target responses of a point, [sample][unit].
func (r *Responses) Target(point string) [][]float32 {
	_, dst := r.point(point)
	return dst
}

// String describes the responses: per point, the source and target counts
// and the width.
func (r *Responses) String() string {
	s := r.set()
	var sb strings.Builder
	fmt.Fprintf(&sb, "responses: %d point(s)", len(s.Points))
	m := s.Meta
	if m.Model != "" {
		fmt.Fprintf(&sb, " of %s", m.Model)
	}
	if m.Pooling != "" {
		fmt.Fprintf(&sb, ", pooling %s", m.Pooling)
	}
	if m.Source != "" || m.Target != "" {
		fmt.Fprintf(&sb, ", %s → %s", m.Source, m.Target)
	}
	for _, p := range s.Points {
		src, dst, err := s.Point(p)
		if err != nil {
			fmt.Fprintf(&sb, "\n  %s: %v", p, err)
			continue
		}
		width := 0
		if len(src) > 0 {
			width = len(src[0])
		}
		fmt.Fprintf(&sb, "\n  %s: %d source, %d target, %d units", p, len(src), len(dst), width)
	}
	return sb.String()
}

// set returns the underlying response set, failing on a nil *Responses.
func (r *Responses) set() *responses.Set {
	if r == nil || r.r == nil {
		fail("responses are nil")
	}
	return r.r
}

// point returns a point's matrices, failing with the points held.
func (r *Responses) point(name string) (src, dst [][]float32) {
	src, dst, err := r.set().Point(name)
	must(err)
	return src, dst
}

// responsesFrom wraps a response set (for [Model.Responses]).
func responsesFrom(s *responses.Set) *Responses { return &Responses{r: s} }

func checkMatrix(what string, x [][]float32) {
	if len(x) == 0 {
		fail("%s: no samples", what)
	}
	if len(x[0]) == 0 {
		fail("%s: 0 units", what)
	}
	for i, row := range x {
		if len(row) != len(x[0]) {
			fail("%s: sample %d has %d units, sample 0 has %d", what, i, len(row), len(x[0]))
		}
	}
}
