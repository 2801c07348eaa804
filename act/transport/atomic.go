package transport

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tempPath returns a fresh temporary file name next to path, keeping its
// extension (gonum/plot picks the image format from it).
func tempPath(path string) (string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ext := filepath.Ext(base)
	f, err := os.CreateTemp(dir, "."+strings.TrimSuffix(base, ext)+".*.tmp"+ext)
	if err != nil {
		return "", err
	}
	name := f.Name()
	f.Close()
	return name, nil
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp, err := tempPath(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		removeQuiet(tmp)
		return err
	}
	return commit(tmp, path)
}

// commit renames tmp over path, removing tmp on failure.
func commit(tmp, path string) error {
	if err := os.Chmod(tmp, 0o644); err != nil {
		removeQuiet(tmp)
		return fmt.Errorf("transport: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		removeQuiet(tmp)
		return fmt.Errorf("transport: %w", err)
	}
	return nil
}

func removeQuiet(path string) { _ = os.Remove(path) }
