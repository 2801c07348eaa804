// Package cpu is actsh's CPU backend for GoMLX: the default when no GPU
// plugin is installed (GOMLX_BACKEND=cpu selects it, "go" selects GoMLX's
// own pure-Go backend, simplego, alone).
//
// It runs every model and training graph the engine builds, in the
// default Go build (no cgo, no GOEXPERIMENT, no GODEBUG): matrix products
// on Go-assembly kernels ([github.com/actsh/actsh/internal/gemm]: AVX-512,
// AVX2 or pure Go, chosen at run time), elementwise chains fused into one
// loop, and the KV cache written in place.
//
// # Route
//
// The backend sits behind GoMLX's public backends interface
// ([backends.Backend], [backends.Builder], [backends.Executable]); it
// reaches into nothing private of GoMLX. Its graphs are its own ([Node]);
// its buffers are simplego's (shared host memory, pooled by size), so
// tensors move between the two without copies. Every operation is also
// issued on a simplego builder, the shadow graph, which validates it and
// gives its shape exactly as GoMLX defines them; operations simplego lacks
// (DynamicUpdateSlice, DynamicSlice) get their shape here and a stand-in
// parameter in the shadow graph.
//
// # Kernels
//
// At compile time each node gets a kernel of ours when there is one for
// its operation and types, else a fallback: the operation alone, compiled
// on simplego, run on the same buffers ([Backend.Fallbacks] counts them).
// Ours:
//
//   - DotGeneral on float32 (and float32 × bfloat16 weights): the operands
//     are described as batches of strided matrices; weights in PyTorch's
//     Linear layout [out, in] go to the NT kernel as they are (they are
//     never repacked per call), [in, out] operands to the NN kernel;
//     operands whose axes do not collapse are transposed first. A
//     ConvertDType from bfloat16 feeding a product's rhs is not run: the
//     kernel reads the half-precision weights and widens them as it goes.
//   - ConvGeneral on float32 in nn.Conv2d's layouts (input [B, C, H, W],
//     kernel [O, C, KH, KW]; any strides and paddings, no dilation, one
//     group), conv.go: y_b = W · im2col(x_b), the weights [O, C·KH·KW] as
//     they lie times the NN kernel's B [C·KH·KW, Ho·Wo] built for a band
//     of output rows at a time (at most 4 MiB, copied over the cores), or
//     the image itself for a 1×1 kernel of stride 1 without padding. Other
//     layouts, dilations and groups run on the fallback.
//   - Fused elementwise loops (fuse.go): arithmetic, comparisons, Where,
//     conversions and broadcasts on float32, int32 and bool values whose
//     uses all lie in one loop (a chain, or a graph such as the steering
//     op, which reads its input four times) run chunk by chunk over the
//     output, intermediates in scratch lanes computed once per chunk, split over the cores; float32 arithmetic, exp, tanh
//     and the logistic run on vector kernels
//     ([github.com/actsh/actsh/internal/vecf32]: float32 approximations
//     after Cephes, within 2 ulp / 2e-7).
//   - Reductions over any axes, slices, concatenations, row gathers
//     (embeddings), iota, transposes, reshapes (views: no copy), bfloat16
//     widening, DynamicSlice and DynamicUpdateSlice.
//
// # Memory
//
// Values are reference-counted during a run: a buffer returns to the pool
// after its last use; a kernel may write its result into an input's
// buffer when that input is dead afterwards and owned by the run (an
// intermediate, or an input the caller donated). This is how the engine's
// KV cache is updated in place: it donates the cache buffers and the
// DynamicUpdateSlice writes the new slots into them, so a decode step
// neither copies nor transposes the whole cache.
//
// # Determinism
//
// Work is split over the cores by output element: each element is computed
// by one goroutine in a fixed order, so results are bit-identical from run
// to run and across GOMAXPROCS for a given build (training included).
//
// # Profiling
//
// A Go CPU profile sees kernels, not the graph nodes they ran for.
// [SetProfiling] times every step of every Execute until it is turned off;
// [ProfileReport] lists the steps by total time (operation or fused loop,
// output shape, calls, share). The engine's benchmarks are the usual
// driver:
//
//	cpu.SetProfiling(true)
//	m.Generate(ctx, prompts, opts)
//	fmt.Print(cpu.ProfileReport(20))
//
// # Adding a kernel
//
// Add a case to nativeKernel (native.go) returning a [kernel] for the
// node's operation when its types and attributes fit, nil otherwise (the
// fallback then runs it), and a test in cpu_test.go comparing it with
// simplego through [graph] on awkward shapes.
package cpu
