package hub

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// CacheDir returns the Hugging Face hub cache folder, as huggingface_hub
// chooses it: $HF_HUB_CACHE, else $HF_HOME/hub, else
// ~/.cache/huggingface/hub ($XDG_CACHE_HOME/huggingface/hub when set).
func CacheDir() string {
	dir, _ := cacheDirWhy()
	return dir
}

// cacheDirWhy returns the cache folder and the setting that chose it.
func cacheDirWhy() (dir, why string) {
	if d := os.Getenv("HF_HUB_CACHE"); d != "" {
		return expandHome(d), "HF_HUB_CACHE"
	}
	if d := os.Getenv("HUGGINGFACE_HUB_CACHE"); d != "" { // the older name
		return expandHome(d), "HUGGINGFACE_HUB_CACHE"
	}
	if d := os.Getenv("HF_HOME"); d != "" {
		return filepath.Join(expandHome(d), "hub"), "HF_HOME"
	}
	return filepath.Join(hfHome(), "hub"), "default"
}

// hfHome is $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
func hfHome() string {
	if d := os.Getenv("HF_HOME"); d != "" {
		return expandHome(d)
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(expandHome(d), "huggingface")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".cache", "huggingface")
	}
	return filepath.Join(home, ".cache", "huggingface")
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

var (
	commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	partRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// repoFolder is the cache folder name of a model id: models--org--name.
func repoFolder(id string) string {
	return "models--" + strings.ReplaceAll(id, "/", "--")
}

// lookup finds id at revision in one cache folder. It returns the snapshot
// folder when it holds the marker file (config.json for a checkpoint), "" when the model or revision is absent,
// and an error when the cache entry is broken.
func lookup(cache, id, revision, marker string) (string, error) {
	repo := filepath.Join(cache, repoFolder(id))
	commit := revision
	if !commitRE.MatchString(revision) {
		b, err := os.ReadFile(filepath.Join(repo, "refs", filepath.FromSlash(revision)))
		if err != nil {
			return "", nil
		}
		commit = strings.TrimSpace(string(b))
		if !commitRE.MatchString(commit) {
			return "", fmt.Errorf("%s holds %q, not a commit hash", filepath.Join(repo, "refs", revision), commit)
		}
	}
	snap := filepath.Join(repo, "snapshots", commit)
	if _, err := os.Lstat(filepath.Join(snap, marker)); err != nil {
		return "", nil
	}
	if _, err := os.Stat(filepath.Join(snap, marker)); err != nil {
		target, _ := os.Readlink(filepath.Join(snap, marker))
		return "", fmt.Errorf("%s links to %s, which is missing (%v): the cache's blobs folder is incomplete",
			filepath.Join(snap, marker), target, err)
	}
	return snap, nil
}
