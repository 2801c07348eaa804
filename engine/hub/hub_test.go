package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// commit returns a fake 40-hex commit hash derived from s.
func commit(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:40]
}

// fakeCache writes id into cache the way huggingface_hub does: files as
// blobs named by their hash, snapshot entries as relative symlinks, and
// refs/<ref> holding the commit (no ref when ref is "").
func fakeCache(t *testing.T, cache, id, ref, hash string, files map[string]string) string {
	t.Helper()
	repo := filepath.Join(cache, "models--"+strings.ReplaceAll(id, "/", "--"))
	snap := filepath.Join(repo, "snapshots", hash)
	for name, content := range files {
		sum := sha256.Sum256([]byte(content))
		blob := filepath.Join(repo, "blobs", hex.EncodeToString(sum[:]))
		must(t, os.MkdirAll(filepath.Dir(blob), 0o755))
		must(t, os.WriteFile(blob, []byte(content), 0o644))
		link := filepath.Join(snap, name)
		must(t, os.MkdirAll(filepath.Dir(link), 0o755))
		rel, _ := filepath.Rel(filepath.Dir(link), blob)
		must(t, os.Symlink(rel, link))
	}
	if ref != "" {
		must(t, os.MkdirAll(filepath.Join(repo, "refs"), 0o755))
		must(t, os.WriteFile(filepath.Join(repo, "refs", ref), []byte(hash), 0o644))
	}
	return snap
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// cleanEnv points every setting Resolve reads at a fresh temporary home.
func cleanEnv(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "HF_ENDPOINT"} {
		t.Setenv(k, "")
	}
	return home
}

func readConfig(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	must(t, err)
	return string(b)
}

func TestCacheDir(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // relative to the fake home when not absolute
	}{
		{"default", nil, ".cache/huggingface/hub"},
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/xdg"}, "/xdg/huggingface/hub"},
		{"HF_HOME", map[string]string{"HF_HOME": "/hf", "XDG_CACHE_HOME": "/xdg"}, "/hf/hub"},
		{"HUGGINGFACE_HUB_CACHE", map[string]string{"HUGGINGFACE_HUB_CACHE": "/old", "HF_HOME": "/hf"}, "/old"},
		{"HF_HUB_CACHE wins", map[string]string{"HF_HUB_CACHE": "/new", "HUGGINGFACE_HUB_CACHE": "/old", "HF_HOME": "/hf"}, "/new"},
		{"tilde", map[string]string{"HF_HUB_CACHE": "~/c"}, "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			want := tt.want
			if !filepath.IsAbs(want) {
				want = filepath.Join(home, want)
			}
			if got := CacheDir(); got != want {
				t.Errorf("CacheDir() = %s, want %s", got, want)
			}
		})
	}
}

func TestResolveCachePrecedence(t *testing.T) {
	home := cleanEnv(t)
	hubCache := t.TempDir()
	hfHome := t.TempDir()
	fakeCache(t, hubCache, "org/m", "main", commit("hub"), map[string]string{"config.json": "hub"})
	fakeCache(t, filepath.Join(hfHome, "hub"), "org/m", "main", commit("home"), map[string]string{"config.json": "home"})
	fakeCache(t, filepath.Join(home, ".cache/huggingface/hub"), "org/m", "main", commit("default"), map[string]string{"config.json": "default"})
	other := t.TempDir()
	fakeCache(t, other, "org/m", "main", commit("opts"), map[string]string{"config.json": "opts"})
	tests := []struct {
		name string
		env  map[string]string
		opts Options
		want string
	}{
		{"default", nil, Options{}, "default"},
		{"HF_HOME", map[string]string{"HF_HOME": hfHome}, Options{}, "home"},
		{"HF_HUB_CACHE", map[string]string{"HF_HUB_CACHE": hubCache, "HF_HOME": hfHome}, Options{}, "hub"},
		{"Options.CacheDir", map[string]string{"HF_HUB_CACHE": hubCache}, Options{CacheDir: other}, "opts"},
		{"fallback to HF_HOME", map[string]string{"HF_HUB_CACHE": t.TempDir(), "HF_HOME": hfHome}, Options{}, "home"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			tt.opts.Offline = true
			dir, err := Resolve(context.Background(), "org/m", tt.opts)
			must(t, err)
			if got := readConfig(t, dir); got != tt.want {
				t.Errorf("resolved %s holding %q, want %q", dir, got, tt.want)
			}
			if filepath.Base(dir) != commit(tt.want) {
				t.Errorf("dir %s is not the snapshot of commit %s", dir, commit(tt.want))
			}
		})
	}
}

