package gemma2

import (
	"github.com/actsh/actsh/engine/safetensors"
)

// stFile adds to a safetensors file the int accessor the tests use.
type stFile struct {
	*safetensors.File
}

func readST(path string) (*stFile, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	return &stFile{f}, nil
}

func (f *stFile) Ints(name string) ([]int, []int, error) {
	v, shape, err := f.Int64(name)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out, shape, nil
}
