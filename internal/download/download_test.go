package download

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fileServer serves fixed files, with or without Range support, and counts
// the body bytes it sends.
type fileServer struct {
	files   map[string][]byte
	noRange bool

	served atomic.Int64
	mu     sync.Mutex
	ranges []string // Range header of each request, "" when none
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.mu.Unlock()
	data, ok := s.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	cw := countingWriter{w, &s.served}
	if s.noRange {
		cw.Write(data)
		return
	}
	http.ServeContent(cw, r, "", time.Time{}, bytes.NewReader(data))
}

func (s *fileServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ranges)
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// runCmd runs the command on table and returns its status and output.
func runCmd(t *testing.T, ctx context.Context, table []Source, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	code := run(ctx, args, &out, &errw, table)
	return code, out.String(), errw.String()
}

func TestDownload(t *testing.T) {
	data := randomBytes(100_000, 1)
	const half = 40_000
	tests := []struct {
		name       string
		noRange    bool
		part       []byte // a .part left by an earlier run
		present    []byte // a file already at the destination
		sha        string // the table's digest; "" means data's
		mirror     bool   // the table's URL is elsewhere; --mirror points here
		noSize     bool   // the table does not know the size
		path       string // URL path; "" means /files/data.bin
		wantCode   int
		wantServed int64  // body bytes sent; -1: not checked
		wantRange  string // Range header of the first request
		wantErr    []string
		wantDest   bool
	}{
		{name: "full download", wantServed: 100_000, wantDest: true},
		{name: "resume from .part with Range", part: data[:half], wantServed: 100_000 - half, wantRange: "bytes=40000-", wantDest: true},
		{name: "complete .part of unknown size is kept (416)", part: data, noSize: true, wantServed: -1, wantRange: "bytes=100000-", wantDest: true},
		{name: "server without Range starts over", noRange: true, part: randomBytes(half, 9), wantServed: 100_000, wantRange: "bytes=40000-", wantDest: true},
		{name: "checksum mismatch leaves nothing", sha: digest([]byte("other")), wantCode: 1, wantServed: 100_000,
			wantErr: []string{"sha256 mismatch", "expected " + digest([]byte("other")), "got " + digest(data), "removed"}},
		{name: "404", path: "/missing.bin", wantCode: 1, wantErr: []string{"HTTP 404", "/missing.bin", "by hand: download", "--mirror"}},
		{name: "present file is skipped", present: data, wantDest: true},
		{name: "present file is verified", present: []byte("stale"), wantCode: 1, wantErr: []string{"present file", "delete it"}},
		{name: "mirror", mirror: true, wantServed: 100_000, wantDest: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fileServer{files: map[string][]byte{"/files/data.bin": data, "/copy/files/data.bin": data}, noRange: tc.noRange}
			srv := httptest.NewServer(fs)
			defer srv.Close()
			dir := t.TempDir()
			dest := filepath.Join(dir, "set", "data.bin")
			if tc.part != nil {
				os.MkdirAll(filepath.Dir(dest), 0o755)
				os.WriteFile(dest+".part", tc.part, 0o644)
			}
			if tc.present != nil {
				os.MkdirAll(filepath.Dir(dest), 0o755)
				os.WriteFile(dest, tc.present, 0o644)
			}
			u := srv.URL + "/files/data.bin"
			if tc.path != "" {
				u = srv.URL + tc.path
			}
			args := []string{"--data-dir", dir}
			if tc.mirror {
				u = "https://data.example.invalid/files/data.bin"
				args = append(args, "--mirror", srv.URL+"/copy/")
			}
			sha := tc.sha
			if sha == "" {
				sha = digest(data)
			}
			size := int64(len(data))
			if tc.noSize {
				size = 0
			}
			table := []Source{{Name: "set", Files: []File{{URL: u, Dest: "set/data.bin", Size: size, SHA256: sha}}}}

			code, _, stderr := runCmd(t, context.Background(), table, append(args, "set")...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if got := fs.served.Load(); tc.wantServed >= 0 && got != tc.wantServed {
				t.Errorf("served %d body bytes, want %d", got, tc.wantServed)
			}
			if reqs := fs.requests(); tc.wantRange != "" && (len(reqs) == 0 || reqs[0] != tc.wantRange) {
				t.Errorf("requests' Range headers %q, want %q first", reqs, tc.wantRange)
			}
			got, err := os.ReadFile(dest)
			switch {
			case tc.wantDest && !bytes.Equal(got, data):
				t.Errorf("destination holds %d bytes (err %v), want the %d served", len(got), err, len(data))
			case !tc.wantDest && tc.present == nil && err == nil:
				t.Errorf("destination exists after a failure")
			}
			if _, err := os.Stat(dest + ".part"); err == nil && tc.wantCode == 0 {
				t.Errorf(".part left after success")
			}
			if _, err := os.Stat(dest + ".part"); err == nil && len(tc.sha) > 0 {
				t.Errorf(".part left after a checksum mismatch")
			}
		})
	}
}

