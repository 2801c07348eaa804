// Package bench holds the PyTorch halves of `actsh bench` as Python
// scripts, embedded so that the bench command finds them wherever it runs:
//
//   - torch_gpt2.py: a minimal GPT-2 with Hugging Face's math, prefill and
//     cached greedy decode, steering through forward hooks on LayerNorms;
//   - torch_linear_ot.py: Linear-AcT fitting the way ml-act does it;
//   - st.py: the small safetensors reader and writer both use.
//
// They run with Debian's /usr/bin/python3 and python3-torch (1.13) and
// print one JSON object on stdout. See package internal/bench.
package bench

import "embed"

// Scripts is the folder of Python scripts (*.py at its root).
//
//go:embed *.py *.mjs
var Scripts embed.FS
