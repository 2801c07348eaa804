package repl

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected output of transcript tests")

// script is a LineEditor that feeds the lines of a transcript to a session,
// echoing each with its prompt, and runs the harness directives:
//
//	!complete TEXT   print the completions of TEXT
//	!history         print the session's history
type script struct {
	t     *testing.T
	lines []string
	out   io.Writer
	s     *Session
	h     *History
}

func (e *script) Readline(prompt string) (string, error) {
	for len(e.lines) > 0 {
		line := e.lines[0]
		e.lines = e.lines[1:]
		switch {
		case strings.HasPrefix(line, "!complete "):
			text := strings.TrimPrefix(line, "!complete ")
			cands, start := e.s.Complete(text, len(text))
			fmt.Fprintf(e.out, "!complete %s\n%s|%s\n", text, text[:start], strings.Join(cands, " "))
			continue
		case line == "!history":
			fmt.Fprintf(e.out, "!history\n%s\n", strings.Join(e.h.Lines(), "\n"))
			continue
		}
		fmt.Fprintf(e.out, "%s%s\n", prompt, line)
		return line, nil
	}
	return "", io.EOF
}

// TestTranscripts runs every testdata/*.txtar: each "input" section (and
// "input2", a second session sharing the history file) is typed into a
// session whose output must equal the matching "output" section. Other
// sections are written to a work directory, named $WORK in the input.
// Run with -update to rewrite the outputs.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := parseTxtar(file)
			if err != nil {
				t.Fatal(err)
			}
			work := t.TempDir()
			root := repoRoot(t)
			sections := map[string]string{}
			for _, f := range ar.Files {
				sections[f.Name] = string(f.Data)
				if !strings.HasPrefix(f.Name, "input") && !strings.HasPrefix(f.Name, "output") {
					if err := os.WriteFile(filepath.Join(work, f.Name), f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			if needs := sections["requires"]; needs != "" {
				for _, p := range strings.Fields(needs) {
					if _, err := os.Stat(filepath.Join(root, p)); err != nil {
						t.Skipf("needs %s: %v", p, err)
					}
				}
			}
			histPath := filepath.Join(work, "history")
			changed := false
			for _, n := range []string{"", "2"} {
				in, ok := sections["input"+n]
				if !ok {
					continue
				}
				in = strings.ReplaceAll(in, "$WORK", work)
				in = strings.ReplaceAll(in, "$ROOT", root)
				h, err := OpenHistory(histPath)
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				s, err := New(Options{Stdout: &out, Stderr: &out, History: h})
				if err != nil {
					t.Fatal(err)
				}
				ed := &script{t: t, lines: strings.Split(strings.TrimSuffix(in, "\n"), "\n"), out: &out, s: s, h: h}
				if err := s.Run(ed); err != nil {
					t.Fatalf("session %q: %v", "input"+n, err)
				}
				got := strings.ReplaceAll(out.String(), work, "$WORK")
				got = strings.ReplaceAll(got, root, "$ROOT")
				want := sections["output"+n]
				if got != want {
					if *update {
						for i := range ar.Files {
							if ar.Files[i].Name == "output"+n {
								ar.Files[i].Data = []byte(got)
								changed = true
							}
						}
						continue
					}
					t.Errorf("output%s differs\n--- got ---\n%s--- want ---\n%s", n, got, want)
				}
			}
			if changed {
				if err := os.WriteFile(file, ar.format(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// repoRoot finds the repository root by walking up to go.mod.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// archive is a txtar archive: a comment, then files introduced by
// "-- name --" lines. (A few lines here spare the module a dependency on
// golang.org/x/tools for its txtar package.)
type archive struct {
	Comment []byte
	Files   []struct {
		Name string
		Data []byte
	}
}

func parseTxtar(path string) (*archive, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ar := &archive{}
	cur := &ar.Comment
	for _, line := range strings.SplitAfter(string(data), "\n") {
		t := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			ar.Files = append(ar.Files, struct {
				Name string
				Data []byte
			}{Name: strings.TrimSpace(t[3 : len(t)-3])})
			cur = &ar.Files[len(ar.Files)-1].Data
			continue
		}
		*cur = append(*cur, line...)
	}
	return ar, nil
}

func (ar *archive) format() []byte {
	var b bytes.Buffer
	b.Write(ar.Comment)
	for _, f := range ar.Files {
		fmt.Fprintf(&b, "-- %s --\n", f.Name)
		b.Write(f.Data)
		if len(f.Data) > 0 && !bytes.HasSuffix(f.Data, []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}