func TestExtract(t *testing.T) {
	members := map[string][]byte{
		"annotations/captions_train2017.json":  []byte(`{"annotations":[]}`),
		"annotations/captions_val2017.json":    []byte(`{"annotations":[{}]}`),
		"annotations/instances_train2017.json": randomBytes(5000, 2),
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range members {
			if !yield(n) {
				return
			}
		}
	})
	var zbuf, tbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	tw := tar.NewWriter(&tbuf)
	for _, n := range names {
		w, _ := zw.Create(n)
		w.Write(members[n])
		tw.WriteHeader(&tar.Header{Name: "./" + n, Mode: 0o644, Size: int64(len(members[n])), Typeflag: tar.TypeReg})
		tw.Write(members[n])
	}
	zw.Close()
	tw.Close()

	for _, tc := range []struct {
		name, archive string
		data          []byte
	}{
		{"zip", "ann.zip", zbuf.Bytes()},
		{"tar", "ann.tar", tbuf.Bytes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&fileServer{files: map[string][]byte{"/" + tc.archive: tc.data}})
			defer srv.Close()
			dir := t.TempDir()
			table := []Source{{Name: "coco", Files: []File{{
				URL: srv.URL + "/" + tc.archive, Dest: "coco/" + tc.archive, SHA256: digest(tc.data),
				Members: []Member{
					{"annotations/captions_train2017.json", "coco/captions_train2017.json"},
					{"annotations/captions_val2017.json", "coco/captions_val2017.json"},
				},
			}}}}
			code, _, stderr := runCmd(t, context.Background(), table, "--data-dir", dir, "coco")
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			entries, _ := os.ReadDir(filepath.Join(dir, "coco"))
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if want := []string{"captions_train2017.json", "captions_val2017.json"}; !slices.Equal(got, want) {
				t.Fatalf("coco/ holds %q, want only %q (no archive, no other member, no temp file)", got, want)
			}
			for _, m := range table[0].Files[0].Members {
				b, _ := os.ReadFile(filepath.Join(dir, m.Dest))
				if !bytes.Equal(b, members[m.Name]) {
					t.Errorf("%s = %q, want %q", m.Dest, b, members[m.Name])
				}
			}
			// A member the archive lacks is an error naming it.
			os.Remove(filepath.Join(dir, "coco/captions_val2017.json"))
			table[0].Files[0].Members[1].Name = "annotations/nothing.json"
			code, _, stderr = runCmd(t, context.Background(), table, "--data-dir", dir, "coco")
			if code != 1 || !strings.Contains(stderr, "no member annotations/nothing.json") {
				t.Errorf("exit %d, stderr %q; want 1 naming the missing member", code, stderr)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	u := "http://" + addr + "/datasets/x/train.csv"
	table := []Source{{Name: "jigsaw", Note: "CSV with id, comment_text", Files: []File{
		{URL: u, Dest: "jigsaw/train.csv"},
		{URL: "http://" + addr + "/datasets/x/test.csv", Dest: "jigsaw/test.csv"},
	}}}
	start := time.Now()
	code, _, stderr := runCmd(t, context.Background(), table, "--data-dir", dir, "jigsaw")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v to fail", took)
	}
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	for _, w := range []string{u, "refused", filepath.Join(dir, "jigsaw", "train.csv"), filepath.Join(dir, "jigsaw", "test.csv"), "--mirror", "CSV with id"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}

func TestNoPublicSource(t *testing.T) {
	dir := t.TempDir()
	table := []Source{{Name: "onesec", Note: "layout: concept_list.csv", Files: []File{{Dest: "OneSec/concept_list.csv"}}}}
	code, _, stderr := runCmd(t, context.Background(), table, "--data-dir", dir, "onesec")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, w := range []string{"no public source", filepath.Join(dir, "OneSec"), "layout: concept_list.csv"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "--mirror") {
		t.Errorf("a source without URL offers --mirror:\n%s", stderr)
	}
}

// stallServer sends half of its file, then nothing until the client goes.
type stallServer struct{ data []byte }

func (s *stallServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "100000")
	w.Write(s.data[:len(s.data)/2])
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

func TestCancelAndStall(t *testing.T) {
	data := randomBytes(100_000, 3)
	tests := []struct {
		name    string
		cancel  bool
		wantErr string
	}{
		{"context cancel keeps only the .part", true, "interrupted"},
		{"stalled body fails after the timeout", false, "no data received"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &stallServer{data: data}
			srv := httptest.NewServer(s)
			defer srv.Close()
			defer srv.CloseClientConnections()
			dir := t.TempDir()
			table := []Source{{Name: "big", Files: []File{{URL: srv.URL + "/big", Dest: "big.bin", Size: int64(len(data))}}}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				// Cancel once the first bytes are on disk, as Ctrl-C mid-download.
				go func() {
					for ctx.Err() == nil {
						if fi, err := os.Stat(filepath.Join(dir, "big.bin.part")); err == nil && fi.Size() > 0 {
							cancel()
						}
						time.Sleep(5 * time.Millisecond)
					}
				}()
			}
			start := time.Now()
			code, _, stderr := runCmd(t, ctx, table, "--data-dir", dir, "--timeout", "300ms", "big")
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if code != 1 || !strings.Contains(stderr, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want 1 with %q", code, stderr, tc.wantErr)
			}
			if _, err := os.Stat(filepath.Join(dir, "big.bin")); err == nil {
				t.Errorf("destination exists")
			}
			if fi, err := os.Stat(filepath.Join(dir, "big.bin.part")); err != nil || fi.Size() == 0 {
				t.Errorf(".part: %v, want the bytes received so far", err)
			}
		})
	}
}

