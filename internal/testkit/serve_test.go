package testkit

import (
	"io"
	"net"
	"testing"
)

// TestServe: each connection gets the handler; a handler waiting on done
// is released at the end of the test, which Serve waits for.
func TestServe(t *testing.T) {
	released := make(chan struct{})
	t.Run("serve", func(t *testing.T) {
		addr := Serve(t, "127.0.0.1:0", func(c net.Conn, done <-chan struct{}) {
			c.Write([]byte("hi"))
			<-done
			close(released)
		})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b := make([]byte, 2)
		if _, err := io.ReadFull(c, b); err != nil || string(b) != "hi" {
			t.Fatalf("read %q, %v", b, err)
		}
	})
	select {
	case <-released:
	default:
		t.Fatal("the subtest ended before its handler did")
	}
}
