package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// IndexName is the file naming the shards of a sharded checkpoint.
const IndexName = "model.safetensors.index.json"

// Set is the weights of a model folder, possibly split across shards: the
// tensors of all its files under one namespace. Shards stay memory-mapped;
// nothing is read until a tensor is asked for.
type Set struct {
	dir    string
	files  []*File
	owner  map[string]*File
	names  []string
	meta   map[string]string
	closed bool
}

// OpenDir opens the safetensors weights of a model folder:
//   - the shards listed by model.safetensors.index.json's weight_map, checking
//     that every shard exists and holds the tensors the index gives it;
//   - else model.safetensors;
//   - else every *.safetensors file in dir (usually one).
//
// A tensor present in two files is an error.
func OpenDir(dir string) (*Set, error) {
	s, err := openDir(dir)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return s, nil
}

// OpenFiles opens the given safetensors files as one Set (their folder is
// dir): for callers that choose the files themselves, such as a diffusers
// component folder holding both diffusion_pytorch_model.safetensors and its
// fp16 variant. A tensor present in two files is an error.
func OpenFiles(dir string, paths []string) (*Set, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("safetensors: %s: no files to open", dir)
	}
	s := &Set{dir: dir, owner: map[string]*File{}, meta: map[string]string{}}
	for _, p := range paths {
		if err := s.add(p); err != nil {
			s.Close()
			return nil, fmt.Errorf("safetensors: %w", err)
		}
	}
	s.finish()
	return s, nil
}