func TestFileMirror(t *testing.T) {
	copyDir := t.TempDir()
	data := []byte("id,comment_text\n1,hello\n")
	os.MkdirAll(filepath.Join(copyDir, "datasets", "j"), 0o755)
	os.WriteFile(filepath.Join(copyDir, "datasets", "j", "train.csv"), data, 0o644)
	dir := t.TempDir()
	table := []Source{{Name: "jigsaw", Files: []File{{URL: "https://huggingface.co/datasets/j/train.csv", Dest: "jigsaw/train.csv", SHA256: digest(data)}}}}
	code, _, stderr := runCmd(t, context.Background(), table, "--data-dir", dir, "--mirror", "file://"+filepath.ToSlash(copyDir), "jigsaw")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "jigsaw", "train.csv")); !bytes.Equal(got, data) {
		t.Errorf("got %q, want %q", got, data)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stderr
	}{
		{"unknown name suggests the nearest", []string{"cocoo"}, 2, `unknown source "cocoo"; did you mean "coco"?`},
		{"unknown name after a flag", []string{"--list", "truthfulq"}, 2, `did you mean "truthfulqa"?`},
		{"bad mirror", []string{"--mirror", "ftp://x", "coco"}, 2, "--mirror"},
		{"bad flag", []string{"--nope"}, 2, "usage: actsh download"},
		{"help", []string{"-h"}, 0, "--mirror URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, context.Background(), Sources, tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, stderr, tc.wantCode, tc.want)
			}
			if tc.wantCode == 2 && strings.HasPrefix(tc.name, "unknown") && strings.Count(stderr, "\n") != 1 {
				t.Errorf("want one line, got %q", stderr)
			}
		})
	}
}

