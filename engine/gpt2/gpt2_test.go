package gpt2

import (
	"strings"
	"testing"

	"github.com/actsh/actsh/engine/enginetest"
)

// fakeWeights serves zero tensors of the given shapes.
type fakeWeights = enginetest.ZeroWeights

const tinyConfig = `{"architectures":["GPT2LMHeadModel"],"n_embd":8,"n_layer":1,"n_head":2,"vocab_size":10,"n_positions":4,"eos_token_id":9}`

func tinyWeights(prefix string) fakeWeights {
	w := fakeWeights{prefix + "wte.weight": {10, 8}, prefix + "wpe.weight": {4, 8}, prefix + "ln_f.weight": {8}, prefix + "ln_f.bias": {8},
		prefix + "h.0.attn.bias": {1, 1, 4, 4}}
	for n, s := range map[string][]int{"ln_1.weight": {8}, "ln_1.bias": {8}, "attn.c_attn.weight": {8, 24}, "attn.c_attn.bias": {24},
		"attn.c_proj.weight": {8, 8}, "attn.c_proj.bias": {8}, "ln_2.weight": {8}, "ln_2.bias": {8},
		"mlp.c_fc.weight": {8, 32}, "mlp.c_fc.bias": {32}, "mlp.c_proj.weight": {32, 8}, "mlp.c_proj.bias": {8}} {
		w[prefix+"h.0."+n] = s
	}
	return w
}

func TestNew(t *testing.T) {
	tests := []struct {
		name   string
		config string
		w      fakeWeights
		err    string
	}{
		{"prefixed", tinyConfig, tinyWeights("transformer."), ""},
		{"hub layout", tinyConfig, tinyWeights(""), ""},
		{"heads", strings.Replace(tinyConfig, `"n_head":2`, `"n_head":3`, 1), tinyWeights(""), "n_embd (8) must be divisible by n_head (3)"},
		{"activation", strings.Replace(tinyConfig, `{`, `{"activation_function":"relu",`, 1), tinyWeights(""), `activation_function "relu"`},
		{"bad json", `{"n_embd":`, tinyWeights(""), "gpt2: parse config"},
		{"missing", tinyConfig, func() fakeWeights { w := tinyWeights(""); delete(w, "h.0.mlp.c_fc.bias"); return w }(), "weight h.0.mlp.c_fc.bias"},
		{"misshapen", tinyConfig, func() fakeWeights { w := tinyWeights(""); w["h.0.attn.c_attn.weight"] = []int{24, 8}; return w }(),
			"h.0.attn.c_attn.weight has shape [24 8], want [8 24]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New([]byte(tc.config), tc.w)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(a.Points()); got != 8 {
				t.Errorf("%d points, want 8 (7 per block and ln_f)", got)
			}
			if info := a.Info(); info.EOS != 9 || info.BOS != -1 || info.HeadDim != 4 {
				t.Errorf("info %+v", info)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(tinyConfig))
	f.Add([]byte(`{"n_inner":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err == nil && (c.NEmbd%c.NHead != 0 || c.Inner() <= 0) {
			t.Errorf("accepted an invalid config: %+v", c)
		}
	})
}
