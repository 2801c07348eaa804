package repl

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// HistoryLimit is how many lines a history file keeps.
const HistoryLimit = 1000

// DefaultHistoryPath returns where the shell keeps its history:
// $XDG_STATE_HOME/actsh/history when XDG_STATE_HOME is set, else
// ~/.actsh_history. It returns "" when neither can be found.
func DefaultHistoryPath() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "actsh", "history")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".actsh_history")
	}
	return ""
}

// History is a persistent list of input lines, one per line of a file.
// The zero value (no path) keeps lines in memory only.
type History struct {
	path  string
	lines []string
}

// OpenHistory reads the history file at path; a missing file is an empty
// history. Lines added later are appended to it.
func OpenHistory(path string) (*History, error) {
	h := &History{path: path}
	if path == "" {
		return h, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("repl: open history: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			h.lines = append(h.lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("repl: read history %s: %w", path, err)
	}
	if len(h.lines) > HistoryLimit {
		h.lines = h.lines[len(h.lines)-HistoryLimit:]
	}
	return h, nil
}

// Lines returns the history, oldest first.
func (h *History) Lines() []string { return h.lines }

// Add appends a line (blank lines and repeats of the last line are skipped)
// and persists it. When the file has grown to twice HistoryLimit it is
// rewritten, atomically, with the last HistoryLimit lines.
func (h *History) Add(line string) error {
	line = strings.TrimRight(line, "\r\n")
	if strings.TrimSpace(line) == "" || (len(h.lines) > 0 && h.lines[len(h.lines)-1] == line) {
		return nil
	}
	h.lines = append(h.lines, line)
	if h.path == "" {
		return nil
	}
	if len(h.lines) >= 2*HistoryLimit {
		h.lines = h.lines[len(h.lines)-HistoryLimit:]
		return h.rewrite()
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return fmt.Errorf("repl: save history: %w", err)
	}
	f, err := os.OpenFile(h.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("repl: save history: %w", err)
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("repl: save history %s: %w", h.path, err)
	}
	return nil
}

// rewrite replaces the history file with the in-memory lines through a
// temporary file and a rename.
func (h *History) rewrite() error {
	f, err := os.CreateTemp(filepath.Dir(h.path), ".actsh_history-*")
	if err != nil {
		return fmt.Errorf("repl: save history: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(strings.Join(h.lines, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), h.path)
	}
	if err != nil {
		return fmt.Errorf("repl: save history %s: %w", h.path, err)
	}
	return nil
}
