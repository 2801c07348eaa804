// Package imagetrain trains the embedded text-to-image model "tiny"
// (act.LoadImagePipeline("tiny")) from scratch: a UNet2DConditionModel on
// RGB pixels and the CLIPTextModel that conditions it, jointly, on GoMLX
// with automatic differentiation and an in-graph AdamW, by rectified flow.
//
// # Use
//
//	opts := imagetrain.Options{Model: imagetrain.DefaultConfig(), Encode: encode, Steps: 2400, Batch: 16, Seed: 1,
//		Log: func(p imagetrain.Progress) { fmt.Println(p.Step, p.Loss) }}
//	t, err := imagetrain.New(opts)
//	last, err := t.Run(ctx, train, valid)          // []imagetrain.Sample: pixels, untagged and tagged caption
//	err = t.Save("pipeline", tokenizerJSON)         // a PixelFlowPipeline folder
//
// recipes/tiny_image_train.go wraps this with flags, the emoji of
// tiny/emoji and the style classifier of tiny/style.
//
// # Model
//
// [Config] sizes both parts with their configs' meanings. [DefaultConfig]
// is a UNet on 32×32 images with block_out_channels 32, 64, 64, one resnet
// per level, cross-attention at 16² and 8² and in the mid block, GroupNorms
// of 8 groups, linear projections, no added embedding; and a CLIPTextModel
// of 2 layers, 64 wide (the UNet's cross_attention_dim), 2 heads,
// quick_gelu, whose last hidden state over every slot (no attention mask,
// as diffusers calls it) conditions the UNet. A caption is its tokens
// without special tokens, then <|endoftext|> up to the positions ([Tokens]).
// Initialisation: convolutions and linear maps N(0, 1/fan_in), embeddings
// N(0, 0.02²), norms 1 and 0, and, as in ADM, zero for the last layer of
// every residual branch (resnets' conv2, the transformers' proj_out) and
// for conv_out.
//
// # Objective
//
// Each step draws Batch training images (an epoch's permutation), and for
// each a time t = sigmoid(n), n ~ N(0, 1), noise ε, and a caption: empty
// (DropCaption, for classifier-free guidance), the bare name (Untagged)
// or the name with its style tag; the loss is the mean squared error of
// the prediction against the velocity:
//
//	x_t = (1 − t)·x₀ + t·ε,   v = ε − x₀,   UNet(x_t, 1000·t, text(caption)) ≈ v
//
// which FlowMatchEulerDiscreteScheduler integrates from σ = 1 to 0. AdamW
// (β = 0.9, 0.999; decoupled weight decay on weights of rank ≥ 2) with a
// clipped global gradient norm, linear warm-up and cosine decay to a
// tenth; the weights' exponential moving average (EMA, with warm-up) is
// what [Trainer.Save] writes. Everything drawn comes from Options.Seed:
// the same seed on the same backend gives bit-identical runs.
//
// # Why a separate forward
//
// The engine's UNet (engine/unet) and CLIP (engine/clip) feed their
// weights as graph parameters inside their own compile steps, with no way
// to differentiate through them, so the forward is written again here,
// with the same parameter names and numerics, walking the same layout.
// GoMLX's gradients that the CPU backend cannot run or runs slowly are
// supplied by hand (ops.go): a convolution's (GoMLX's uses Reverse, which
// the backend lacks, and a kernel gradient in a transposed layout it runs
// on a scalar fallback) — here the input gradient is a convolution with
// the flipped kernel and the kernel gradient a convolution of the input
// with the output gradient, both on the backend's convolution kernel;
// every contraction's (GoMLX's materialises the broadcast product); a
// slice's (it needs Pad); and LayerNorm is written with Sqrt (no gradient
// for Rsqrt). The tests check the convolution gradients by the adjoint
// identity and that a saved checkpoint loaded by engine/unet and the
// engine's CLIP gives the trainer's prediction (measured max |Δ| 7.5e-9
// for the UNet, 1.5e-6 for the text encoder).
//
// # Checkpoint
//
// [Trainer.Save] writes a [PipelineClass] folder in diffusers' layout —
// model_index.json, scheduler/, text_encoder/, tokenizer/, unet/ — built
// under a temporary name and renamed into place. [Compare] compares two
// outputs of the recipe weight by weight (-compare).
package imagetrain
