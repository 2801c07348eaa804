package unet

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
)

// Inputs are one call of the UNet, as diffusers' forward takes them:
// unet(sample, timestep, encoder_hidden_states,
// added_cond_kwargs={"text_embeds": …, "time_ids": …}).
type Inputs struct {
	// Sample is the scaled noisy latents, float32 [B, in_channels, h, w].
	Sample *tensors.Tensor
	// Timestep holds one timestep per batch item, or one for all.
	Timestep []float32
	// EncoderHiddenStates is the text conditioning, float32
	// [B, T, cross_attention_dim] (SDXL: both text encoders' penultimate
	// states, concatenated).
	EncoderHiddenStates *tensors.Tensor
	// TextEmbeds is the pooled text embedding, float32 [B, P] with
	// P = [Config.TextEmbedsDim] (SDXL: text_encoder_2's text_embeds), for
	// addition_embed_type "text_time"; nil otherwise.
	TextEmbeds *tensors.Tensor
	// TimeIDs is SDXL's micro-conditioning, float32 [B, 6]: original size
	// (h, w), crop top-left (top, left), target size (h, w), in pixels;
	// with "text_time" only.
	TimeIDs *tensors.Tensor
}

// Options are the steering and capture of a call. The zero value runs the
// plain model.
type Options struct {
	// Steering is applied at its points (nil: none). The maps of feature
	// map points act on the spatial mean of each channel (see
	// [engine.Points]); LastOnly has no meaning for a UNet and is refused.
	Steering *engine.Steering
	// Capture names the points whose (steered) values are returned.
	Capture []string
	// Pool is "" to return the captured values as they are, or "mean",
	// "max" or "min" to reduce each to [B, units] over its positions
	// (tokens, or H and W).
	Pool string
}

// Output is what a call returns.
type Output struct {
	// Sample is the prediction (SDXL: the noise ε), float32
	// [B, out_channels, h, w].
	Sample *tensors.Tensor
	// Captured holds the captured values by point name: [B, C, H, W],
	// [B, H·W, C] or [B, D] as the point's module gives it, or [B, units]
	// pooled.
	Captured map[string]*tensors.Tensor
}

// graphKey is one compiled graph: the input shapes and the point plan.
type graphKey struct {
	sample [4]int
	tokens int
	plan   string
	pool   string
}

type compiled struct{ g *Graph }

// Run computes the UNet's prediction for one batch, with the steering and
// captures of o. It validates the inputs' shapes and the point names
// first, each error naming what is wrong; an unknown point is reported
// with the nearest real one. A graph is compiled on the first call of each
// input shape and plan; changing values (timesteps, conditioning, maps,
// λ) never recompiles.
func (m *Model) Run(in Inputs, o Options) (*Output, error) {
	c := &m.cfg
	if err := m.checkInputs(in); err != nil {
		return nil, err
	}
	if err := m.checkOptions(o); err != nil {
		return nil, err
	}
	dims := in.Sample.Shape().Dimensions
	B := dims[0]
	ts := in.Timestep
	if len(ts) == 1 && B > 1 {
		ts = make([]float32, B)
		for i := range ts {
			ts[i] = in.Timestep[0]
		}
	}
	tDim := c.BlockOutChannels[0]
	args := []*tensors.Tensor{in.Sample, tensors.FromFlatDataAndDimensions(Sinusoids(nil, ts, tDim, c.FlipSinToCos, c.FreqShift), B, tDim),
		in.EncoderHiddenStates}
	if c.AdditionEmbedType == TextTime {
		args = append(args, m.addProj(in))
	}
	plan := engine.PlanPoints(o.Steering, o.Capture)
	width := func(name string) int { return m.points[m.pointIndex[name]].width }
	pin, err := plan.Inputs(o.Steering, width)
	if err != nil {
		return nil, err
	}

	key := graphKey{sample: [4]int(dims), tokens: in.EncoderHiddenStates.Shape().Dimensions[1], plan: plan.Key(), pool: o.Pool}
	m.mu.Lock()
	defer m.mu.Unlock()
	cg, ok := m.graphs[key]
	if !ok {
		if cg, err = m.compile(key, plan, args, width); err != nil {
			return nil, err
		}
		m.graphs[key] = cg
	}
	inputs := make([]any, 0, len(m.names)+len(args))
	for _, n := range m.names {
		inputs = append(inputs, m.params[n])
	}
	for _, a := range append(args, pin...) {
		inputs = append(inputs, a)
	}
	outs, err := run(cg.g, inputs)
	if err != nil {
		return nil, fmt.Errorf("unet: run %v: %w", dims, err)
	}
	res := &Output{Sample: outs[0], Captured: map[string]*tensors.Tensor{}}
	for i, n := range plan.Capture {
		res.Captured[n] = outs[1+i]
	}
	return res, nil
}

