package repl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/chzyer/readline"
)

// Terminal is a [LineEditor] on a terminal, backed by chzyer/readline:
// line editing, history on the arrow keys and tab completion from a
// [Session].
type Terminal struct {
	rl *readline.Instance
}

// NewTerminal returns a terminal editor completing with s and showing the
// lines of h (may be nil) on the arrow keys.
func NewTerminal(s *Session, h *History) (*Terminal, error) {
	rl, err := readline.NewEx(&readline.Config{
		Prompt:                 Prompt,
		AutoComplete:           completer{s},
		DisableAutoSaveHistory: true,
		HistoryLimit:           HistoryLimit,
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
	})
	if err != nil {
		return nil, fmt.Errorf("repl: terminal: %w", err)
	}
	if h != nil {
		for _, l := range h.Lines() {
			_ = rl.SaveHistory(l) // in memory only: no HistoryFile
		}
	}
	return &Terminal{rl: rl}, nil
}

// Readline implements [LineEditor].
func (t *Terminal) Readline(prompt string) (string, error) {
	t.rl.SetPrompt(prompt)
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", ErrInterrupt
	}
	return line, err
}

// AddHistory puts a line on the arrow keys.
func (t *Terminal) AddHistory(line string) { _ = t.rl.SaveHistory(line) }

// Close restores the terminal.
func (t *Terminal) Close() error { return t.rl.Close() }

// completer adapts [Session.Complete] to readline.
type completer struct{ s *Session }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	// Complete works on bytes; readline on runes.
	head := string(line[:pos])
	cands, start := c.s.Complete(head, len(head))
	typed := len([]rune(head[start:]))
	out := make([][]rune, 0, len(cands))
	for _, cand := range cands {
		r := []rune(cand)
		if len(r) >= typed {
			out = append(out, r[typed:])
		}
	}
	return out, typed
}

// Reader is a [LineEditor] over any reader: no prompts, no editing. It is
// what the shell uses when its input is not a terminal.
type Reader struct {
	r *bufio.Reader
}

// NewReader returns a line editor reading lines from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReader(r)} }

// Readline implements [LineEditor]; the prompt is not shown.
func (r *Reader) Readline(string) (string, error) {
	line, err := r.r.ReadString('\n')
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if err == io.EOF && line != "" {
		return line, nil
	}
	return line, err
}

// Interactive runs an interactive session on the terminal: history from
// [DefaultHistoryPath], completion, Ctrl-C interrupting the running input
// and Ctrl-D leaving.
func Interactive() error {
	h, err := OpenHistory(DefaultHistoryPath())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		h = &History{}
	}
	s, err := New(Options{History: h})
	if err != nil {
		return err
	}
	t, err := NewTerminal(s, h)
	if err != nil {
		return err
	}
	defer t.Close()
	// While an input runs the terminal is in cooked mode, so Ctrl-C is a
	// signal; while typing readline reads it as a key.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		for range sig {
			s.Interrupt()
		}
	}()
	fmt.Println("actsh — Go with act dot-imported. :help for help, Ctrl-D to leave.")
	return s.Run(t)
}
