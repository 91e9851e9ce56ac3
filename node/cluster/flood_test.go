package cluster

import (
	"context"
	"math/rand/v2"
	"net"
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

// TestFloodDoesNotLockPeersOut: while more idle, or garbage-sending,
// connections than the node admits at once keep coming back, a new node
// with the cookie still connects, every time; the node's log grows by a
// few lines, not one per connection (RELIABILITY.md 1). The caps are made
// small so the flood is cheap; the rules are the real ones.
func TestFloodDoesNotLockPeersOut(t *testing.T) {
	for _, garbage := range []bool{false, true} {
		name := "idle"
		if garbage {
			name = "garbage"
		}
		t.Run(name, func(t *testing.T) {
			ns := tcpNodes(t, 2, nil)
			a, b := ns[0], ns[1]
			b.admission.mu.Lock()
			b.admission.max, b.admission.perHost = 32, 8
			b.admission.mu.Unlock()
			start := time.Now()
			stop, opened := flood(t, b.Addr().String(), 40, garbage)
			testkit.Eventually(t, waitTime, "the flood is on", func() bool { return opened() > 200 })
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
			if b.refused.Load() == 0 && !garbage {
				t.Fatal("nothing was evicted or refused: the flood did not fill the slots")
			}
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
