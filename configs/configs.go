// Package configs holds actsh's pipeline configs in apple/ml-act's Hydra
// layout, embedded in the binary so that `actsh pipeline` works without the
// repository:
//
//	text_generation.yaml            primary config for language models
//	text_to_image_generation.yaml   primary config for image models
//	model/                          gpt2, gemma-2-2b, Meta-Llama-3-8B, SDXL-Lightning, FLUX.1-schnell, tiny
//	task_params/                    giraffes, toxicity, truthfulqa, coco_styles, coco_concepts, diffusion_prompts
//	intervention_params/            linear_ot, mean_ot, gaussian_ot, aura, none, act_add, iti_c, exact_ot
//	wandb/act.yaml                  kept for ml-act's overrides; actsh logs nothing to wandb
//	data/                           small data sets the task configs name (actsh's own giraffes.json)
//
// Keys and defaults are ml-act's wherever they mean the same; a comment
// marks each difference. Package github.com/actsh/actsh/act/config composes
// them with Hydra's override grammar; a user's --config-dir adds options or
// replaces these file by file.
package configs

import "embed"

// FS holds the config tree, rooted at this folder.
//
//go:embed *.yaml model task_params intervention_params wandb data
var FS embed.FS
