//go:build amd64 || arm64

package gstack

import "unsafe"

// Supported reports whether Used measures anything on this architecture.
const Supported = true

// getg returns the calling goroutine's runtime structure (getg_*.s).
func getg() unsafe.Pointer

// Used returns the number of bytes of stack the calling goroutine uses:
// from the top of its stack to the caller's frame. Stacks move as they
// grow, but this distance does not. Safe for concurrent use; it reads only
// the calling goroutine's own structure.
//
//go:noinline
func Used() uintptr {
	// g.stack is {lo, hi uintptr}, the first field of the runtime's g.
	hi := *(*uintptr)(unsafe.Add(getg(), unsafe.Sizeof(uintptr(0))))
	var here byte
	return hi - uintptr(unsafe.Pointer(&here))
}
