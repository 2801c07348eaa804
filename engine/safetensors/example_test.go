package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/actsh/actsh/engine/safetensors"
)

func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "giraffe.act.safetensors")

	err = safetensors.Write(path, []safetensors.Tensor{
		safetensors.F32("layer.0.a", []int{2, 2}, []float32{1, 2, 3, 4}),
		safetensors.I64("layer.0.n", []int{1}, []int64{512}),
	}, map[string]string{"method": "linear-act"})
	if err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	a, shape, err := f.Float32("layer.0.a")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Names(), f.Metadata()["method"])
	fmt.Println(a, shape)
	// Output:
	// [layer.0.a layer.0.n] linear-act
	// [1 2 3 4] [2 2]
}

func ExampleOpenDir() {
	s, err := safetensors.OpenDir("testdata")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	info, _ := s.Info("transformer.wte.weight")
	fmt.Println(len(s.Names()), info.DType, info.Shape)
	// Output: 28 F32 [320 64]
}
