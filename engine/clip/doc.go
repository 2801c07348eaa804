// Package clip is the CLIP family of the engine: transformers'
// CLIPTextModel and CLIPTextModelWithProjection, the text encoders of the
// image models (SDXL's text_encoder is CLIP-L, its text_encoder_2
// OpenCLIP-bigG with a projection; FLUX's CLIP encoder is CLIP-L). It
// registers with the engine like the other families, so points, capture
// and steering work on it unchanged; [engine.Info.EmbedWidth] marks it a
// text encoder (Generate and ScoreTokens refuse it). The package also
// holds the vision tower, CLIPVisionModel and
// CLIPVisionModelWithProjection ([Vision]), which the evaluations need for
// image embeddings (CLIP zero-shot style scores, ClipScore): see the
// section Vision tower.
//
// # Numerics
//
// As transformers' modeling_clip.py, in float32:
//
//   - Embeddings: token_embedding[id] + position_embedding[pos]; pos is the
//     slot index, as transformers' position_ids = arange(T), for rows that
//     start with a token (a left-padded row, which only the engine's own
//     batching makes, counts from its first token instead).
//   - Layers, pre-LayerNorm: x += out_proj(attn(layer_norm1(x)));
//     x += fc2(act(fc1(layer_norm2(x)))). Attention is causal (CLIP's text
//     model is) and masks padded keys when a mask is given; scores are
//     q·kᵀ/√head_dim. act is hidden_act: quick_gelu x·σ(1.702x) (CLIP-L),
//     gelu the exact erf GELU (OpenCLIP-bigG), gelu_new and
//     gelu_pytorch_tanh the tanh form.
//   - last_hidden_state = final_layer_norm(output of the last layer).
//   - pooler_output = last_hidden_state at [Config.PoolIndex]: with
//     eos_token_id 2 (the configs converted from OpenAI's, SDXL's included)
//     transformers' legacy rule, the first argmax of the ids; otherwise the
//     first slot holding eos_token_id.
//   - text_embeds = text_projection(pooler_output), no bias
//     (CLIPTextModelWithProjection).
//
// The engine's Logits are the model's embedding at every slot:
// last_hidden_state itself for CLIPTextModel, its projection for
// CLIPTextModelWithProjection ([engine.Info.EmbedWidth] wide); pooling
// reads them at the end-of-text slot. [Encode] does this and returns, by
// slot, last_hidden_state, the penultimate hidden state, the pooled output
// and text_embeds for ids laid out as transformers takes them (padding
// included, with or without attention mask); [Tokenize] lays texts out as
// diffusers asks CLIP's tokenizers to (padding and truncation to
// max_length, 77).
//
// # Checkpoints
//
// config.json and weights as transformers saves these classes:
// text_model.embeddings.{token,position}_embedding, text_model.encoder.layers.{i}.*,
// text_model.final_layer_norm, and text_projection for the projected
// model; the position_ids buffer is ignored. diffusers' folders hold the
// text towers alone (text_encoder/, text_encoder_2/).
//
// A whole CLIPModel (architectures ["CLIPModel"], or no architectures and
// a text_config; openai/clip-vit-large-patch14, the judge of ml-act's
// image scores) is registered too: engine.Load gives its text tower and
// text_projection as a CLIPTextModelWithProjection, as transformers'
// CLIPTextModelWithProjection.from_pretrained reads such a checkpoint —
// [ParseFullConfig]: text_config with CLIPTextConfig's defaults, the
// top-level projection_dim — and [LoadVision] reads its vision tower from
// the same folder; logit_scale is not read. A config naming another
// architecture (a CLIPVisionModel folder) fails with its name. A
// config.json with a text_config that names a text encoder is refused.
// The vision tower is below.
//
// # Intervention points
//
// Named as transformers' modules, so ml-act-style patterns select them
// (.*layer_norm1, .*self_attn\.out_proj, text_model\.encoder\.layers\.\d+):
// text_model.embeddings (hidden_states[0]); per layer i, under
// text_model.encoder.layers.{i}: layer_norm1, self_attn.q_proj, k_proj,
// v_proj, self_attn.out_proj:input (the heads concatenated, for ITI-c),
// self_attn.out_proj, self_attn (the same value), layer_norm2, mlp.fc1,
// mlp.activation_fn, mlp.fc2, mlp (the same value), and the layer itself
// (after both residual adds: hidden_states[i+1]); then
// text_model.final_layer_norm (last_hidden_state).
//
// # SDXL's penultimate hidden state
//
// SDXL conditions its UNet on hidden_states[-2] of both encoders, the
// output of layer num_hidden_layers − 2 before the final layer norm, their
// concatenation along the last axis being prompt_embeds; its pooled
// embedding is text_encoder_2's text_embeds. That state is the point
// text_model.encoder.layers.{L−2} ([Model.Penultimate], [HiddenState](-2,
// L)): capture it, or steer it, like any other point; a map there changes
// what the UNet sees and everything after it, a map on a later layer only
// the pooled embedding. [Output].Penultimate returns it.
//
// # Vision tower
//
// [LoadVision] reads a CLIPVisionModel, a CLIPVisionModelWithProjection
// (an IP-Adapter's image_encoder/) or the vision half of a whole CLIPModel
// (vision_config, and visual_projection sized by the top-level
// projection_dim) into a [Vision]: a standalone GoMLX graph, compiled once
// per batch size, outside the engine's Model, since images are not token
// ids and evaluation needs no intervention points. [Vision.Forward] takes
// pixel_values [B, num_channels, image_size, image_size] and computes, as
// transformers' CLIPVisionTransformer, in float32:
//
//   - Embeddings: the patch embedding, a convolution with kernel and
//     stride patch_size and no bias, computed as a product of the
//     flattened p×p patches (row-major over the image) with the kernel;
//     class_embedding prepended; position_embedding added (1 + N rows,
//     N = (image_size/patch_size)²; interpolate_pos_encoding is not
//     implemented, so images must be image_size square).
//   - pre_layrnorm (transformers' spelling) over the sequence:
//     hidden_states[0].
//   - The pre-LayerNorm encoder layers, the same layer function as the
//     text tower's (layer.go; the text tower runs it inside the engine's
//     Pass with its points, the vision tower with none), attention
//     bidirectional and unmasked, act per hidden_act.
//   - last_hidden_state = the last layer's output, not normed (unlike the
//     text tower's); pooler_output = post_layernorm(last_hidden_state at
//     the class token); image_embeds = visual_projection(pooler_output),
//     no bias. [VisionOutput] also holds hidden_states[-2] (IP-Adapter
//     Plus's image features) and, on request, every hidden state.
//
// [Preprocess] does what transformers' CLIPImageProcessor (the PIL one)
// does to an [image.Image]: RGB, bicubic resize of the shortest side to
// image_size, centre crop, ×1/255, OpenAI's mean and std. PIL is not
// available in Go, so its resampling is reimplemented as PIL computes it
// (8-bit fixed point, antialiased when shrinking); on the test images it
// gives PIL's bytes exactly. [Vision.Embed] is Preprocess then Forward,
// returning image_embeds (the pooled output for a CLIPVisionModel),
// unnormalised.
//
// Conformance (TestConformanceCLIPVision, the fixture's tiny
// CLIPVisionModelWithProjection on its pixel_values): image_embeds within
// 1.1e-6, pooler_output 7e-7, the hidden states 2.6e-6, against atol 2e-5
// and rtol 1e-4, on the CPU backend and GoMLX's pure-Go one.
package clip
