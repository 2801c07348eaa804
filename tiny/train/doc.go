// Package train trains the embedded default model "tiny" from scratch: a
// small GPT-2 (GPT2LMHeadModel layout) on GoMLX, with automatic
// differentiation (graph.Gradient) and an in-graph AdamW.
//
// # Use
//
//	opts := train.Options{Model: train.DefaultConfig(), Steps: 3000, Batch: 16, LR: 2e-3, Seed: 1,
//		Log: func(p train.Progress) { fmt.Println(p.Step, p.Loss, p.PPL) }}
//	t, err := train.New(opts)
//	...
//	last, err := train.TrainAndSave(ctx, t, trainIDs, validIDs, "tiny_model", "tiny/data/tokenizer")
//
// recipes/tiny_train.go wraps this with flags and the corpus and
// tokenizer of tiny/data.
//
// # Model and optimiser
//
// [Config] sizes the model with GPT2Config's meanings; [DefaultConfig] is
// 4 layers, 256 wide, 8 heads, 128 positions, 4096 tokens (4.24M
// parameters). Initialisation is GPT-2's (N(0, 0.02²), residual
// projections scaled by 1/√(2·layers), biases 0, norm gains 1), drawn
// from Options.Seed. Each step samples Batch random windows of
// Positions+1 tokens from the training stream (also from the seed), takes
// the mean next-token cross-entropy, clips the global gradient norm and
// applies AdamW (β = 0.9, 0.95; decoupled weight decay on 2-D weights)
// with linear warm-up and cosine decay to a tenth of the peak rate. The
// same seed on the same backend gives bit-identical runs.
//
// # Checkpoint
//
// [Trainer.Save] writes a Hugging Face folder — config.json,
// generation_config.json, model.safetensors with GPT2LMHeadModel's names
// (Conv1D weights [in, out], head tied to wte, so no lm_head.weight), and
// the tokenizer files — built under a temporary name beside the target
// and renamed into place: the folder is complete or absent. A run
// stopped by its context saves nothing.
//
// The training forward is written here, not taken from engine/gpt2,
// because the engine feeds a family's weights as graph parameters inside
// its own compile step, with no way to differentiate through them; it
// uses the engine's Embed and GeluTanh and re-states LayerNorm with Sqrt
// (GoMLX has no gradient for Rsqrt) and the q/k/v split as a one-hot
// contraction (the pure-Go backend lacks the Pad that Slice's gradient
// needs). Every contraction goes through a helper that supplies its
// gradients as contractions: GoMLX's own gradient of Einsum/DotGeneral
// materialises the broadcast product of the operands, which at batch 16
// needs 8 GB for the tied head alone and ran a step ~10× slower. The tests load a saved checkpoint with engine.Load and check
// that its logits match [Trainer.Logits] (measured max |Δ| 6e-8).
package train
