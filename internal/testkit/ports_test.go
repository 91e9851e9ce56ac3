package testkit

import (
	"net"
	"strconv"
	"testing"
)

// TestFreePortIsOutsideTheEphemeralRange: the port is free, and below the
// range the kernel gives ports out of, where nothing can take it before
// the test starts its listener.
func TestFreePortIsOutsideTheEphemeralRange(t *testing.T) {
	low, ok := ephemeralLow()
	for range 20 {
		port := FreePort(t)
		if ok && (port < freePortMin || port >= low) {
			t.Fatalf("FreePort gave %d, not within [%d, %d)", port, freePortMin, low)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("the port FreePort gave is not free: %v", err)
		}
		ln.Close()
	}
	if !ok {
		t.Log("no ephemeral range to read: FreePort took ports from the kernel")
	}
}
