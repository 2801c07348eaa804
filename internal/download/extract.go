package download

import (
	"archive/tar"
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// extract writes the members of archive (a .zip or .tar) that are missing
// under dataDir; nothing else in the archive is read out.
func extract(ctx context.Context, archive, dataDir string, members []Member) error {
	want := map[string]string{} // cleaned member name -> destination
	for _, m := range members {
		if dest := abs(dataDir, m.Dest); !exists(dest) {
			want[path.Clean(m.Name)] = dest
		}
	}
	var err error
	switch {
	case strings.HasSuffix(archive, ".zip"):
		err = extractZip(ctx, archive, want)
	case strings.HasSuffix(archive, ".tar"):
		err = extractTar(ctx, archive, want)
	default:
		err = fmt.Errorf("%s: unknown archive type (want .zip or .tar)", archive)
	}
	if err != nil {
		return fmt.Errorf("extract %s: %w", archive, err)
	}
	if len(want) > 0 {
		names := make([]string, 0, len(want))
		for n := range want {
			names = append(names, n)
		}
		slices.Sort(names)
		return fmt.Errorf("extract %s: no member %s", archive, strings.Join(names, ", "))
	}
	return nil
}

// extractZip writes the wanted members of a zip file, deleting them from
// want as it goes.
func extractZip(ctx context.Context, archive string, want map[string]string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, zf := range zr.File {
		dest, ok := want[path.Clean(zf.Name)]
		if !ok {
			continue
		}
		r, err := zf.Open()
		if err != nil {
			return err
		}
		err = writeAtomic(ctx, dest, r)
		r.Close()
		if err != nil {
			return err
		}
		delete(want, path.Clean(zf.Name))
	}
	return nil
}

// extractTar writes the wanted members of a tar file, deleting them from
// want as it goes; it stops reading once all are out.
func extractTar(ctx context.Context, archive string, want map[string]string) error {
	fh, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer fh.Close()
	tr := tar.NewReader(fh)
	for len(want) > 0 {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		dest, ok := want[path.Clean(h.Name)]
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		if err := writeAtomic(ctx, dest, tr); err != nil {
			return err
		}
		delete(want, path.Clean(h.Name))
	}
	return nil
}

// writeAtomic copies r to a temporary file beside dest and renames it to
// dest once complete, so that dest is never seen half written.
func writeAtomic(ctx context.Context, dest string, r io.Reader) (err error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if _, err := io.Copy(tmp, ctxReader{ctx, r}); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}

// ctxReader stops a copy when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
