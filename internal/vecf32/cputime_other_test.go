//go:build !unix

package vecf32

import "time"

// cpuNow returns 0 where the process's CPU time is not at hand; the
// benchmarks then report wall-clock rates only.
func cpuNow() time.Duration { return 0 }
