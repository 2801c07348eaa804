package main

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.go")

// TestGenerate checks the output for a small package against a golden file
// and that two runs give the same bytes.
func TestGenerate(t *testing.T) {
	a, err := generate("testdata/pkg", "stdlib")
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate("testdata/pkg", "stdlib")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two runs differ")
	}
	if *update {
		if err := writeAtomic("testdata/golden.go.txt", a); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/golden.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, want) {
		t.Errorf("output differs from testdata/golden.go.txt (rerun with -update)\n%s", a)
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct{ name, dir string }{
		{"missing dir", "testdata/nope"},
		{"no package", "testdata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := generate(tc.dir, "stdlib"); err == nil {
				t.Errorf("generate(%q) succeeded, want an error", tc.dir)
			}
		})
	}
}
