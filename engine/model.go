package engine

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/tokenizer"
)

// Model is a loaded model ready to run: a family's Arch bound to a backend,
// with its compiled passes cached by shape.
type Model struct {
	arch        Arch
	info        Info
	points      []Point
	pointWidth  map[string]int
	params      map[string]*tensors.Tensor
	paramNames  []string
	backend     backends.Backend
	backendName string

	mu           sync.Mutex
	graphs       map[graphKey]*compiled
	compilations atomic.Int64

	tok       *tokenizer.Tokenizer
	name, dir string
	closed    bool // Close was called
}

// Arch returns the family's model behind m (for family-specific accessors).
func (m *Model) Arch() Arch { return m.arch }

// New builds a model from the bytes of config.json and the weights, using
// the architecture named by the config's "architectures" list.
func New(config []byte, w Weights) (*Model, error) {
	var head struct {
		Architectures []string `json:"architectures"`
	}
	if err := json.Unmarshal(config, &head); err != nil {
		return nil, fmt.Errorf("engine: parse config.json: %w", err)
	}
	if len(head.Architectures) == 0 {
		return nil, fmt.Errorf("engine: config.json has no \"architectures\" entry (registered: %s)", strings.Join(Architectures(), ", "))
	}
	ctor, err := lookup(head.Architectures[0])
	if err != nil {
		return nil, err
	}
	arch, err := ctor(config, w)
	if err != nil {
		return nil, err
	}
	return FromArch(arch)
}

// FromArch binds an already built Arch to the process backend.
func FromArch(arch Arch) (*Model, error) {
	b, name, err := Backend()
	if err != nil {
		return nil, err
	}
	m := &Model{
		arch: arch, info: arch.Info(), points: arch.Points(),
		pointWidth: map[string]int{}, params: arch.Params(),
		backend: b, backendName: name, graphs: map[graphKey]*compiled{},
	}
	for _, p := range m.points {
		m.pointWidth[p.Name] = p.Width
	}
	for n := range m.params {
		m.paramNames = append(m.paramNames, n)
	}
	sort.Strings(m.paramNames)
	// Move the weights into the backend's buffers once, at load: on CPU
	// backends the buffer is shared host memory and the tensor's own copy
	// is freed (one copy of the weights, not two); on a GPU they are
	// uploaded now rather than by the first pass.
	for _, n := range m.paramNames {
		if err := m.params[n].MaterializeOnDevice(b, true, 0); err != nil {
			return nil, fmt.Errorf("engine: move weight %s to the %s backend: %w", n, name, err)
		}
	}
	return m, nil
}

// Info describes the model.
func (m *Model) Info() Info { return m.info }

// BackendName is the backend configuration the model runs on ("go", "xla:cuda").
func (m *Model) BackendName() string { return m.backendName }

// Points lists the intervention points in module order.
func (m *Model) Points() []string {
	out := make([]string, len(m.points))
	for i, p := range m.points {
		out[i] = p.Name
	}
	return out
}

// PointWidth returns the number of units of a point's output, or 0 for an
// unknown point.
func (m *Model) PointWidth(point string) int { return m.pointWidth[point] }

// MatchPoints returns the points whose whole name matches the regular
// expression pattern (like Python's re.fullmatch), in module order. No
// match is an error listing a few valid points.
func (m *Model) MatchPoints(pattern string) ([]string, error) {
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return nil, fmt.Errorf("engine: point pattern %q: %w", pattern, err)
	}
	var out []string
	for _, p := range m.points {
		if re.MatchString(p.Name) {
			out = append(out, p.Name)
		}
	}
	if len(out) == 0 {
		ex := m.Points()
		if len(ex) > 4 {
			ex = ex[:4]
		}
		return nil, fmt.Errorf("engine: no %s point matches %q (points look like %s, ...)", m.info.Family, pattern, strings.Join(ex, ", "))
	}
	return out, nil
}

// Compilations is how many passes this model has compiled so far. Tests use
// it to check that changing values (λ, maps, tokens) does not recompile.
func (m *Model) Compilations() int { return int(m.compilations.Load()) }

// String summarises the model in one line.
func (m *Model) String() string {
	i := m.info
	return fmt.Sprintf("%s (%s): %d layers, hidden %d, vocab %d, backend %s, %d points",
		i.Family, i.Architecture, i.NumLayers, i.HiddenSize, i.VocabSize, m.backendName, len(m.points))
}

// Close frees the model's parameters and compiled passes now rather than
// when the garbage collector gets to them: for a pipeline that loads a
// large encoder, runs it once and lets it go (FLUX's T5 when offloaded).
// The model cannot be used afterwards; a pass on it fails.
func (m *Model) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.graphs {
		c.g.Finalize()
	}
	m.graphs = map[graphKey]*compiled{}
	for _, t := range m.params {
		t.FinalizeAll()
	}
	m.params = map[string]*tensors.Tensor{}
	m.closed = true
}
