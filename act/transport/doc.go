// Package transport holds fitted Activation Transport maps: per intervention
// point, a per-unit affine map with a support interval,
//
//	out = λ·(w·z + b) + (1 − λ)·z   where lo < z < hi (strict), else z,
//
// and the metadata that says how it was fitted. Every method actsh supports
// (Linear-AcT, Mean-AcT, Gaussian OT, AurA, ActAdd, ITI-c) is such a map;
// the exact 1-D OT map adds piecewise-linear [Knots], which
// [Transport.Apply] honours and the engine's steering op does not yet (it
// applies the affine approximation W, B stored with them).
//
// # Building and applying
//
// [New] returns an empty [Transport]; [Transport.Set] adds a point's [Map]
// (package act/estimate fits them). [Transport.Apply] applies a point's map
// to activations [position][unit] on the CPU, at every position or only
// the last, in float32 exactly as ml-act's hooks compute it.
//
// # File format
//
// [Transport.Save] writes one .safetensors file: per point p, F32 tensors
// p.w, p.b [units], p.lo, p.hi [units] when bounded, p.knots_x, p.knots_y
// [units, knots] when piecewise linear. The header's __metadata__ holds
//
//	format    "actsh-transport"
//	version   "1" (see [Version])
//	method    linear_ot, mean_ot, gaussian_ot, aura, actadd, itic, exact_ot, none, affine
//	model     the model the maps were fitted on ("tiny", a Hugging Face
//	          id, or an absolute folder path; "" for hand-built maps)
//	family, architecture
//	          that model's family ("gpt2") and Hugging Face architecture
//	          ("GPT2LMHeadModel"), "" when unknown
//	points    JSON list of points, in module order
//	pooling, support, dataset, source, target
//	position  "all" or "last"
//	lambda    a sentence saying what λ does ([Semantics])
//	checksum  "sha256:" and the SHA-256 of the maps' values (name,
//	          length and float32 bits of each tensor, in point order)
//
// [Load] checks the format, version, shapes, that no tensor lies outside
// the listed points and the checksum, with errors naming what is wrong. Files are written
// atomically (temporary file and rename).
//
// # Inspecting
//
// [Transport.String] summarises a transport. [Transport.Diagnose] measures
// a point's transport cost (mean squared displacement of the source
// responses at λ = 1) and coverage (fraction of source values inside the
// support); [Transport.HistogramPNG] plots a unit's source, target and
// transported values with gonum/plot.
//
// # llama.cpp control vectors
//
// [Transport.ExportGGUF] writes an additive transport (w = 1 and no finite
// support: Mean-AcT with q_all, ActAdd, ITI-c) as a GGUF v3 control vector:
// general.architecture = "controlvector", controlvector.model_hint,
// controlvector.layer_count and one F32 tensor direction.{k} [n_embd] per
// point holding b. llama.cpp adds direction.k to the output of block k
// (0-based, after its last residual add, at every position; k = 0 is
// rejected by its loader), scaled by --control-vector-scaled FILE λ, which
// equals out = z + λ·b. [ControlVectorLayer] maps point names: a block
// output (model.layers.{k}, transformer.h.{k}) or the module added last
// into the residual stream (.mlp, .mlp.down_proj, .mlp.c_proj,
// .post_feedforward_layernorm); other points are refused.
package transport
