// Package gemma2 is the Gemma-2 family (Hugging Face Gemma2ForCausalLM) for
// the engine. Import it for its side effect, or import engine/families:
//
//	import _ "github.com/actsh/actsh/engine/gemma2"
//
// after which engine.New and engine.Load build a [Model] from any
// checkpoint whose config.json names Gemma2ForCausalLM. Numerics follow
// transformers' Gemma2 modelling code in float32.
//
// # Configuration
//
// [ParseConfig] reads config.json into a [Config] whose fields keep Hugging
// Face's names and meanings (hidden_size, num_key_value_heads, head_dim,
// query_pre_attn_scalar, attn_logit_softcapping, final_logit_softcapping,
// sliding_window, layer_types, hidden_activation, ...). Invalid values fail
// with an error naming them: "gemma2: num_attention_heads (4) must be a
// multiple of num_key_value_heads (3)". [New] then loads every weight by
// its Hugging Face name; a missing or misshapen tensor fails with its name
// and both shapes.
//
// # The model
//
// With D = hidden_size and x the residual stream:
//
//	x = embed_tokens(ids) · √D                       (√D rounded to float32)
//	per layer i:
//	  h = input_layernorm(x)
//	  x += post_attention_layernorm(o_proj(attn_i(h)))
//	  h = pre_feedforward_layernorm(x)
//	  x += post_feedforward_layernorm(down_proj(gelu_tanh(gate_proj(h)) ⊙ up_proj(h)))
//	logits = c_f · tanh(model.norm(x) · Eᵀ / c_f)      (E = embed_tokens, tied)
//
// Every norm is RMSNorm with scale 1 + w: x·rsqrt(mean(x²) + eps)·(1 + w).
// Attention is grouped-query (query head h uses key/value head
// h / (heads/kv_heads)), with rotary embeddings in the rotate_half layout,
// scores (q·kᵀ)·query_pre_attn_scalar^(−1/2) soft-capped as
// c_a·tanh(s/c_a) before the causal mask, and a softmax in float32.
// Sliding layers (the even ones, or those layer_types names
// sliding_attention) let query i see keys i−W+1…i only, W = sliding_window;
// the engine masks by absolute cache slot, so the window holds at every
// decoding step with a KV cache of any length.
//
// # Intervention points
//
// [Model.Points] lists, in module order: model.embed_tokens (the lookup,
// before the √D scaling); per layer model.layers.{i}.input_layernorm,
// .self_attn.{q,k,v}_proj, .self_attn.o_proj:input (o_proj's input: the
// attention heads' outputs concatenated, num_attention_heads·head_dim
// wide, which is not hidden_size on gemma-2-2b: 8·256 = 2048),
// .self_attn.o_proj, .self_attn (= o_proj's output),
// .post_attention_layernorm (the attention branch after its norm, before
// the residual add), .pre_feedforward_layernorm, .mlp.{gate,up,down}_proj,
// .mlp (= down_proj's output), .post_feedforward_layernorm and
// model.layers.{i} (the layer's output); then model.norm. Each value is
// that module's output, before any residual addition, as a forward hook
// sees it in transformers; the :input point is what a forward pre-hook on
// o_proj sees.
package gemma2
