//go:build race

package testkit

// Race reports whether the tests were built with the race detector (go
// test -race). Tests that build the gerl binary build it the same way, so
// that the binary's own races fail them too.
const Race = true
