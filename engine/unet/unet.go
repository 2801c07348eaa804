package unet

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

// Model is a loaded UNet2DConditionModel: its config and parameters, and
// the graphs compiled for it, one per input shape, steering and capture
// plan. Its methods are safe for concurrent use (passes run one at a
// time).
type Model struct {
	cfg        Config
	lay        layout
	backend    backends.Backend
	params     map[string]*tensors.Tensor
	names      []string // parameter names in graph order (sorted)
	points     []pointL
	pointIndex map[string]int

	mu     sync.Mutex
	graphs map[graphKey]*compiled
}

// Load reads a UNet2DConditionModel from dir: a diffusers unet/ folder
// (config.json and diffusion_pytorch_model.safetensors, possibly sharded, or its fp16 variant)
// or a pipeline folder holding unet/. Weights stored in float16 or
// bfloat16 stay so in memory where the backend runs the dtype (the engine
// package's Memory section); every operation computes in float32.
func Load(dir string) (*Model, error) {
	m, dir, err := engine.LoadComponent(dir, "unet", New)
	if err != nil {
		return nil, fmt.Errorf("unet: load %s: %w", dir, err)
	}
	return m, nil
}

// New builds a Model from the bytes of config.json and the checkpoint's
// weights, with diffusers' names (down_blocks.1.attentions.0.proj_in.weight,
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
	m := &Model{cfg: *c, lay: newLayout(c), backend: b, params: map[string]*tensors.Tensor{},
		pointIndex: map[string]int{}, graphs: map[graphKey]*compiled{}}
	var errs []error
	for _, p := range m.lay.params(c) {
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
	m.points = m.lay.points(c)
	for i, p := range m.points {
		m.pointIndex[p.name] = i
	}
	return m, nil
}

// Config returns the model's config.
func (m *Model) Config() Config { return m.cfg }

// ParamBytes is the memory the parameters occupy, in bytes, by dtype.
func (m *Model) ParamBytes() map[dtypes.DType]int64 {
	out := map[dtypes.DType]int64{}
	for _, t := range m.params {
		out[t.DType()] += int64(t.Memory())
	}
	return out
}
