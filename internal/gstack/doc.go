// Package gstack measures how much stack the calling goroutine uses, in a
// few nanoseconds, so that the interpreter can end a runaway recursion
// with a clear reason before Go's runtime ends the whole program with
// "fatal error: stack overflow" (a goroutine's stack is limited to 1 GB,
// and exceeding it cannot be recovered).
//
// Go has no API for it. Used reads the top of the goroutine's stack from
// the runtime's goroutine structure, whose first field has been the stack's
// bounds since Go 1.0, and subtracts the stack pointer. On architectures
// without the two-instruction helper here (amd64 and arm64 have it),
// Supported is false and Used returns 0. The package tests check Used
// against a recursion of known depth.
package gstack