func TestResolveRevision(t *testing.T) {
	cleanEnv(t)
	cache := t.TempDir()
	fakeCache(t, cache, "org/m", "main", commit("main"), map[string]string{"config.json": "main", "sub/x.txt": "nested"})
	fakeCache(t, cache, "org/m", "v1", commit("v1"), map[string]string{"config.json": "v1"})
	fakeCache(t, cache, "org/m", "", commit("pinned"), map[string]string{"config.json": "pinned"})
	fakeCache(t, cache, "solo", "main", commit("solo"), map[string]string{"config.json": "solo"})
	tests := []struct{ name, want string }{
		{"org/m", "main"},
		{"org/m@main", "main"},
		{"org/m@v1", "v1"},
		{"org/m@" + commit("pinned"), "pinned"},
		{"solo", "solo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := Resolve(context.Background(), tt.name, Options{CacheDir: cache, Offline: true})
			must(t, err)
			if got := readConfig(t, dir); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	for _, name := range []string{"org/m@v2", "org/m@" + commit("nope"), "org/other"} {
		t.Run("absent "+name, func(t *testing.T) {
			_, err := Resolve(context.Background(), name, Options{CacheDir: cache, Offline: true})
			var nf *NotFoundError
			if !errors.As(err, &nf) || !nf.Offline {
				t.Fatalf("err = %v, want an offline NotFoundError", err)
			}
		})
	}
}

func TestResolveBrokenCache(t *testing.T) {
	cleanEnv(t)
	cache := t.TempDir()
	snap := fakeCache(t, cache, "org/m", "main", commit("x"), map[string]string{"config.json": "x"})
	target, _ := os.Readlink(filepath.Join(snap, "config.json"))
	must(t, os.Remove(filepath.Join(snap, target)))
	_, err := Resolve(context.Background(), "org/m", Options{CacheDir: cache, Offline: true})
	if err == nil || !strings.Contains(err.Error(), "blobs folder is incomplete") {
		t.Errorf("err = %v", err)
	}
	must(t, os.WriteFile(filepath.Join(cache, "models--org--m", "refs", "main"), []byte("garbage"), 0o644))
	_, err = Resolve(context.Background(), "org/m", Options{CacheDir: cache, Offline: true})
	if err == nil || !strings.Contains(err.Error(), `holds "garbage", not a commit hash`) {
		t.Errorf("err = %v", err)
	}
}

func TestNotFoundMessage(t *testing.T) {
	home := cleanEnv(t)
	hubCache := t.TempDir()
	t.Setenv("HF_HUB_CACHE", hubCache)
	t.Setenv("HF_HUB_OFFLINE", "1")
	_, err := Resolve(context.Background(), "org/missing@v2", Options{})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		"hub: model org/missing (revision v2) is not in the Hugging Face cache",
		filepath.Join(hubCache, "models--org--missing") + " (HF_HUB_CACHE)",
		filepath.Join(home, ".cache/huggingface/hub/models--org--missing") + " (default)",
		"offline",
		"`huggingface-cli download org/missing --revision v2`",
		"set HF_HUB_CACHE",
		"pass a local folder",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message spans several lines:\n%s", msg)
	}
}

func TestResolveFolder(t *testing.T) {
	cleanEnv(t)
	root := t.TempDir()
	t.Chdir(root)
	good := filepath.Join(root, "good")
	must(t, os.MkdirAll(good, 0o755))
	must(t, os.WriteFile(filepath.Join(good, "config.json"), []byte("{}"), 0o644))
	empty := filepath.Join(root, "weights")
	must(t, os.MkdirAll(empty, 0o755))
	must(t, os.WriteFile(filepath.Join(empty, "model.safetensors"), nil, 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "org", "local"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "org", "local", "config.json"), []byte("{}"), 0o644))
	tests := []struct{ name, want, err string }{
		{name: good, want: good},
		{name: "./good", want: good},
		{name: "org/local", want: filepath.Join(root, "org", "local")}, // exists on disk: a folder, not an id
		{name: filepath.Join(root, "nope"), err: "model folder " + filepath.Join(root, "nope") + " does not exist"},
		{name: "./a/b/c", err: "does not exist"},
		{name: "a/b/c", err: "does not exist"},
		{name: filepath.Join(empty, "model.safetensors"), err: "is a file, want a model folder with config.json"},
		{name: empty, err: "has no config.json (it holds model.safetensors); want config.json, model.safetensors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := Resolve(context.Background(), tt.name, Options{Offline: true})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			must(t, err)
			if dir != tt.want {
				t.Errorf("dir = %s, want %s", dir, tt.want)
			}
		})
	}
}

