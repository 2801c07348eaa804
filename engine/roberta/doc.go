// Package roberta is the RoBERTa family of the engine: sequence
// classifiers (RobertaForSequenceClassification), such as the toxicity
// judge of the AcT paper, s-nlp/roberta_toxicity_classifier. It registers
// with the engine like the language-model families, so the engine's
// points, capture and steering work on it unchanged; [engine.Info.Labels]
// marks it a classifier (Generate refuses it).
//
// # Numerics
//
// As transformers' modeling_roberta.py, in float32:
//
//   - Embeddings: LayerNorm(word[id] + token_type[0] + position[pos]) with
//     eps layer_norm_eps. Position ids start after pad_token_id
//     (padding_idx) and skip padding: pos = cumsum(m)·m + padding_idx with
//     m = (id ≠ padding_idx), so the first real token is at padding_idx + 1
//     and left or right padding shifts nothing. A sequence holds at most
//     max_position_embeddings − padding_idx − 1 tokens (512 for
//     roberta-base), [engine.Info.MaxPositions].
//   - Encoder layers, post-LayerNorm: x = LN(x + dense(attention(x)));
//     x = LN(x + dense(act(dense(x)))). Attention is bidirectional, scores
//     q·kᵀ/√head_dim with padded keys masked; act is hidden_act ("gelu" is
//     the exact erf GELU, [engine.Gelu]).
//   - Classification head on the first token (<s>): out_proj(tanh(dense(h₀))).
//     The engine applies it at every position; callers read position 0 of
//     each sequence. Dropout is the identity at inference.
//
// With the engine's own padding ([engine.Model.Forward]) every sequence
// starts at its first real token, so a batch gives each row the logits it
// has alone. transformers reads the head at slot 0 of the padded batch,
// which in a left-padded row is a pad: [engine.Model.ForwardPadded]
// reproduces that layout exactly when a test needs it.
//
// # Checkpoints
//
// Weights as transformers saves the classifier: roberta.embeddings.*,
// roberta.encoder.layer.{i}.*, classifier.dense.*, classifier.out_proj.*
// (no pooler). LayerNorm parameters named gamma and beta (old checkpoints)
// are read as weight and bias. Relative position embeddings and decoder
// configurations are refused with the value named.
//
// # Intervention points
//
// roberta.embeddings; per layer i, under roberta.encoder.layer.{i}:
// attention.self (the attention context before its output projection),
// attention.output.dense, attention.output (after the residual add and
// LayerNorm), intermediate.dense (before the activation), intermediate
// (after it), output.dense, output (after the residual add and LayerNorm;
// transformers' hidden_states[i+1]); and roberta.encoder.layer.{i} itself,
// the same value as its output.
package roberta
