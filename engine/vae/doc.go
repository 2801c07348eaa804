// Package vae runs diffusers' AutoencoderKL, the VAE of SD, SDXL and
// FLUX.1: the decoder that turns the denoiser's latents into an image, and
// the encoder. It is a standalone GoMLX graph with no intervention points
// (Activation Transport steers the denoiser, not the VAE), compiled once
// per input shape on the engine's backend ([engine.Backend]: our CPU
// backend, GoMLX's pure-Go one with GOMLX_BACKEND=go, or XLA).
//
// # Use
//
// [Load] reads a diffusers vae/ folder (config.json and
// diffusion_pytorch_model.safetensors) or the pipeline folder holding it;
// [New] takes the config's bytes and any [engine.Weights]:
//
//	m, err := vae.Load("sdxl-model")              // or "sdxl-model/vae"
//	decoded, err := m.Decode(latents)             // [B, C, h, w] → [B, 3, h·8, w·8], about [−1, 1]
//	imgs, err := vae.Images(decoded)              // []*image.NRGBA
//	decoded, err = m.DecodeTiled(latents, vae.Tiling{}) // large images, in tiles
//
// Weights stored in float16 or bfloat16 stay so in memory where the
// backend runs the dtype (the engine package's Memory section) and are
// widened inside the graph; everything computes in float32.
//
// # Who scales the latents
//
// The denoiser works on scaled latents; vae.decode takes unscaled ones,
// and the pipelines convert in between, not the VAE:
//
//	StableDiffusionXLPipeline: z/scaling_factor   (z·std/scaling_factor + mean with latents_mean/std)
//	FluxPipeline:              z/scaling_factor + shift_factor
//
// [Model.Decode] takes the denoiser's latents and applies that rule
// itself ([Config.DecoderInput] is the same on the host). [Model.Encode]
// returns vae.encode's mean and log-variance, which a pipeline would
// multiply by scaling_factor (after subtracting shift_factor) before
// denoising.
//
// # Decoder
//
// With channels c = block_out_channels (finest first) and n = len(c):
//
//	post_quant_conv (1×1, when use_post_quant_conv)
//	conv_in 3×3 → c[n−1]
//	mid block: resnet, attention (when mid_block_add_attention), resnet
//	up block i = 0…n−1 on c[n−1−i]: layers_per_block+1 resnets, then
//	    (except the last) nearest 2× upsampling and a 3×3 conv
//	GroupNorm, SiLU, conv_out 3×3 → out_channels
//
// A resnet is x + conv2(silu(norm2(conv1(silu(norm1(x)))))), x through a
// 1×1 conv_shortcut when the channels change. Every GroupNorm has
// norm_num_groups groups and ε = 1e-6, normalising each group of channels
// over its channels and positions with the biased variance. The attention
// is one head of width C over the H·W positions:
// x + to_out(softmax(q·kᵀ/√C)·v) with q, k, v linear maps of
// group_norm(x). The encoder mirrors it with stride-2 downsampling convs
// (zero-padded on the bottom and right) and ends in 2·latent_channels
// channels, the mean and the log-variance clamped to [−30, 20].
//
// # Tiling
//
// [Model.DecodeTiled] is diffusers' tiled_decode: overlapping latent tiles
// decoded alone and blended linearly over a quarter of a tile (see
// [Tiling] for the formula). Its output is not the untiled decode: each
// tile's attention and convolutions see only that tile, and the blending
// hides the seams. It is checked against diffusers' formulas, not against
// a decode of diffusers.
//
// # Conformance
//
// TestConformanceVAE runs every AutoencoderKL fixture under
// testdata/reference/diffusion by its files alone (meta.json's models and
// tolerances, expected.safetensors), both computed by diffusers v0.30.0.
// On the tiny SDXL-like one (vae/) the decoded image is within 1.2e-6 of
// diffusers' (tolerance 1e-5 + 1e-4·|x|) and the encoder's mean and
// log-variance within 1.7e-6 (2e-5), on our CPU backend and on
// GOMLX_BACKEND=go. On the tiny FLUX-like one (vae16/: 16 latent
// channels, scaling_factor 0.3611 and shift_factor 0.1159 as FluxPipeline
// applies them, no quant convs, two resnets per block; made by its
// make_fixture.py) the decoder input is exact, the decoded image within
// 1.6e-6 (2e-5) and the mean and log-variance within 3.1e-6 (2e-5), on
// both backends.
//
// # Not implemented
//
// Other block types (AttnUpDecoderBlock2D…), activations other than SiLU,
// the spatial norm (norm_type "spatial", MoVQ), tiled encoding and
// sampling from the latent distribution: a config asking for a block type,
// act_fn or norm_type the package lacks fails with [ErrUnsupported] naming
// the key.
//
// # Building blocks
//
// The 2-D operations — [engine.Conv2D], [engine.GroupNorm],
// [engine.Upsample2x] — are the engine package's, shared with the UNet
// (engine/unet). Convolutions go through GoMLX's Convolve, which the CPU
// backend runs with its own convolution kernel.
package vae
