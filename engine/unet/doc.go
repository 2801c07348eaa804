// Package unet runs diffusers' UNet2DConditionModel as SDXL and
// SDXL-Lightning configure it, and as the embedded emoji model "tiny"
// does (RGB pixels in and out, no added embedding; tiny/imagetrain trains
// it): the denoiser of the image pipelines, with
// intervention points at its modules for steering and capture. It is a
// standalone GoMLX graph like engine/vae's, compiled once per input shape
// and point plan on the engine's backend ([engine.Backend]: our CPU
// backend, GoMLX's pure-Go one with GOMLX_BACKEND=go, or XLA).
//
// # Use
//
// [Load] reads a diffusers unet/ folder (config.json and
// diffusion_pytorch_model.safetensors, possibly sharded) or the pipeline
// folder holding it; [New] takes the config's bytes and any
// [engine.Weights]. [Model.Run] is one call of the model:
//
//	m, err := unet.Load("sdxl-model")                // or "sdxl-model/unet"
//	out, err := m.Run(unet.Inputs{
//		Sample:              latents,   // [B, 4, h, w], scaled by the scheduler
//		Timestep:            []float32{t},
//		EncoderHiddenStates: prompt,    // [B, 77, 2048]
//		TextEmbeds:          pooled,    // [B, 1280]
//		TimeIDs:             timeIDs,   // [B, 6]: original size, crop top-left, target size
//	}, unet.Options{Steering: s, Capture: []string{"mid_block.attentions.0.norm"}, Pool: "mean"})
//	eps := out.Sample                   // [B, 4, h, w]
//
// # What it computes
//
// With c = block_out_channels and n = len(c), as UNet2DConditionModel.forward:
//
//	emb  = time_embedding(sinusoids(t)) + add_embedding([text_embeds, sinusoids(time_ids)])
//	x    = conv_in(sample)                                  skips: x
//	down block i on c[i]: layers_per_block[i] × (resnet, then the attention
//	     in cross-attention blocks), each output a skip; then (except the
//	     last) a 3×3 stride-2 conv, also a skip
//	mid block: resnet, attention, resnet
//	up block i on reversed(c)[i]: layers_per_block+1 × (concatenate the
//	     last skip on the channels, resnet, attention); then (except the
//	     last) nearest upsampling to the next skip's size and a 3×3 conv
//	out  = conv_out(silu(conv_norm_out(x)))
//
// A resnet is x + conv2(silu(norm2(conv1(silu(norm1(x))) + proj(silu(emb))))),
// x through a 1×1 conv_shortcut when the channels change (divided by
// mid_block_scale_factor in the mid block); its GroupNorms use norm_eps.
// An attention is Transformer2DModel: GroupNorm (ε 1e-6), proj_in (Linear
// with use_linear_projection as in SDXL, a 1×1 conv otherwise), the H·W
// positions as tokens through transformer_layers_per_block
// BasicTransformerBlocks, proj_out, plus its input. A block is
// h += attn1(norm1(h)); h += attn2(norm2(h), encoder_hidden_states);
// h += ff(norm3(h)) with LayerNorms of ε 1e-5, multi-head attention
// softmax(q·kᵀ/√d)·v (q, k, v without bias) and a GEGLU feed-forward
// (x·W splits in halves a, g; a·GELU(g) with the exact erf GELU).
//
// The sinusoids (diffusers' get_timestep_embedding, [Sinusoids]) have no
// weights and are computed on the host in float32 as PyTorch rounds them:
// c[0] wide for the timestep, addition_time_embed_dim for each of the six
// time ids. SDXL's config quirk: with num_attention_heads null, its
// attention_head_dim is the number of heads per block (SDXL: 5, 10, 20,
// heads of 64), read as [Config.NumHeads]; up blocks take the down
// blocks' per-block settings reversed.
//
// # Points
//
// Points are named as diffusers' modules, so ml-act's regular expressions
// select the same modules: ".*norm.*" (at pipeline level "unet.*norm.*",
// with the prefix) is every GroupNorm and LayerNorm. [Model.Points] lists,
// with their widths (channels of [B, C, H, W] feature maps, features of
// the transformers' [B, H·W, C] and the embeddings' [B, D]):
//
//	conv_in, time_embedding, add_embedding
//	…resnets.j and its norm1, norm2
//	…attentions.j (the Transformer2DModel's output) and its norm
//	…attentions.j.transformer_blocks.k and its norm1, attn1, norm2, attn2, norm3, ff
//	…downsamplers.0, …upsamplers.0
//	conv_norm_out
//
// in ml-act's order for a UNet (its sort_unet: conv_in and the embeddings,
// the down blocks, the mid block, the up blocks, conv_norm_out), within
// each part PyTorch's named_modules order. A point's value is the module's
// output. Steering uses the engine's point core ([engine.PointPlan]): on a
// feature map the map acts on each channel's spatial mean and shifts every
// position alike, z + λ·(T(m) − m), as ml-act's hooks do for diffusion
// models; on tokens it acts per token and unit. Steering.LastOnly has no
// meaning here and is refused. Unknown point names fail naming the
// nearest point.
//
// # Memory and dtypes
//
// Weights stored in float16 or bfloat16 stay so in memory where the
// backend runs the dtype (matrices and conv kernels; vectors are float32),
// and are widened inside the graph: everything computes in float32, so a
// half checkpoint predicts exactly what float32 weights of the same
// values would (SDXL's 2.57 billion parameters: 5.1 GB in half precision,
// [Model.ParamBytes]). Attention materialises each head's scores:
// 4096×4096 per head and batch item at SDXL's 1024² (64 MiB each); the
// largest activations are of that order.
//
// The 2-D operations — [engine.Conv2D], [engine.GroupNorm],
// [engine.ResizeNearest] — are the engine package's, shared with
// engine/vae; Conv2D goes through GoMLX's Convolve, which our CPU backend
// runs with its own kernel.
//
// # Adding a block type
//
// The layout (layout.go) turns the config into blocks of resnets and
// attentions with their names and channels; the weights to load
// (layout.params), the points (layout.points) and the graph
// (builder.forward in graph.go) all walk it. A new block type adds its
// name to [ParseConfig]'s accepted values, its modules to newLayout, their
// weights to params, their points in named_modules order to points, and
// its forward to the builder; the conformance fixture format takes a
// checkpoint of it unchanged.
//
// # Conformance
//
// TestConformanceUNet reads testdata/reference/diffusion/sdxl_unet by its
// files alone (meta.json's checkpoint, captured modules, steering cases
// and tolerances; expected.safetensors). On that tiny SDXL-structured UNet
// computed by diffusers v0.30.0, on our CPU backend: the prediction is
// within 3.3e-6 of diffusers' (tolerance 5e-5 + 1e-4·|x|), all 67
// ".*norm.*" module outputs within 1.1e-5 (1e-4), and both steered cases
// (a GroupNorm, ml-act's spatial-mean rule; a LayerNorm, per token)
// within 7.7e-6 for the steered module and 3.5e-6 for the prediction
// (5e-5); GOMLX_BACKEND=go passes with like errors (3.4e-6, 1.1e-5). engine/sched's
// TestLoopDenoisers runs SDXL-Lightning's four Euler steps with it.
//
// # Not implemented
//
// Other block types (AttnDownBlock2D, SimpleCrossAttn…), class and image
// embeddings, encoder_hid_proj, the scale_shift time embedding, dual or
// only-cross attention, attention masks, ControlNet and adapter
// residuals, GLIGEN, and memory-efficient (chunked) attention: a config
// asking for one fails with [ErrUnsupported] naming the key and the
// supported values.
package unet
