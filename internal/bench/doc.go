// Package bench measures actsh against PyTorch on the same machine, in the
// same run: the logic of `actsh bench`.
//
// # Workloads
//
// Three workloads, each timed on our side (the engine on the process's
// GoMLX backend, or package act/estimate) and on PyTorch's (the embedded
// scripts of package scripts/bench, run with Debian's /usr/bin/python3):
//
//   - prefill: one forward pass over a batch of 8 sequences of 128 tokens,
//     up to the final layernorm (no logits), on a GPT-2-small-shaped model
//     with random weights (12 layers, 768 wide, 12 heads, vocab 50257);
//     tokens/s = 8·128 / seconds.
//   - decode: greedy generation of 48 new tokens for a batch of 8 prompts
//     of 16 tokens with a KV cache (one prefill pass, then one pass per
//     token); tokens/s = 8·48 / seconds.
//   - fit: Linear-AcT on synthetic float32 responses the size of
//     Gemma-2-2B's post-LN points (52 points × 2304 units, 512 source and
//     512 target samples); fits/s, one fit being all 52 points. PyTorch's
//     side runs ml-act's fit as it is ("ml-act", which computes the
//     bounds of all nine supports) and with only the support used
//     ("one-support", q_0_100: the work actsh does).
//
// prefill and decode run in two variants: plain, and steered with an affine
// map (random w, b; bounds ±1e6, ml-act's q_all) at every layernorm output
// (transformer.h.N.ln_1, transformer.h.N.ln_2, transformer.ln_f) with
// λ = 0.5. PyTorch applies the maps with register_forward_hook on the
// LayerNorm modules, as ml-act does with Hugging Face models; its fit mirrors
// ml-act's (a Python loop over units sorting each column, the nine
// supports' quantiles, float64 numpy least squares).
//
// # Fairness
//
// Both sides get the same weights, maps, token ids and responses (Go writes
// them to a temporary safetensors file that the scripts read), and the
// same number of threads: torch.set_num_threads(GOMAXPROCS). Each timing
// is preceded by one untimed warm-up run (on our side it compiles the
// graphs), reported apart. Each result carries a check that both sides
// computed the same thing: the prefill's last-position ln_f outputs (max
// absolute difference), the decode's greedy tokens (fraction equal), the
// fitted w and b (normwise relative difference, max|Δ| / max|x| per point).
// The ratio is actsh's rate over PyTorch's: above 1, actsh is faster.
//
// # Use
//
//	rep, err := bench.Run(ctx, bench.Options{Workloads: []string{"fit"}})
//	rep.WriteText(os.Stdout)
//
// [Main] is the command line (`actsh bench -h`). With Quick the shapes are
// small (a 2-layer 64-wide model, 2 points of 64 units) so a test can run
// everything in seconds. Without Python or torch the report still has our
// numbers and says how to install torch (`apt-get install -y
// python3-torch`; [Options.Install] runs it when root).
package bench
