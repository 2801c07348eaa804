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

// The recipes' shared helpers: the paper's cells, -strength, local paths.
func TestPaperHelpers(t *testing.T) {
	p := PaperTable{"gemma-2-2b": {"linear_ot/cls": 0.56}}
	for _, tc := range []struct{ model, row, want string }{
		{"gemma-2-2b", "linear_ot", "0.56"}, {"gemma-2-2b", "none", "?"}, {"tiny", "linear_ot", "–"},
	} {
		if got := p.Cell(tc.model, tc.row, "cls"); got != tc.want {
			t.Errorf("Cell(%s, %s) = %q, want %q", tc.model, tc.row, got, tc.want)
		}
	}
	if s := ParseStrengths(" linear_ot=0.5, mean_ot=1"); len(s) != 2 || s["linear_ot"] != 0.5 || s["mean_ot"] != 1 {
		t.Errorf("ParseStrengths = %v", s)
	}
	if s := ParseStrengths(""); len(s) != 0 {
		t.Errorf("ParseStrengths(\"\") = %v", s)
	}
	func() {
		defer func() {
			if r, ok := recover().(*Error); !ok || !strings.Contains(r.Error(), "want method=λ") {
				t.Errorf("ParseStrengths(linear_ot): %v, want an *Error saying what it wants", r)
			}
		}()
		ParseStrengths("linear_ot")
	}()
	if got := LocalPath("tiny"); got != "tiny" {
		t.Errorf("LocalPath(tiny) = %q", got)
	}
	if got := LocalPath("google/gemma-2-2b"); got != "google/gemma-2-2b" {
		t.Errorf("LocalPath of a hub id = %q", got)
	}
	if got := LocalPath("."); !strings.HasPrefix(got, "/") {
		t.Errorf("LocalPath(.) = %q, want an absolute path", got)
	}
}
