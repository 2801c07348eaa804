package tiny

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Name is the model name under which engine.Load (and act.Load) returns the
// embedded model.
const Name = "tiny"

// The files are a complete Hugging Face folder written by
// recipes/tiny_train.go, plus chat_template.jinja, written by hand; see
// tiny/data/README.md.
//
//go:embed data/model/config.json data/model/generation_config.json data/model/model.safetensors data/model/tokenizer.json data/model/tokenizer_config.json data/model/chat_template.jinja
var model embed.FS

// Files returns the embedded model as a read-only Hugging Face folder:
// config.json, generation_config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json and chat_template.jinja (a plain chat template:
// the model was not chat-tuned, but chat-based evaluations such as the
// zero-shot judge run on it).
func Files() fs.FS { return sub(model, "data/model") }

// sub returns the embedded folder dir of fsys.
func sub(fsys fs.FS, dir string) fs.FS {
	s, err := fs.Sub(fsys, dir)
	if err != nil { // cannot happen: dir is a literal of this package
		panic(err)
	}
	return s
}

// Export writes the embedded model to the folder dir (created; it must not
// exist yet), so that other tools (Hugging Face transformers, say) can load
// the same checkpoint. The files are written into a temporary sibling
// folder that is renamed into place, so an error leaves nothing behind.
func Export(dir string) (err error) {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("tiny: export: %s already exists", dir)
	}
	parent := filepath.Dir(dir)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return fmt.Errorf("tiny: export: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	files := Files()
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return fmt.Errorf("tiny: export: %w", err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files, e.Name())
		if err != nil {
			return fmt.Errorf("tiny: export: %w", err)
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
			return fmt.Errorf("tiny: export: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("tiny: export: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("tiny: export: %w", err)
	}
	return nil
}
