// Package bench measures actsh against PyTorch on the same machine, in the
// same run: the logic of `actsh bench`.
//
// # Workloads
//
// Each workload is timed on our side (the engine on the process's GoMLX
// backend, package tiny/train, or package act/estimate) and on PyTorch's
// (the embedded scripts of package scripts/bench, run with Debian's
// /usr/bin/python3 and python3-torch, torch.float32 unless noted). Unless
// said otherwise the model is GPT-2-small-shaped with random weights (12
// layers, 768 wide, 12 heads, vocab 50257, 1024 positions).
//
//   - prefill: one forward pass over 8 sequences of 128 tokens, up to the
//     final layernorm (no logits); tokens/s = 8·128 / seconds. Target:
//     ≥ 1.5× PyTorch.
//   - decode: greedy generation of 48 new tokens for a batch of 8 prompts
//     of 16 tokens with a KV cache (one prefill pass, then one pass per
//     token; the prompt's pass is in the time); tokens/s = 8·48 / seconds.
//     Target: ≥ 3× PyTorch.
//   - decode1: the same at batch 1, 1×(16+48), the shell's case;
//     tokens/s = 48 / seconds.
//   - longcache: the cost of one cached decode step with a long cache
//     against a short one, at batch 1 and 8: prompts of 1024−16−1 and 64−16−1
//     tokens, then 16 single-token steps, so the cache ends at 1023 and
//     63 tokens (GPT-2 has 1024 positions). Both sides time the 16 steps
//     alone, from the start of the first single-token pass to the last
//     token: PyTorch around its loop; our side notes when Generate checks
//     its context, which it does once before every pass (were that to
//     change, the bench falls back to differencing a run of 1+16 tokens
//     and one of 1 token). Reported as ms/step for each cache and the
//     growth step@1024 / step@64 of each side. Target: ≤ 1.3.
//   - train: AdamW steps of package tiny/train on the embedded model's
//     configuration (GPT-2 layout, 2 layers, 128 wide, 4 heads, 64
//     positions, vocab 4096), batch 8×64, random token windows; 5 steps per
//     timed run after a warm-up run of 5 (compilation included); tokens/s
//     = 5·8·64 / seconds, on the backend the process runs on. The same
//     row runs again in a child process with GOMLX_BACKEND=go (GoMLX's
//     pure-Go backend, simplego: today's baseline) and is the row's
//     anchor; both start from the same seed and data, so the check
//     compares their losses. No PyTorch side. Target: ≥ 5× simplego.
//   - fit: Linear-AcT on synthetic float32 responses the size of
//     Gemma-2-2B's post-LN points (52 points × 2304 units, 512 source and
//     512 target samples); fits/s, one fit being all 52 points. PyTorch's
//     side runs ml-act's fit as it is ("ml-act", which computes the
//     bounds of all nine supports) and with only the support used
//     ("one-support", q_0_100: the work actsh does).
//   - gemma2 (not in the default set): a model shaped like
//     google/gemma-2-2b (26 layers, hidden 2304, intermediate 9216, 8
//     heads, 4 key/value heads, head_dim 256, vocab 256000, sliding window
//     4096, soft-caps 50 and 30, query_pre_attn_scalar 256) with random
//     seeded bf16 weights, written as a bf16 safetensors checkpoint (5.2 GB,
//     streamed to disk, never whole in memory) and loaded with
//     engine.Load, which keeps bf16 where it can. Prefill 1×128 (up to
//     model.norm, no logits) and greedy decode 1×(16+16); PyTorch runs its
//     own Gemma-2 with torch.bfloat16 weights and activations (HF's math,
//     RMSNorm and softmax in float32), after our model has been released,
//     so the two copies are never in memory together. The check allows
//     0.1 relative difference (bf16) and accepts tokens that part after
//     the first. Measured on 2 busy cores: about 8 minutes in all (1 to
//     write the checkpoint); our process peaks at 5.4 GB of anonymous
//     memory (the weights stay bf16) plus the 5.2 GB checkpoint mapped
//     while it loads (page cache, reclaimable); PyTorch holds the
//     checkpoint once (5.2 GB) plus its activations.
//
// prefill, decode and decode1 run in two variants: plain, and steered with
// an affine map (random w, b; bounds ±1e6, ml-act's q_all) at every
// layernorm output (transformer.h.N.ln_1, transformer.h.N.ln_2,
// transformer.ln_f) with λ = 0.5. Target: steered within 10% of plain.
// PyTorch applies the maps with register_forward_hook on the LayerNorm
// modules, as ml-act does with Hugging Face models; its fit mirrors
// ml-act's (a Python loop over units sorting each column, the nine
// supports' quantiles, float64 numpy least squares).
//
// # Anchors
//
// A row may carry a second reference, its anchor, with its own ratio
// (actsh's rate over the anchor's): simplego on the train row, and
// llama.cpp on the plain prefill, decode and decode1 rows. llama.cpp runs
// from a scratch folder (-llamacpp DIR, else $TMPDIR/llamacpp when it
// exists) set up by shared/tools/llamacpp/run.sh: npm's
// node-llama-cpp@3.21.1 with its prebuilt CPU binaries, timed by the
// embedded llamacpp.mjs, or a native build (build_native.sh's
// llama.cpp-src/build/bin/llama-batched-bench) when present. The GGUF
// (f32, llama.cpp's gpt2 architecture, its own random weights, GPT-2's
// tokenizer) is the folder's gpt2-small-f32.gguf, or is written by the
// embedded mk_gguf.py (Python with numpy). What llama.cpp times:
//
//   - prefill 8×128: the 8 sequences of 128 random tokens evaluated
//     concurrently in one llama_decode, logits of each sequence's last
//     token only (our side and PyTorch compute none);
//   - decode batch 8 and batch 1: greedy generation of 48 tokens after a
//     16-token prompt per sequence, every step one llama_decode of all
//     sequences, the prompt's pass included, as on the other sides (the
//     native llama-batched-bench: T_PP + T_TG of a 16-token prompt and 48
//     steps fed random tokens, one run).
//
// Without the folder, node or numpy the anchor columns stay empty and the
// report says why in one line; it never fails the run.
//
// # Fairness
//
// Both sides get the same weights, maps, token ids and responses (Go writes
// them to a temporary safetensors file that the scripts read), and the
// same number of threads: torch.set_num_threads(GOMAXPROCS), llama.cpp's
// threads = GOMAXPROCS. Each timing is preceded by one untimed warm-up
// run (on our side it compiles the graphs), reported apart. Each result
// carries a check that both sides computed the same thing: the prefill's
// last-position ln_f outputs (max absolute difference), the decodes'
// greedy tokens (fraction equal), the fitted w and b (normwise relative
// difference, max|Δ| / max|x| per point), the training losses. The ratio
// is actsh's rate over PyTorch's: above 1, actsh is faster.
//
// # Use
//
//	rep, err := bench.Run(ctx, bench.Options{Workloads: []string{"fit"}})
//	rep.WriteText(os.Stdout)
//
// [Main] is the command line (`actsh bench -h`). With Quick the shapes are
// small (a 2-layer 64-wide GPT-2, caches of 32 and 128 at batches 1 and 2,
// a 1-layer 32-wide training model, a 2-layer 64-wide Gemma-2, 2 points of
// 64 units) so a test can run everything in seconds. Without Python or
// torch the report still has our numbers and says how to install torch
// (`apt-get install -y python3-torch`; [Options.Install] runs it when
// root).
package bench
