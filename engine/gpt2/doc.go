// Package gpt2 is the GPT-2 family of the engine (GPT2LMHeadModel).
//
// # Numerics
//
// Every projection is a Conv1D with its weight stored [in, out] (y = x·W + b;
// the family transposes these weights once at load so the backends multiply
// them in the Linear layout);
// c_attn produces q, k and v concatenated; the MLP uses gelu_new, the tanh
// GELU; positions come from the learned wpe table; the output head is tied
// to wte.
//
// # Checkpoints
//
// Weights are read with or without the "transformer." prefix (the Hub's
// gpt2 is saved from the bare GPT2Model); the causal-mask buffers attn.bias
// and attn.masked_bias are ignored.
//
// # Intervention points
//
// Per block i: transformer.h.{i}.ln_1, .attn.c_proj:input (the merged
// attention heads c_proj projects: the input of the module, see
// engine.InputSuffix), .attn.c_proj, .ln_2, .mlp.c_fc (before the GELU),
// .mlp.c_proj, and the block output transformer.h.{i} (the residual stream
// after the block; transformers returns it as element 0 of the block's
// output tuple); then transformer.ln_f.
package gpt2
