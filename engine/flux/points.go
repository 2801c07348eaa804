package flux

import (
	"fmt"
	"strings"

	"github.com/actsh/actsh/engine"
)

// Element0 is the suffix of ml-act's name for a module's one output
// tensor: its hooks take "module:0" of a module that returns a tensor as
// the tensor itself, and its responses store that tensor under
// "module:0". A point whose module returns one tensor answers to both
// names (single_transformer_blocks.3 and single_transformer_blocks.3:0).
const Element0 = ":0"

// Points lists the intervention points, named as diffusers' modules with
// ml-act's ":i" for an element of a module's tuple
// (transformer_blocks.3:0 is the text stream, transformer_blocks.3:1 the
// image stream), every one [Config.InnerDim] wide, in PyTorch's module
// order. See the package documentation for which modules are points.
func (m *Model) Points() []engine.Point {
	out := make([]engine.Point, len(m.points))
	D := m.cfg.InnerDim()
	for i, p := range m.points {
		out[i] = engine.Point{Name: p.name, Width: D}
	}
	return out
}

// Point returns the point name stands for: a name of [Model.Points], or
// such a name with [Element0] appended when the module returns one tensor
// (ml-act's single_transformer_blocks.3:0). An unknown name fails naming
// the nearest point; a module that returns a tuple fails naming its
// elements.
func (m *Model) Point(name string) (engine.Point, error) {
	p, err := m.resolve("use", name)
	if err != nil {
		return engine.Point{}, err
	}
	return engine.Point{Name: p.name, Width: m.cfg.InnerDim()}, nil
}

// resolve returns the point of a name, for the error of an action what.
func (m *Model) resolve(what, name string) (pointL, error) {
	if i, ok := m.pointIndex[name]; ok {
		return m.points[i], nil
	}
	if base, ok := strings.CutSuffix(name, Element0); ok && !strings.Contains(base, ":") {
		if i, ok := m.pointIndex[base]; ok {
			return m.points[i], nil
		}
	}
	var elems, names []string
	for _, p := range m.points {
		if strings.HasPrefix(p.name, name+":") {
			elems = append(elems, p.name)
		}
		names = append(names, p.name)
	}
	if len(elems) > 0 {
		return pointL{}, fmt.Errorf("flux: cannot %s %q: the module returns a tuple; name an element: %s", what, name, strings.Join(elems, ", "))
	}
	// A pipeline-level name ("transformer.…") is compared by what follows.
	local := strings.TrimPrefix(name, "transformer.")
	return pointL{}, fmt.Errorf("flux: cannot %s %q: not a FLUX transformer point (nearest: %s)", what, name, engine.Nearest(local, names))
}
