//go:build unix

package vecf32

import (
	"syscall"
	"time"
)

// cpuNow returns the CPU time the process has used: benchmarks divide by
// it so that time lost to other processes on a shared machine does not
// count.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
