package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Every is the shortest interval between two plain (non-terminal) lines.
const Every = 3 * time.Second

// Disabled is a writer that makes [New] return a silent bar.
var Disabled io.Writer = nil

// defaultUnit names what is counted unless [Bar.Unit] says otherwise.
const defaultUnit = "samples"

// Bar reports the progress of work with a known total.
type Bar struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	label   string
	unit    string
	total   int
	n       int
	start   time.Time
	last    time.Time
	done    bool
	now     func() time.Time
	printed bool
	lastN   int // count on the last plain line, -1 before any
}

// New returns a bar counting up to total on w, drawn in place when w is a
// terminal and as plain lines otherwise; silent when w is nil.
func New(w io.Writer, label string, total int) *Bar {
	tty := false
	if f, ok := w.(*os.File); ok && f != nil {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return newBar(w, tty, label, total, time.Now)
}

func newBar(w io.Writer, tty bool, label string, total int, now func() time.Time) *Bar {
	t := now()
	return &Bar{w: w, tty: tty, label: label, unit: defaultUnit, total: total, start: t, last: t, now: now, lastN: -1}
}

// Unit sets the name of what is counted (default "samples") and returns b.
func (b *Bar) Unit(name string) *Bar {
	if b != nil {
		b.mu.Lock()
		b.unit = name
		b.mu.Unlock()
	}
	return b
}

// Add counts n more units of finished work.
func (b *Bar) Add(n int) {
	if b == nil || b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n += n
	t := b.now()
	if b.tty {
		if t.Sub(b.last) >= 100*time.Millisecond || b.n >= b.total || !b.printed {
			b.draw(t)
		}
		return
	}
	if t.Sub(b.last) >= Every {
		b.line()
		b.last = t
	}
}

// Done finishes the bar: the terminal line is completed with a newline and
// a plain final line is written. Further calls do nothing.
func (b *Bar) Done() {
	if b == nil || b.w == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	if b.tty {
		b.draw(b.now())
		fmt.Fprintln(b.w)
		return
	}
	if b.lastN != b.n {
		b.line()
	}
}

func (b *Bar) line() {
	b.lastN = b.n
	if b.total > 0 {
		fmt.Fprintf(b.w, "%s: %d/%d %s\n", b.label, b.n, b.total, b.unit)
	} else {
		fmt.Fprintf(b.w, "%s: %d %s\n", b.label, b.n, b.unit)
	}
}

// draw rewrites the terminal line: label, bar, count, rate and ETA.
func (b *Bar) draw(t time.Time) {
	b.last, b.printed = t, true
	const width = 24
	frac := 0.0
	if b.total > 0 {
		frac = min(float64(b.n)/float64(b.total), 1)
	}
	fill := int(frac * width)
	el := t.Sub(b.start).Seconds()
	rate, eta := "", ""
	if el > 0 && b.n > 0 {
		r := float64(b.n) / el
		rate = fmt.Sprintf(" %.1f/s", r)
		if b.total > b.n {
			eta = " eta " + (time.Duration(float64(b.total-b.n)/r) * time.Second).Round(time.Second).String()
		}
	}
	fmt.Fprintf(b.w, "\r%s [%s%s] %d/%d%s%s\x1b[K", b.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), b.n, b.total, rate, eta)
}
