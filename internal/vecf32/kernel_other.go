//go:build !amd64

package vecf32

// platformKernels returns no assembly kernels: other architectures use
// the Go kernels.
func platformKernels() []*kernels { return nil }
