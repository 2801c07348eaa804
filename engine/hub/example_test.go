package hub_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/actsh/actsh/engine/hub"
)

// A local folder resolves to itself; a Hugging Face id resolves to its
// snapshot in the cache, downloaded first when missing and not offline.
func ExampleResolve() {
	dir, err := os.MkdirTemp("", "model")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type":"gpt2"}`), 0o644); err != nil {
		log.Fatal(err)
	}
	got, err := hub.Resolve(context.Background(), dir, hub.Options{})
	fmt.Println(got == dir, err)

	_, err = hub.Resolve(context.Background(), "org/not-cached", hub.Options{CacheDir: dir, Offline: true})
	fmt.Println(err != nil)
	// Output:
	// true <nil>
	// true
}