func TestParseID(t *testing.T) {
	tests := []struct{ in, id, rev, err string }{
		{in: "org/name", id: "org/name", rev: "main"},
		{in: "gpt2", id: "gpt2", rev: "main"},
		{in: "google/gemma-2-2b@v1.0", id: "google/gemma-2-2b", rev: "v1.0"},
		{in: "org/name@", err: "bad revision"},
		{in: "org/na me", err: "not a Hugging Face id"},
		{in: "org--x/name", err: "not a Hugging Face id"},
		{in: "a/b/c", err: "not a Hugging Face id"},
		{in: "org/", err: "not a Hugging Face id"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			id, rev, err := ParseID(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || id != tt.id || rev != tt.rev {
				t.Errorf("ParseID = %q %q %v", id, rev, err)
			}
		})
	}
}

// fakeHub serves files of one repo like huggingface.co: small files
// directly with an ETag, *.safetensors through a redirect to a CDN path
// carrying X-Linked-Etag. Every response carries X-Repo-Commit.
type fakeHub struct {
	*httptest.Server
	cdn      *httptest.Server // another host, as huggingface.co's CDN is
	files    map[string]string
	token    string // required bearer token, "" for none
	requests atomic.Int32
	sawAuth  atomic.Int32 // hub requests with the right token
	cdnAuth  atomic.Int32 // CDN requests carrying any Authorization
	truncate string       // file whose body is cut short
}

func newFakeHub(t *testing.T, files map[string]string) *fakeHub {
	h := &fakeHub{files: files}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	cdn := httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	cdn.Listener.Close()
	l, err := net.Listen("tcp", "localhost:0") // "localhost", not 127.0.0.1: a different host for the token rule
	if err != nil {
		t.Fatal(err)
	}
	cdn.Listener = l
	cdn.Start()
	h.cdn = cdn
	t.Cleanup(cdn.Close)
	return h
}

