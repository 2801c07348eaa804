package cpu

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/actsh/actsh/internal/gemm"
	"github.com/actsh/actsh/internal/vecf32"
)

// Name is the name the backend registers with GoMLX: GOMLX_BACKEND=cpu.
const Name = "cpu"

func init() {
	backends.Register(Name, New)
}

// Backend is the CPU backend. Its buffers are the pure-Go backend's, so
// data moves between the two without copies; graphs are its own.
type Backend struct {
	// simple holds the buffers and runs the operations this backend has
	// no kernel of its own for.
	simple backends.Backend
	// fallbackOnce guards Fallbacks.
	mu        sync.Mutex
	fallbacks map[string]int
}

var _ backends.Backend = (*Backend)(nil)

// New returns a CPU backend. The configuration is passed to the pure-Go
// backend it runs the remaining operations on (see simplego.New); the
// default runs those sequentially.
func New(config string) (backends.Backend, error) {
	if config == "" {
		config = "ops_sequential"
	}
	s, err := simplego.New(config)
	if err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	return &Backend{simple: s, fallbacks: map[string]int{}}, nil
}

// Name implements backends.Backend.
func (b *Backend) Name() string { return Name }

// String implements backends.Backend.
func (b *Backend) String() string { return Name }

// Description implements backends.Backend: it names the matrix kernel.
func (b *Backend) Description() string {
	return fmt.Sprintf("actsh CPU backend: %s matrix kernels, %s elementwise kernels", gemm.Kernel(), vecf32.Kernel())
}

// NumDevices implements backends.Backend.
func (b *Backend) NumDevices() int { return 1 }

// DeviceDescription implements backends.Backend.
func (b *Backend) DeviceDescription(backends.DeviceNum) string { return "CPU" }

// Capabilities implements backends.Backend: the pure-Go backend's, plus
// the operations only this backend has.
func (b *Backend) Capabilities() backends.Capabilities {
	c := b.simple.Capabilities().Clone()
	for op := range nativeOnly {
		c.Operations[op] = true
	}
	// Float16 is not listed: values of every type must also exist in the
	// shadow graph, and the pure-Go backend has no float16.
	c.DTypes[dtypes.BFloat16] = true
	return c
}

// Builder implements backends.Builder.
func (b *Backend) Builder(name string) backends.Builder {
	return &Builder{backend: b, name: name, shadow: b.simple.Builder(name)}
}

// Finalize implements backends.Backend.
func (b *Backend) Finalize() { b.simple.Finalize() }

// IsFinalized implements backends.Backend.
func (b *Backend) IsFinalized() bool { return b.simple.IsFinalized() }

// BufferFinalize implements backends.DataInterface.
func (b *Backend) BufferFinalize(buf backends.Buffer) error { return b.simple.BufferFinalize(buf) }

// BufferShape implements backends.DataInterface.
func (b *Backend) BufferShape(buf backends.Buffer) (shapes.Shape, error) {
	return b.simple.BufferShape(buf)
}

// BufferDeviceNum implements backends.DataInterface.
func (b *Backend) BufferDeviceNum(buf backends.Buffer) (backends.DeviceNum, error) {
	return b.simple.BufferDeviceNum(buf)
}

// BufferToFlatData implements backends.DataInterface.
func (b *Backend) BufferToFlatData(buf backends.Buffer, flat any) error {
	return b.simple.BufferToFlatData(buf, flat)
}

// BufferFromFlatData implements backends.DataInterface.
func (b *Backend) BufferFromFlatData(dev backends.DeviceNum, flat any, shape shapes.Shape) (backends.Buffer, error) {
	return b.simple.BufferFromFlatData(dev, flat, shape)
}

// HasSharedBuffers implements backends.DataInterface.
func (b *Backend) HasSharedBuffers() bool { return true }

// NewSharedBuffer implements backends.DataInterface.
func (b *Backend) NewSharedBuffer(dev backends.DeviceNum, shape shapes.Shape) (backends.Buffer, any, error) {
	return b.simple.NewSharedBuffer(dev, shape)
}

// BufferData implements backends.DataInterface.
func (b *Backend) BufferData(buf backends.Buffer) (any, error) { return b.simple.BufferData(buf) }

// BufferCopyToDevice implements backends.DataInterface.
func (b *Backend) BufferCopyToDevice(src backends.Buffer, dev backends.DeviceNum) (backends.Buffer, error) {
	return nil, fmt.Errorf("cpu: one device only, cannot copy a buffer to device %d", dev)
}

// Fallbacks returns how many operations of each type graphs compiled so
// far run on the pure-Go backend (no kernel of ours), for profiling.
func (b *Backend) Fallbacks() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.fallbacks))
	for k, v := range b.fallbacks {
		out[k] = v
	}
	return out
}

func (b *Backend) countFallback(op string) {
	b.mu.Lock()
	b.fallbacks[op]++
	b.mu.Unlock()
}
