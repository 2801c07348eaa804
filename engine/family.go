package engine

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/safetensors"
)

// Weights is the tensor store a family reads its parameters from: a set of
// safetensors files, or any test double. Float32 returns the tensor converted
// to float32 with its shape, or an error naming the tensor when it is missing.
type Weights interface {
	Names() []string
	Float32(name string) ([]float32, []int, error)
}

// RawWeights is a [Weights] that also hands out a tensor as stored: its
// dtype, its shape and its little-endian bytes (a view the caller copies
// before the store is closed). [safetensors.Set] and [safetensors.File]
// implement it. [LoadParam] uses it to keep half-precision matrices in their
// dtype without a float32 copy; a Weights without it (a test double) is read
// through Float32.
type RawWeights interface {
	Weights
	Raw(name string) (safetensors.DType, []int, []byte, error)
}

// Constructor builds one architecture from the bytes of config.json and the
// checkpoint's weights. It validates the config (errors name the values
// involved) and fails per tensor on a missing or misshapen weight.
type Constructor func(config []byte, w Weights) (Arch, error)

// Arch is one loaded model of a family: its description, its intervention
// points, its parameters, and the graph functions the engine calls. See the
// package documentation, section "Writing a family", for the contract.
type Arch interface {
	// Info describes the model (sizes, special ids).
	Info() Info
	// Points lists the intervention points in module order with their width.
	Points() []Point
	// Params returns the model's parameters by canonical name. The engine
	// feeds each as a graph parameter; families read them with Pass.Weight.
	Params() map[string]*tensors.Tensor
	// Forward builds the transformer body for the tokens of p and returns
	// the final hidden states [B, T, HiddenSize] (after the final norm).
	// Every intervention point's value must go through p.Point.
	Forward(p *Pass) *graph.Node
	// Logits maps hidden states [B, T', HiddenSize] to logits
	// [B, T', Info().LogitsWidth()]: the LM head, or a classifier's head
	// applied at every position.
	Logits(p *Pass, h *graph.Node) *graph.Node
}

// Info describes a loaded model.
type Info struct {
	Family       string // family package name: "gpt2", "llama", "gemma2"
	Architecture string // the Hugging Face architectures name it was loaded as
	NumLayers    int
	HiddenSize   int
	VocabSize    int
	// NumKeyValueHeads and HeadDim size the KV cache (one entry per layer).
	NumKeyValueHeads int
	HeadDim          int
	// MaxPositions bounds the sequence length (learned position tables);
	// 0 means unbounded.
	MaxPositions int
	// BOS, EOS and Pad are the special ids from the config; -1 when absent.
	// When the config lists several EOS ids, EOS is the first.
	BOS, EOS, Pad int
	// StopTokens are all the EOS ids of the config; generation stops at
	// them by default.
	StopTokens []int
	// Labels, when not empty, makes the model a sequence classifier (an
	// encoder such as RobertaForSequenceClassification): it names the
	// classes in id order (config.json id2label), Logits returns
	// len(Labels) values per position instead of VocabSize, the
	// classification is read at the first position, and Generate refuses
	// to run.
	Labels []string
	// EmbedWidth, when positive, makes the model a text encoder without a
	// token head (CLIP's text model): Logits returns EmbedWidth values per
	// position, the family's output embedding (a pooled output or its
	// projection) computed at every position, which callers read at the
	// position the family's pooling rule names. Generate and ScoreTokens
	// refuse to run.
	EmbedWidth int
}

// LogitsWidth is the size of the last axis of Arch.Logits: len(Labels)
// for a classifier, EmbedWidth for a text encoder, VocabSize otherwise.
func (i Info) LogitsWidth() int {
	switch {
	case len(i.Labels) > 0:
		return len(i.Labels)
	case i.EmbedWidth > 0:
		return i.EmbedWidth
	}
	return i.VocabSize
}

// Point is one intervention point: a Hugging Face module name and the width
// of its value. The value is the module's output, or, for a name ending in
// [InputSuffix], the module's input.
type Point struct {
	Name  string
	Width int
}

