package flux

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/act/transport"
	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/unet"
)

// ropeTheta is the base of FLUX's rotary frequencies (EmbedND's theta).
const ropeTheta = 10000

// Inputs are one call of the transformer, as FluxPipeline makes it:
// transformer(hidden_states, timestep, guidance, pooled_projections,
// encoder_hidden_states, txt_ids, img_ids).
type Inputs struct {
	// HiddenStates is the packed latents, float32 [B, N, in_channels]
	// ([Pack]: N = (h/2)·(w/2) patches of 2×2 latent pixels).
	HiddenStates *tensors.Tensor
	// EncoderHiddenStates is the T5 text states, float32
	// [B, T, joint_attention_dim].
	EncoderHiddenStates *tensors.Tensor
	// PooledProjections is CLIP's pooled text embedding, float32
	// [B, pooled_projection_dim].
	PooledProjections *tensors.Tensor
	// Timestep holds what FluxPipeline passes, t/1000 for the scheduler's
	// t (the model multiplies by 1000 again), one per batch item or one
	// for all.
	Timestep []float32
	// Guidance is the guidance scale, one per batch item or one for all,
	// for guidance_embeds models (FLUX.1-dev); nil otherwise.
	Guidance []float32
	// ImgIDs and TxtIDs are the positions of the image and text tokens,
	// float32 [B or 1, N, k] and [B or 1, T, k] with k = len(axes_dims_rope)
	// (FLUX.1: 3). [ImageIDs] makes FluxPipeline's image ids; nil TxtIDs
	// are zeros, as FluxPipeline's.
	ImgIDs, TxtIDs *tensors.Tensor
}

// Options are the steering and capture of a call. The zero value runs the
// plain model.
type Options struct {
	// Steering is applied at its points (nil: none), per token and unit
	// at every token; LastOnly has no meaning here and is refused. Names
	// are those of [Model.Point].
	Steering *engine.Steering
	// Capture names the points whose (steered) values are returned.
	Capture []string
	// Pool is "" to return the captured values as they are, or "mean",
	// "max" or "min" to reduce each to [B, D] over its tokens.
	Pool string
}

// Output is what a call returns.
type Output struct {
	// Sample is the prediction (the flow's velocity), float32
	// [B, N, in_channels]; [Unpack] makes it [B, in_channels/4, h, w].
	Sample *tensors.Tensor
	// Captured holds the captured values under the names Options.Capture
	// gave: [B, tokens, D], or [B, D] for time_text_embed and pooled
	// values.
	Captured map[string]*tensors.Tensor
}

// graphKey is one compiled graph: the input shapes and the point plan.
type graphKey struct {
	batch, image, text int
	plan, pool         string
}

type compiled struct{ g *Graph }

