package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// clock is a fake time source advanced by the test.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestPlainLines(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration // time advanced before each Add(10)
		want  string
	}{
		{"fast work prints only the end", []time.Duration{0, time.Second, time.Second}, "responses: 30/30 samples\n"},
		{"slow work prints at most every interval", []time.Duration{Every, time.Second, Every}, "responses: 10/30 samples\nresponses: 30/30 samples\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := &clock{t: time.Unix(0, 0)}
			b := newBar(&buf, false, "responses", 30, c.now)
			for _, d := range tc.steps {
				c.t = c.t.Add(d)
				b.Add(10)
			}
			b.Done()
			b.Done()
			if buf.String() != tc.want {
				t.Errorf("got %q, want %q", buf.String(), tc.want)
			}
		})
	}
}

func TestTerminal(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(0, 0)}
	b := newBar(&buf, true, "fit", 4, c.now).Unit("layers")
	c.t = c.t.Add(2 * time.Second)
	b.Add(1)
	out := buf.String()
	for _, w := range []string{"\rfit [", "1/4", "0.5/s", "eta 6s"} {
		if !strings.Contains(out, w) {
			t.Errorf("%q lacks %q", out, w)
		}
	}
	c.t = c.t.Add(6 * time.Second)
	b.Add(3)
	b.Done()
	if out := buf.String(); !strings.HasSuffix(out, "\n") || !strings.Contains(out, "4/4") || strings.Count(out, "\n") != 1 {
		t.Errorf("final output %q", out)
	}
}

func TestSilent(t *testing.T) {
	b := New(Disabled, "x", 3)
	b.Add(3)
	b.Done()
	var nilBar *Bar
	nilBar.Add(1)
	nilBar.Done()
}
