package cpu

import (
	"runtime"
	"sync"
)

// minParallelWork is the number of elements below which a loop runs on
// one core: splitting costs a few microseconds.
const minParallelWork = 1 << 15

// parallelFor calls fn over [0, items) split in contiguous ranges, one per
// core when work (elements touched) is large enough. Each item is done by
// one call, so results do not depend on the split. A panic in any range is
// raised on the caller's goroutine (where Execute turns it into an error).
func parallelFor(items, work int, fn func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if p == 1 || items < 2 || work < minParallelWork {
		fn(0, items)
		return
	}
	p = min(p, items)
	var wg sync.WaitGroup
	var failed any // a worker's panic, raised again on the caller's goroutine
	var mu sync.Mutex
	for w := range p - 1 {
		lo, hi := w*items/p, (w+1)*items/p
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					failed = r
					mu.Unlock()
				}
			}()
			fn(lo, hi)
		}()
	}
	fn((p-1)*items/p, items)
	wg.Wait()
	if failed != nil {
		panic(failed)
	}
}