// InputSuffix ends the name of a point that is a module's input rather than
// its output: "model.layers.3.self_attn.o_proj:input" is what o_proj
// receives (the attention heads' outputs, concatenated), the tensor a
// PyTorch forward pre-hook on o_proj sees. Families offer input points
// where a method of the paper acts on a module's input (ITI-c on attention
// heads). The suffix is not ml-act's ":N", which picks element N of a
// module's output tuple.
const InputSuffix = ":input"

// InputPoint returns the name of the point at module's input:
// module + [InputSuffix].
func InputPoint(module string) string { return module + InputSuffix }

var (
	registryMu sync.RWMutex
	registry   = map[string]Constructor{}
)

// Register makes a family constructor available under a Hugging Face
// architectures name (e.g. "GPT2LMHeadModel"). Families call it from init;
// registering a name twice panics.
func Register(architecture string, c Constructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[architecture]; dup {
		panic("engine: architecture " + architecture + " registered twice")
	}
	registry[architecture] = c
}

// Architectures lists the registered architectures names, sorted.
func Architectures() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lookup(architecture string) (Constructor, error) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	c, ok := registry[architecture]
	if !ok {
		known := "none (import github.com/actsh/actsh/engine/families)"
		if len(registry) > 0 {
			names := make([]string, 0, len(registry))
			for n := range registry {
				names = append(names, n)
			}
			sort.Strings(names)
			known = strings.Join(names, ", ")
		}
		return nil, fmt.Errorf("engine: unknown architecture %q (registered: %s)", architecture, known)
	}
	return c, nil
}

// LoadParam reads the weight name from w, checks that its shape is want,
// and returns it as a tensor. Families use it for every parameter so that
// a missing or misshapen tensor fails with its name and both shapes.
//
// With a [RawWeights], the stored bytes are decoded straight into the
// backend's memory, and matrices (two or more axes) stored in bfloat16 or
// float16 stay in that dtype where the backend runs it (see the package
// documentation, section "Memory"); everything else is float32. [Linear]
// and [Embed] widen half-precision weights inside the graph.
func LoadParam(w Weights, name string, want ...int) (*tensors.Tensor, error) {
	if rw, ok := w.(RawWeights); ok {
		return loadRaw(rw, name, want, false)
	}
	data, shape, err := w.Float32(name)
	if err != nil {
		return nil, fmt.Errorf("engine: weight %s: %w", name, err)
	}
	if !sameDims(shape, want) {
		return nil, fmt.Errorf("engine: weight %s has shape %v, want %v", name, shape, want)
	}
	return tensors.FromFlatDataAndDimensions(data, want...), nil
}

// LoadParamT reads the 2-D weight name stored [rows, cols] (checked like
// LoadParam) and returns it transposed, [cols, rows], in the dtype
// LoadParam would keep. GPT-2 uses it to turn Conv1D weights [in, out]
// into the [out, in] layout of Linear, which the backends multiply without
// a transpose at every call.
func LoadParamT(w Weights, name string, rows, cols int) (*tensors.Tensor, error) {
	if rw, ok := w.(RawWeights); ok {
		return loadRaw(rw, name, []int{rows, cols}, true)
	}
	data, shape, err := w.Float32(name)
	if err != nil {
		return nil, fmt.Errorf("engine: weight %s: %w", name, err)
	}
	if !sameDims(shape, []int{rows, cols}) {
		return nil, fmt.Errorf("engine: weight %s has shape %v, want [%d %d]", name, shape, rows, cols)
	}
	t := make([]float32, len(data))
	for r := range rows {
		for c := range cols {
			t[c*rows+r] = data[r*cols+c]
		}
	}
	return tensors.FromFlatDataAndDimensions(t, cols, rows), nil
}

// HasWeight reports whether w holds a tensor called name.
func HasWeight(w Weights, name string) bool {
	for _, n := range w.Names() {
		if n == name {
			return true
		}
	}
	return false
}

func sameDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
