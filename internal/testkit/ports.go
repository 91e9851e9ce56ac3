package testkit

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FreePort returns a TCP port on 127.0.0.1 that is free, for a listener
// the test starts later (a port mapper, mostly, started by a gerl node).
//
// It is chosen below the kernel's ephemeral range. A port the kernel gave
// out for port 0 and took back would be free only until it gives it out
// again, to any listener on port 0 of any process: in CI a node once
// found its port mapper's port held by a listener that accepted and never
// answered (most likely its own distribution listener, bound on port 0 a
// moment before it started the port mapper), and asked it for names for
// 30 seconds. Below the range only another FreePort can pick the port (at
// random, among thousands, after checking it is free).
func FreePort(t testing.TB) int {
	t.Helper()
	if low, ok := ephemeralLow(); ok && low > freePortMin+1000 {
		for range 100 {
			port := freePortMin + rand.IntN(low-freePortMin)
			if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
				ln.Close()
				return port
			}
		}
	}
	// No range to keep out of (or nothing free below it): a port the
	// kernel gives out.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// freePortMin is the lowest port FreePort picks: above the ports of
// well-known services (4369 is the port mapper's own).
const freePortMin = 10000

// ephemeralLow returns the first port of the kernel's ephemeral range
// (Linux's ip_local_port_range), if it can be read.
func ephemeralLow() (int, bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, false
	}
	low, err := strconv.Atoi(f[0])
	return low, err == nil
}
