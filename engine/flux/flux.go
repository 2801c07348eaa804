package flux

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// Model is a loaded FluxTransformer2DModel: its config and parameters, and
// the graphs compiled for it, one per input shape, steering and capture
// plan. Its methods are safe for concurrent use (passes run one at a
// time).
type Model struct {
	cfg        Config
	backend    backends.Backend
	params     map[string]*tensors.Tensor
	names      []string // parameter names in graph order (sorted)
	points     []pointL
	pointIndex map[string]int

	mu     sync.Mutex
	graphs map[graphKey]*compiled
}

// Load reads a FluxTransformer2DModel from dir: a diffusers transformer/
// folder (config.json and diffusion_pytorch_model.safetensors, possibly
// sharded, or its fp16 variant; see engine.OpenComponent) or a pipeline
// folder holding transformer/. Weights stored in
// bfloat16 or float16 stay so in memory where the backend runs the dtype
// (the engine package's Memory section); every operation computes in
// float32.
func Load(dir string) (*Model, error) {
	m, dir, err := engine.LoadComponent(dir, "transformer", New)
	if err != nil {
		return nil, fmt.Errorf("flux: load %s: %w", dir, err)
	}
	return m, nil
}

// New builds a Model from the bytes of config.json and the checkpoint's
// weights, with diffusers' names (transformer_blocks.3.attn.add_q_proj.weight,
// …). Every weight the config implies is required and checked for its
// shape; a missing or misshapen one fails naming it (all of them at
// once).
func New(config []byte, w engine.Weights) (*Model, error) {
	c, err := ParseConfig(config)
	if err != nil {
		return nil, err
	}
	b, _, err := engine.Backend()
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: *c, backend: b, params: map[string]*tensors.Tensor{},
		pointIndex: map[string]int{}, graphs: map[graphKey]*compiled{}}
	var errs []error
	for _, p := range params(c) {
		t, err := engine.LoadParam(w, p.name, p.shape...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.params[p.name] = t
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for n := range m.params {
		m.names = append(m.names, n)
	}
	slices.Sort(m.names)
	m.points = points(c)
	for i, p := range m.points {
		m.pointIndex[p.name] = i
	}
	return m, nil
}

// Config returns the model's config.
func (m *Model) Config() Config {
	c := m.cfg
	c.AxesDimsRope = slices.Clone(c.AxesDimsRope)
	return c
}

// ParamBytes is the memory the parameters occupy, in bytes, by dtype.
func (m *Model) ParamBytes() map[dtypes.DType]int64 {
	out := map[dtypes.DType]int64{}
	for _, t := range m.params {
		out[t.DType()] += int64(t.Memory())
	}
	return out
}
