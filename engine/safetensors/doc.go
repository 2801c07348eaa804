// Package safetensors reads and writes the safetensors format: checkpoint
// weights, transports and response caches.
//
// # Format
//
// A file is an 8-byte little-endian header length n, n bytes of JSON header,
// then the data section. The header maps each tensor name to its dtype,
// shape and data_offsets [begin, end) relative to the data section, plus an
// optional "__metadata__" object of strings.
//
// # Reading
//
// [Open] memory-maps one file (syscall.Mmap on unix, a plain read
// elsewhere) and validates it the way the Rust implementation does: the
// header length is bounded by the file and by [MaxHeaderSize], the header is
// a JSON object, every dtype is known, shapes have no negative dims, each
// tensor's byte count matches its shape, and the tensors tile the data
// section exactly — a hole, an overlap or trailing bytes are errors, as is a
// truncated file. Errors name the file, the tensor and the values involved.
//
// [OpenDir] opens a model folder as a [Set]: the shards named by
// model.safetensors.index.json (checking every listed shard exists and holds
// its tensors, and that no tensor appears in two shards), else
// model.safetensors, else every *.safetensors in the folder.
//
// Files and sets share one reading API:
//
//	names := s.Names()                  // sorted
//	info, ok := s.Info("wte.weight")    // dtype, shape, offset, size
//	v, shape, err := s.Float32("wte.weight") // F16/BF16/F64 converted
//	ids, shape, err := s.Int64("ids")        // integer types widened
//	raw, err := s.Bytes("wte.weight")   // zero-copy, valid until Close
//	dt, shape, raw, err := s.Raw("wte.weight") // dtype as stored, zero-copy
//
// Float32 and Int64 convert one tensor into a fresh slice, so an 8B
// checkpoint is never held twice: the shards stay mapped and each tensor is
// converted as it is needed.
//
// # Writing
//
// [Write] stores [Tensor] values (built with [F32], [F16], [BF16], [F64],
// [I64], [I32] or by hand) and metadata atomically — a synced temporary file
// in the same folder renamed over the target — with deterministic content:
// tensors in name order, the header padded with spaces to a multiple of 8
// bytes like the Rust writer. [Encode] returns the same bytes in memory.
//
// # Conversions
//
// [HalfToFloat32] and [BFloat16ToFloat32] are exact (subnormals, infinities
// and NaN payloads included); [Float32ToHalf] and [Float32ToBFloat16] round
// to nearest even.
package safetensors
