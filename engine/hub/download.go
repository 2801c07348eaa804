package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

type downloader struct {
	client   *http.Client
	endpoint string
	token    string
	files    []string
	marker   string
}

func newDownloader(opts Options) *downloader {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = os.Getenv("HF_ENDPOINT")
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	token := opts.Token
	if token == "" {
		token = defaultToken()
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: timeout}).DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
	return &downloader{
		client: &http.Client{
			Transport: tr,
			// Redirects are followed by hand: the first response carries the
			// commit and the etag, and the token must not leave the hub.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		endpoint: strings.TrimRight(endpoint, "/"),
		token:    token,
		files:    opts.Files,
		marker:   opts.marker(),
	}
}

func defaultToken() string {
	if t := os.Getenv("HF_TOKEN"); t != "" {
		return t
	}
	if t := os.Getenv("HUGGING_FACE_HUB_TOKEN"); t != "" {
		return t
	}
	p := os.Getenv("HF_TOKEN_PATH")
	if p == "" {
		p = filepath.Join(hfHome(), "token")
	}
	b, err := os.ReadFile(expandHome(p))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// errNotFound marks an HTTP 404, which optional files may answer.
var errNotFound = errors.New("not found")

// download fetches the model files into cache with huggingface_hub's layout
// and returns the snapshot folder.
func (d *downloader) download(ctx context.Context, cache, id, revision string) (string, error) {
	repo := filepath.Join(cache, repoFolder(id))
	s := &session{d: d, repo: repo, id: id, revision: revision}
	if commitRE.MatchString(revision) {
		s.commit = revision
	}
	if len(d.files) > 0 {
		for _, f := range d.files {
			if err := s.get(ctx, f); err != nil {
				return "", err
			}
		}
	} else {
		noTokenizer := false
		for i, f := range DefaultFiles {
			err := s.get(ctx, f)
			if err != nil && (i == 0 || !errors.Is(err, errNotFound)) {
				return "", err
			}
			noTokenizer = noTokenizer || f == "tokenizer.json" && err != nil
		}
		if noTokenizer {
			// Older checkpoints ship the slow tokenizer's files only
			// (tokenizer.LoadVocabMerges reads them).
			for _, f := range SlowTokenizerFiles {
				if err := s.get(ctx, f); err != nil && !errors.Is(err, errNotFound) {
					return "", err
				}
			}
		}
		if err := s.weights(ctx); err != nil {
			return "", err
		}
	}
	if s.commit == "" {
		return "", fmt.Errorf("no file downloaded for %s", id)
	}
	snap := filepath.Join(repo, "snapshots", s.commit)
	if _, err := os.Stat(filepath.Join(snap, d.marker)); err != nil {
		return "", fmt.Errorf("downloaded files lack %s", d.marker)
	}
	if revision != s.commit {
		if err := writeAtomic(filepath.Join(repo, "refs", filepath.FromSlash(revision)), []byte(s.commit)); err != nil {
			return "", err
		}
	}
	return snap, nil
}

// session is one model's download: the commit is fixed by the first response.
type session struct {
	d                  *downloader
	repo, id, revision string
	commit             string
}

// weights fetches model.safetensors.index.json and its shards, else model.safetensors.
func (s *session) weights(ctx context.Context) error {
	const index = "model.safetensors.index.json"
	err := s.get(ctx, index)
	if errors.Is(err, errNotFound) {
		if err := s.get(ctx, "model.safetensors"); err != nil {
			if errors.Is(err, errNotFound) {
				return fmt.Errorf("%s has neither %s nor model.safetensors at revision %s", s.id, index, s.revision)
			}
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(s.repo, "snapshots", s.commit, index))
	if err != nil {
		return err
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return fmt.Errorf("%s: %w", index, err)
	}
	seen := map[string]bool{}
	var shards []string
	for _, f := range idx.WeightMap {
		if !seen[f] {
			seen[f] = true
			shards = append(shards, f)
		}
	}
	sort.Strings(shards)
	for _, f := range shards {
		if err := s.get(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

var etagRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// get downloads one file into blobs/ and links it from the snapshot. The
// blob is written to a temporary file and renamed when complete, and the
// link made after that, so a failed download leaves nothing in the snapshot.
func (s *session) get(ctx context.Context, file string) error {
	if file == "" || path.IsAbs(file) || strings.Contains(file, `\`) || path.Clean(file) != file || strings.HasPrefix(file, "../") || file == ".." {
		return fmt.Errorf("refusing file name %q", file)
	}
	if s.commit != "" {
		if _, err := os.Stat(filepath.Join(s.repo, "snapshots", s.commit, filepath.FromSlash(file))); err == nil {
			return nil // already here from an earlier, partial download
		}
	}
	u := fmt.Sprintf("%s/%s/resolve/%s/%s", s.d.endpoint, s.id, url.PathEscape(s.revision), file)
	resp, meta, err := s.d.fetch(ctx, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if s.commit == "" {
		if !commitRE.MatchString(meta.commit) {
			return fmt.Errorf("GET %s: the response has no commit hash (X-Repo-Commit %q)", u, meta.commit)
		}
		s.commit = meta.commit
	}
	blobs := filepath.Join(s.repo, "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}
	etag := strings.Trim(strings.TrimPrefix(meta.etag, "W/"), `"`)
	if !etagRE.MatchString(etag) {
		etag = ""
	}
	blob := filepath.Join(blobs, etag)
	if etag == "" || !exists(blob) {
		tmp, err := os.CreateTemp(blobs, ".download-*.incomplete")
		if err != nil {
			return err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(tmp, h), resp.Body)
		if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
			err = fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
		}
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if etag == "" {
			etag = hex.EncodeToString(h.Sum(nil))
			blob = filepath.Join(blobs, etag)
		}
		if err == nil {
			err = os.Rename(tmp.Name(), blob)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("GET %s: %w", u, err)
		}
	}
	link := filepath.Join(s.repo, "snapshots", s.commit, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(link), blob)
	if err != nil {
		return err
	}
	tmpLink := filepath.Join(filepath.Dir(link), "."+filepath.Base(link)+".link-"+randHex())
	if err := os.Symlink(rel, tmpLink); err != nil {
		// No symlinks (some Windows setups): copy the blob instead.
		b, rerr := os.ReadFile(blob)
		if rerr != nil {
			return rerr
		}
		return writeAtomic(link, b)
	}
	if err := os.Rename(tmpLink, link); err != nil {
		os.Remove(tmpLink)
		return err
	}
	return nil
}

type respMeta struct{ commit, etag string }

// fetch GETs u, following up to 10 redirects by hand. The token is sent to
// the hub's own host only; commit and etag come from the first response
// that has them (the hub's, not a CDN's).
func (d *downloader) fetch(ctx context.Context, u string) (*http.Response, respMeta, error) {
	var meta respMeta
	hub, _ := url.Parse(d.endpoint)
	for range 10 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, meta, err
		}
		req.Header.Set("User-Agent", "actsh-hub/1")
		if d.token != "" && hub != nil && req.URL.Host == hub.Host {
			req.Header.Set("Authorization", "Bearer "+d.token)
		}
		resp, err := d.client.Do(req)
		if err != nil {
			return nil, meta, fmt.Errorf("GET %s: %w", u, shortNetErr(err))
		}
		if meta.commit == "" {
			meta.commit = resp.Header.Get("X-Repo-Commit")
		}
		if meta.etag == "" {
			meta.etag = resp.Header.Get("X-Linked-Etag")
			if meta.etag == "" {
				meta.etag = resp.Header.Get("ETag")
			}
		}
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			resp.Body.Close()
			if err != nil {
				return nil, meta, fmt.Errorf("GET %s: HTTP %d without a valid Location: %w", u, resp.StatusCode, err)
			}
			u = loc.String()
			continue
		case resp.StatusCode == http.StatusOK:
			return resp, meta, nil
		}
		resp.Body.Close()
		return nil, meta, d.statusErr(u, resp)
	}
	return nil, meta, fmt.Errorf("GET %s: too many redirects", u)
}

func (d *downloader) statusErr(u string, resp *http.Response) error {
	code := resp.StatusCode
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		if d.token == "" {
			return fmt.Errorf("GET %s: HTTP %d: the repository does not exist, or is gated or private; set HF_TOKEN to a token with access", u, code)
		}
		return fmt.Errorf("GET %s: HTTP %d: the token (Options.Token, HF_TOKEN or the token file) was refused; check it has access to this repository", u, code)
	case http.StatusNotFound:
		return fmt.Errorf("GET %s: HTTP 404: %w (check the id, revision and file name)", u, errNotFound)
	}
	return fmt.Errorf("GET %s: HTTP %d %s", u, code, http.StatusText(code))
}

// shortNetErr trims the url.Error wrapper that repeats the URL.
func shortNetErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func randHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeAtomic writes b to p through a synced temporary file renamed over it.
func writeAtomic(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
