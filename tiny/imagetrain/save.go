package imagetrain

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph building reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/actsh/actsh/engine/safetensors"
)

// PipelineClass is the model_index.json _class_name of the folder Save
// writes: a pixel-space text-to-image pipeline (no VAE) with a CLIP text
// encoder, a UNet2DConditionModel predicting the flow-matching velocity
// and FlowMatchEulerDiscreteScheduler. diffusers has no class for this
// combination; engine/diffusion runs it under this name.
const PipelineClass = "PixelFlowPipeline"

// Save writes the model — the moving average when there is one — as a
// pipeline folder in diffusers' layout:
//
//	model_index.json
//	scheduler/scheduler_config.json      FlowMatchEulerDiscreteScheduler, shift 1
//	text_encoder/config.json, model.safetensors              CLIPTextModel
//	tokenizer/tokenizer.json, tokenizer_config.json          (from tokenizer)
//	unet/config.json, diffusion_pytorch_model.safetensors    UNet2DConditionModel
//
// tokenizer holds the tokenizer.json bytes (the one Options.Encode
// applies); tokenizer_config.json is written with model_max_length =
// the text encoder's positions and <|endoftext|> as bos, eos and pad.
// The folder is built beside dir under a temporary name and renamed into
// place: dir is the old folder or the complete new one.
func (t *Trainer) Save(dir string, tokenizer []byte) (err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return fmt.Errorf("imagetrain: save %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			err = fmt.Errorf("imagetrain: save %s: %w", dir, err)
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
		if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(name)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, name), append(b, '\n'), 0o644)
	}
	c := t.cfg
	files := []struct {
		name string
		v    any
	}{
		{"model_index.json", map[string]any{
			"_class_name": PipelineClass, "_diffusers_version": "0.30.0",
			"scheduler":    []string{"diffusers", "FlowMatchEulerDiscreteScheduler"},
			"text_encoder": []string{"transformers", "CLIPTextModel"},
			"tokenizer":    []string{"transformers", "PreTrainedTokenizerFast"},
			"unet":         []string{"diffusers", "UNet2DConditionModel"},
		}},
		{"scheduler/scheduler_config.json", map[string]any{
			"_class_name": "FlowMatchEulerDiscreteScheduler", "_diffusers_version": "0.30.0",
			"num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": false,
		}},
		{"text_encoder/config.json", c.Text.transformersConfig()},
		{"tokenizer/tokenizer_config.json", map[string]any{
			"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": c.Text.Positions,
			"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
			"unk_token": "<|endoftext|>", "add_prefix_space": false, "clean_up_tokenization_spaces": false,
		}},
		{"unet/config.json", c.UNet.diffusersConfig(c.Text.Hidden)},
	}
	for _, f := range files {
		if err = writeJSON(f.name, f.v); err != nil {
			return err
		}
	}
	if err = os.WriteFile(filepath.Join(tmp, "tokenizer", "tokenizer.json"), tokenizer, 0o644); err != nil {
		return err
	}
	var text, un []safetensors.Tensor
	for i, p := range t.ps {
		var v []float32
		if t.ema != nil {
			v = t.ema[i]
		} else {
			v = tensors.MustCopyFlatData[float32](t.params[i])
		}
		if name, ok := strings.CutPrefix(p.name, textPrefix); ok {
			text = append(text, safetensors.F32(name, p.dims, v))
		} else if name, ok := strings.CutPrefix(p.name, unetPrefix); ok {
			un = append(un, safetensors.F32(name, p.dims, v))
		}
	}
	meta := map[string]string{"format": "pt", "step": fmt.Sprint(t.step)}
	if err = safetensors.Write(filepath.Join(tmp, "text_encoder", "model.safetensors"), text, meta); err != nil {
		return err
	}
	if err = safetensors.Write(filepath.Join(tmp, "unet", "diffusion_pytorch_model.safetensors"), un, meta); err != nil {
		return err
	}
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

// Predict runs the training forward on a batch (of any size) with the
// raw weights or (ema) their average and returns the UNet's prediction
// [B, C, S, S] and the text encoder's last hidden state [B, T, D], flat;
// the tests compare them with the engine's.
func (t *Trainer) Predict(b *Batch, ema bool) (pred, states []float32, err error) {
	B := b.XT.Shape().Dimensions[0]
	g := t.predictG[B]
	if g == nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("imagetrain: build the prediction graph: %v", r)
				}
			}()
			g = NewGraph(t.backend, "tiny_images_predict")
			_, text, un := t.paramNodes(g)
			c := t.cfg.UNet
			xt := Parameter(g, "x_t", shapes.Make(dtypes.Float32, B, c.Channels, c.SampleSize, c.SampleSize))
			tproj := Parameter(g, "timestep_proj", shapes.Make(dtypes.Float32, B, c.BlockOutChannels[0]))
			ids := Parameter(g, "input_ids", shapes.Make(dtypes.Int32, B, t.cfg.Text.Positions))
			p, s := t.predict(text, un, xt, tproj, ids)
			g.Compile(p, s)
		}()
		if err != nil {
			return nil, nil, err
		}
		t.predictG[B] = g
	}
	in := make([]any, 0, len(t.ps)+3)
	for _, p := range t.weights(ema) {
		in = append(in, p)
	}
	outs, err := run(g, append(in, b.XT, b.TProj, b.IDs))
	if err != nil {
		return nil, nil, fmt.Errorf("imagetrain: predict: %w", err)
	}
	return tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1]), nil
}
