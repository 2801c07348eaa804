// Package families links every model family into the program: import it
// for its side effect,
//
//	import _ "github.com/actsh/actsh/engine/families"
//
// after which engine.New and engine.Load know every supported
// Hugging Face architecture.
package families

import (
	_ "github.com/actsh/actsh/engine/clip"    // CLIPTextModel, CLIPTextModelWithProjection, CLIPModel (its text tower)
	_ "github.com/actsh/actsh/engine/gemma2"  // Gemma2ForCausalLM
	_ "github.com/actsh/actsh/engine/gpt2"    // GPT2LMHeadModel
	_ "github.com/actsh/actsh/engine/llama"   // LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM
	_ "github.com/actsh/actsh/engine/roberta" // RobertaForSequenceClassification
	_ "github.com/actsh/actsh/engine/t5"      // T5EncoderModel
)
