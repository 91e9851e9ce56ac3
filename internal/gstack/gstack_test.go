package gstack

import (
	"runtime"
	"sync"
	"testing"
)

// recurse calls itself depth times, each frame holding pad bytes, and
// returns Used at the bottom.
//
//go:noinline
func recurse(depth int) uintptr {
	var pad [1024]byte
	if depth == 0 {
		return Used() + uintptr(pad[0])
	}
	r := recurse(depth - 1)
	return r + uintptr(pad[depth%len(pad)])
}

func TestUsedGrowsWithDepth(t *testing.T) {
	if !Supported {
		if Used() != 0 {
			t.Fatal("Used must be 0 where it is not supported")
		}
		t.Skip("no stack measurement on " + runtime.GOARCH)
	}
	shallow := recurse(0)
	if shallow == 0 || shallow > 64<<10 {
		t.Fatalf("a shallow goroutine uses %d bytes of stack", shallow)
	}
	// 4096 frames of at least 1 KiB: the stack moves several times on
	// the way down, and the distance from its top must follow.
	deep := recurse(4096)
	if deep-shallow < 4096*1024 {
		t.Fatalf("4096 frames of 1 KiB added only %d bytes (shallow %d, deep %d)", deep-shallow, shallow, deep)
	}
	if deep-shallow > 4096*4096 {
		t.Fatalf("4096 frames of 1 KiB added %d bytes: not measuring this goroutine", deep-shallow)
	}
}

func TestUsedIsPerGoroutine(t *testing.T) {
	if !Supported {
		t.Skip("no stack measurement on " + runtime.GOARCH)
	}
	var wg sync.WaitGroup
	results := make([]uintptr, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = recurse(i * 256)
		}()
	}
	wg.Wait()
	for i := 1; i < len(results); i++ {
		if results[i] <= results[i-1] {
			t.Fatalf("goroutine %d (depth %d) uses %d bytes, not more than goroutine %d: %v", i, i*256, results[i], i-1, results)
		}
	}
}
