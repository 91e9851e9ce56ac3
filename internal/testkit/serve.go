package testkit

import (
	"net"
	"sync"
	"testing"
)

// Serve listens on addr ("127.0.0.1:0" for any free loopback port) and
// runs handle on its own goroutine for each connection accepted, closing
// the connection when handle returns. At the end of the test it stops
// listening, closes done (so that a handle waiting on it returns) and
// waits for every handle. It returns the address it listens on. Tests use
// it for peers that are not what the client expects: a port held by a
// stranger, a daemon that breaks its protocol.
func Serve(t testing.TB, addr string, handle func(c net.Conn, done <-chan struct{})) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		close(done)
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c, done)
			}()
		}
	}()
	return ln.Addr().String()
}
