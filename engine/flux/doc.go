// Package flux runs diffusers' FluxTransformer2DModel, the denoiser of
// FLUX.1-schnell (and, with its guidance embedding, FLUX.1-dev), with
// intervention points at its blocks for steering and capture. It is a
// standalone GoMLX graph like engine/unet's, compiled once per input
// shape and point plan on the engine's backend ([engine.Backend]: our CPU
// backend, GoMLX's pure-Go one with GOMLX_BACKEND=go, or XLA).
//
// # Use
//
// [Load] reads a diffusers transformer/ folder (config.json and
// diffusion_pytorch_model.safetensors, possibly sharded) or the pipeline
// folder holding it; [New] takes the config's bytes and any
// [engine.Weights]. [Model.Run] is one call of the model, with the inputs
// FluxPipeline (diffusers v0.30.0) gives it:
//
//	m, err := flux.Load("FLUX.1-schnell")              // or "FLUX.1-schnell/transformer"
//	x, err := flux.Pack(latents)                       // [B, 16, h, w] → [B, h/2·w/2, 64]
//	out, err := m.Run(flux.Inputs{
//		HiddenStates:        x,
//		EncoderHiddenStates: t5,         // [B, 256, 4096]
//		PooledProjections:   pooled,     // [B, 768], CLIP's pooled output
//		Timestep:            []float32{t / 1000},
//		ImgIDs:              flux.ImageIDs(h, w),
//	}, flux.Options{Steering: s, Capture: []string{"transformer_blocks.3:1"}, Pool: "mean"})
//	v, err := flux.Unpack(out.Sample, h, w)            // the velocity, [B, 16, h, w]
//
// [Pack], [Unpack] and [ImageIDs] are FluxPipeline's _pack_latents,
// _unpack_latents and _prepare_latent_image_ids on the host, h and w in
// latent pixels (the image's size over the VAE's scale, 8).
//
// # What it computes
//
// With D = num_attention_heads × attention_head_dim, as
// FluxTransformer2DModel.forward of diffusers v0.30.0:
//
//	temb = timestep_embedder(sinusoids(1000·t)) [+ guidance_embedder(sinusoids(1000·g))]
//	       + text_embedder(pooled)                    each linear_2(silu(linear_1(·)))
//	txt  = context_embedder(encoder_hidden_states)    [B, T, D]
//	img  = x_embedder(hidden_states)                  [B, N, D]
//	num_layers double blocks:        (txt, img) = transformer_blocks.i(img, txt)
//	num_single_layers single blocks: h = single_transformer_blocks.i(h), h = [txt; img]
//	out  = proj_out(norm_out(image part of h))        [B, N, in_channels]
//
// Every norm is a LayerNorm without weights (ε 1e-6), modulated by
// linear(silu(temb)) cut into chunks: AdaLayerNormZero's shift, scale and
// gate for the attention and again for the feed-forward, n·(1+scale) +
// shift, the branch's output times its gate added to the stream. A double
// block does this per stream with its own weights (norm1, ff for the
// image; norm1_context, ff_context for the text), the two streams meeting
// in one attention over [text; image]: q, k, v of each stream (to_q… for
// the image, add_q_proj… for the text), q and k RMS-normalised per head
// (ε 1e-6), rotated, softmax(q·kᵀ/√d)·v, the text part through
// to_add_out and the image part through to_out.0. A single block takes
// AdaLayerNormZeroSingle's shift, scale and gate once: h + gate ·
// proj_out([attention(n), gelu_tanh(proj_mlp(n))]) with n the modulated
// norm of h, its attention without output projection. norm_out is
// AdaLayerNormContinuous, whose chunks come in the other order (scale,
// then shift). Feed-forwards are net.2(gelu_tanh(net.0.proj(x))), 4·D
// inside.
//
// The sinusoids (diffusers' Timesteps with 256 channels, cos first,
// [unet.Sinusoids]) are computed on the host in float32 as PyTorch rounds
// them, of 1000·timestep: Inputs.Timestep is what FluxPipeline passes,
// the scheduler's t divided by 1000. The rotary embedding (EmbedND) is on
// the host too: the ids [txt_ids; img_ids] give each token one position
// per axis; axis a turns the next axes_dims_rope[a]/2 channel pairs, pair
// j by position·10000^(−2j/axes_dims_rope[a]), angles in float64 rounded
// to float32 as diffusers' rope does; pairs are interleaved channels
// (2j, 2j+1), not rotate_half's halves. Ids of batch 1 serve the whole
// batch; nil text ids are zeros, FluxPipeline's.
//
// # Points
//
// Points are named as diffusers' modules, with ml-act's ":i" for element
// i of a module that returns a tuple, so ml-act's FLUX patterns
// ("transformer.transformer_blocks.[0-9]+:[0-1]",
// "transformer.single_transformer_blocks.[0-9]:0", with the pipeline's
// "transformer." prefix) name the same tensors. [Model.Points] lists, in
// PyTorch's module order, every one D wide:
//
//	time_text_embed                 [B, D]: temb
//	context_embedder, x_embedder    [B, T, D], [B, N, D]
//	transformer_blocks.i:0          the block's text output [B, T, D] (v0.30.0 returns (text, image))
//	transformer_blocks.i:1          the block's image output [B, N, D]
//	  ….norm1:0, ….norm1_context:0  the modulated norms the attention takes (image, text)
//	  ….attn:0, ….attn:1            the attention's outputs before the gates — its tuple is (image, text)
//	  ….norm2, ….ff                 the image stream's plain norm before the feed-forward, and the feed-forward's output
//	  ….norm2_context, ….ff_context the same for the text stream
//	single_transformer_blocks.i     the block's output over [text; image], [B, T+N, D]
//	  ….norm:0                      the modulated norm the attention and MLP take
//	  ….attn                        the attention's output (no projection)
//	norm_out                        the image tokens before proj_out
//
// A module that returns one tensor is listed under its name, and the name
// with ":0" is the same point: ml-act's hooks take "module:0" of a
// tensor-valued module as the tensor, and its responses store that tensor
// under "module:0" (ml-act's FLUX config names the single blocks so).
// [Model.Point] resolves either; Run returns captures under the name the
// caller gave. A tuple module's bare name (transformer_blocks.3) is
// refused, naming its elements. A pipeline matching ml-act's patterns
// against [Model.Points] should try a plain name with ":0" appended when
// the pattern has a ":".
//
// Steering uses the engine's point core ([engine.PointPlan]): per token
// and unit at every token, z ↦ z + λ·(T(z) − z) where the support allows
// (ml-act's LinearOTHook on a 3-D output; time_text_embed is one token).
// A steered block output feeds everything after it: the next block, or
// for the last double block's :0 the single blocks' text tokens.
// Steering.LastOnly has no meaning here and is refused.
//
// # Memory and dtypes
//
// Weights stored in bfloat16 or float16 stay so in memory where the
// backend runs the dtype (matrices; vectors are float32) and are widened
// inside the graph: everything computes in float32. FLUX.1-schnell's
// transformer has 11.89 billion parameters in 1156 tensors, 23.8 GB held
// this way ([Model.ParamBytes]); FLUX.1-dev's guidance embedder adds 10.2
// million.
//
// A 1024² image is 128×128 latents, N = 4096 tokens of 2×2 patches, with
// T = 256 text tokens (schnell's max_sequence_length; dev's 512): S = 4352
// tokens of D = 3072. Each attention materialises its scores and their
// softmax, 24 heads × S² float32 — 1.8 GB each per batch item — next to
// which the streams (53 MB each) and the MLP's 4·D-wide activations (214
// MB) are small. Our estimate, not a measurement: about 24 GB of weights
// plus 4 to 5 GB per batch item at the peak, so about 29 GB for one image
// and 44 GB for ml-act's batch of 4 (within an 80 GB GPU); more text
// tokens or a larger image grow the attention as S². One call costs about
// 1.2·10¹⁴ floating-point operations per image (2 per parameter and
// token, plus the attention's 4·S²·D per block), so FLUX at full size
// needs a GPU (GOMLX_BACKEND=xla:cuda); the CPU backend runs the tiny
// fixture and tests.
//
// # Conformance
//
// TestConformanceFlux reads testdata/reference/diffusion/flux by its files
// alone (meta.json's checkpoint, steering and tolerances;
// expected.safetensors). On that tiny random FluxTransformer2DModel
// computed by diffusers v0.30.0, on our CPU backend: the prediction is
// within 1.3e-5 of diffusers' (tolerance 2e-5 + 1e-4·|x|), also with
// non-zero ids on every rotary axis; the six block outputs (both tuple
// elements of each double block, and the single blocks) within 1.4e-5
// (5e-5); the embeddings and norm_out within 1.7e-5; the steered image
// stream of transformer_blocks.1 and the steered prediction within 1.2e-5.
// GoMLX's pure-Go backend with its ops in sequence
// (GOMLX_BACKEND=go:ops_sequential) gives like errors (1.25e-5); with its
// parallel scheduler (GOMLX_BACKEND=go) the graph can deadlock on a
// 2-core machine, as internal/bench notes for training graphs (GoMLX
// v0.26.0's batched products wait for workers from inside a worker).
//
// The errors are larger than diffusers' own float32-vs-float64
// difference (1.9e-6), and we trace that to the timestep embedding: our
// temb is within 2.8e-7 of a float64 evaluation from the same float32
// sinusoids, diffusers' differs from it by 4.7e-6, so the sinusoids
// themselves differ. They turn by up to 1000 radians (of 1000·t), so one
// float32 ulp of a frequency moves them by up to 6e-5: PyTorch's float32
// exp and ours need only round a frequency apart. diffusers computes
// these sinusoids in float32 in float64 runs too, which is why its own
// comparison does not see it. The host's rotary table equals diffusers'
// bit for bit.
//
// # Not implemented
//
// patch_size other than 1, out_channels other than in_channels, ControlNet
// residuals, attention masks, LoRA scales (joint_attention_kwargs) and
// IP-adapters: a config asking for one of the first two fails with
// [ErrUnsupported] naming the key.
package flux