func TestList(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DATA_DIR", dir)
	os.MkdirAll(filepath.Join(dir, "truthfulqa"), 0o755)
	os.WriteFile(filepath.Join(dir, "truthfulqa", "TruthfulQA.csv"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "prompted_gens_gpt2.jsonl"), nil, 0o644)
	code, stdout, stderr := runCmd(t, context.Background(), Sources, "--list")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, re := range []string{
		`data dir: ` + regexp.QuoteMeta(dir) + ` \(\$DATA_DIR\)`,
		`(?m)^coco \*\s+COCO.*coco_captions_2017/ \(2 files\)\s+252\.9 MB\s+no$`,
		`(?m)^rtp \*\s.*prompted_gens_gpt2\.jsonl\s+7\.4 kB\s+yes$`,
		`(?m)^mmlu\s.*mmlu/ \(171 files\)\s+166\.2 MB\s+no$`,
		`(?m)^truthfulqa\s.*truthfulqa/ \(2 files\)\s+1\.2 MB\s+1/2$`,
		`(?m)^jigsaw \*\s.*jigsaw/ \(3 files\)\s+\?\s+no$`,
		`(?m)^onesec\s.*OneSecConcepts-100_1\.5\.0/concept_list\.csv\s+by hand\s+no$`,
	} {
		if !regexp.MustCompile(re).MatchString(stdout) {
			t.Errorf("list does not match %s:\n%s", re, stdout)
		}
	}
}

func TestDataDirDefault(t *testing.T) {
	t.Setenv("DATA_DIR", "")
	_, stdout, _ := runCmd(t, context.Background(), Sources, "--list")
	if !strings.HasPrefix(stdout, "data dir: /mnt/data (default") {
		t.Errorf("got %q", stdout)
	}
}

// TestSources checks the table's shape: names, destinations and digests.
func TestSources(t *testing.T) {
	if len(mmluSubjects) != 57 {
		t.Errorf("%d MMLU subjects, want 57", len(mmluSubjects))
	}
	hexDigest := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	var defaults []string
	for _, s := range Sources {
		if seen[s.Name] {
			t.Errorf("source %q twice", s.Name)
		}
		seen[s.Name] = true
		if s.Default {
			defaults = append(defaults, s.Name)
		}
		for _, f := range s.Files {
			for _, o := range append(f.Outputs(), f.Dest) {
				if filepath.IsAbs(o) || strings.Contains(o, "..") {
					t.Errorf("%s: destination %q must be relative, inside the data directory", s.Name, o)
				}
			}
			if f.SHA256 != "" && !hexDigest.MatchString(f.SHA256) {
				t.Errorf("%s: bad digest %q", s.Name, f.SHA256)
			}
			if len(f.Members) > 0 && !strings.HasSuffix(f.Dest, ".zip") && !strings.HasSuffix(f.Dest, ".tar") {
				t.Errorf("%s: archive %q is neither .zip nor .tar", s.Name, f.Dest)
			}
		}
	}
	if want := []string{"coco", "rtp", "jigsaw"}; !slices.Equal(defaults, want) {
		t.Errorf("defaults %q, want ml-act's %q", defaults, want)
	}
}

func TestMirrored(t *testing.T) {
	tests := []struct{ name, raw, mirror, want string }{
		{"host only", "https://huggingface.co/datasets/a/b.csv", "http://127.0.0.1:8000", "http://127.0.0.1:8000/datasets/a/b.csv"},
		{"path prefix", "http://images.cocodataset.org/annotations/x.zip?dl=1", "http://m/copy/", "http://m/copy/annotations/x.zip?dl=1"},
		{"file", "https://sbert.net/datasets/w.txt.gz", "file:///media/usb", "file:///media/usb/datasets/w.txt.gz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := mirrored(tc.raw, tc.mirror); err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestNearest(t *testing.T) {
	for _, tc := range []struct{ in, want string }{{"mmlu2", "mmlu"}, {"jigaw", "jigsaw"}, {"wiki", "wikipedia"}, {"truthful", "truthfulqa"}} {
		if got := nearest(tc.in, names(Sources)); got != tc.want {
			t.Errorf("nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
