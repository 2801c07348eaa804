package act

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/actsh/actsh/tiny"
)

// PaperMethod is one steering method as the paper's language experiments
// run it (the rows of Tables 2 and 3, the curves of Figure 4).
type PaperMethod struct {
	Name  string // the pipeline's intervention_params: none, act_add, aura, iti_c, mean_ot, linear_ot
	Label string // the paper's name: Original, ActAdd, AurA, ITI-c, Mean-AcT, Linear-AcT
}

// paperMethods are the paper's methods with the default_module_names set
// each steers, by model config ("*": any other config). ActAdd adds its
// vector at one block output instead (paperActAddLayer).
var paperMethods = []struct {
	PaperMethod
	sets map[string]string
}{
	{PaperMethod{"none", "Original"}, nil},
	{PaperMethod{"act_add", "ActAdd"}, nil},
	{PaperMethod{"aura", "AurA"}, map[string]string{"*": "icml24"}},
	{PaperMethod{"iti_c", "ITI-c"}, map[string]string{"*": "attention_heads"}},
	{PaperMethod{"mean_ot", "Mean-AcT"}, map[string]string{"gemma-2-2b": "post_layernorm", "tiny": "layernorm", "*": "attention"}},
	{PaperMethod{"linear_ot", "Linear-AcT"}, map[string]string{"gemma-2-2b": "post_layernorm", "tiny": "layernorm", "*": "attention"}},
}

// paperActAddLayer is where ActAdd adds its vector on the model configs
// actsh ships: one block output in the middle of the model (the paper does
// not name its layer).
var paperActAddLayer = map[string]string{
	"gemma-2-2b":      "model.layers.13",
	"Meta-Llama-3-8B": "model.layers.16",
	"gpt2":            "transformer.h.6",
	"tiny":            "transformer.h.1",
}

// PaperMethods lists the paper's methods in the order of its tables.
func PaperMethods() []PaperMethod {
	out := make([]PaperMethod, len(paperMethods))
	for i, m := range paperMethods {
		out[i] = m.PaperMethod
	}
	return out
}

// PaperMethodsNamed returns the methods named in a comma-separated list
// ("none,linear_ot"), in its order; an unknown name panics with the known
// ones.
func PaperMethodsNamed(names string) []PaperMethod {
	var out []PaperMethod
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, m := range paperMethods {
			if m.Name == n {
				out, found = append(out, m.PaperMethod), true
			}
		}
		if !found {
			var known []string
			for _, m := range paperMethods {
				known = append(known, m.Name)
			}
			fail("unknown method %q (known: %s)", n, strings.Join(known, ", "))
		}
	}
	return out
}

// PaperOverrides returns the pipeline overrides that run method at the
// paper's places on a model config (model=NAME): intervention_params, the
// layer set of the config's default_module_names the paper steers with it
// (Gemma-2: Linear-AcT and Mean-AcT at the post-layernorms; Llama 3 and
// others: at the attention outputs; AurA at the MLP units, ITI-c at the
// attention heads), or for ActAdd one block output (actAddLayer, "" for
// the middle block of the configs actsh ships), and the strength λ
// (none: no strength).
func PaperOverrides(model, method string, lambda float64, actAddLayer string) []string {
	for _, m := range paperMethods {
		if m.Name != method {
			continue
		}
		ov := []string{"intervention_params=" + method}
		switch {
		case method == "act_add":
			layer := actAddLayer
			if layer == "" {
				layer = paperActAddLayer[model]
			}
			if layer == "" {
				fail("PaperOverrides: no default ActAdd layer for model %s: name the block output it adds at (e.g. model.layers.6)", model)
			}
			ov = append(ov, "model.module_names=["+layer+"]")
		case m.sets != nil:
			set, ok := m.sets[model]
			if !ok {
				set = m.sets["*"]
			}
			ov = append(ov, "model.module_names=${model.default_module_names."+set+"}")
		}
		if method != "none" {
			ov = append(ov, "intervention_params.hook_params.strength="+strconv.FormatFloat(lambda, 'g', -1, 64))
		}
		return ov
	}
	PaperMethodsNamed(method) // fails naming the known ones
	panic(fmt.Sprintf("unreachable: %s", method))
}

// PaperTable holds numbers from the paper that a recipe prints beside its
// own: model config → "row/measure" → value.
type PaperTable map[string]map[string]float64

// Cell formats the paper's number for a row and measure of a model: the
// value, "?" where the table has the model but not that number (not
// copied in yet), "–" for a model the paper does not run.
func (p PaperTable) Cell(model, row, measure string) string {
	if v, ok := p[model][row+"/"+measure]; ok {
		return fmt.Sprintf("%.2f", v)
	}
	if _, ok := p[model]; ok {
		return "?"
	}
	return "–"
}

// ParseStrengths reads a recipe's -strength flag, "method=λ,..." (empty:
// none), into λ by method; a malformed entry panics naming it.
func ParseStrengths(s string) map[string]float64 {
	out := map[string]float64{}
	if strings.TrimSpace(s) == "" {
		return out
	}
	for _, kv := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(kv, "=")
		l, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || err != nil || strings.TrimSpace(name) == "" {
			fail("strength %q: want method=λ, e.g. linear_ot=0.5", kv)
		}
		out[strings.TrimSpace(name)] = l
	}
	return out
}

// LocalPath makes p absolute when it names an existing file or folder, and
// leaves anything else (Hugging Face ids, "tiny") as it is: what a script
// passes as a pipeline override naming a model or data that may be local.
func LocalPath(p string) string {
	if _, err := os.Stat(p); err != nil || p == tiny.Name {
		return p
	}
	return AbsPath(p)
}

// AbsPath is filepath.Abs of p, or p where that fails.
func AbsPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
