// Package t5 is the T5 family of the engine: transformers'
// T5EncoderModel, the encoder half of T5, which FLUX.1 uses as its
// text_encoder_2 (google/t5-v1_1-xxl) beside the CLIP encoder of package
// clip. It registers with the engine like the other families, so points,
// capture and steering work on it unchanged; [engine.Info.EmbedWidth]
// marks it a text encoder without a head (Generate and ScoreTokens refuse
// it).
//
// # Numerics
//
// As transformers' modeling_t5.py, in float32, for T5 v1.1 and the
// original T5 alike:
//
//   - Embeddings: shared[id], unscaled.
//   - Blocks, pre-norm: x += o(attn(q(h), k(h), v(h))), h = rms(x);
//     x += wo(act(wi_0(h))·wi_1(h)) with feed_forward_proj "gated-…"
//     (v1.1; "gated-gelu" means gelu_new, the tanh form), wo(act(wi(h)))
//     without gating (v1.0's ReLU). No linear layer has a bias.
//   - rms is T5's layer norm: w·x/√(mean(x²) + layer_norm_epsilon), no
//     mean subtraction, no bias.
//   - Attention: scores = q·kᵀ + position_bias, with no 1/√d_kv scaling;
//     num_heads·d_kv, the inner width, need not equal d_model. Padded keys
//     are masked when a mask is given; queries see keys before and after
//     them.
//   - position_bias: only block 0 has relative_attention_bias
//     [relative_attention_num_buckets, num_heads]; its bias, computed once,
//     serves every block. The bucket of key j seen from query i depends on
//     j − i alone ([Bucket]): half the buckets per direction, the first
//     half of those exact distances, the rest logarithmic up to
//     relative_attention_max_distance. The logarithm is taken in float32
//     as torch takes it, which decides the bucket where the exact value is
//     an integer; the buckets are computed on the host and gathered in the
//     graph, so every backend agrees. The bias reaches the engine's
//     attention through [engine.AttnOptions].Bias.
//   - last_hidden_state = final_layer_norm(output of the last block).
//     transformers' hidden_states are the embeddings, the outputs of
//     blocks 0 … n−2, and last_hidden_state (T5Stack appends the
//     final-normed state, not block n−1's output): [HiddenState] names
//     their points.
//
// Dropout is the identity at inference. Relative positions bound no
// length: [engine.Info.MaxPositions] is 0. Slots differ by the same amount
// with or without the engine's left or right padding, so a batch gives
// each sequence what it has alone.
//
// # Encoding prompts
//
// [Encode] returns last_hidden_state by slot for ids laid out as
// transformers takes them, padding included, with or without attention
// mask. FluxPipeline tokenizes with padding="max_length" to
// max_sequence_length (256 for FLUX.1-schnell, 512 for dev) and calls the
// encoder without a mask, so padding slots attend and are attended to;
// [PadIDs] lays a tokenizer's ids (without special tokens) out that way:
// truncated, then </s>, then pad.
//
// # Conformance
//
// TestConformanceT5 reads every T5 fixture under
// testdata/reference/encoders by its files alone. On the tiny T5 v1.1
// fixture (3 blocks, inner width 32, 32 buckets over 128) every
// hidden state and last_hidden_state, with and without attention mask,
// is within 3.1e-6 of the reference (tolerance 5e-5 + 1e-4·|x|), the
// bucket table is exact, and the engine's own batching (alone, padded
// right and left) agrees within 3.0e-6, on our CPU backend and on
// GOMLX_BACKEND=go. [Bucket] equals torch 1.13's bucket for every
// distance up to 2048 in 64 bucket and distance settings.
//
// # Checkpoints
//
// config.json and weights as transformers saves a T5EncoderModel:
// shared.weight (the tied token embedding; encoder.embed_tokens.weight,
// the same tensor, is read when it is the only one stored),
// encoder.block.{i}.layer.0.{layer_norm,SelfAttention.{q,k,v,o}},
// encoder.block.0.layer.0.SelfAttention.relative_attention_bias,
// encoder.block.{i}.layer.1.{layer_norm,DenseReluDense.{wi_0,wi_1,wo}}
// (wi without gating) and encoder.final_layer_norm. A whole T5
// checkpoint's decoder and lm_head weights are ignored; a config naming
// another architecture (T5ForConditionalGeneration) or is_decoder is
// refused with its name. Half-precision matrices stay so in memory (the
// engine's Memory section); FLUX ships T5-XXL in bfloat16.
//
// # Intervention points
//
// Named as transformers' modules, so ml-act-style patterns select them
// (.*layer\.0\.layer_norm, .*DenseReluDense\.wo, encoder\.block\.\d+);
// where a module returns a tuple (the block, its layers, SelfAttention)
// the point is its hidden state, element 0. In the order they are
// computed: encoder.embed_tokens (hidden_states[0]; transformers also
// lists the module as "shared"); per block i, under encoder.block.{i}:
// layer.0.layer_norm, layer.0.SelfAttention.q, .k and .v (inner width),
// layer.0.SelfAttention.o:input (the heads concatenated, for ITI-c),
// layer.0.SelfAttention.o, layer.0.SelfAttention (the same value),
// layer.0 (after the residual add), layer.1.layer_norm, then under
// layer.1.DenseReluDense: wi_0, act, wi_1 (wi and act without gating),
// wo:input (the gated product), wo, and DenseReluDense itself (the same
// value); layer.1 (after the residual add) and the block itself (the same
// value, hidden_states[i+1] for i < n−1); then encoder.final_layer_norm
// (last_hidden_state, FLUX's prompt_embeds).
package t5
