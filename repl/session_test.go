package repl

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func newTestSession(t *testing.T, grace time.Duration) (*Session, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	s, err := New(Options{Stdout: &out, Stderr: &out, Grace: grace})
	if err != nil {
		t.Fatal(err)
	}
	return s, &out
}

// evalInterrupted evaluates src while calling Interrupt until it returns
// (Interrupt is a no-op before the input starts).
func evalInterrupted(s *Session, src string) error {
	done := make(chan error, 1)
	go func() {
		_, err := s.Eval(src)
		done <- err
	}()
	for {
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Millisecond):
			s.Interrupt()
		}
	}
}

func TestInterrupt(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"watches the context", "for Context().Err() == nil {}", "interrupted"},
		{"ignores the context", "for {}", "does not watch for interrupts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSession(t, 50*time.Millisecond)
			if _, err := s.Eval("x := 5"); err != nil {
				t.Fatal(err)
			}
			err := evalInterrupted(s, tc.src)
			if err == nil || !strings.Contains(Message(err), tc.want) {
				t.Fatalf("interrupted %q: error %v, want one containing %q", tc.src, err, tc.want)
			}
			v, err := s.Eval("x + 1")
			if err != nil || Format(v) != "6" {
				t.Fatalf("after the interrupt x + 1 = %v, %v; want 6", Format(v), err)
			}
		})
	}
}

// TestReplay checks that a session replayed into a fresh interpreter keeps
// variables, functions, types and imports, and does not print again.
func TestReplay(t *testing.T) {
	s, out := newTestSession(t, 0)
	for _, src := range []string{
		`import "encoding/json"`,
		"type pt struct{ X int }",
		"func sq(x int) int { return x * x }",
		"p := pt{3}",
		`fmt.Println("printed once")`,
		"undefinedName",
	} {
		s.Eval(src)
	}
	if err := s.replay(); err != nil {
		t.Fatal(err)
	}
	v, err := s.Eval("b, _ := json.Marshal(pt{sq(p.X)}); string(b)")
	if err != nil || Format(v) != `"{\"X\":9}"` {
		t.Fatalf("after replay: %v, %v", Format(v), err)
	}
	if n := strings.Count(out.String(), "printed once"); n != 1 {
		t.Errorf("output printed %d times, want once:\n%s", n, out)
	}
}

func TestMessage(t *testing.T) {
	s, _ := newTestSession(t, 0)
	tests := []struct{ src, want string }{
		{"undefinedName", "error: undefined: undefinedName"},
		{`panic("x")`, "panic: x"},
		{"var a []int; _ = a[1]", "panic: runtime error: index out of range"},
		{`panic(&Error{Msg: "act: bad input"})`, "act: bad input"},
		{"for i := range 2 { _ = i }", "interpreter error: "},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			_, err := s.Eval(tc.src)
			got := Message(err)
			if !strings.HasPrefix(got, tc.want) || strings.Contains(got, "\n") {
				t.Errorf("Message = %q, want one line starting with %q", got, tc.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		name, arg string
		want      []string
		wantErr   string
	}{
		{"overview", "", []string{":help [name]", ":load file.go", ":reset", ":vars", ":time", ":quit", "Load", "FitLinearOT"}, ""},
		{"function", "Load", []string{"func Load(name string) *Model", "Load loads"}, ""},
		{"type with methods", "Model", []string{"type Model", "Methods:", "GenerateIDs"}, ""},
		{"method", "Model.Logits", []string{"func (m *Model) Logits("}, ""},
		{"method without type", "LogitsWith", []string{"func (m *Model) LogitsWith("}, ""},
		{"qualified", "act.Pool", []string{"func Pool("}, ""},
		{"unknown", "Nope", nil, "no documentation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Help(&b, tc.arg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Help(%q) error %v, want %q", tc.arg, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("Help(%q) lacks %q:\n%s", tc.arg, w, b.String())
				}
			}
		})
	}
}
