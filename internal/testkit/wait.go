package testkit

import (
	"testing"
	"time"
)

// Eventually polls cond every millisecond until it holds, and fails the
// test if it does not within timeout. It is for conditions nothing
// announces (a log line, a process count); a test that can wait on an
// event (a message, a DOWN, a channel) waits on that instead.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(time.Millisecond)
	}
}
