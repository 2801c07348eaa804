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
// one call, so results do not depend on the split.
func parallelFor(items, work int, fn func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if p == 1 || items < 2 || work < minParallelWork {
		fn(0, items)
		return
	}
	p = min(p, items)
	var wg sync.WaitGroup
	for w := range p {
		lo, hi := w*items/p, (w+1)*items/p
		if w == p-1 {
			fn(lo, hi)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
