// Package bench holds the other halves of `actsh bench` as scripts,
// embedded so that the bench command finds them wherever it runs:
//
//   - torch_gpt2.py: a minimal GPT-2 with Hugging Face's math, prefill,
//     cached greedy decode and the cached decode step timed alone,
//     steering through forward hooks on LayerNorms;
//   - torch_gemma2.py: a minimal Gemma-2 in torch.bfloat16 with Hugging
//     Face's math, prefill and cached greedy decode;
//   - torch_linear_ot.py: Linear-AcT fitting the way ml-act does it;
//   - st.py: the small safetensors reader and writer they use;
//   - llamacpp.mjs: llama.cpp's prefill and batched greedy decode through
//     npm's node-llama-cpp (Node.js), the llama.cpp anchor;
//   - mk_gguf.py: writes the GPT-2-shaped GGUF llama.cpp runs (numpy
//     only; from shared/tools/llamacpp).
//
// The Python scripts run with Debian's /usr/bin/python3 and python3-torch
// (1.13) and print one JSON object on stdout, as does llamacpp.mjs. See
// package internal/bench.
package bench

import "embed"

// Scripts is the folder of scripts (*.py and *.mjs at its root).
//
//go:embed *.py *.mjs
var Scripts embed.FS
