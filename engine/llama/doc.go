// Package llama is the Llama family of the engine, registered as
// LlamaForCausalLM, MistralForCausalLM and Qwen2ForCausalLM: the three
// differ only by config flags (Mistral: sliding_window; Qwen2: biases on q,
// k and v, optional tied head, sliding window only with use_sliding_window).
//
// # Numerics
//
// RMSNorm scales by w (no +1), computed in float32; attention scores are
// scaled by head_dim^(−1/2); rotary embeddings use the half-split
// rotate_half layout of Hugging Face checkpoints (dimension i pairs with
// i + head_dim/2) with llama3 or linear frequency scaling from rope_scaling
// ([Config.InvFreq]); grouped-query attention gives query head h the
// key/value head h / (num_attention_heads / num_key_value_heads).
//
// # Sliding window
//
// With a window W (Mistral's sliding_window, 4096 when config.json leaves
// it out and none when it is null; Qwen2's only with use_sliding_window)
// the query in cache slot i sees the keys in slots i−W+1 … i: W keys, its
// own included, as transformers' eager and sdpa attention mask them
// (transformers 4.45–4.52 in MistralModel's
// _prepare_4d_causal_attention_mask_with_cache_position, later releases in
// masking_utils.sliding_window_overlay). Slots are KV-cache positions,
// padding included, so generation with a cache applies the same rule with
// absolute slots, and left or right padding changes nothing for the real
// tokens; padding in the middle of a row (ForwardPadded) uses up window
// places, as in transformers. Some older transformers releases, and its
// flash-attention path until PR #40163 (August 2025), let W+1 keys
// through; the tests follow the eager/sdpa rule
// (testdata/reference/mistral).
//
// # Intervention points
//
// model.embed_tokens; per layer i: model.layers.{i}.input_layernorm,
// .self_attn.{q,k,v}_proj, .self_attn.o_proj:input (o_proj's input: the
// attention heads' outputs concatenated, num_attention_heads·head_dim
// wide; see engine.InputSuffix), .self_attn.o_proj, .self_attn,
// .post_attention_layernorm (the
// pre-MLP norm of the residual stream), .mlp.{gate,up,down}_proj, .mlp, and
// the layer output model.layers.{i}; then model.norm.
package llama
