package repl

import (
	"strings"
	"testing"
)

func TestIncomplete(t *testing.T) {
	tests := []struct {
		name, src string
		want      bool
	}{
		{"empty", "", false},
		{"expression", "1 + 2", false},
		{"assignment", "x := []int{1, 2}", false},
		{"open brace", "func f() {", true},
		{"open composite", "xs := []int{", true},
		{"open call", "fmt.Println(1,", true},
		{"trailing operator", "x := 1 +", true},
		{"open raw string", "s := `abc", true},
		{"closed raw string", "s := `a\nb`", false},
		{"open comment", "/* note", true},
		{"open if", "if x > 1 {\n\tfmt.Println(x)", true},
		{"closed if", "if x > 1 {\n\tfmt.Println(x)\n}", false},
		{"type decl", "type T struct {", true},
		{"import", `import "fmt"`, false},
		{"import group", "import (\n\t\"fmt\"", true},
		{"error in the middle", "x := ) + {", false},
		{"stray closer", "}", false},
		{"method decl", "func (t T) M() int {\n\treturn 1\n}", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Incomplete(tc.src); got != tc.want {
				t.Errorf("Incomplete(%q) = %v, want %v", tc.src, got, tc.want)
			}
		})
	}
}

func TestParseMeta(t *testing.T) {
	tests := []struct {
		line    string
		want    Meta
		wantErr string
	}{
		{":help", Meta{Name: "help"}, ""},
		{"  :help  Load ", Meta{Name: "help", Arg: "Load"}, ""},
		{":h Model.Generate", Meta{Name: "help", Arg: "Model.Generate"}, ""},
		{":load dir/a b.go", Meta{Name: "load", Arg: "dir/a b.go"}, ""},
		{":load", Meta{}, "needs a file name"},
		{":vars", Meta{Name: "vars"}, ""},
		{":vars x", Meta{}, "takes no argument"},
		{":q", Meta{Name: "quit"}, ""},
		{":time", Meta{Name: "time"}, ""},
		{":reset", Meta{Name: "reset"}, ""},
		{":nope", Meta{}, "unknown command :nope"},
		{"help", Meta{}, "not a meta-command"},
		{":", Meta{}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			got, err := ParseMeta(tc.line)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseMeta(%q) error = %v, want one containing %q", tc.line, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseMeta(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
			}
		})
	}
}

// FuzzParseMeta checks that ParseMeta never panics, that what it accepts
// is a known command, and that Meta.String reads back the same.
func FuzzParseMeta(f *testing.F) {
	for _, s := range []string{":help", ":help Load", ":load x.go", ":q", ":vars", ": ", ":\tload a", ":help\t\tx", ":time x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, err := ParseMeta(line)
		if err != nil {
			return
		}
		known := false
		for _, c := range metaCommands {
			known = known || c.name == m.Name
		}
		if !known {
			t.Fatalf("ParseMeta(%q) accepted unknown command %q", line, m.Name)
		}
		if m.Arg != strings.TrimSpace(m.Arg) {
			t.Fatalf("ParseMeta(%q) left spaces around %q", line, m.Arg)
		}
		back, err := ParseMeta(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMeta(%q) = %+v; reparsing %q gave %+v, %v", line, m, m.String(), back, err)
		}
	})
}

// FuzzIncomplete checks that Incomplete never panics and that a complete
// input stays complete... when it parses as statements.
func FuzzIncomplete(f *testing.F) {
	for _, s := range []string{"x := 1", "func f() {", "s := `a", "if x {\n}", "/*", "xs := []int{1,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_ = Incomplete(src)
	})
}

// FuzzComplete checks that completion never panics and returns a start
// inside the line, whatever is typed.
func FuzzComplete(f *testing.F) {
	for _, s := range []string{"fmt.Pr", "m.", ":he", ":help Lo", ":load te", "x := strings.", "é.", "a..b", ". ."} {
		f.Add(s, len(s))
	}
	s, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.Eval(`type pt struct{ X int }; var p = &pt{}`); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string, pos int) {
		cands, start := s.Complete(line, pos)
		if start < 0 || start > len(line) {
			t.Fatalf("Complete(%q, %d) start %d outside the line", line, pos, start)
		}
		_ = cands
	})
}
