// Package engine runs Hugging Face causal language models and encoders on
// GoMLX, with steering maps at named intervention points, activation
// capture and KV-cache generation.
//
// # Loading
//
// [New] builds a [Model] from the bytes of config.json and a [Weights]
// store; the config's "architectures" entry picks the family registered
// under that name ([Register], [Architectures]). Families live in their own
// packages (engine/gpt2, engine/llama, engine/gemma2, engine/roberta,
// engine/clip); import
// engine/families to link them all. [Load] resolves a model name (a folder,
// or a Hugging Face id through engine/hub), reads the weights with
// engine/safetensors and tokenizer.json when present ([Model.Tokenizer] is
// nil otherwise; id-level calls still work). The name "tiny" loads the
// default model embedded in the binary (package tiny), with no files on
// disk.
//
// # Memory
//
// Weights stay in the checkpoint's dtype. Matrices (token and position
// embeddings, every Linear weight, the LM head) stored as bfloat16 or
// float16 are held as tensors of that dtype, two bytes an element, decoded
// from the memory-mapped file straight into the backend's buffers without a
// float32 copy ([RawWeights], [LoadParam]; GPT-2's Conv1D weights are
// transposed in their dtype by [LoadParamT]). Vectors (norm weights,
// biases) are widened to float32 at load; float32 checkpoints stay float32.
// A half dtype is kept only where a probe pass shows the backend runs it
// (GoMLX's pure-Go backend has bfloat16 but no float16); otherwise those
// matrices are widened at load, four bytes an element, as before.
// [Model.ParamBytes] reports the bytes per dtype.
//
// The computation is float32. Widening happens inside the graph, in two
// places only: [Linear] multiplies x by ConvertDType(W, Float32) (the
// DotGeneral's right-hand side, so a backend can recognise the pattern
// and multiply the half bits directly), and [Embed] gathers rows of the
// half table and converts only those rows. The tied LM heads of the
// families go through Linear. Widening bfloat16 or float16 to float32 is
// exact: a half checkpoint gives bit-identical logits to a float32
// checkpoint holding the same values.
//
// Before reading any weight, [Load] estimates the parameters' bytes per
// dtype plus a working margin (512 MiB for activations, cache and graphs,
// plus the float32 copy of the largest half matrix, which Linear may widen
// during a pass) and compares it with MemAvailable from /proc/meminfo. A
// model that does not fit fails with one line:
//
//	engine: load google/gemma-2-2b: the weights need 5.2 GB in bfloat16 and 968 kB in float32 (8.1 GB with a working margin of 2.9 GB for activations, cache and one widened matrix), this machine has 3.1 GB available (MemAvailable); free memory, use a smaller model, or set ACTSH_SKIP_MEMORY_CHECK=1 to try anyway
//
// The check is skipped off Linux, when /proc/meminfo cannot be read, with
// [LoadOptions.SkipMemoryCheck], or with $ACTSH_SKIP_MEMORY_CHECK=1
// ([SkipMemoryCheckEnv]).
//
// The margin assumes at most one widened matrix at a time. That holds for
// a backend that reads the half weights in its product kernel (no copy at
// all) and for GoMLX's pure-Go backend run with
// GOMLX_BACKEND=go:ops_sequential, which widens each matrix just before its
// product and frees it after. By default that backend runs independent
// operations in parallel, and a ConvertDType of a parameter is ready as
// the pass starts, so every matrix is widened at once. Go's collector also
// lets the heap grow to twice the live data before it runs: for a model
// that takes most of the machine, set GOMEMLIMIT a little below the memory
// available. Measured on GoMLX's pure-Go backend with a GPT-2-small-shaped
// model, one pass over 4×32 tokens: peak resident memory grew by 1,346 MB
// with parallel operations, 1,029 MB sequential and 404 MB sequential with
// GOMEMLIMIT=600MiB for bf16 weights (249 MB); by 647 and 537 MB (parallel,
// sequential) for float32 weights (498 MB).
//
// # Intervention points
//
// Points are named as the Hugging Face modules whose output they are
// (transformer.h.1.ln_2, model.layers.3.post_attention_layernorm,
// model.layers.3.mlp.down_proj); the value is the module's own output,
// before any residual addition. [Model.Points] lists them in module order and
// [Model.MatchPoints] selects them with a regular expression that must match
// the whole name (Python's re.fullmatch).
//
// A few points are a module's input instead, named with [InputSuffix]:
// model.layers.3.self_attn.o_proj:input (Llama, Gemma-2) and
// transformer.h.3.attn.c_proj:input (GPT-2) are the attention heads'
// outputs concatenated, num_heads·head_dim wide, before the output
// projection: where ITI-c (Li et al.) steers attention heads. They are
// listed just before the module's output point and work like every other
// point (capture, pooling, steering, generation). Because patterns match
// the whole name, .*o_proj selects only the outputs and .*o_proj:input only
// the inputs. The suffix is a word rather than a number so that it cannot
// be read as ml-act's ":N" (element N of a module's output tuple).
//
// # Steering
//
// A [Steering] holds one per-unit affine map per point, a strength λ and a
// position mode. At the selected positions, for every unit d,
//
//	out = λ·(W_d·z + B_d) + (1 − λ)·z   where Lo_d < z < Hi_d
//	out = z                               elsewhere
//
// A map with Knots (transport.Knots, the exact 1-D OT map) uses its
// piecewise-linear T(z) in place of W·z + B, evaluated in the graph by
// bisection over the knots. The maps and λ are graph inputs, so changing
// them never recompiles (the number of knots is a shape); λ = 0
// selects z itself and is bit-identical to the unsteered model. Steering
// applies in every forward pass of a generation, so cached keys and values
// are the steered ones.
//
// # Forward and capture
//
// [Model.Forward] runs a batch of id sequences (padded internally, with
// attention masks) and returns logits per real position and the captured
// point outputs, unpooled or pooled over each sequence's real tokens
// ([ForwardOptions.Pool]: mean, max, min, median, last).
//
// [Model.ForwardPadded] takes a batch already laid out, ids and attention
// mask as transformers takes them, and returns every slot, padding
// included, so a test can compare a padded Hugging Face batch slot for
// slot.
//
// # Encoders and classifiers
//
// Encoders are families like the others: the same loading, points,
// capture and steering. RoBERTa attends bidirectionally
// ([AttnOptions].Bidirectional: every real key, before and after the
// query), CLIP's text model causally; both read the padding layout
// ([Pass.Valid]) for their position ids. A sequence classifier
// (engine/roberta's RobertaForSequenceClassification) sets [Info].Labels:
// its Logits are the classification head at every position, len(Labels)
// wide ([Info.LogitsWidth]); the classification is position 0's (the <s>
// token), and Generate refuses it. A text encoder (engine/clip's
// CLIPTextModel and CLIPTextModelWithProjection) sets [Info].EmbedWidth
// instead: its Logits are its output embedding at every position
// (EmbedWidth wide), which its package reads at the end-of-text token;
// Generate and ScoreTokens refuse it.
//
// # Generation
//
// [Model.Generate] continues a batch of prompts (left-padded) with a KV
// cache: one prefill pass, then one pass per token. Greedy by default;
// sampling applies Hugging Face's logits processors in their order
// (repetition penalty, temperature, top-k, top-p) with a seeded PCG.
//
// # Compiled shapes
//
// Every pass is compiled once per key: batch size (rounded up to a power of
// two), sequence length and cache size (powers of two from 8 to 64, then
// multiples of 64), the set of steered points, the set of captured points
// and which logits are returned. Token ids, masks, positions, maps and λ
// are inputs. [Model.Compilations] counts compilations.
//
// # Backends
//
// [Backend] picks $GOMLX_BACKEND when set, else the PJRT plugin named by
// $ACTSH_PJRT_PLUGIN ([PluginEnv]), else an installed go-xla plugin (CUDA
// first) or, on a machine with an NVIDIA GPU, the CUDA plugin of a JAX
// installation (jax_plugins/xla_cuda*/xla_cuda_plugin.so), else the pure-Go
// backend, and says once on stderr which one runs. Nothing is downloaded; a
// plugin asked for that fails to load is an error naming it.
//
// # Writing a family
//
// A family package registers a [Constructor] per architectures name in its
// init. The constructor parses config.json into a typed config (fields
// named as Hugging Face's, errors naming the values: "hidden_size (2304)
// must be divisible by num_attention_heads (7)"), loads every parameter
// with [LoadParam] (a missing or misshapen tensor fails with its name;
// matrices may come back bfloat16 or float16, see "Memory"), and returns
// an [Arch]:
//
//   - Info: sizes and special ids. NumKeyValueHeads and HeadDim size the KV
//     cache; MaxPositions bounds sequences for learned position tables.
//   - Points: every intervention point with its width, in module order; a
//     module's input point ([InputPoint]) just before its output point.
//   - Params: the parameters by canonical name (the name the family later
//     asks [Pass.Weight] for; use the Hugging Face name).
//   - Forward(p): build the body from p.Tokens and p.Positions (int32
//     [p.Batch, p.Len]) and return the final hidden states after the final
//     norm. Pass every point's value through [Pass.Point] and use its result.
//     Do attention with [Pass.Attend](layer, q, k, v, opts), q [B,T,H,hd],
//     k and v [B,T,KV,hd] after any rotary embedding: it handles the causal
//     and padding masks, the sliding window, score soft-capping, an
//     additive score bias (T5's relative positions) and the KV cache
//     (encoders set Bidirectional). Positions count real tokens (left
//     pads get 0), so learned position tables and RoPE see the same
//     positions with or without padding.
//   - Logits(p, h): the output head on hidden states [B, T', D], including
//     any final soft-capping; for a classifier, its head at every position.
//
// Shared blocks ([Embed], [LayerNorm], [RMSNorm], [Linear], [Gelu],
// [GeluTanh], [SiLU], [RoPE]) compute in float32; pass weights to Embed
// and Linear as they come from [Pass.Weight], which widen half-precision
// matrices themselves.
package engine
