//go:build !amd64 && !arm64

package gstack

// Supported reports whether Used measures anything on this architecture.
const Supported = false

// Used returns 0: this architecture has no helper to find the stack.
func Used() uintptr { return 0 }
