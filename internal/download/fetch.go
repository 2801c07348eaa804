package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/actsh/actsh/internal/progress"
)

// DefaultTimeout bounds connecting, waiting for response headers and any
// stall of a download when [Options.Timeout] is zero.
const DefaultTimeout = 15 * time.Second

// Options configure [Fetch]. Only DataDir is required.
type Options struct {
	// DataDir is the data directory every destination is relative to.
	DataDir string
	// Mirror, when set, replaces the scheme, host and leading path of every
	// URL: with Mirror "http://host/copy" the file
	// https://huggingface.co/datasets/x/y is fetched from
	// http://host/copy/datasets/x/y. A file:// mirror reads a local copy.
	Mirror string
	// Timeout bounds connecting (DNS, TCP, TLS), waiting for the response
	// headers, and each stall of the body; 0 means [DefaultTimeout]. A
	// download that keeps moving may take as long as it needs.
	Timeout time.Duration
	// Log receives one line per step; nil is silent.
	Log io.Writer
	// Progress receives the progress of each download (a bar on a
	// terminal, plain lines elsewhere); nil is silent.
	Progress io.Writer
}

// Error is a source that could not be fetched: what was tried, why, and
// how to provide the files by hand.
type Error struct {
	// Source is the source that failed.
	Source Source
	// URL is the address tried, empty when the source has none.
	URL string
	// Err is the cause.
	Err error
	// DataDir is the data directory the destinations are in.
	DataDir string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", e.Source.Name)
	if e.URL != "" {
		fmt.Fprintf(&b, "%s: ", e.URL)
	}
	b.WriteString(e.Err.Error())
	if errors.Is(e.Err, context.Canceled) {
		return b.String()
	}
	mirror := false
	for _, f := range e.Source.Files {
		if missing(e.DataDir, f) {
			fmt.Fprintf(&b, "\n  by hand: %s", byHand(e.DataDir, f))
			mirror = mirror || f.URL != ""
		}
	}
	if mirror {
		b.WriteString("\n  or rerun with --mirror URL, a server or file:// folder holding a copy of the same paths")
	}
	if e.Source.Note != "" {
		fmt.Fprintf(&b, "\n  note: %s", e.Source.Note)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// byHand says where to put f's content so that a rerun finds it.
func byHand(dataDir string, f File) string {
	dest := abs(dataDir, f.Dest)
	switch {
	case f.URL == "":
		return fmt.Sprintf("put the data set in %s (%s is what is checked)", filepath.Dir(dest), dest)
	case len(f.Members) > 0:
		return fmt.Sprintf("download %s to %s; the next run extracts it", f.URL, dest)
	}
	return fmt.Sprintf("download %s to %s", f.URL, dest)
}

// errNoSource is the cause for a source without a public URL.
var errNoSource = errors.New("no public source is known for this data set")

// errRestart asks for a download from byte 0.
var errRestart = errors.New("the server sent another byte range than the one asked for")

// errStalled cancels a request that sent nothing for the whole timeout.
var errStalled = errors.New("no data received within the timeout")

// Fetch makes the files of s present under o.DataDir: files already there
// are kept (and checked when their digest is known), missing ones are
// downloaded next to their destination as <dest>.part, resumed with an
// HTTP Range request when a .part is left from an earlier run, verified,
// and renamed into place. Archives are extracted member by member, each
// written to a temporary file and renamed, then removed. A cancelled ctx
// leaves only .part files. Errors are of type *[Error].
func Fetch(ctx context.Context, s Source, o Options) error {
	f := fetcher{o: o, client: newClient(o.timeout())}
	for _, file := range s.Files {
		u, err := f.url(file.URL)
		if err == nil {
			err = f.file(ctx, s.Name, file, u)
		}
		if err != nil {
			return &Error{Source: s, URL: u, Err: err, DataDir: o.DataDir}
		}
	}
	return nil
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

// newClient returns a client that cannot hang: connecting and waiting for
// headers are bounded (the body's stalls are bounded in get), and file://
// URLs read the local file system.
func newClient(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
	tr.RegisterProtocol("file", http.NewFileTransport(http.Dir("/")))
	return &http.Client{Transport: tr}
}

type fetcher struct {
	o      Options
	client *http.Client
}

func (f *fetcher) logf(format string, args ...any) {
	if f.o.Log != nil {
		fmt.Fprintf(f.o.Log, format+"\n", args...)
	}
}

// url returns raw rewritten onto the mirror, if any.
func (f *fetcher) url(raw string) (string, error) {
	if raw == "" || f.o.Mirror == "" {
		return raw, nil
	}
	return mirrored(raw, f.o.Mirror)
}

// mirrored replaces the scheme and host of raw by those of mirror and
// prefixes its path with mirror's.
func mirrored(raw, mirror string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, err
	}
	m, err := url.Parse(mirror)
	if err != nil {
		return raw, fmt.Errorf("mirror %q: %w", mirror, err)
	}
	m.Path = strings.TrimSuffix(m.Path, "/") + u.Path
	m.RawPath = ""
	m.RawQuery = u.RawQuery
	return m.String(), nil
}

// file makes one File present.
func (f *fetcher) file(ctx context.Context, name string, file File, u string) error {
	dir := f.o.DataDir
	if !missing(dir, file) {
		if len(file.Members) == 0 && file.SHA256 != "" {
			if err := verify(abs(dir, file.Dest), file); err != nil {
				return fmt.Errorf("present file %w; delete it to download it again", err)
			}
		}
		f.logf("%s: %s present", name, strings.Join(file.Outputs(), ", "))
		return nil
	}
	if file.URL == "" {
		return errNoSource
	}
	dest := abs(dir, file.Dest)
	if _, err := os.Stat(dest); err == nil {
		// An archive left by an interrupted extraction or put by hand.
		if err := verify(dest, file); err != nil {
			return err
		}
	} else if err := f.download(ctx, name, file, u, dest); err != nil {
		return err
	}
	if len(file.Members) == 0 {
		f.logf("%s: %s", name, dest)
		return nil
	}
	if err := extract(ctx, dest, dir, file.Members); err != nil {
		return err
	}
	for _, m := range file.Members {
		f.logf("%s: %s", name, abs(dir, m.Dest))
	}
	return os.Remove(dest)
}

// download fetches u into dest by way of dest.part.
func (f *fetcher) download(ctx context.Context, name string, file File, u, dest string) error {
	part := dest + ".part"
	var off int64
	if fi, err := os.Stat(part); err == nil {
		off = fi.Size()
	}
	if file.Size > 0 && off > file.Size {
		off = 0
	}
	if file.Size == 0 || off < file.Size {
		if off > 0 {
			f.logf("%s: resuming %s at byte %d", name, u, off)
		} else {
			f.logf("%s: downloading %s", name, u)
		}
		label := name + " " + filepath.Base(dest)
		err := f.get(ctx, u, part, off, file.Size, label)
		if errors.Is(err, errRestart) {
			if err = os.Remove(part); err == nil {
				err = f.get(ctx, u, part, 0, file.Size, label)
			}
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("interrupted (%w); %s is kept, rerun to resume", err, part)
			}
			return err
		}
	}
	if fi, err := os.Stat(part); err == nil && fi.Size() < file.Size {
		return fmt.Errorf("incomplete: %d of %d bytes in %s; rerun to resume", fi.Size(), file.Size, part)
	}
	if err := verify(part, file); err != nil {
		os.Remove(part)
		return fmt.Errorf("%w; removed %s", err, part)
	}
	return os.Rename(part, dest)
}

// get writes u's body to part from byte off on, asking for the rest with a
// Range request and starting over when the server ignores it. It returns
// errRestart when the server answers with another range than the one
// asked for.
func (f *fetcher) get(ctx context.Context, u, part string, off, size int64, label string) error {
	timeout := f.o.timeout()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := time.AfterFunc(timeout, func() { cancel(errStalled) })
	defer stall.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return cause(ctx, err)
	}
	defer resp.Body.Close()

	flags := os.O_WRONLY | os.O_CREATE
	switch {
	case resp.StatusCode == http.StatusPartialContent && off > 0 && rangeStart(resp) == off:
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusOK:
		flags |= os.O_TRUNC // no Range support: start over
		off = 0
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && off > 0:
		if rangeTotal(resp) == off {
			return nil // the .part was already complete
		}
		return errRestart
	case resp.StatusCode == http.StatusPartialContent:
		return errRestart
	default:
		return fmt.Errorf("HTTP %s", resp.Status)
	}

	total := size
	if total == 0 && resp.ContentLength >= 0 {
		total = off + resp.ContentLength
	}
	if err := os.MkdirAll(filepath.Dir(part), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return err
	}
	bar := progress.New(f.o.Progress, label, int(total/1000)).Unit("kB")
	r := &watchedReader{r: resp.Body, stall: stall, timeout: timeout, bar: bar, n: off, shown: off / 1000}
	bar.Add(int(r.shown))
	_, err = io.Copy(out, r)
	bar.Done()
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return cause(ctx, err)
	}
	return nil
}

