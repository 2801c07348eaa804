package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/safetensors"
)

// hfConfig is the config.json written for the model, with Hugging Face's
// GPT2Config field names.
func (c Config) hfConfig() map[string]any {
	return map[string]any{
		"architectures":                   []string{"GPT2LMHeadModel"},
		"model_type":                      "gpt2",
		"vocab_size":                      c.Vocab,
		"n_positions":                     c.Positions,
		"n_ctx":                           c.Positions,
		"n_embd":                          c.Embd,
		"n_layer":                         c.Layers,
		"n_head":                          c.Heads,
		"n_inner":                         nil,
		"activation_function":             "gelu_new",
		"layer_norm_epsilon":              layerNormEps,
		"initializer_range":               0.02,
		"resid_pdrop":                     0.0,
		"embd_pdrop":                      0.0,
		"attn_pdrop":                      0.0,
		"scale_attn_weights":              true,
		"tie_word_embeddings":             true,
		"bos_token_id":                    c.EOS,
		"eos_token_id":                    c.EOS,
		"torch_dtype":                     "float32",
		"summary_activation":              nil,
		"summary_first_dropout":           0.1,
		"summary_proj_to_labels":          true,
		"summary_type":                    "cls_index",
		"summary_use_proj":                true,
		"reorder_and_upcast_attn":         false,
		"scale_attn_by_inverse_layer_idx": false,
		"use_cache":                       true,
	}
}

// Save writes the model to dir in Hugging Face layout: config.json,
// generation_config.json, model.safetensors (GPT2LMHeadModel names,
// Conv1D weights [in, out], tied head) and, when tokenizerDir is not
// empty, its tokenizer.json and tokenizer_config.json. The folder is
// built next to dir under a temporary name and renamed into place, so dir
// is either the old folder or the complete new one; an existing dir is
// replaced.
func (t *Trainer) Save(dir, tokenizerDir string) (err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return fmt.Errorf("train: save %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			err = fmt.Errorf("train: save %s: %w", dir, err)
		}
	}()
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	writeJSON := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, name), append(b, '\n'), 0o644)
	}
	if err = writeJSON("config.json", t.cfg.hfConfig()); err != nil {
		return err
	}
	if err = writeJSON("generation_config.json", map[string]any{
		"bos_token_id": t.cfg.EOS, "eos_token_id": t.cfg.EOS}); err != nil {
		return err
	}
	ts := make([]safetensors.Tensor, len(t.ps))
	for i, p := range t.ps {
		ts[i] = safetensors.F32(p.name, p.dims, tensors.MustCopyFlatData[float32](t.params[i]))
	}
	meta := map[string]string{"format": "pt", "step": fmt.Sprint(t.step)}
	if err = safetensors.Write(filepath.Join(tmp, "model.safetensors"), ts, meta); err != nil {
		return err
	}
	if tokenizerDir != "" {
		for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
			var b []byte
			if b, err = os.ReadFile(filepath.Join(tokenizerDir, name)); err != nil {
				return err
			}
			if err = os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
				return err
			}
		}
	}
	// Swap into place: move an existing dir aside first (rename cannot
	// replace a non-empty folder), then remove it.
	var old string
	if _, serr := os.Stat(dir); serr == nil {
		old = tmp + ".old"
		if err = os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}