// run executes g, turning a panic of the backend into an error.
func run(g *Graph, inputs []any) (outs []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return g.Run(inputs...), nil
}

// compile builds the graph of key: the weights (sorted by name), then
// inputs of args' shapes (sample, timestep sinusoids,
// encoder_hidden_states, the added embedding's input when there is one),
// then the plan's parameters. Outputs: the
// prediction, then the captures in plan order.
func (m *Model) compile(key graphKey, plan engine.PointPlan, args []*tensors.Tensor, width func(string) int) (cg *compiled, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unet: build the graph for %v: %v", key.sample, r)
		}
	}()
	g := NewGraph(m.backend, "actsh_unet")
	b := &builder{c: &m.cfg, w: map[string]*Node{}}
	for _, n := range m.names {
		b.w[n] = Parameter(g, n, m.params[n].Shape())
	}
	names := []string{"sample", "timestep_proj", "encoder_hidden_states", "add_proj"}
	var in []*Node
	for i, a := range args {
		in = append(in, Parameter(g, names[i], a.Shape()))
	}
	b.enc = in[2]
	var addProj *Node
	if len(in) > 3 {
		addProj = in[3]
	}
	b.pts = plan.Build(g, width)
	outs := []*Node{b.forward(m.lay, in[0], in[1], addProj)}
	caps, err := b.pts.Captured()
	if err != nil {
		return nil, err
	}
	for i, z := range caps {
		if key.pool != "" {
			if z, err = engine.PoolPoint(z, key.pool); err != nil {
				return nil, err
			}
		} else if p := m.points[m.pointIndex[plan.Capture[i]]]; p.rank == 2 {
			z = Reshape(z, z.Shape().Dimensions[0], p.width) // the embeddings went through the points as [B, 1, D]
		}
		outs = append(outs, z)
	}
	g.Compile(outs...)
	return &compiled{g: g}, nil
}

// addProj is the input of add_embedding for "text_time": text_embeds
// followed by the sinusoids of the six time ids, each
// addition_time_embed_dim wide, [B, projection_class_embeddings_input_dim].
func (m *Model) addProj(in Inputs) *tensors.Tensor {
	c := &m.cfg
	B := in.Sample.Shape().Dimensions[0]
	text := tensors.MustCopyFlatData[float32](in.TextEmbeds)
	ids := tensors.MustCopyFlatData[float32](in.TimeIDs)
	d := c.AdditionTimeEmbedDim
	sin := Sinusoids(nil, ids, d, c.FlipSinToCos, c.FreqShift) // [B·6, d]
	P := c.ProjectionClassEmbeddingsInputDim
	nt := len(text) / B
	out := make([]float32, 0, B*P)
	for i := range B {
		out = append(out, text[i*nt:(i+1)*nt]...)
		out = append(out, sin[i*6*d:(i+1)*6*d]...)
	}
	return tensors.FromFlatDataAndDimensions(out, B, P)
}