func openDir(dir string) (*Set, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	s := &Set{dir: dir, owner: map[string]*File{}, meta: map[string]string{}}
	index := filepath.Join(dir, IndexName)
	b, err := os.ReadFile(index)
	switch {
	case err == nil:
		if err := s.openIndex(index, b); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	var paths []string
	if single := filepath.Join(dir, "model.safetensors"); fileExists(single) {
		paths = []string{single}
	} else {
		paths, _ = filepath.Glob(filepath.Join(dir, "*.safetensors"))
		sort.Strings(paths)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no %s, model.safetensors or *.safetensors (holds %s)", dir, IndexName, listDir(dir))
	}
	for _, p := range paths {
		if err := s.add(p); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.finish()
	return s, nil
}

func (s *Set) openIndex(index string, b []byte) error {
	var idx struct {
		Metadata  map[string]json.RawMessage `json:"metadata"`
		WeightMap map[string]string          `json:"weight_map"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return fmt.Errorf("%s: not a JSON index: %w", index, err)
	}
	if len(idx.WeightMap) == 0 {
		return fmt.Errorf("%s: empty or missing weight_map", index)
	}
	for k, v := range idx.Metadata {
		var str string
		if json.Unmarshal(v, &str) == nil {
			s.meta[k] = str
		} else {
			s.meta[k] = string(v)
		}
	}
	shards := map[string][]string{}
	for tensor, shard := range idx.WeightMap {
		if shard == "" || filepath.IsAbs(shard) || strings.Contains(filepath.ToSlash(shard), "../") {
			return fmt.Errorf("%s: tensor %q maps to shard %q outside the folder", index, tensor, shard)
		}
		shards[shard] = append(shards[shard], tensor)
	}
	var order []string
	for shard := range shards {
		order = append(order, shard)
	}
	sort.Strings(order)
	for _, shard := range order {
		p := filepath.Join(s.dir, shard)
		if !fileExists(p) {
			return fmt.Errorf("%s: weight_map names shard %s (for %d tensors, e.g. %q) but %s does not exist",
				index, shard, len(shards[shard]), shards[shard][0], p)
		}
		if err := s.add(p); err != nil {
			return err
		}
		f := s.files[len(s.files)-1]
		sort.Strings(shards[shard])
		for _, tensor := range shards[shard] {
			if _, ok := f.infos[tensor]; !ok {
				return fmt.Errorf("%s: weight_map puts tensor %q in %s, which does not hold it", index, tensor, shard)
			}
		}
	}
	s.finish()
	return nil
}

func (s *Set) add(path string) error {
	f, err := Open(path)
	if err != nil {
		var inner error = err
		// Open's error already names the package; unwrap one level to avoid "safetensors: safetensors:".
		if u := errors.Unwrap(err); u != nil {
			inner = fmt.Errorf("%s: %w", path, u)
		}
		return inner
	}
	s.files = append(s.files, f)
	for _, n := range f.names {
		if other, dup := s.owner[n]; dup {
			return fmt.Errorf("tensor %q is in both %s and %s", n, other.path, path)
		}
		s.owner[n] = f
	}
	for k, v := range f.meta {
		if _, ok := s.meta[k]; !ok {
			s.meta[k] = v
		}
	}
	return nil
}

func (s *Set) finish() {
	for n := range s.owner {
		s.names = append(s.names, n)
	}
	sort.Strings(s.names)
}

// Dir returns the folder the set was opened from.
func (s *Set) Dir() string { return s.dir }

// Files returns the paths of the files in the set, in opening order.
func (s *Set) Files() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.path
	}
	return out
}

// Names returns the tensor names of all files, sorted.
func (s *Set) Names() []string { return append([]string(nil), s.names...) }

// Info returns the description of the named tensor; its Offset is relative to
// the data section of the file holding it (see [Set.FileOf]).
func (s *Set) Info(name string) (Info, bool) {
	f, ok := s.owner[name]
	if !ok {
		return Info{}, false
	}
	return f.Info(name)
}

// FileOf returns the path of the file holding the named tensor.
func (s *Set) FileOf(name string) (string, bool) {
	f, ok := s.owner[name]
	if !ok {
		return "", false
	}
	return f.path, true
}

// Metadata returns the index's "metadata" (non-string values as JSON text)
// merged with the shards' "__metadata__"; the index wins, then earlier shards.
func (s *Set) Metadata() map[string]string {
	m := make(map[string]string, len(s.meta))
	for k, v := range s.meta {
		m[k] = v
	}
	return m
}

// Float32 is [File.Float32] on the file holding the tensor.
func (s *Set) Float32(name string) ([]float32, []int, error) {
	f, err := s.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	return f.Float32(name)
}

// Float32To is [File.Float32To] on the file holding the tensor.
func (s *Set) Float32To(dst []float32, name string) ([]float32, []int, error) {
	f, err := s.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	return f.Float32To(dst, name)
}

// Int64 is [File.Int64] on the file holding the tensor.
func (s *Set) Int64(name string) ([]int64, []int, error) {
	f, err := s.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	return f.Int64(name)
}

// Raw is [File.Raw] on the file holding the tensor: its dtype, shape and
// a zero-copy view of its bytes, valid until Close.
func (s *Set) Raw(name string) (DType, []int, []byte, error) {
	f, err := s.lookup(name)
	if err != nil {
		return "", nil, nil, err
	}
	return f.Raw(name)
}

// Bytes is [File.Bytes] on the file holding the tensor: a zero-copy view
// valid until Close.
func (s *Set) Bytes(name string) ([]byte, error) {
	f, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	return f.Bytes(name)
}

func (s *Set) lookup(name string) (*File, error) {
	if s.closed {
		return nil, fmt.Errorf("safetensors: %s: read tensor %q after Close", s.dir, name)
	}
	f, ok := s.owner[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: no tensor %q (%d tensors in %d files%s)", s.dir, name, len(s.names), len(s.files), near(s.names, name))
	}
	return f, nil
}

// Close unmaps every file of the set.
func (s *Set) Close() error {
	s.closed = true
	var errs []error
	for _, f := range s.files {
		if err := f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// listDir summarizes a folder's entries for error messages.
func listDir(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		return "nothing"
	}
	var names []string
	for i, e := range ents {
		if i == 10 {
			names = append(names, fmt.Sprintf("… %d more", len(ents)-10))
			break
		}
		names = append(names, e.Name())
	}
	return strings.Join(names, ", ")
}