// cause names why a request ended: a stall, a cancellation, or err itself
// without the method and URL that *url.Error repeats.
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil {
		return c
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// rangeStart returns the first byte of a Content-Range "bytes a-b/n", or -1.
func rangeStart(resp *http.Response) int64 {
	cr, ok := strings.CutPrefix(resp.Header.Get("Content-Range"), "bytes ")
	if !ok {
		return -1
	}
	first, _, ok := strings.Cut(cr, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// rangeTotal returns n of a Content-Range "bytes */n", or -1.
func rangeTotal(resp *http.Response) int64 {
	_, total, ok := strings.Cut(resp.Header.Get("Content-Range"), "/")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(total, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// watchedReader counts a body's bytes into a progress bar (in kB) and
// restarts the stall timer whenever data arrives.
type watchedReader struct {
	r       io.Reader
	stall   *time.Timer
	timeout time.Duration
	bar     *progress.Bar
	n       int64 // bytes in the file so far
	shown   int64 // kB counted on the bar
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.stall.Reset(w.timeout)
		w.n += int64(n)
		if kb := w.n / 1000; kb > w.shown {
			w.bar.Add(int(kb - w.shown))
			w.shown = kb
		}
	}
	return n, err
}

// verify checks path's size and SHA-256 against file's, where known.
func verify(path string, file File) error {
	if file.Size == 0 && file.SHA256 == "" {
		return nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if file.Size > 0 && n != file.Size {
		return fmt.Errorf("%s has %d bytes, expected %d", path, n, file.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); file.SHA256 != "" && got != file.SHA256 {
		return fmt.Errorf("%s: sha256 mismatch: expected %s, got %s", path, file.SHA256, got)
	}
	return nil
}

// abs returns the destination rel (slash-separated) under dataDir.
func abs(dataDir, rel string) string {
	return filepath.Join(dataDir, filepath.FromSlash(rel))
}

// exists reports whether path is a regular file.
func exists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// missing reports whether any output of file is absent.
func missing(dataDir string, file File) bool {
	for _, o := range file.Outputs() {
		if !exists(abs(dataDir, o)) {
			return true
		}
	}
	return false
}