// Sinusoids is diffusers' get_timestep_embedding (max_period 10000, scale
// 1) for the values t, dim wide each: with half = ⌊dim/2⌋ and
// f_i = exp(−ln(10000)·i/(half − shift)),
//
//	[sin(t·f_0), …, sin(t·f_{half−1}), cos(t·f_0), …, cos(t·f_{half−1})]
//
// or cos before sin when flip, and a zero appended when dim is odd. Each
// step rounds to float32 as PyTorch computes it. dst receives len(t)·dim
// values (allocated when nil).
func Sinusoids(dst, t []float32, dim int, flip bool, shift float64) []float32 {
	if dst == nil {
		dst = make([]float32, len(t)*dim)
	}
	half := dim / 2
	freq := make([]float32, half)
	lnMax := float32(-math.Log(10000))
	for i := range freq {
		e := lnMax * float32(i) / float32(float64(half)-shift)
		freq[i] = float32(math.Exp(float64(e)))
	}
	for k, tv := range t {
		row := dst[k*dim : (k+1)*dim]
		sinAt, cosAt := 0, half
		if flip {
			sinAt, cosAt = half, 0
		}
		for i, f := range freq {
			a := float64(tv * f)
			row[sinAt+i] = float32(math.Sin(a))
			row[cosAt+i] = float32(math.Cos(a))
		}
		if dim%2 == 1 {
			row[dim-1] = 0
		}
	}
	return dst
}

// checkInputs validates the inputs against the config.
func (m *Model) checkInputs(in Inputs) error {
	c := &m.cfg
	f32 := func(name string, t *tensors.Tensor, want ...int) error {
		if t == nil {
			return fmt.Errorf("unet: %s is nil, want float32 %v", name, want)
		}
		d := t.Shape().Dimensions
		ok := t.DType() == dtypes.Float32 && len(d) == len(want)
		for i := range want {
			ok = ok && d[i] > 0 && (want[i] < 0 || d[i] == want[i])
		}
		if !ok {
			return fmt.Errorf("unet: %s is %s, want float32 %s", name, t.Shape(), describe(want))
		}
		return nil
	}
	if err := f32("Sample", in.Sample, -1, c.InChannels, -1, -1); err != nil {
		return err
	}
	B := in.Sample.Shape().Dimensions[0]
	if n := len(in.Timestep); n != 1 && n != B {
		return fmt.Errorf("unet: %d timesteps for a batch of %d (want %d, or 1 for all)", n, B, B)
	}
	if err := f32("EncoderHiddenStates", in.EncoderHiddenStates, B, -1, c.CrossAttentionDim); err != nil {
		return err
	}
	if c.AdditionEmbedType != TextTime {
		if in.TextEmbeds != nil || in.TimeIDs != nil {
			return errors.New("unet: TextEmbeds and TimeIDs are for addition_embed_type \"text_time\"; this UNet has none")
		}
		return nil
	}
	if err := f32("TextEmbeds", in.TextEmbeds, B, c.TextEmbedsDim()); err != nil {
		return err
	}
	return f32("TimeIDs", in.TimeIDs, B, 6)
}

// describe writes a wanted shape, -1 as "·": [2 · 32].
func describe(want []int) string {
	s := "["
	for i, w := range want {
		if i > 0 {
			s += " "
		}
		if w < 0 {
			s += "·"
		} else {
			s += fmt.Sprint(w)
		}
	}
	return s + "]"
}

// checkOptions validates pooling, point names and steering.
func (m *Model) checkOptions(o Options) error {
	switch o.Pool {
	case "", "mean", "max", "min":
	default:
		return fmt.Errorf("unet: unknown pooling %q (want \"\", mean, max or min)", o.Pool)
	}
	for _, n := range o.Capture {
		if _, err := m.checkPoint("capture", n); err != nil {
			return err
		}
	}
	s := o.Steering
	if s == nil {
		return nil
	}
	if s.LastOnly {
		return errors.New("unet: Steering.LastOnly has no meaning for a UNet (its points have no last token); steer every position instead")
	}
	for n := range s.Maps {
		if _, err := m.checkPoint("steer", n); err != nil {
			return err
		}
	}
	return nil
}
