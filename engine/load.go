package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/actsh/actsh/engine/hub"
	"github.com/actsh/actsh/engine/safetensors"
	"github.com/actsh/actsh/engine/tokenizer"
	"github.com/actsh/actsh/tiny"
)

// LoadOptions tune [Load]. The zero value resolves names with the hub
// package's defaults.
type LoadOptions struct {
	// Hub says where Hugging Face ids are looked up (cache folder, token,
	// offline mode).
	Hub hub.Options
	// SkipMemoryCheck loads the weights even when they look too large for
	// the memory available (see the package documentation, section
	// "Memory"); so does $ACTSH_SKIP_MEMORY_CHECK ([SkipMemoryCheckEnv]).
	SkipMemoryCheck bool
}

// Load resolves name (a checkpoint folder or a Hugging Face id in the local
// cache, or "tiny" for the model embedded in the binary), reads config.json
// and the safetensors weights, checks that they fit in the memory available
// before allocating any, builds the model of the family named by the
// config's architectures, and loads
// tokenizer.json when the folder has one (otherwise [Model.Tokenizer] is
// nil and only id-level calls work).
func Load(ctx context.Context, name string, opts LoadOptions) (*Model, error) {
	if name == tiny.Name {
		return loadEmbedded()
	}
	dir, err := hub.Resolve(ctx, name, opts.Hub)
	if err != nil {
		return nil, fmt.Errorf("engine: load %s: %w", name, err)
	}
	cfgPath := filepath.Join(dir, "config.json")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("engine: load %s: %w", name, err)
	}
	set, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("engine: load %s: %w", name, err)
	}
	defer set.Close() // parameters are copied into tensors
	if !opts.SkipMemoryCheck && !skipMemoryCheck() {
		fp, err := estimate(set)
		if err != nil {
			return nil, fmt.Errorf("engine: load %s: %w", name, err)
		}
		if err := checkFit(name, fp); err != nil {
			return nil, err
		}
	}
	m, err := New(cfg, set)
	if err != nil {
		return nil, fmt.Errorf("engine: load %s: %w", dir, err)
	}
	tok, err := tokenizer.Load(dir)
	switch {
	case err == nil:
		m.tok = tok
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("engine: load %s: %w", dir, err)
	}
	m.name, m.dir = name, dir
	return m, nil
}

// Tokenizer returns the model's tokenizer, nil when its folder has no
// tokenizer.json.
func (m *Model) Tokenizer() *tokenizer.Tokenizer { return m.tok }

// Name is the name the model was loaded by ("" for [New]).
func (m *Model) Name() string { return m.name }

// Dir is the checkpoint folder the model was loaded from ("" for [New]).
func (m *Model) Dir() string { return m.dir }

// loadEmbedded builds the default model from the files embedded in package
// tiny, through the same parsing and validation as a folder on disk.
func loadEmbedded() (*Model, error) {
	files := tiny.Files()
	read := func(name string) []byte {
		b, err := fs.ReadFile(files, name)
		if err != nil { // cannot happen: the files are embedded by name
			panic(fmt.Sprintf("engine: embedded model: %v", err))
		}
		return b
	}
	st, err := safetensors.OpenBytes("tiny/model.safetensors", read("model.safetensors"))
	if err != nil {
		return nil, fmt.Errorf("engine: load tiny (embedded): %w", err)
	}
	defer st.Close()
	m, err := New(read("config.json"), st)
	if err != nil {
		return nil, fmt.Errorf("engine: load tiny (embedded): %w", err)
	}
	tok, err := tokenizer.Parse(read("tokenizer.json"), read("tokenizer_config.json"))
	if err != nil {
		return nil, fmt.Errorf("engine: load tiny (embedded): %w", err)
	}
	m.tok, m.name = tok, tiny.Name
	return m, nil
}
