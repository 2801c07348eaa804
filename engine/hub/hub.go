package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// DefaultFiles are the files Resolve downloads when Options.Files is empty;
// the weights (model.safetensors, or the index and its shards) come on top.
// Only config.json is required among them.
var DefaultFiles = []string{"config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"}

// SlowTokenizerFiles are downloaded, when present, for a model without
// tokenizer.json: the vocab.json and merges.txt of transformers' slow GPT-2
// and RoBERTa tokenizers.
var SlowTokenizerFiles = []string{"vocab.json", "merges.txt"}

// DefaultEndpoint is the hub Resolve downloads from unless Options.Endpoint
// or $HF_ENDPOINT says otherwise.
const DefaultEndpoint = "https://huggingface.co"

// DefaultTimeout bounds connecting (dial, TLS handshake) and waiting for
// response headers when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Options tune Resolve. The zero value follows the huggingface_hub
// environment variables.
type Options struct {
	// CacheDir is the hub cache to search and download into; empty means
	// CacheDir().
	CacheDir string
	// Token authenticates downloads; empty means $HF_TOKEN, else the token
	// file huggingface-cli login writes ($HF_HOME/token).
	Token string
	// Offline forbids network access; $HF_HUB_OFFLINE=1 sets it too.
	Offline bool
	// Timeout bounds connecting to the hub and waiting for each response's
	// headers (not the transfer of a body); zero means DefaultTimeout.
	Timeout time.Duration
	// Files are the files to download when the model is not cached; empty
	// means DefaultFiles plus the safetensors weights. Listed files are all
	// required.
	Files []string
	// Endpoint is the hub's base URL; empty means $HF_ENDPOINT, else
	// DefaultEndpoint.
	Endpoint string
	// Marker is the file that makes a folder (or a cached snapshot) a
	// model, checked at its top level; empty means config.json. A
	// diffusers pipeline's is model_index.json.
	Marker string
	// Describe says what such a folder holds, for errors; empty means
	// a transformers checkpoint's files.
	Describe string
}

func (o Options) marker() string {
	if o.Marker == "" {
		return "config.json"
	}
	return o.Marker
}

func (o Options) describe() string {
	if o.Describe == "" {
		return modelFiles
	}
	return o.Describe
}

// Resolve turns a model name into a local folder holding config.json (and
// the weights and tokenizer files next to it).
//
// A name that looks like a path (starts with /, . or ~, has more than one
// slash or a backslash, or exists on disk) is a folder and is returned as
// an absolute path when it holds config.json. Anything else is a Hugging
// Face id "org/name", optionally pinned as "org/name@revision" (a branch,
// tag or commit hash; default main), looked up in the hub cache and
// downloaded into it when absent, unless offline.
func Resolve(ctx context.Context, name string, opts Options) (string, error) {
	if name == "" {
		return "", errors.New("hub: empty model name: want a folder or a Hugging Face id like org/name")
	}
	if looksLikePath(name) {
		return localFolder(name, opts)
	}
	id, revision, err := ParseID(name)
	if err != nil {
		return "", err
	}
	searched := searchOrder(opts)
	for _, c := range searched {
		snap, err := lookup(c.dir, id, revision, opts.marker())
		if err != nil {
			return "", fmt.Errorf("hub: %s: %w", name, err)
		}
		if snap != "" {
			return snap, nil
		}
	}
	nf := &NotFoundError{ID: id, Revision: revision}
	for _, c := range searched {
		nf.Searched = append(nf.Searched, filepath.Join(c.dir, repoFolder(id))+" ("+c.why+")")
	}
	if opts.Offline || envTrue("HF_HUB_OFFLINE") {
		nf.Offline = true
		return "", nf
	}
	d := newDownloader(opts)
	snap, err := d.download(ctx, searched[0].dir, id, revision)
	if err != nil {
		nf.Download = err
		return "", nf
	}
	return snap, nil
}

// NotFoundError is Resolve's error for a Hugging Face id that is neither
// cached nor downloadable.
type NotFoundError struct {
	ID, Revision string
	// Searched lists the cache folders looked in, each with the setting
	// that named it.
	Searched []string
	// Offline is set when the download was not attempted.
	Offline bool
	// Download is why the download failed (nil when offline).
	Download error
}

