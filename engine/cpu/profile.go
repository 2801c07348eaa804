package cpu

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kernel profiling: where a graph's time goes, op by op, which a Go CPU
// profile cannot say (it sees kernels, not the graph nodes they run).
// Off by default; when on, every Execute times each step.

var profile struct {
	on    atomic.Bool
	mu    sync.Mutex
	stats map[string]*opStat
}

type opStat struct {
	calls int
	total time.Duration
}

// SetProfiling turns kernel profiling on or off; turning it on clears
// what was recorded.
func SetProfiling(on bool) {
	profile.mu.Lock()
	defer profile.mu.Unlock()
	profile.stats = map[string]*opStat{}
	profile.on.Store(on)
}

// ProfileReport lists the recorded steps by total time, the top n (all
// when n ≤ 0): time, calls, share, and the step (operation, or "fused" with
// its operation count, and the output shape).
func ProfileReport(n int) string {
	profile.mu.Lock()
	defer profile.mu.Unlock()
	type row struct {
		key string
		opStat
	}
	var rows []row
	var sum time.Duration
	for k, s := range profile.stats {
		rows = append(rows, row{k, *s})
		sum += s.total
	}
	slices.SortFunc(rows, func(a, b row) int { return int(b.total - a.total) })
	if n > 0 && len(rows) > n {
		rows = rows[:n]
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%12s %8s %6s  step\n", "time", "calls", "share")
	for _, r := range rows {
		fmt.Fprintf(&sb, "%12s %8d %5.1f%%  %s\n", r.total.Round(time.Microsecond), r.calls, 100*float64(r.total)/float64(max(sum, 1)), r.key)
	}
	fmt.Fprintf(&sb, "%12s total\n", sum.Round(time.Microsecond))
	return sb.String()
}

// stepName names a step of e for the profile.
func (e *Executable) stepName(n *Node) string {
	if f, ok := e.loops[n.idx]; ok {
		return fmt.Sprintf("fused %d ops → %s", len(f.prog), n.shape)
	}
	return fmt.Sprintf("%s → %s", n.op, n.shape)
}

func (e *Executable) record(n *Node, d time.Duration) {
	key := e.stepName(n)
	profile.mu.Lock()
	defer profile.mu.Unlock()
	s := profile.stats[key]
	if s == nil {
		s = &opStat{}
		profile.stats[key] = s
	}
	s.calls++
	s.total += d
}
