// Package diffusion runs text-to-image pipelines built from the engine's
// parts: Stable Diffusion XL and SDXL-Lightning (diffusers'
// StableDiffusionXLPipeline) from two CLIP text encoders (engine/clip, as
// engine families), the UNet (engine/unet), the VAE (engine/vae) and the
// scheduler (engine/sched); FLUX.1-schnell ([Flux]); and actsh's own
// pixel-space pipeline ([PixelFlow]), the embedded emoji model "tiny". It
// knows nothing of AcT beyond the engine's steering maps.
//
// # Loading
//
// [Load] reads a pipeline folder in diffusers' layout (model_index.json,
// scheduler/, text_encoder/, text_encoder_2/, tokenizer/, tokenizer_2/,
// unet/, vae/), a Hugging Face id from the local cache (downloaded when
// absent and online, failing fast and clearly offline), or [Lightning]:
// SDXL base 1.0's pipeline with ByteDance's distilled UNet weights
// (sdxl_lightning_{2,4,8}step_unet.safetensors) and Euler with trailing
// timesteps, as ml-act loads model_path ByteDance/SDXL-Lightning. A
// component's fp16 variant files (*.fp16.safetensors) are preferred and
// stay half precision in memory; every operation computes in float32.
//
// The name "tiny" loads the embedded model (package tiny/images): a
// [PixelFlowClass] folder — a CLIPTextModel, a UNet2DConditionModel on
// 32×32 RGB pixels that predicts the flow-matching velocity, and
// FlowMatchEulerDiscreteScheduler, no VAE — read from memory through the
// same parsing and checks as a folder on disk ([LoadPixelFlow]).
//
// # Points
//
// Points are named as ml-act names the modules of a diffusers pipeline:
// the component, a dot, the module (text_encoder.text_model.encoder.layers.0,
// unet.down_blocks.1.attentions.0.norm, …), so ml-act's pattern
// 'unet.*norm.*' selects the same modules. Steering and capture use the
// engine's one point mechanism (engine.Points): a UNet feature map is
// steered through its spatial mean per channel, a sequence per position.
//
// # Generation and responses
//
// [SDXL.Generate] encodes the prompts (each tokenizer pads to its
// model_max_length; the encoders' penultimate hidden states concatenated;
// text_encoder_2's text_embeds as the pooled embedding; add_time_ids
// (H, W, 0, 0, H, W)), denoises seeded Gaussian noise with the scheduler
// and decodes with the VAE (in tiles when the latents exceed the VAE's
// sample size). The same seed gives the same noise, so a sweep over
// steering strengths shows the effect of the strength alone. The noise
// comes from Go's PCG generator, not PyTorch's: an image is not the one
// diffusers makes from the same seed.
//
// [PixelFlow.Generate] encodes the prompt (its tokens, then
// <|endoftext|> up to the tokenizer's model_max_length, no mask), starts
// from seeded noise at σ = 1 and takes Steps (default 20) Euler steps of
// the scheduler's own schedule on the UNet's velocity, with
// classifier-free guidance against the empty prompt when Guidance > 1;
// the pixels are (x + 1)/2.
//
// [SDXL.Responses] is what ml-act fits transport maps on: the pipeline run
// for one denoising step (the first timestep of a one-step schedule) with
// each captured point pooled per prompt.
package diffusion
