package clip

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine"
	"github.com/actsh/actsh/engine/safetensors"
)

// The Hugging Face architectures names [LoadVision] reads.
const (
	// VisionModel is CLIP's vision tower alone: its embedding is the
	// pooled output.
	VisionModel = "CLIPVisionModel"
	// VisionModelWithProjection adds visual_projection (IP-Adapter's image
	// encoder): its embedding is image_embeds.
	VisionModelWithProjection = "CLIPVisionModelWithProjection"
	// FullModel is a whole CLIPModel (openai/clip-vit-large-patch14, the
	// ClipScore model): [LoadVision] reads its vision tower and
	// visual_projection; engine.Load gives its text tower and
	// text_projection, registered under this name (see [New]).
	FullModel = "CLIPModel"
)

// VisionConfig is the part of a CLIP vision config the vision tower reads,
// named as in transformers' CLIPVisionConfig. Missing fields take
// CLIPVisionConfig's defaults (openai/clip-vit-base-patch32's vision
// tower: hidden_size 768, 12 layers, 12 heads, 224-pixel images in
// 32-pixel patches, quick_gelu, projection_dim 512).
type VisionConfig struct {
	HiddenSize        int     `json:"hidden_size"`
	IntermediateSize  int     `json:"intermediate_size"`
	ProjectionDim     int     `json:"projection_dim"`
	NumHiddenLayers   int     `json:"num_hidden_layers"`
	NumAttentionHeads int     `json:"num_attention_heads"`
	NumChannels       int     `json:"num_channels"`
	ImageSize         int     `json:"image_size"`
	PatchSize         int     `json:"patch_size"`
	HiddenAct         string  `json:"hidden_act"`
	LayerNormEps      float64 `json:"layer_norm_eps"`
}

// Patches is the number of patches of an image, (image_size/patch_size)²;
// the tower's sequence is one longer (the class token first).
func (c *VisionConfig) Patches() int { g := c.ImageSize / c.PatchSize; return g * g }