func (h *fakeHub) serve(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	if name, ok := strings.CutPrefix(r.URL.Path, "/cdn/"); ok {
		if r.Header.Get("Authorization") != "" {
			h.cdnAuth.Add(1)
		}
		content := h.files[name]
		if name == h.truncate {
			w.Header().Set("Content-Length", fmt.Sprint(len(content)+100))
			w.Write([]byte(content))
			return
		}
		w.Write([]byte(content))
		return
	}
	auth := r.Header.Get("Authorization")
	if h.token != "" {
		if auth == "" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if auth != "Bearer "+h.token {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		h.sawAuth.Add(1)
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/org/m/resolve/main/")
	content, found := h.files[name]
	if !ok || !found {
		http.Error(w, "Entry not found", http.StatusNotFound)
		return
	}
	sum := sha256.Sum256([]byte(content))
	w.Header().Set("X-Repo-Commit", commit("remote"))
	if strings.HasSuffix(name, ".safetensors") {
		w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
		http.Redirect(w, r, strings.Replace(h.cdn.URL, "127.0.0.1", "localhost", 1)+"/cdn/"+name, http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:20])+`"`)
	w.Write([]byte(content))
}

func TestDownload(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // files in the snapshot
	}{
		{"single", map[string]string{"config.json": "{}", "tokenizer.json": "tok", "model.safetensors": "weights", "vocab.json": "v"},
			[]string{"config.json", "model.safetensors", "tokenizer.json"}},
		{"slow tokenizer", map[string]string{"config.json": "{}", "vocab.json": "v", "merges.txt": "m", "model.safetensors": "weights"},
			[]string{"config.json", "merges.txt", "model.safetensors", "vocab.json"}},
		{"sharded", map[string]string{
			"config.json":                          "{}",
			"model.safetensors.index.json":         `{"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}}`,
			"model-00001-of-00002.safetensors":     "s1",
			"model-00002-of-00002.safetensors":     "s2",
			"generation_config.json":               "gen",
			"unrelated-00003-of-00002.safetensors": "x",
		}, []string{"config.json", "generation_config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			hub := newFakeHub(t, tt.files)
			hub.token = "secret"
			cache := t.TempDir()
			dir, err := Resolve(context.Background(), "org/m", Options{CacheDir: cache, Endpoint: hub.URL, Token: "secret"})
			must(t, err)
			if want := filepath.Join(cache, "models--org--m", "snapshots", commit("remote")); dir != want {
				t.Errorf("dir = %s, want %s", dir, want)
			}
			ents, _ := os.ReadDir(dir)
			var got []string
			for _, e := range ents {
				got = append(got, e.Name())
				p := filepath.Join(dir, e.Name())
				if fi, _ := os.Lstat(p); fi.Mode()&os.ModeSymlink == 0 {
					t.Errorf("%s is not a symlink into blobs", e.Name())
				}
				if b, err := os.ReadFile(p); err != nil || string(b) != tt.files[e.Name()] {
					t.Errorf("%s = %q, %v", e.Name(), b, err)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("snapshot holds %v, want %v", got, tt.want)
			}
			ref, _ := os.ReadFile(filepath.Join(cache, "models--org--m", "refs", "main"))
			if string(ref) != commit("remote") {
				t.Errorf("refs/main = %q", ref)
			}
			if hub.sawAuth.Load() == 0 || hub.cdnAuth.Load() != 0 {
				t.Errorf("token sent to the hub %d times and to the CDN %d times; want >0 and 0", hub.sawAuth.Load(), hub.cdnAuth.Load())
			}
			// Now cached: resolving again offline makes no request.
			n := hub.requests.Load()
			again, err := Resolve(context.Background(), "org/m", Options{CacheDir: cache, Offline: true})
			must(t, err)
			if again != dir || hub.requests.Load() != n {
				t.Errorf("second resolve: %s, %d new requests", again, hub.requests.Load()-n)
			}
		})
	}
}

func TestDownloadErrors(t *testing.T) {
	files := map[string]string{"config.json": "{}", "model.safetensors": "weights"}
	tests := []struct {
		name     string
		files    map[string]string
		hubToken string
		token    string
		envToken string
		truncate string
		want     string
	}{
		{name: "no token", hubToken: "secret", want: "HTTP 401: the repository does not exist, or is gated or private; set HF_TOKEN"},
		{name: "wrong token", hubToken: "secret", token: "bad", want: "HTTP 403: the token (Options.Token, HF_TOKEN or the token file) was refused"},
		{name: "token from env", hubToken: "secret", envToken: "secret", want: ""},
		{name: "no config", files: map[string]string{"model.safetensors": "w"}, want: "config.json: HTTP 404"},
		{name: "no weights", files: map[string]string{"config.json": "{}"}, want: "org/m has neither model.safetensors.index.json nor model.safetensors"},
		{name: "truncated body", truncate: "model.safetensors", want: "download failed: GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			if tt.envToken != "" {
				t.Setenv("HF_TOKEN", tt.envToken)
			}
			f := tt.files
			if f == nil {
				f = files
			}
			hub := newFakeHub(t, f)
			hub.token, hub.truncate = tt.hubToken, tt.truncate
			cache := t.TempDir()
			_, err := Resolve(context.Background(), "org/m", Options{CacheDir: cache, Endpoint: hub.URL, Token: tt.token})
			if tt.want == "" {
				must(t, err)
				return
			}
			var nf *NotFoundError
			if !errors.As(err, &nf) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant a NotFoundError containing %q", err, tt.want)
			}
			// A failed download leaves no partial file and no ref.
			repo := filepath.Join(cache, "models--org--m")
			filepath.Walk(repo, func(p string, info os.FileInfo, err error) error {
				if err == nil && strings.Contains(filepath.Base(p), "incomplete") {
					t.Errorf("partial file left: %s", p)
				}
				return nil
			})
			if _, err := os.Stat(filepath.Join(repo, "snapshots", commit("remote"), "model.safetensors")); err == nil {
				t.Errorf("model.safetensors is in the snapshot after a failed download")
			}
			if _, err := os.Stat(filepath.Join(repo, "refs", "main")); err == nil {
				t.Errorf("refs/main written after a failed download")
			}
		})
	}
}

