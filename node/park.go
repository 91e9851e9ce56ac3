//go:build !race

package node

import (
	"sync/atomic"
	"unsafe"
)

// A parker is what a receiver with nothing to read sleeps on: a binary
// semaphore of one waiter, built on the scheduler's own park and ready
// (the two calls a channel receive and send make), so a wake-up puts the
// receiver next in line on the waker's processor and a park switches
// straight to the next goroutine. A sync.WaitGroup used the same way
// went through the runtime's semaphore table on both sides (a lock and a
// tree per address): BenchmarkParker's round trip (two parks, two wakes)
// takes 280-380 ns with a parker, 470-650 with the WaitGroup, and a local
// ping-pong of tuples whose receives all park 918 ns against 1240
// (BenchmarkPingPongTuple with no spins, medians of alternating runs;
// docs/performance-data/parker-2026-12-05).
//
// Each wait is ended by exactly one wake, which may come first: the
// wait then returns at once. The receiver calls wait, its waker (under
// the protocol of mailbox.go: whoever clears Proc.waiting) calls wake,
// once per wait. Any goroutine may wake; only the receiver waits.
//
// Under the race detector a parker is a WaitGroup (park_race.go): the
// detector cannot follow code on the scheduler's stack (commitPark), and
// gerl's own synchronisation, which it checks, is the same either way.
type parker struct {
	// g is the parked goroutine, written by commitPark before it
	// publishes parkParked. A uintptr, so the store (made on the
	// scheduler's stack) needs no write barrier: goroutine descriptors
	// are never freed.
	g     uintptr
	state atomic.Uint32
}

const (
	parkIdle   uint32 = iota // no wait, or a wait not yet committed
	parkParked               // the waiter is off its processor; g is set
	parkWoken                // the wake came first: the wait returns
)

// prepare is called under Proc.mu when the receiver decides to park,
// before it releases the lock and waits. This parker needs no step there.
func (k *parker) prepare() {}

// wait blocks until wake is called, unless it already was.
func (k *parker) wait() {
	if k.state.CompareAndSwap(parkWoken, parkIdle) {
		return
	}
	gopark(commitPark, unsafe.Pointer(k), waitReasonZero, traceBlockGeneric, 1)
}

// commitPark runs on the scheduler's stack once the waiter's goroutine is
// off its processor: it publishes the goroutine and reports whether it
// stays parked. If the wake came in between, it does not: the goroutine
// resumes at once. It must not touch the waiter's stack, and it runs
// where the race detector cannot follow (the scheduler's stack).
//
//go:norace
//go:nosplit
func commitPark(g uintptr, kp unsafe.Pointer) bool {
	k := (*parker)(kp)
	k.g = g
	if k.state.CompareAndSwap(parkIdle, parkParked) {
		return true
	}
	k.state.Store(parkIdle) // parkWoken: consume the wake
	return false
}

// wake ends the current wait, or the next one if it has not begun.
func (k *parker) wake() {
	for {
		switch k.state.Load() {
		case parkIdle:
			if k.state.CompareAndSwap(parkIdle, parkWoken) {
				return
			}
		case parkParked:
			if k.state.CompareAndSwap(parkParked, parkIdle) {
				goready(k.g, 1)
				return
			}
		default:
			panic("gerl: internal error: a process woken twice")
		}
	}
}

// The scheduler's park and ready. Go keeps these two reachable by name for
// the packages that build their own blocking primitives (go.dev/issue/67401
// lists them as not to be removed or changed). gopark's reason and trace
// reason are the runtime's own enumerations: gerl passes their zero
// values, which every Go version has (a goroutine dump says "waiting").

//go:linkname gopark runtime.gopark
func gopark(unlockf func(g uintptr, arg unsafe.Pointer) bool, arg unsafe.Pointer, reason uint8, traceReason uint8, traceskip int)

//go:linkname goready runtime.goready
func goready(g uintptr, traceskip int)

const (
	waitReasonZero    = 0 // runtime.waitReasonZero
	traceBlockGeneric = 0 // runtime.traceBlockGeneric
)
