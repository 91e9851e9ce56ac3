package cluster

import (
	"bufio"
	"context"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// flood keeps n connections open to addr, reopening each one the node
// closes; with garbage set, each connection sends random bytes first.
// It runs until the returned stop is called.
func flood(t *testing.T, addr string, n int, garbage bool) (stop func(), opened func() int) {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64)
			for {
				select {
				case <-done:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err != nil {
					continue
				}
				mu.Lock()
				count++
				mu.Unlock()
				stopRead := context.AfterFunc(ctxOf(done), func() { c.Close() })
				if garbage {
					junk := make([]byte, 1+rand.IntN(64))
					for i := range junk {
						junk[i] = byte(rand.Uint32())
					}
					c.Write(junk)
				}
				for {
					if _, err := c.Read(buf); err != nil {
						break
					}
				}
				stopRead()
				c.Close()
			}
		}()
	}
	return func() { close(done); wg.Wait() }, func() int { mu.Lock(); defer mu.Unlock(); return count }
}

// ctxOf turns a done channel into a context.
func ctxOf(done <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-done; cancel() }()
	return ctx
}

// TestFloodDoesNotLockPeersOut: the reproduction of RELIABILITY.md 1. While
// 130 idle connections (or garbage-sending ones) keep coming back, each
// reopened when the node closes it, a new node with the cookie connects,
// every time; the node's log grows by a few lines, not one per
// connection. (With the former cap of 128 handshakes, every ping of the
// new node answered pang.)
func TestFloodDoesNotLockPeersOut(t *testing.T) {
	for _, garbage := range []bool{false, true} {
		name := "idle"
		if garbage {
			name = "garbage"
		}
		t.Run(name, func(t *testing.T) {
			ns := tcpNodes(t, 2, nil)
			a, b := ns[0], ns[1]
			start := time.Now()
			stop, opened := flood(t, b.Addr().String(), 130, garbage)
			testkit.Eventually(t, waitTime, "the flood is on", func() bool { return opened() >= 130 })
			for i := 0; i < 5; i++ {
				if err := a.PingErr(context.Background(), b.Name()); err != nil {
					stop()
					t.Fatalf("ping %d during the flood: %v\n%s", i+1, err, b.logs)
				}
				if !a.Disconnect(b.Name()) {
					t.Fatal("not connected after pong")
				}
			}
			stop()
			// At most the first event and one summary per window and kind.
			windows := int(time.Since(start)/logWindow) + 1
			for _, msg := range []string{"before its handshake", "incoming handshake failed"} {
				if n := len(b.logs.Lines(msg)); n > 2*windows {
					t.Errorf("%d log lines %q for %d connections in %d windows", n, msg, opened(), windows)
				}
			}
		})
	}
}

// TestEvictionMakesRoom: with every handshake slot held by a silent
// connection, a newcomer evicts the oldest, which is told it was refused
// as busy, and a real node still connects. The caps are made small; the
// rules are the real ones.
func TestEvictionMakesRoom(t *testing.T) {
	ns := tcpNodes(t, 2, nil)
	a, b := ns[0], ns[1]
	b.admission.mu.Lock()
	b.admission.max = 8
	b.admission.mu.Unlock()
	var idle []net.Conn
	for i := 0; i < 12; i++ {
		c, err := net.Dial("tcp", b.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		idle = append(idle, c)
		// one at a time, so that "oldest" is well defined
		testkit.Eventually(t, waitTime, "admitted", func() bool {
			b.admission.mu.Lock()
			defer b.admission.mu.Unlock()
			return len(b.admission.slots) >= min(i+1, 8) && int(b.refused.Load()) == max(0, i+1-8)
		})
	}
	for i, c := range idle[:4] { // the four oldest were evicted; the rest are held
		c.SetReadDeadline(time.Now().Add(waitTime))
		tag, body, err := readHs(bufio.NewReader(c))
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if rej := parseReject(b.Name(), body); tag != hsReject || rej.(*RejectedError).Code != RejectBusy {
			t.Fatalf("connection %d was told %q %v", i, tag, rej)
		}
	}
	if err := a.PingErr(context.Background(), b.Name()); err != nil {
		t.Fatalf("ping with every slot held: %v", err)
	}
	if !strings.Contains(b.logs.String(), "evicted a connection before its handshake") {
		t.Fatalf("log:\n%s", b.logs)
	}
}
