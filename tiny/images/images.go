package images

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/actsh/actsh/tiny/style"
)

// Name is the name under which engine/diffusion (and
// act.LoadImagePipeline) return the embedded pipeline.
const Name = "tiny"

//go:embed data/pipeline data/style.json data/names.json
var files embed.FS

// Pipeline returns the embedded pipeline folder, read-only.
func Pipeline() fs.FS {
	s, err := fs.Sub(files, "data/pipeline")
	if err != nil { // cannot happen: the folder is embedded by name
		panic(err)
	}
	return s
}

// Classifier returns the embedded style classifier (noto against
// twemoji).
func Classifier() (*style.Classifier, error) {
	b, err := files.ReadFile("data/style.json")
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	return style.Parse(b)
}

// Names returns the emoji names the model was trained on (heldOut
// false) or that were kept out of its training (true), in emoji.json's
// order: the untagged prompts of the demos.
func Names(heldOut bool) []string {
	b, err := files.ReadFile("data/names.json")
	if err != nil { // cannot happen: the file is embedded by name
		panic(err)
	}
	var n struct {
		Train   []string `json:"train"`
		HeldOut []string `json:"held_out"`
	}
	if err := json.Unmarshal(b, &n); err != nil {
		panic(fmt.Sprintf("images: data/names.json: %v", err))
	}
	if heldOut {
		return n.HeldOut
	}
	return n.Train
}

// Export writes the embedded pipeline folder to dir (created; it must not
// exist yet), through a temporary sibling folder renamed into place.
func Export(dir string) (err error) {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("images: export: %s already exists", dir)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return fmt.Errorf("images: export: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	p := Pipeline()
	err = fs.WalkDir(p, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(tmp, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(p, path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		return fmt.Errorf("images: export: %w", err)
	}
	return nil
}
