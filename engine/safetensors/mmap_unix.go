//go:build unix

package safetensors

import (
	"os"
	"syscall"
)

// mapFile maps path read-only. Empty files cannot be mapped; they are
// returned as an empty buffer so that the length check reports them.
func mapFile(path string) ([]byte, func() error, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if size == 0 {
		return []byte{}, nil, nil
	}
	if int64(int(size)) != size || !st.Mode().IsRegular() {
		return readWhole(path)
	}
	b, err := syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readWhole(path)
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}