// Error formats the whole story on one line: id, folders searched, why the
// download failed, and how to get the files.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hub: model %s (revision %s) is not in the Hugging Face cache (searched %s)", e.ID, e.Revision, strings.Join(e.Searched, ", "))
	if e.Offline {
		b.WriteString("; offline (HF_HUB_OFFLINE or Options.Offline), so no download was tried")
	} else {
		fmt.Fprintf(&b, "; download failed: %v", e.Download)
	}
	fmt.Fprintf(&b, "; to get it, run `huggingface-cli download %s", e.ID)
	if e.Revision != "main" {
		fmt.Fprintf(&b, " --revision %s", e.Revision)
	}
	b.WriteString("` on a machine with network and copy its cache folder here, set HF_HUB_CACHE to a cache holding it, or pass a local folder with config.json")
	return b.String()
}

// Unwrap returns the download error (nil when offline).
func (e *NotFoundError) Unwrap() error { return e.Download }

// ParseID splits "org/name@revision" into the id and the revision ("main"
// when absent), checking the characters the hub allows.
func ParseID(name string) (id, revision string, err error) {
	id, revision = name, "main"
	if i := strings.LastIndex(name, "@"); i >= 0 {
		id, revision = name[:i], name[i+1:]
		if revision == "" || strings.Contains(revision, "..") || strings.HasPrefix(revision, "/") {
			return "", "", fmt.Errorf("hub: %q: bad revision %q after @", name, revision)
		}
	}
	parts := strings.Split(id, "/")
	if len(parts) > 2 {
		return "", "", fmt.Errorf("hub: %q is not a Hugging Face id (want org/name or name)", name)
	}
	for _, p := range parts {
		if !partRE.MatchString(p) || strings.Contains(p, "--") || strings.Contains(p, "..") {
			return "", "", fmt.Errorf("hub: %q is not a Hugging Face id: part %q must be letters, digits, '-', '_' or '.'", name, p)
		}
	}
	return id, revision, nil
}

// looksLikePath tells folders from hub ids.
func looksLikePath(name string) bool {
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") ||
		strings.ContainsRune(name, '\\') || strings.ContainsRune(name, os.PathSeparator) && os.PathSeparator != '/' ||
		strings.Count(name, "/") > 1 || filepath.IsAbs(name) {
		return true
	}
	_, err := os.Stat(name)
	return err == nil
}

// modelFiles describes what a model folder is expected to hold.
const modelFiles = "config.json, model.safetensors (or model.safetensors.index.json and its shards) and tokenizer.json"

func localFolder(name string, opts Options) (string, error) {
	modelFiles, marker := opts.describe(), opts.marker()
	dir := expandHome(name)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("hub: folder %s: %w", name, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("hub: model folder %s does not exist (want a folder with %s, or a Hugging Face id like org/name)", abs, modelFiles)
	case err != nil:
		return "", fmt.Errorf("hub: model folder %s: %w", abs, err)
	case !st.IsDir():
		return "", fmt.Errorf("hub: %s is a file, want a model folder with %s", abs, modelFiles)
	}
	if _, err := os.Stat(filepath.Join(abs, marker)); err != nil {
		return "", fmt.Errorf("hub: model folder %s has no %s (it holds %s); want %s", abs, marker, listDir(abs), modelFiles)
	}
	return abs, nil
}

type cacheRoot struct{ dir, why string }

// searchOrder lists the caches to search: Options.CacheDir, or the
// environment's choice followed by the lower-precedence locations that differ.
func searchOrder(opts Options) []cacheRoot {
	if opts.CacheDir != "" {
		return []cacheRoot{{expandHome(opts.CacheDir), "Options.CacheDir"}}
	}
	var out []cacheRoot
	add := func(dir, why string) {
		for _, c := range out {
			if filepath.Clean(c.dir) == filepath.Clean(dir) {
				return
			}
		}
		out = append(out, cacheRoot{dir, why})
	}
	add(cacheDirWhy())
	if d := os.Getenv("HF_HOME"); d != "" {
		add(filepath.Join(expandHome(d), "hub"), "HF_HOME")
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, ".cache", "huggingface", "hub"), "default")
	}
	return out
}

func envTrue(k string) bool {
	switch strings.ToUpper(strings.TrimSpace(os.Getenv(k))) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

func listDir(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		return "nothing"
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) > 10 {
		names = append(names[:10], fmt.Sprintf("… %d more", len(names)-10))
	}
	return strings.Join(names, ", ")
}
