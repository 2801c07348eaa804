package cpu

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// TestFusionPlan checks how elementwise values group into loops: a value
// used several times inside one loop is computed in it (the steering op
// reads its input four times), and a value also read by an operation that
// does not fuse is materialised once.
func TestFusionPlan(t *testing.T) {
	bk, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	must := func(op backends.Op, err error) backends.Op {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	compile := func(name string, build func(b *Builder, x, w backends.Op) []backends.Op) *Executable {
		t.Helper()
		b := bk.Builder(name).(*Builder)
		x := must(b.Parameter("x", shapes.Make(dtypes.Float32, 2, 3, 4), nil))
		w := must(b.Parameter("w", shapes.Make(dtypes.Float32, 4), nil))
		e, err := b.Compile(build(b, x, w), nil)
		if err != nil {
			t.Fatal(err)
		}
		return e.(*Executable)
	}
	shape := shapes.Make(dtypes.Float32, 2, 3, 4)
	// y = tanh(x) shared by four uses, wb = broadcast w shared by two.
	dag := func(b *Builder, x, w backends.Op) (y, out backends.Op) {
		y = must(b.Tanh(x))
		wb := must(b.BroadcastInDim(w, shape, []int{2}))
		a := must(b.Mul(y, wb))
		s := must(b.Add(must(b.Mul(a, y)), wb))
		return y, must(b.Where(must(b.GreaterThan(y, wb)), s, y))
	}
	e := compile("dag", func(b *Builder, x, w backends.Op) []backends.Op {
		_, out := dag(b, x, w)
		return []backends.Op{out}
	})
	if len(e.order) != 1 {
		t.Errorf("one loop expected for a DAG of elementwise values, got %d steps: %v", len(e.order), opsOf(e.order))
	}
	e = compile("shared", func(b *Builder, x, w backends.Op) []backends.Op {
		y, out := dag(b, x, w)
		return []backends.Op{out, must(b.ReduceSum(y, 2))}
	})
	// tanh (materialised: the reduction reads it), the reduction and the
	// loop of the rest.
	if len(e.order) != 3 {
		t.Errorf("three steps expected when a shared value feeds a reduction, got %d: %v", len(e.order), opsOf(e.order))
	}
}

func opsOf(ns []*Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.op.String())
	}
	return out
}
