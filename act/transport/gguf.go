package transport

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// GGUF value and tensor type codes used by control vectors (GGUF v3).
const (
	ggufMagic     = "GGUF"
	ggufVersion   = 3
	ggufAlignment = 32
	ggufUint32    = 4
	ggufString    = 8
	ggmlF32       = 0
)

// ggufPoint matches the points whose additive map llama.cpp's control
// vectors can express: the output of block k, or a module whose output is
// added to the residual stream as the block's last step (so adding b to it
// equals adding b to the block output).
var ggufPoint = regexp.MustCompile(`^(?:model\.layers|transformer\.h)\.(\d+)(?:|\.mlp|\.mlp\.down_proj|\.mlp\.c_proj|\.post_feedforward_layernorm)$`)

// ControlVectorLayer returns the llama.cpp control-vector layer index of a
// point, or an error saying why the point does not map. llama.cpp adds
// tensor direction.k to the output of block k (0-based) after its last
// residual add, at every position; block 0 cannot be steered. The points
// that map are:
//
//	model.layers.{k}, transformer.h.{k}          the block output itself
//	model.layers.{k}.mlp, .mlp.down_proj         Llama/Mistral/Qwen2 MLP, added last
//	model.layers.{k}.post_feedforward_layernorm  Gemma-2, added last
//	transformer.h.{k}.mlp, .mlp.c_proj           GPT-2 MLP, added last
//
// Points inside a block before its MLP (post_attention_layernorm, ln_2,
// attention outputs) are refused: shifting them also changes what the MLP
// sees, which a control vector cannot express.
func ControlVectorLayer(point string) (int, error) {
	k, err := controlLayer(point)
	if err != nil {
		return 0, fmt.Errorf("transport: %w", err)
	}
	return k, nil
}

func controlLayer(point string) (int, error) {
	m := ggufPoint.FindStringSubmatch(point)
	if m == nil {
		return 0, fmt.Errorf("point %q does not map to a llama.cpp control-vector layer (want a block output or the module added last into the residual stream, e.g. model.layers.3.mlp.down_proj)", point)
	}
	k, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, fmt.Errorf("point %q: layer %q: %w", point, m[1], err)
	}
	if k == 0 {
		return 0, fmt.Errorf("point %q is block 0, which llama.cpp control vectors cannot steer", point)
	}
	return k, nil
}

// additiveTol is how far from 1 a weight may be for a map to count as
// additive (w = 1 up to float32 rounding).
const additiveTol = 1e-6

// ExportGGUF writes the transport as a llama.cpp control vector (GGUF v3,
// general.architecture = "controlvector", controlvector.model_hint,
// controlvector.layer_count, one F32 tensor direction.{k} [n_embd] per
// point holding b). It accepts only additive maps (w = 1: Mean-AcT, ActAdd,
// ITI-c) without support bounds; bounds of ±1e6 or wider (q_all) count as
// none. Scale with llama.cpp's --control-vector-scaled FILE λ, which gives
// out = z + λ·b as [Transport.Apply] does. See [ControlVectorLayer] for the
// point names accepted.
func (t *Transport) ExportGGUF(path string) error {
	points := t.PointNames()
	if len(points) == 0 {
		return fmt.Errorf("transport: export %s: no maps", path)
	}
	layers := map[int]string{}
	var order []int
	for _, p := range points {
		m := t.Maps[p]
		if err := additive(p, m); err != nil {
			return fmt.Errorf("transport: export %s: %w", path, err)
		}
		k, err := controlLayer(p)
		if err != nil {
			return fmt.Errorf("transport: export %s: %w", path, err)
		}
		if prev, ok := layers[k]; ok {
			return fmt.Errorf("transport: export %s: points %s and %s both map to layer %d", path, prev, p, k)
		}
		if n := t.Maps[points[0]].Units(); m.Units() != n {
			return fmt.Errorf("transport: export %s: point %s has %d units, %s has %d: a control vector has one width", path, p, m.Units(), points[0], n)
		}
		layers[k] = p
		order = append(order, k)
	}
	var buf bytes.Buffer
	w := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) }
	str := func(s string) { w(uint64(len(s))); buf.WriteString(s) }
	buf.WriteString(ggufMagic)
	w(uint32(ggufVersion))
	w(uint64(len(order))) // tensors
	w(uint64(3))          // key-value pairs
	str("general.architecture")
	w(uint32(ggufString))
	str("controlvector")
	str("controlvector.model_hint")
	w(uint32(ggufString))
	str(t.Meta.Model)
	str("controlvector.layer_count")
	w(uint32(ggufUint32))
	w(uint32(len(order)))
	var offset uint64
	for _, k := range order {
		n := t.Maps[layers[k]].Units()
		str("direction." + strconv.Itoa(k))
		w(uint32(1)) // dims
		w(uint64(n))
		w(uint32(ggmlF32))
		w(offset)
		offset += align(uint64(4 * n))
	}
	pad(&buf)
	for _, k := range order {
		for _, v := range t.Maps[layers[k]].B {
			w(math.Float32bits(v))
		}
		pad(&buf)
	}
	if err := writeAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("transport: export %s: %w", path, err)
	}
	return nil
}

// additive checks that a map is z + b with no (finite) support.
func additive(point string, m *Map) error {
	if m.Knots != nil {
		return fmt.Errorf("point %s has a piecewise-linear map, a control vector only adds", point)
	}
	for j, w := range m.W {
		if math.Abs(float64(w)-1) > additiveTol {
			return fmt.Errorf("point %s unit %d has w = %g: a control vector only adds (w = 1: mean_ot, actadd, itic)", point, j, w)
		}
	}
	for j := range m.W {
		if m.Lo != nil && m.Lo[j] > -1e6 || m.Hi != nil && m.Hi[j] < 1e6 {
			return fmt.Errorf("point %s unit %d has support (%g, %g): a control vector cannot gate; fit with support q_all", point, j, bound(m.Lo, j, -1), bound(m.Hi, j, 1))
		}
	}
	return nil
}

func bound(b []float32, j int, inf int) float64 {
	if b == nil {
		return math.Inf(inf)
	}
	return float64(b[j])
}

func align(n uint64) uint64 { return (n + ggufAlignment - 1) / ggufAlignment * ggufAlignment }

func pad(buf *bytes.Buffer) {
	for buf.Len()%ggufAlignment != 0 {
		buf.WriteByte(0)
	}
}