func TestOfflineDoesNotDial(t *testing.T) {
	for _, viaEnv := range []bool{false, true} {
		t.Run(fmt.Sprint("env=", viaEnv), func(t *testing.T) {
			cleanEnv(t)
			hub := newFakeHub(t, map[string]string{"config.json": "{}"})
			opts := Options{CacheDir: t.TempDir(), Endpoint: hub.URL, Offline: !viaEnv}
			if viaEnv {
				t.Setenv("HF_HUB_OFFLINE", "1")
			}
			_, err := Resolve(context.Background(), "org/m", opts)
			var nf *NotFoundError
			if !errors.As(err, &nf) || !nf.Offline {
				t.Errorf("err = %v, want offline NotFoundError", err)
			}
			if n := hub.requests.Load(); n != 0 {
				t.Errorf("%d requests made offline", n)
			}
		})
	}
}

// TestUnreachable checks that a closed port and a server that never answers
// both fail, within the timeout: the bound asserted is 20× the timeout so
// a loaded machine cannot make it flaky, while a missing timeout (hanging
// until the test's deadline) is still caught.
func TestUnreachable(t *testing.T) {
	cleanEnv(t)
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(hang) })
	const timeout = 200 * time.Millisecond
	tests := []struct{ name, endpoint, want string }{
		{"closed port", "http://127.0.0.1:1", "connection refused"},
		{"no answer", slow.URL, "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Resolve(context.Background(), "org/m", Options{CacheDir: t.TempDir(), Endpoint: tt.endpoint, Timeout: timeout})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "download failed: GET "+tt.endpoint) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if d := time.Since(start); d > 20*timeout {
				t.Errorf("failed after %v, want within about %v", d, timeout)
			}
		})
	}
}

func TestDownloadListedFiles(t *testing.T) {
	cleanEnv(t)
	hub := newFakeHub(t, map[string]string{"config.json": "{}", "sub/extra.txt": "nested", "model.safetensors": "w"})
	cache := t.TempDir()
	opts := Options{CacheDir: cache, Endpoint: hub.URL, Files: []string{"config.json", "sub/extra.txt"}}
	dir, err := Resolve(context.Background(), "org/m", opts)
	must(t, err)
	if b, err := os.ReadFile(filepath.Join(dir, "sub", "extra.txt")); err != nil || string(b) != "nested" {
		t.Errorf("sub/extra.txt = %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "model.safetensors")); err == nil {
		t.Errorf("model.safetensors downloaded though not listed")
	}
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{"missing listed file", []string{"config.json", "tokenizer.json"}, "tokenizer.json: HTTP 404"},
		{"escaping name", []string{"../x"}, `refusing file name "../x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(context.Background(), "org/m", Options{CacheDir: t.TempDir(), Endpoint: hub.URL, Files: tt.files})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestResolveMarker: a diffusers pipeline has model_index.json, not
// config.json, at its top; Options.Marker makes such folders and cached
// snapshots models, and the errors name the marker that is missing.
func TestResolveMarker(t *testing.T) {
	cleanEnv(t)
	cache := t.TempDir()
	fakeCache(t, cache, "org/pipe", "main", commit("pipe"), map[string]string{"model_index.json": "{}"})
	pipe := Options{CacheDir: cache, Offline: true, Marker: "model_index.json", Describe: "a diffusers pipeline"}
	dir, err := Resolve(context.Background(), "org/pipe", pipe)
	must(t, err)
	if filepath.Base(dir) != commit("pipe") {
		t.Fatalf("resolved %s", dir)
	}
	if _, err := Resolve(context.Background(), "org/pipe", Options{CacheDir: cache, Offline: true}); err == nil {
		t.Fatal("a snapshot without config.json resolved as a checkpoint")
	}
	local := t.TempDir()
	must(t, os.WriteFile(filepath.Join(local, "model_index.json"), []byte("{}"), 0o644))
	if _, err := Resolve(context.Background(), local, pipe); err != nil {
		t.Fatal(err)
	}
	_, err = Resolve(context.Background(), t.TempDir(), pipe)
	if err == nil || !strings.Contains(err.Error(), "no model_index.json") || !strings.Contains(err.Error(), "a diffusers pipeline") {
		t.Fatalf("error for a folder without the marker: %v", err)
	}
}
