package act_test

import (
	"strings"
	"testing"

	. "github.com/actsh/actsh/act"
)

// PaperOverrides puts each method at the paper's places on every shipped
// model config: the composed config names the right layer patterns.
func TestPaperOverrides(t *testing.T) {
	for _, tc := range []struct {
		model, method, want string
	}{
		{"gemma-2-2b", "linear_ot", ".*post_attention_layernorm .*post_feedforward_layernorm"},
		{"Meta-Llama-3-8B", "mean_ot", ".*self_attn.o_proj"},
		{"gpt2", "linear_ot", ".*attn.c_proj"},
		{"tiny", "linear_ot", ".+ln_.+"},
		{"gemma-2-2b", "iti_c", ".*self_attn.o_proj:input"},
		{"tiny", "act_add", "transformer.h.1"},
		{"Meta-Llama-3-8B", "act_add", "model.layers.16"},
	} {
		ov := append([]string{"model=" + tc.model}, PaperOverrides(tc.model, tc.method, 0.5, "")...)
		c, err := PipelineConfig(PipelineOptions{Overrides: ov})
		if err != nil {
			t.Fatalf("%s %s: %v", tc.model, tc.method, err)
		}
		names, err := c.Strings("model.module_names")
		if err != nil || strings.Join(names, " ") != tc.want {
			t.Errorf("%s %s: module_names %q, %v; want %s", tc.model, tc.method, names, err, tc.want)
		}
		if s, err := c.Float("intervention_params.hook_params.strength"); err != nil || s != 0.5 {
			t.Errorf("%s %s: strength %v, %v; want 0.5", tc.model, tc.method, s, err)
		}
		if n, _ := c.String("intervention_params.name"); n != tc.method {
			t.Errorf("%s %s: intervention %q", tc.model, tc.method, n)
		}
	}
	if got := PaperOverrides("gpt2", "act_add", 1, "transformer.h.3"); !strings.Contains(strings.Join(got, " "), "[transformer.h.3]") {
		t.Errorf("an explicit ActAdd layer is not used: %v", got)
	}
	for _, bad := range []func(){
		func() { PaperOverrides("mine", "act_add", 1, "") },
		func() { PaperOverrides("tiny", "dexperts", 1, "") },
		func() { PaperMethodsNamed("none,dexperts") },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("no panic")
				} else if _, ok := r.(*Error); !ok {
					t.Errorf("panic %v is not an *act.Error", r)
				}
			}()
			bad()
		}()
	}
	if m := PaperMethods(); len(m) != 6 || m[0].Label != "Original" || m[5].Label != "Linear-AcT" {
		t.Errorf("PaperMethods %v", m)
	}
}
