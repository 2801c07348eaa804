package llama

import (
	"math"
	"strings"
	"testing"

	"github.com/actsh/actsh/engine/enginetest"
)

// fakeWeights serves zero tensors of the given shapes.
type fakeWeights = enginetest.ZeroWeights

const tinyConfig = `{"hidden_size":8,"intermediate_size":12,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"vocab_size":10,"eos_token_id":[3,4],"bos_token_id":1}`

func tinyWeights(qkvBias, head bool) fakeWeights {
	w := fakeWeights{"model.embed_tokens.weight": {10, 8}, "model.norm.weight": {8}}
	if head {
		w["lm_head.weight"] = []int{10, 8}
	}
	l := "model.layers.0."
	for n, s := range map[string][]int{"input_layernorm.weight": {8}, "post_attention_layernorm.weight": {8},
		"self_attn.q_proj.weight": {8, 8}, "self_attn.k_proj.weight": {4, 8}, "self_attn.v_proj.weight": {4, 8},
		"self_attn.o_proj.weight": {8, 8}, "mlp.gate_proj.weight": {12, 8}, "mlp.up_proj.weight": {12, 8}, "mlp.down_proj.weight": {8, 12}} {
		w[l+n] = s
	}
	if qkvBias {
		w[l+"self_attn.q_proj.bias"] = []int{8}
		w[l+"self_attn.k_proj.bias"] = []int{4}
		w[l+"self_attn.v_proj.bias"] = []int{4}
	}
	return w
}

func TestNew(t *testing.T) {
	tests := []struct {
		name, arch, config string
		w                  fakeWeights
		err                string
		window             int
		tied               bool
	}{
		{"llama", "LlamaForCausalLM", tinyConfig, tinyWeights(false, true), "", 0, false},
		{"llama tied", "LlamaForCausalLM", strings.Replace(tinyConfig, `{`, `{"tie_word_embeddings":true,`, 1), tinyWeights(false, false), "", 0, true},
		{"mistral", "MistralForCausalLM", strings.Replace(tinyConfig, `{`, `{"sliding_window":4,`, 1), tinyWeights(false, true), "", 4, false},
		// Windows as transformers' configs read them: MistralConfig defaults
		// sliding_window to 4096 and has no use_sliding_window; Qwen2 slides
		// only with use_sliding_window; Llama never slides.
		{"mistral absent window", "MistralForCausalLM", tinyConfig, tinyWeights(false, true), "", 4096, false},
		{"mistral null window", "MistralForCausalLM", strings.Replace(tinyConfig, `{`, `{"sliding_window":null,`, 1), tinyWeights(false, true), "", 0, false},
		{"mistral ignores use_sliding_window", "MistralForCausalLM", strings.Replace(tinyConfig, `{`, `{"sliding_window":4,"use_sliding_window":false,`, 1), tinyWeights(false, true), "", 4, false},
		{"qwen2", "Qwen2ForCausalLM", strings.Replace(tinyConfig, `{`, `{"sliding_window":4,"use_sliding_window":false,`, 1), tinyWeights(true, true), "", 0, false},
		{"qwen2 sliding", "Qwen2ForCausalLM", strings.Replace(tinyConfig, `{`, `{"sliding_window":4,"use_sliding_window":true,`, 1), tinyWeights(true, true), "", 4, false},
		{"qwen2 default", "Qwen2ForCausalLM", strings.Replace(tinyConfig, `{`, `{"sliding_window":4,`, 1), tinyWeights(true, true), "", 0, false},
		{"llama ignores window", "LlamaForCausalLM", strings.Replace(tinyConfig, `{`, `{"sliding_window":4,"use_sliding_window":true,`, 1), tinyWeights(false, true), "", 0, false},
		{"qwen2 no bias", "Qwen2ForCausalLM", tinyConfig, tinyWeights(false, true), "weight model.layers.0.self_attn.q_proj.bias", 0, false},
		{"heads", "LlamaForCausalLM", strings.Replace(tinyConfig, `"num_attention_heads":2`, `"num_attention_heads":3`, 1), tinyWeights(false, true),
			"hidden_size (8) must be divisible by num_attention_heads (3)", 0, false},
		{"kv heads", "LlamaForCausalLM", strings.Replace(tinyConfig, `"num_key_value_heads":1`, `"num_key_value_heads":3`, 1), tinyWeights(false, true),
			"num_attention_heads (2) must be a multiple of num_key_value_heads (3)", 0, false},
		{"rope type", "LlamaForCausalLM", strings.Replace(tinyConfig, `{`, `{"rope_scaling":{"rope_type":"yarn","factor":2},`, 1), tinyWeights(false, true),
			`rope_scaling type "yarn"`, 0, false},
		{"misshapen", "LlamaForCausalLM", tinyConfig, func() fakeWeights {
			w := tinyWeights(false, true)
			w["model.layers.0.self_attn.k_proj.weight"] = []int{8, 8}
			return w
		}(),
			"k_proj.weight has shape [8 8], want [4 8]", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New([]byte(tc.config), tc.arch, tc.w)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.cfg.Window != tc.window || m.tied != tc.tied {
				t.Errorf("window %d tied %v, want %d %v", m.cfg.Window, m.tied, tc.window, tc.tied)
			}
			info := m.Info()
			if info.EOS != 3 || len(info.StopTokens) != 2 || info.BOS != 1 || info.Architecture != tc.arch {
				t.Errorf("info %+v", info)
			}
		})
	}
}

// TestInvFreqLlama3 checks the three branches of llama3 scaling against
// the formulas (tolerance 1e-6 relative, float32 storage).
func TestInvFreqLlama3(t *testing.T) {
	c, err := ParseConfig([]byte(`{"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":4,"vocab_size":4,
		"rope_theta":500000,"rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":64}}`), "LlamaForCausalLM")
	if err != nil {
		t.Fatal(err)
	}
	got := c.InvFreq()
	for i, g := range got {
		f := math.Pow(500000, -float64(2*i)/16)
		wave := 2 * math.Pi / f
		want := f
		switch {
		case wave < 16:
		case wave > 64:
			want = f / 8
		default:
			s := (64/wave - 1) / 3
			want = (1-s)*f/8 + s*f
		}
		if math.Abs(float64(g)-want)/want > 1e-6 {
			t.Errorf("inv_freq[%d] = %g, want %g", i, g, want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(tinyConfig))
	f.Add([]byte(`{"rope_scaling":{"type":"linear","factor":0}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "LlamaForCausalLM")
		if err == nil && (c.HeadDim <= 0 || c.NumAttentionHeads%c.NumKeyValueHeads != 0) {
			t.Errorf("accepted an invalid config: %+v", c)
		}
	})
}
