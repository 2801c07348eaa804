//go:build goexperiment.simd && amd64

package simdot

import (
	"fmt"
	"os"
	"reflect"
	"simd/archsimd"
	"strings"
	"sync"
	"unsafe"

	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// kernelTable is simplego's table of block-kernel builders by dtype; its
// float32 entry has the type func(lhs, rhs, output *simplego.Buffer,
// blockDim int) kernelFuncType, kernelFuncType being func(lhsBlock,
// rhsBlock, outputBlock int).
//
//go:linkname kernelTable github.com/gomlx/gomlx/backends/simplego.dotGeneralKernelDTypeMap
var kernelTable *simplego.DTypeMap

var (
	once      sync.Once
	installed bool
	reason    string
)

func install() (string, bool) {
	once.Do(func() {
		switch {
		case !archsimd.X86.AVX512():
			reason = "scalar simplego matmul (this CPU has no AVX-512)"
		case !asyncPreemptOff():
			reason = "scalar simplego matmul (the AVX-512 kernel also needs GODEBUG=asyncpreemptoff=1)"
		case kernelTable == nil || kernelTable.Map[dtypes.Float32] == nil:
			reason = "scalar simplego matmul (simplego's kernel table is not where this GoMLX version was expected to keep it)"
		default:
			if err := replace(); err != nil {
				reason = "scalar simplego matmul (" + err.Error() + ")"
				return
			}
			installed = true
			reason = fmt.Sprintf("AVX-512 simplego matmul (blocks of %d)", blockDim())
		}
	})
	return reason, installed
}

func blockDim() int { return 1 << simplego.DotGeneralTargetBlockLog2Dim[dtypes.Float32] }

// replace swaps the float32 kernel builder for one of the same Go type
// that builds [kernel].
func replace() error {
	old := reflect.TypeOf(kernelTable.Map[dtypes.Float32])
	buf := reflect.TypeFor[*simplego.Buffer]()
	if old.Kind() != reflect.Func || old.NumIn() != 4 || old.NumOut() != 1 ||
		old.In(0) != buf || old.In(1) != buf || old.In(2) != buf || old.In(3).Kind() != reflect.Int ||
		!reflect.TypeFor[func(l, r, o int)]().ConvertibleTo(old.Out(0)) {
		return fmt.Errorf("simplego's kernel builder has an unexpected type %s", old)
	}
	f, ok := buf.Elem().FieldByName("flat")
	if !ok || f.Type.Kind() != reflect.Interface {
		return fmt.Errorf("simplego.Buffer has no field flat holding its values")
	}
	if b := blockDim(); b%32 != 0 {
		return fmt.Errorf("simplego's float32 block is %d wide; the kernel handles multiples of 32", b)
	}
	// flat returns a buffer's float32 storage (its unexported field flat).
	flat := func(buf reflect.Value) []float32 {
		v := buf.Elem().FieldByIndex(f.Index)
		return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem().Interface().([]float32)
	}
	kt := old.Out(0)
	builder := reflect.MakeFunc(old, func(args []reflect.Value) []reflect.Value {
		k := kernel(flat(args[0]), flat(args[1]), flat(args[2]), int(args[3].Int()))
		return []reflect.Value{reflect.ValueOf(k).Convert(kt)}
	})
	kernelTable.Map[dtypes.Float32] = builder.Interface()
	return nil
}

// kernel returns the block kernel over the blocked buffers: square blocks
// of b×b, one after another; output block o += lhs block l · (rhs block r)ᵀ.
// It first transposes every rhs block (contracting axis first), so that the
// product is a sum of rows of the transposed block scaled by lhs entries:
// the kernel is built once per product and then called for every pair of
// blocks, concurrently, so the transposed copy is shared read-only.
func kernel(lhs, rhs, out []float32, b int) func(l, r, o int) {
	size := b * b
	rt := make([]float32, len(rhs))
	for base := 0; base+size <= len(rhs); base += size {
		src, dst := rhs[base:base+size], rt[base:base+size]
		for j := range b {
			for k, v := range src[j*b : j*b+b] {
				dst[k*b+j] = v
			}
		}
	}
	return func(l, r, o int) {
		// AVX-512 code leaves the upper halves of the vector registers
		// "dirty", which makes legacy SSE code on the same thread (Go's
		// math.Exp, which simplego's Exp calls) run tens of times slower
		// until they are cleared (see asyncPreemptOff for the other way
		// they get dirty).
		mul(lhs[l*size:l*size+size], rt[r*size:r*size+size], out[o*size:o*size+size], b)
		archsimd.ClearAVXUpperBits()
	}
}

// mul adds a·t to c, all b×b row-major, b a multiple of 32: two rows by
// two vectors of sixteen columns of c at a time, one fused multiply-add per
// (row, vector, k).
func mul(a, t, c []float32, b int) {
	for i := 0; i < b; i += 2 {
		a0, a1 := a[i*b:i*b+b], a[(i+1)*b:(i+1)*b+b]
		c0, c1 := c[i*b:i*b+b], c[(i+1)*b:(i+1)*b+b]
		for j := 0; j < b; j += 32 {
			x0 := archsimd.LoadFloat32x16Slice(c0[j:])
			x1 := archsimd.LoadFloat32x16Slice(c0[j+16:])
			y0 := archsimd.LoadFloat32x16Slice(c1[j:])
			y1 := archsimd.LoadFloat32x16Slice(c1[j+16:])
			for k := range b {
				v0 := archsimd.LoadFloat32x16Slice(t[k*b+j:])
				v1 := archsimd.LoadFloat32x16Slice(t[k*b+j+16:])
				p := archsimd.BroadcastFloat32x16(a0[k])
				q := archsimd.BroadcastFloat32x16(a1[k])
				x0 = v0.MulAdd(p, x0)
				x1 = v1.MulAdd(p, x1)
				y0 = v0.MulAdd(q, y0)
				y1 = v1.MulAdd(q, y1)
			}
			x0.StoreSlice(c0[j:])
			x1.StoreSlice(c0[j+16:])
			y0.StoreSlice(c1[j:])
			y1.StoreSlice(c1[j+16:])
		}
	}
}

func available() bool { return archsimd.X86.AVX512() && asyncPreemptOff() }

// asyncPreemptOff reports whether the process runs with GODEBUG
// asyncpreemptoff=1. Without it, in GOEXPERIMENT=simd builds of Go 1.26
// on an AVX-512 CPU, simplego's Exp (math.Exp, legacy SSE code) ran about
// 100 times slower (profile of 15 training steps: 81 s in math.Exp
// against 0.8 s with the setting), which costs far more than the kernel
// gains: a training step was about 3× slower than the scalar build's
// instead of 2× faster. Clearing the upper vector state after every
// kernel call did not help and turning off signal-based preemption did,
// so our reading is that resuming a preempted goroutine restores its
// vector registers with 512-bit moves and leaves them dirty for the SSE
// code that follows.
func asyncPreemptOff() bool {
	on := false
	for _, kv := range strings.Split(os.Getenv("GODEBUG"), ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "asyncpreemptoff" {
			on = v == "1"
		}
	}
	return on
}
