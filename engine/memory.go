package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// SkipMemoryCheckEnv names the environment variable that, set to a
// non-empty value other than "0", turns off [Load]'s check that the weights
// fit in the available memory (as [LoadOptions.SkipMemoryCheck] does).
const SkipMemoryCheckEnv = "ACTSH_SKIP_MEMORY_CHECK"

// workingMargin is the memory [Load] asks for on top of the parameters:
// activations, KV cache and compiled graphs of a short pass. The float32
// copy of the largest half-precision matrix, which [Linear] widens inside a
// pass, is added to it.
const workingMargin = 512 << 20

// footprint is the memory a checkpoint's parameters take once loaded.
type footprint struct {
	bytes   map[dtypes.DType]int64 // parameters, by the dtype they are kept in
	widened int64                  // float32 bytes of the largest matrix kept in half precision
}

// total is the parameters' bytes.
func (f footprint) total() int64 {
	var n int64
	for _, b := range f.bytes {
		n += b
	}
	return n
}

// need is the parameters plus the working margin.
func (f footprint) need() int64 { return f.total() + f.margin() }

// margin is the working margin: [workingMargin] plus one widened matrix.
func (f footprint) margin() int64 { return workingMargin + f.widened }

// estimate sums the float tensors of w as [LoadParam] will keep them. It
// counts every float tensor of the checkpoint, so buffers a family skips
// make it an overestimate, never an under-one.
func estimate(w RawWeights) (footprint, error) {
	f := footprint{bytes: map[dtypes.DType]int64{}}
	for _, name := range w.Names() {
		st, shape, _, err := w.Raw(name)
		if err != nil {
			return f, err
		}
		if !st.IsFloat() {
			continue
		}
		n := int64(1)
		for _, d := range shape {
			n *= int64(d)
		}
		dt := keptDType(st, len(shape))
		f.bytes[dt] += n * int64(dt.Size())
		if dt != dtypes.Float32 {
			f.widened = max(f.widened, 4*n)
		}
	}
	return f, nil
}

// MemoryLimitEnv names the environment variable that caps the memory the
// fit check counts as available, in bytes ("8000000000") or with a decimal
// unit ("8GB", "512MB"): to keep actsh within a share of a machine, or to
// see what a smaller one would say.
const MemoryLimitEnv = "ACTSH_MEMORY_LIMIT"

// memAvailable returns the bytes of memory available to a new process:
// MemAvailable from /proc/meminfo, capped by $ACTSH_MEMORY_LIMIT. ok is
// false off Linux or when the file cannot be read (and no limit is set);
// the check is then skipped. A variable so that tests can inject a
// machine.
var memAvailable = func() (n int64, ok bool) {
	limit, limited := memoryLimit()
	n, ok = systemMemAvailable()
	switch {
	case limited && (!ok || limit < n):
		return limit, true
	}
	return n, ok
}

// availSource names where the available memory came from, for errors.
func availSource() string {
	if _, ok := memoryLimit(); ok {
		return "MemAvailable capped by " + MemoryLimitEnv
	}
	return "MemAvailable"
}

// memoryLimit parses $ACTSH_MEMORY_LIMIT.
func memoryLimit() (int64, bool) {
	v := strings.TrimSpace(os.Getenv(MemoryLimitEnv))
	if v == "" {
		return 0, false
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"KB", 1e3}, {"B", 1}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.m
			break
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return int64(f * float64(mult)), true
}

// systemMemAvailable is MemAvailable from /proc/meminfo.
func systemMemAvailable() (n int64, ok bool) {
	if runtime.GOOS != "linux" {
		return 0, false
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	return parseMemAvailable(b)
}

// parseMemAvailable reads the MemAvailable line ("MemAvailable: 123 kB")
// of /proc/meminfo.
func parseMemAvailable(meminfo []byte) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "MemAvailable:" {
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || v < 0 {
			return 0, false
		}
		if len(f) > 2 && f[2] == "kB" {
			v *= 1024
		}
		return v, true
	}
	return 0, false
}

// checkFit fails, in one line naming the model, when the parameters plus
// the working margin need more than the memory available (MemAvailable).
// It passes when the available memory cannot be read.
func checkFit(name string, f footprint) error {
	avail, ok := memAvailable()
	if !ok || f.need() <= avail {
		return nil
	}
	return fmt.Errorf("engine: load %s: the weights need %s (%s with a working margin of %s for activations, cache and one widened matrix), this machine has %s available (%s); free memory, use a smaller model, or set %s=1 to try anyway",
		name, f.describe(), gb(f.need()), gb(f.margin()), gb(avail), availSource(), SkipMemoryCheckEnv)
}

// CheckFit is [Load]'s memory check for a model made of several
// checkpoints (a pipeline's components): it fails, in one line naming the
// model, when their weights as the engine keeps them, plus the working
// margin, need more than the memory available. It passes when the
// available memory cannot be read or [SkipMemoryCheckEnv] is set.
func CheckFit(name string, parts ...RawWeights) error {
	if skipMemoryCheck() {
		return nil
	}
	total := footprint{bytes: map[dtypes.DType]int64{}}
	for _, w := range parts {
		f, err := estimate(w)
		if err != nil {
			return fmt.Errorf("engine: load %s: %w", name, err)
		}
		for dt, b := range f.bytes {
			total.bytes[dt] += b
		}
		total.widened = max(total.widened, f.widened)
	}
	return checkFit(name, total)
}

// describe spells the parameters' bytes per dtype, largest first:
// "5.2 GB in bfloat16 and 0.1 GB in float32".
func (f footprint) describe() string {
	dts := make([]dtypes.DType, 0, len(f.bytes))
	for dt, b := range f.bytes {
		if b > 0 {
			dts = append(dts, dt)
		}
	}
	sort.Slice(dts, func(i, j int) bool { return f.bytes[dts[i]] > f.bytes[dts[j]] })
	parts := make([]string, len(dts))
	for i, dt := range dts {
		parts[i] = gb(f.bytes[dt]) + " in " + strings.ToLower(dt.String())
	}
	if len(parts) == 0 {
		return "0 kB"
	}
	return strings.Join(parts, " and ")
}

// gb formats bytes in decimal gigabytes with one decimal, in whole
// megabytes below 1 GB and whole kilobytes below 1 MB.
func gb(n int64) string {
	switch {
	case n < 1e6:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 0, 64) + " kB"
	case n < 1e9:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 0, 64) + " MB"
	}
	return strconv.FormatFloat(float64(n)/1e9, 'f', 1, 64) + " GB"
}

// skipMemoryCheck reports whether the environment turns the fit check off.
func skipMemoryCheck() bool {
	v := os.Getenv(SkipMemoryCheckEnv)
	return v != "" && v != "0"
}
