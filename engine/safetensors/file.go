package safetensors

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"
)

// File is one .safetensors file, memory-mapped read-only where the platform
// allows it (read into memory otherwise). Its methods are safe for
// concurrent reads (not concurrent with Close); slices from [File.Bytes]
// are valid until [File.Close].
type File struct {
	path   string
	buf    []byte // the whole file
	data   []byte // the data section, a view into buf
	unmap  func() error
	infos  map[string]Info
	names  []string
	meta   map[string]string
	closed bool
}

// Open maps the safetensors file at path and validates its header: the
// length prefix, the JSON, every tensor's dtype, shape and offsets, and that
// the tensors tile the data section exactly.
func Open(path string) (*File, error) {
	buf, unmap, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: open %s: %w", path, err)
	}
	f, err := parse(path, buf)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	f.unmap = unmap
	return f, nil
}

// OpenBytes reads a safetensors file held in memory (an embedded
// checkpoint, say), validating it as [Open] does; name is used in messages
// and returned by [File.Path]. The File is a view into b, which must not
// change while the File is in use.
func OpenBytes(name string, b []byte) (*File, error) {
	f, err := parse(name, b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", name, err)
	}
	return f, nil
}

func parse(path string, buf []byte) (*File, error) {
	if len(buf) < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", len(buf))
	}
	n := binary.LittleEndian.Uint64(buf)
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit (corrupt file?)", n, MaxHeaderSize)
	}
	if n > uint64(len(buf)-8) {
		return nil, fmt.Errorf("header length %d is larger than the %d bytes after the length prefix (truncated file?)", n, len(buf)-8)
	}
	data := buf[8+n:]
	infos, meta, err := parseHeader(buf[8:8+n], int64(len(data)))
	if err != nil {
		return nil, err
	}
	f := &File{path: path, buf: buf, data: data, infos: make(map[string]Info, len(infos)), meta: meta}
	for _, in := range infos {
		f.infos[in.Name] = in
		f.names = append(f.names, in.Name)
	}
	return f, nil
}

// Path returns the path the file was opened from.
func (f *File) Path() string { return f.path }

// Names returns the tensor names, sorted.
func (f *File) Names() []string { return append([]string(nil), f.names...) }

// Info returns the description of the named tensor.
func (f *File) Info(name string) (Info, bool) {
	in, ok := f.infos[name]
	if ok {
		in.Shape = append([]int(nil), in.Shape...)
	}
	return in, ok
}

// Metadata returns a copy of the header's "__metadata__" map (empty when absent).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.meta))
	for k, v := range f.meta {
		m[k] = v
	}
	return m
}

// Bytes returns the raw little-endian bytes of the named tensor: a view
// into the mapping, valid until Close, that must not be modified.
func (f *File) Bytes(name string) ([]byte, error) {
	in, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	return f.data[in.Offset : in.Offset+in.Size : in.Offset+in.Size], nil
}

// Raw returns the named tensor as stored: its dtype, its shape and its raw
// little-endian bytes (a view into the mapping, valid until Close, that must
// not be modified). Loaders use it to keep a tensor in the checkpoint's
// dtype without a float32 copy.
func (f *File) Raw(name string) (DType, []int, []byte, error) {
	in, err := f.lookup(name)
	if err != nil {
		return "", nil, nil, err
	}
	return in.DType, in.Shape, f.data[in.Offset : in.Offset+in.Size : in.Offset+in.Size], nil
}

// Float32 returns the named tensor converted to a fresh float32 slice and its
// shape. F16, BF16 and F64 tensors are converted (F64 rounds to nearest).
func (f *File) Float32(name string) ([]float32, []int, error) { return f.Float32To(nil, name) }

// Float32To is Float32 writing into dst when it has room for the tensor's
// elements (it is resliced to that length), allocating otherwise, so a
// loader can reuse one buffer across tensors.
func (f *File) Float32To(dst []float32, name string) ([]float32, []int, error) {
	in, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	n := in.Elements()
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if err := toFloat32(dst, f.data[in.Offset:in.Offset+in.Size], in.DType); err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, err)
	}
	return dst, in.Shape, nil
}

// Int64 returns the named integer tensor widened to a fresh int64 slice and
// its shape. BOOL tensors read as 0 and 1.
func (f *File) Int64(name string) ([]int64, []int, error) {
	in, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	v := make([]int64, in.Elements())
	if err := toInt64(v, f.data[in.Offset:in.Offset+in.Size], in.DType); err != nil {
		return nil, nil, fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, err)
	}
	return v, in.Shape, nil
}

func (f *File) lookup(name string) (Info, error) {
	if f.closed {
		return Info{}, fmt.Errorf("safetensors: %s: read tensor %q after Close", f.path, name)
	}
	in, ok := f.Info(name)
	if !ok {
		return Info{}, fmt.Errorf("safetensors: %s: no tensor %q (%d tensors%s)", f.path, name, len(f.names), near(f.names, name))
	}
	return in, nil
}

// Close unmaps the file. Slices returned by Bytes must not be used afterwards.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.buf, f.data = nil, nil
	if f.unmap != nil {
		if err := f.unmap(); err != nil {
			return fmt.Errorf("safetensors: close %s: %w", f.path, err)
		}
	}
	return nil
}

// near lists up to three names sharing the longest prefix with name, to help
// spot a misspelt key.
func near(names []string, name string) string {
	if len(names) == 0 {
		return ""
	}
	best := 0
	for _, n := range names {
		if p := commonPrefix(n, name); p > best {
			best = p
		}
	}
	if best == 0 {
		return ""
	}
	var out []string
	for _, n := range names {
		if commonPrefix(n, name) == best {
			out = append(out, n)
			if len(out) == 3 {
				break
			}
		}
	}
	sort.Strings(out)
	return fmt.Sprintf("; close: %q", out)
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// readWhole is the fallback when mapping is unavailable.
func readWhole(path string) ([]byte, func() error, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return b, nil, nil
}