// Run computes the transformer's prediction for one batch, with the
// steering and captures of o. It validates the inputs' shapes and the
// point names first, each error naming what is wrong. A graph is compiled
// on the first call of each input shape and plan; changing values
// (timesteps, ids, conditioning, maps, λ) never recompiles.
func (m *Model) Run(in Inputs, o Options) (*Output, error) {
	c := &m.cfg
	if err := m.checkInputs(in); err != nil {
		return nil, err
	}
	steer, capture, err := m.resolveOptions(o)
	if err != nil {
		return nil, err
	}
	hd := in.HiddenStates.Shape().Dimensions
	B, N, T := hd[0], hd[1], in.EncoderHiddenStates.Shape().Dimensions[1]
	proj := func(v []float32) *tensors.Tensor {
		t := make([]float32, B)
		for i := range t {
			t[i] = v[min(i, len(v)-1)] * 1000 // float32, as the model scales them
		}
		return tensors.FromFlatDataAndDimensions(unet.Sinusoids(nil, t, timeProjDim, true, 0), B, timeProjDim)
	}
	args := []*tensors.Tensor{in.HiddenStates, in.EncoderHiddenStates, in.PooledProjections, proj(in.Timestep)}
	if c.GuidanceEmbeds {
		args = append(args, proj(in.Guidance))
	}
	cos, sin := m.rotary(in.TxtIDs, in.ImgIDs, B, T, N)
	args = append(args, cos, sin)

	plan := engine.PlanPoints(steer, capture)
	D := c.InnerDim()
	width := func(string) int { return D }
	pin, err := plan.Inputs(steer, width)
	if err != nil {
		return nil, err
	}

	key := graphKey{batch: B, image: N, text: T, plan: plan.Key(), pool: o.Pool}
	m.mu.Lock()
	defer m.mu.Unlock()
	cg, ok := m.graphs[key]
	if !ok {
		if cg, err = m.compile(key, plan, args, width); err != nil {
			return nil, err
		}
		m.graphs[key] = cg
	}
	inputs := make([]any, 0, len(m.names)+len(args)+len(pin))
	for _, n := range m.names {
		inputs = append(inputs, m.params[n])
	}
	for _, a := range append(args, pin...) {
		inputs = append(inputs, a)
	}
	outs, err := run(cg.g, inputs)
	if err != nil {
		return nil, fmt.Errorf("flux: run %v: %w", hd, err)
	}
	res := &Output{Sample: outs[0], Captured: map[string]*tensors.Tensor{}}
	at := map[string]*tensors.Tensor{}
	for i, n := range plan.Capture {
		at[n] = outs[1+i]
	}
	for _, n := range o.Capture {
		p, _ := m.resolve("capture", n) // resolveOptions checked it
		res.Captured[n] = at[p.name]
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
// inputs of args' shapes (hidden_states, encoder_hidden_states,
// pooled_projections, the timestep's sinusoids, the guidance's when
// embedded, the rotary cos and sin), then the plan's parameters.
// Outputs: the prediction, then the captures in plan order.
func (m *Model) compile(key graphKey, plan engine.PointPlan, args []*tensors.Tensor, width func(string) int) (cg *compiled, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("flux: build the graph for batch %d, %d image and %d text tokens: %v", key.batch, key.image, key.text, r)
		}
	}()
	g := NewGraph(m.backend, "actsh_flux")
	b := &builder{c: &m.cfg, w: map[string]*Node{}}
	for _, n := range m.names {
		b.w[n] = Parameter(g, n, m.params[n].Shape())
	}
	names := []string{"hidden_states", "encoder_hidden_states", "pooled_projections", "timestep_proj"}
	if m.cfg.GuidanceEmbeds {
		names = append(names, "guidance_proj")
	}
	names = append(names, "rope_cos", "rope_sin")
	in := map[string]*Node{}
	for i, a := range args {
		in[names[i]] = Parameter(g, names[i], a.Shape())
	}
	// The rotary tables [B, S, hd/2] broadcast over heads and pairs.
	for _, t := range []struct {
		dst  **Node
		name string
	}{{&b.cos, "rope_cos"}, {&b.sin, "rope_sin"}} {
		d := in[t.name].Shape().Dimensions
		*t.dst = Reshape(in[t.name], d[0], d[1], 1, d[2], 1)
	}
	b.pts = plan.Build(g, width)
	outs := []*Node{b.forward(in["hidden_states"], in["encoder_hidden_states"], in["pooled_projections"],
		in["timestep_proj"], in["guidance_proj"])}
	caps, err := b.pts.Captured()
	if err != nil {
		return nil, err
	}
	for i, z := range caps {
		if key.pool != "" {
			if z, err = engine.PoolPoint(z, key.pool); err != nil {
				return nil, err
			}
		} else if m.points[m.pointIndex[plan.Capture[i]]].rank == 2 {
			z = Reshape(z, z.Shape().Dimensions[0], z.Shape().Dimensions[2]) // time_text_embed went through the points as [B, 1, D]
		}
		outs = append(outs, z)
	}
	g.Compile(outs...)
	return &compiled{g: g}, nil
}