// ParseVisionConfig reads a CLIPVisionModel, CLIPVisionModelWithProjection
// or CLIPModel config.json and returns the vision tower's config, its
// architecture and whether it has visual_projection. A CLIPModel's tower
// is its vision_config, projected to the top-level projection_dim as
// CLIPModel does. A config without architectures is a CLIPVisionModel
// unless it has a vision_config.
func ParseVisionConfig(data []byte) (c *VisionConfig, arch string, projected bool, err error) {
	var head struct {
		Architectures []string        `json:"architectures"`
		VisionConfig  json.RawMessage `json:"vision_config"`
		ProjectionDim *int            `json:"projection_dim"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, "", false, fmt.Errorf("clip: parse config: %w", err)
	}
	full := len(head.VisionConfig) > 0 && string(head.VisionConfig) != "null"
	switch {
	case len(head.Architectures) > 0:
		arch = head.Architectures[0]
	case full:
		arch = FullModel
	default:
		arch = VisionModel
	}
	c = &VisionConfig{HiddenSize: 768, IntermediateSize: 3072, ProjectionDim: 512, NumHiddenLayers: 12,
		NumAttentionHeads: 12, NumChannels: 3, ImageSize: 224, PatchSize: 32, HiddenAct: "quick_gelu", LayerNormEps: 1e-5}
	switch arch {
	case VisionModel, VisionModelWithProjection:
		err = json.Unmarshal(data, c)
	case FullModel:
		if !full {
			return nil, "", false, fmt.Errorf("clip: a CLIPModel config.json needs a vision_config")
		}
		err = json.Unmarshal(head.VisionConfig, c)
		c.ProjectionDim = 512 // CLIPConfig's default; the top-level value sizes visual_projection
		if head.ProjectionDim != nil {
			c.ProjectionDim = *head.ProjectionDim
		}
	default:
		return nil, "", false, fmt.Errorf("clip: architecture %q is not a CLIP vision model (want %s, %s or %s)", arch, VisionModel, VisionModelWithProjection, FullModel)
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("clip: parse config: %w", err)
	}
	switch {
	case c.HiddenSize <= 0 || c.IntermediateSize <= 0 || c.ProjectionDim <= 0 || c.NumHiddenLayers <= 0 ||
		c.NumAttentionHeads <= 0 || c.NumChannels <= 0 || c.ImageSize <= 0 || c.PatchSize <= 0:
		return nil, "", false, fmt.Errorf("clip: vision config sizes must be positive (hidden_size %d, intermediate_size %d, projection_dim %d, num_hidden_layers %d, num_attention_heads %d, num_channels %d, image_size %d, patch_size %d)",
			c.HiddenSize, c.IntermediateSize, c.ProjectionDim, c.NumHiddenLayers, c.NumAttentionHeads, c.NumChannels, c.ImageSize, c.PatchSize)
	case c.HiddenSize%c.NumAttentionHeads != 0:
		return nil, "", false, fmt.Errorf("clip: hidden_size (%d) must be divisible by num_attention_heads (%d)", c.HiddenSize, c.NumAttentionHeads)
	case c.ImageSize%c.PatchSize != 0:
		return nil, "", false, fmt.Errorf("clip: image_size (%d) must be divisible by patch_size (%d)", c.ImageSize, c.PatchSize)
	case c.LayerNormEps <= 0:
		return nil, "", false, fmt.Errorf("clip: layer_norm_eps (%g) must be positive", c.LayerNormEps)
	}
	if _, ok := activations[c.HiddenAct]; !ok {
		names := make([]string, 0, len(activations))
		for n := range activations {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, "", false, fmt.Errorf("clip: hidden_act %q is not supported (want %s)", c.HiddenAct, strings.Join(names, ", "))
	}
	return c, arch, arch != VisionModel, nil
}

// Vision is a loaded CLIP vision tower, a standalone graph outside the
// engine's Model (images are not token ids, and evaluation needs no
// intervention points): its config, its parameters and the graphs
// compiled for it, one per batch size. Its methods are safe for
// concurrent use (passes run one at a time).
type Vision struct {
	cfg     VisionConfig
	arch    string
	project bool
	backend backends.Backend
	params  map[string]*tensors.Tensor
	names   []string // parameter names in graph order (sorted)

	mu     sync.Mutex
	graphs map[visionKey]*Graph
}

// visionKey is one compiled graph: the batch size and whether it returns
// every hidden state.
type visionKey struct {
	batch int
	all   bool
}

// LoadVision reads a CLIP vision model from dir: config.json and
// model.safetensors (possibly sharded) of a CLIPVisionModel,
// CLIPVisionModelWithProjection (an IP-Adapter's image_encoder/) or a
// whole CLIPModel, whose text tower's weights are left unread.
func LoadVision(dir string) (*Vision, error) {
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("clip: load %s: %w", dir, err)
	}
	set, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("clip: load %s: %w", dir, err)
	}
	defer set.Close()
	v, err := NewVision(cfg, set)
	if err != nil {
		return nil, fmt.Errorf("clip: load %s: %w", dir, err)
	}
	return v, nil
}

// NewVision builds a vision tower from config.json bytes and weights named
// as transformers saves them: vision_model.embeddings.{class_embedding,
// patch_embedding.weight, position_embedding.weight},
// vision_model.pre_layrnorm (sic), vision_model.encoder.layers.{i}.*,
// vision_model.post_layernorm and, for the projected architectures,
// visual_projection.weight. Each is checked for its shape.
func NewVision(config []byte, w engine.Weights) (*Vision, error) {
	c, arch, project, err := ParseVisionConfig(config)
	if err != nil {
		return nil, err
	}
	b, _, err := engine.Backend()
	if err != nil {
		return nil, err
	}
	v := &Vision{cfg: *c, arch: arch, project: project, backend: b, params: map[string]*tensors.Tensor{}, graphs: map[visionKey]*Graph{}}
	D, F, P := c.HiddenSize, c.IntermediateSize, c.PatchSize
	e := "vision_model.embeddings."
	specs := []spec{
		{e + "class_embedding", []int{D}},
		{e + "patch_embedding.weight", []int{D, c.NumChannels, P, P}},
		{e + "position_embedding.weight", []int{c.Patches() + 1, D}},
		{"vision_model.pre_layrnorm.weight", []int{D}}, {"vision_model.pre_layrnorm.bias", []int{D}},
	}
	for i := range c.NumHiddenLayers {
		l := visionLayerName(i) + "."
		for _, n := range []string{"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj"} {
			specs = append(specs, spec{l + n + ".weight", []int{D, D}}, spec{l + n + ".bias", []int{D}})
		}
		specs = append(specs,
			spec{l + "layer_norm1.weight", []int{D}}, spec{l + "layer_norm1.bias", []int{D}},
			spec{l + "layer_norm2.weight", []int{D}}, spec{l + "layer_norm2.bias", []int{D}},
			spec{l + "mlp.fc1.weight", []int{F, D}}, spec{l + "mlp.fc1.bias", []int{F}},
			spec{l + "mlp.fc2.weight", []int{D, F}}, spec{l + "mlp.fc2.bias", []int{D}},
		)
	}
	specs = append(specs, spec{"vision_model.post_layernorm.weight", []int{D}}, spec{"vision_model.post_layernorm.bias", []int{D}})
	if project {
		specs = append(specs, spec{"visual_projection.weight", []int{c.ProjectionDim, D}})
	}
	var errs []error
	for _, s := range specs {
		t, err := engine.LoadParam(w, s.name, s.dims...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		v.params[s.name] = t
		v.names = append(v.names, s.name)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("clip: %s: %w", arch, err)
	}
	slices.Sort(v.names)
	return v, nil
}

func visionLayerName(i int) string { return fmt.Sprintf("vision_model.encoder.layers.%d", i) }

// Config returns the vision tower's config.
func (v *Vision) Config() VisionConfig { return v.cfg }

// Architecture is the config's architecture ([VisionModel],
// [VisionModelWithProjection] or [FullModel]).
func (v *Vision) Architecture() string { return v.arch }

// Projected reports whether the model has visual_projection, so that
// [VisionOutput].ImageEmbeds is set.
func (v *Vision) Projected() bool { return v.project }

// VisionOptions tune [Vision.Forward]. The zero value returns the last and
// penultimate hidden states, the pooled output and image_embeds.
type VisionOptions struct {
	// HiddenStates also returns every entry of transformers'
	// hidden_states (output_hidden_states=True).
	HiddenStates bool
}

// VisionOutput holds a CLIP vision tower's outputs for a batch of images,
// as transformers returns them; sequences are the class token followed by
// the patches in row-major order.
type VisionOutput struct {
	// LastHiddenState is [image][1+patches][hidden_size]: the last
	// layer's output, not layer-normed (unlike the text tower's).
	LastHiddenState [][][]float32
	// Penultimate is hidden_states[-2], [image][1+patches][hidden_size]:
	// the image features IP-Adapter Plus reads.
	Penultimate [][][]float32
	// Pooled is pooler_output, [image][hidden_size]:
	// post_layernorm(LastHiddenState[:, 0]).
	Pooled [][]float32
	// ImageEmbeds is image_embeds, [image][projection_dim]:
	// visual_projection(Pooled) without bias; nil for a CLIPVisionModel.
	ImageEmbeds [][]float32
	// HiddenStates is transformers' hidden_states, [k][image][1+patches]
	// [hidden_size], k = 0 … num_hidden_layers (0: pre_layrnorm's output,
	// k: layer k−1's), when [VisionOptions].HiddenStates asks for it.
	HiddenStates [][][][]float32
}

// Forward runs the vision tower on pixel_values, float32 [B,
// num_channels, image_size, image_size], already normalized (see
// [Preprocess]); one graph is compiled per batch size.
func (v *Vision) Forward(pixels *tensors.Tensor, opts VisionOptions) (out *VisionOutput, err error) {
	c := &v.cfg
	dims := pixels.Shape().Dimensions
	if pixels.DType() != dtypes.Float32 || len(dims) != 4 || dims[1] != c.NumChannels || dims[2] != c.ImageSize || dims[3] != c.ImageSize {
		return nil, fmt.Errorf("clip: the vision tower takes float32 pixel_values [B, %d, %d, %d], not %s", c.NumChannels, c.ImageSize, c.ImageSize, pixels.Shape())
	}
	if dims[0] == 0 {
		return &VisionOutput{}, nil
	}
	key := visionKey{dims[0], opts.HiddenStates}
	v.mu.Lock()
	defer v.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("clip: vision forward %v: %v", dims, r)
		}
	}()
	g, ok := v.graphs[key]
	if !ok {
		g = v.build(key)
		v.graphs[key] = g
	}
	inputs := make([]any, 0, len(v.names)+1)
	for _, n := range v.names {
		inputs = append(inputs, v.params[n])
	}
	outs := g.Run(append(inputs, pixels)...)
	out = &VisionOutput{
		LastHiddenState: rows3(outs[0]),
		Penultimate:     rows3(outs[1]),
		Pooled:          rows2(outs[2]),
	}
	outs = outs[3:]
	if v.project {
		out.ImageEmbeds = rows2(outs[0])
		outs = outs[1:]
	}
	for _, h := range outs {
		out.HiddenStates = append(out.HiddenStates, rows3(h))
	}
	return out, nil
}

// build compiles the graph of key: parameters in v.names order, then the
// pixels; outputs last_hidden_state, hidden_states[-2], pooler_output,
// image_embeds when projected, then every hidden state when asked.
func (v *Vision) build(key visionKey) *Graph {
	c := &v.cfg
	g := NewGraph(v.backend, "actsh_clip_vision")
	w := map[string]*Node{}
	for _, n := range v.names {
		w[n] = Parameter(g, n, v.params[n].Shape())
	}
	weight := func(name string) *Node {
		n, ok := w[name]
		if !ok {
			panic("clip: vision tower asked for unknown parameter " + name) // a bug: NewVision loads every name read here
		}
		return n
	}
	pixels := Parameter(g, "pixel_values", shapes.Make(dtypes.Float32, key.batch, c.NumChannels, c.ImageSize, c.ImageSize))
	x := v.embeddings(weight, pixels)
	x = engine.LayerNorm(x, weight("vision_model.pre_layrnorm.weight"), weight("vision_model.pre_layrnorm.bias"), c.LayerNormEps)
	hidden := []*Node{x}
	ops := layerOps{weight: weight, point: noPoint, heads: c.NumAttentionHeads, eps: c.LayerNormEps, act: activations[c.HiddenAct]}
	scale := 1 / math.Sqrt(float64(c.HiddenSize/c.NumAttentionHeads))
	for i := range c.NumHiddenLayers {
		x = ops.layer(visionLayerName(i), x, func(q, k, v *Node) *Node { return attendAll(q, k, v, scale) })
		hidden = append(hidden, x)
	}
	cls := Squeeze(SliceAxis(x, 1, AxisElem(0)), 1) // [B, D]
	pooled := engine.LayerNorm(cls, weight("vision_model.post_layernorm.weight"), weight("vision_model.post_layernorm.bias"), c.LayerNormEps)
	outs := []*Node{x, hidden[len(hidden)-2], pooled}
	if v.project {
		outs = append(outs, engine.Linear(pooled, weight("visual_projection.weight"), nil))
	}
	if key.all {
		outs = append(outs, hidden...)
	}
	g.Compile(outs...)
	return g
}

// embeddings is CLIPVisionEmbeddings on pixels [B, C, S, S]: the patch
// embedding, a convolution of kernel and stride patch_size without bias,
// computed as a product — each p×p patch, flattened in (channel, row,
// column) order as the kernel is, times patch_embedding.weight viewed as
// [D, C·p·p] — then the class embedding prepended and the position
// embeddings added:
//
//	x = [class_embedding; patches·Wᵀ] + position_embedding   [B, 1+N, D]
func (v *Vision) embeddings(weight func(string) *Node, pixels *Node) *Node {
	c := &v.cfg
	B, C, p := pixels.Shape().Dimensions[0], c.NumChannels, c.PatchSize
	G, D := c.ImageSize/p, c.HiddenSize
	e := "vision_model.embeddings."
	patches := Reshape(pixels, B, C, G, p, G, p)
	patches = TransposeAllAxes(patches, 0, 2, 4, 1, 3, 5) // [B, gy, gx, C, py, px]
	patches = Reshape(patches, B, G*G, C*p*p)
	x := engine.Linear(patches, Reshape(weight(e+"patch_embedding.weight"), D, C*p*p), nil)
	cls := BroadcastToDims(Reshape(widen(weight(e+"class_embedding")), 1, 1, D), B, 1, D)
	x = Concatenate([]*Node{cls, x}, 1)
	pos := widen(weight(e + "position_embedding.weight"))
	return Add(x, BroadcastToDims(Reshape(pos, 1, G*G+1, D), B, G*G+1, D))
}

func widen(x *Node) *Node {
	if x.DType() != dtypes.Float32 {
		return ConvertDType(x, dtypes.Float32)
	}
	return x
}

// attendAll is bidirectional multi-head attention without a mask, as
// CLIP's vision tower attends (every image has all its patches):
// softmax(q·kᵀ·scale)·v per head, for q, k, v [B, T, H, hd]; it returns
// the heads merged, [B, T, H·hd].
func attendAll(q, k, v *Node, scale float64) *Node {
	dims := q.Shape().Dimensions
	B, T, H, hd := dims[0], dims[1], dims[2], dims[3]
	scores := MulScalar(Einsum("bthd,bshd->bhts", q, k), scale)
	out := Einsum("bhts,bshd->bthd", Softmax(scores, -1), v)
	return Reshape(out, B, T, H*hd)
}

// rows2 and rows3 copy a [B, D] or [B, T, D] float32 tensor to Go slices.
func rows2(t *tensors.Tensor) [][]float32 {
	d := t.Shape().Dimensions
	flat := tensors.MustCopyFlatData[float32](t)
	out := make([][]float32, d[0])
	for i := range out {
		out[i] = flat[i*d[1] : (i+1)*d[1] : (i+1)*d[1]]
	}
	return out
}

func rows3(t *tensors.Tensor) [][][]float32 {
	d := t.Shape().Dimensions
	flat := tensors.MustCopyFlatData[float32](t)
	out := make([][][]float32, d[0])
	for i := range out {
		out[i] = make([][]float32, d[1])
		for j := range out[i] {
			o := (i*d[1] + j) * d[2]
			out[i][j] = flat[o : o+d[2] : o+d[2]]
		}
	}
	return out
}