// rotary is EmbedND on the host: the cos and sin of the rotation angles
// of the tokens [text; image], float32 [B, T+N, head_dim/2] each. Axis a
// of the ids takes the next axes_dims_rope[a]/2 pairs; pair j of an axis
// d channels wide turns by id·θ^(−2j/d), θ = 10000, computed in float64
// and rounded as diffusers' rope does. Ids of batch 1 serve every item.
func (m *Model) rotary(txt, img *tensors.Tensor, B, T, N int) (cos, sin *tensors.Tensor) {
	axes := m.cfg.AxesDimsRope
	k, half := len(axes), m.cfg.AttentionHeadDim/2
	omega := make([]float64, 0, half)
	for _, d := range axes {
		for j := 0; j < d; j += 2 {
			omega = append(omega, 1/math.Pow(ropeTheta, float64(j)/float64(d)))
		}
	}
	ids := func(t *tensors.Tensor, n int) (v []float32, batch int) {
		if t == nil {
			return make([]float32, n*k), 1
		}
		return tensors.MustCopyFlatData[float32](t), t.Shape().Dimensions[0]
	}
	tv, tb := ids(txt, T)
	iv, ib := ids(img, N)
	S := T + N
	cv, sv := make([]float32, B*S*half), make([]float32, B*S*half)
	for b := range B {
		for s := range S {
			var id []float32
			if s < T {
				o := (min(b, tb-1)*T + s) * k
				id = tv[o : o+k]
			} else {
				o := (min(b, ib-1)*N + s - T) * k
				id = iv[o : o+k]
			}
			row := (b*S + s) * half
			p := 0
			for a, d := range axes {
				for range d / 2 {
					ang := float64(id[a]) * omega[p]
					cv[row+p], sv[row+p] = float32(math.Cos(ang)), float32(math.Sin(ang))
					p++
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(cv, B, S, half), tensors.FromFlatDataAndDimensions(sv, B, S, half)
}

// checkInputs validates the inputs against the config.
func (m *Model) checkInputs(in Inputs) error {
	c := &m.cfg
	f32 := func(name string, t *tensors.Tensor, want ...int) error {
		if t == nil {
			return fmt.Errorf("flux: %s is nil, want float32 %s", name, describe(want))
		}
		d := t.Shape().Dimensions
		ok := t.DType() == dtypes.Float32 && len(d) == len(want)
		for i := range want {
			ok = ok && d[i] > 0 && (want[i] < 0 || d[i] == want[i])
		}
		if !ok {
			return fmt.Errorf("flux: %s is %s, want float32 %s", name, t.Shape(), describe(want))
		}
		return nil
	}
	if err := f32("HiddenStates", in.HiddenStates, -1, -1, c.InChannels); err != nil {
		return err
	}
	d := in.HiddenStates.Shape().Dimensions
	B, N := d[0], d[1]
	if err := f32("EncoderHiddenStates", in.EncoderHiddenStates, B, -1, c.JointAttentionDim); err != nil {
		return err
	}
	T := in.EncoderHiddenStates.Shape().Dimensions[1]
	if err := f32("PooledProjections", in.PooledProjections, B, c.PooledProjectionDim); err != nil {
		return err
	}
	if n := len(in.Timestep); n != 1 && n != B {
		return fmt.Errorf("flux: %d timesteps for a batch of %d (want %d, or 1 for all)", n, B, B)
	}
	switch n := len(in.Guidance); {
	case !c.GuidanceEmbeds && n > 0:
		return errors.New("flux: Guidance is for models with guidance_embeds (FLUX.1-dev); this one has none (FLUX.1-schnell is guidance-distilled without it)")
	case c.GuidanceEmbeds && n != 1 && n != B:
		return fmt.Errorf("flux: %d guidance values for a batch of %d (want %d, or 1 for all; the model has guidance_embeds)", n, B, B)
	}
	k := len(c.AxesDimsRope)
	ids := func(name string, t *tensors.Tensor, n int) error {
		if t == nil {
			return fmt.Errorf("flux: %s is nil, want float32 [%d or 1, %d, %d] (ImageIDs makes FluxPipeline's)", name, B, n, k)
		}
		if b := t.Shape().Dimensions; len(b) > 0 && b[0] == 1 {
			return f32(name, t, 1, n, k)
		}
		return f32(name, t, B, n, k)
	}
	if err := ids("ImgIDs", in.ImgIDs, N); err != nil {
		return err
	}
	if in.TxtIDs != nil {
		return ids("TxtIDs", in.TxtIDs, T)
	}
	return nil
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

// resolveOptions validates pooling and steering and returns the steering
// and captures under the points' own names (ml-act's "name:0" of a
// one-tensor module becomes name).
func (m *Model) resolveOptions(o Options) (*engine.Steering, []string, error) {
	switch o.Pool {
	case "", "mean", "max", "min":
	default:
		return nil, nil, fmt.Errorf("flux: unknown pooling %q (want \"\", mean, max or min)", o.Pool)
	}
	capture := make([]string, 0, len(o.Capture))
	for _, n := range o.Capture {
		p, err := m.resolve("capture", n)
		if err != nil {
			return nil, nil, err
		}
		capture = append(capture, p.name)
	}
	s := o.Steering
	if s == nil {
		return nil, capture, nil
	}
	if s.LastOnly {
		return nil, nil, errors.New("flux: Steering.LastOnly has no meaning for the FLUX transformer (its points have no last token); steer every token instead")
	}
	out := &engine.Steering{Maps: map[string]*transport.Map{}, Strength: s.Strength}
	by := map[string]string{}
	for _, n := range slices.Sorted(maps.Keys(s.Maps)) {
		p, err := m.resolve("steer", n)
		if err != nil {
			return nil, nil, err
		}
		if other, dup := by[p.name]; dup {
			return nil, nil, fmt.Errorf("flux: %q and %q are the same point; steer it once", other, n)
		}
		by[p.name] = n
		out.Maps[p.name] = s.Maps[n]
	}
	return out, capture, nil
}
