package daemon

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
)

// TestHostileClients sends every kind of broken input. Each such client
// must have its connection closed without an answer (idle ones when the
// idle timeout passes), and the daemon must go on serving a registered node
// and its lookups.
func TestHostileClients(t *testing.T) {
	const idle = 2 * time.Second
	s := startServer(t, Config{IdleTimeout: idle, Relaxed: true})
	addr := addrOf(s)
	rawRegister(t, addr, alive2Body("victim", 4000, 6, 5, nil))

	lenPrefix := func(n int) []byte { return []byte{byte(n >> 8), byte(n)} }
	tests := []struct {
		name string
		send []byte
		// closeWrite half-closes after sending, as a client that gives up.
		closeWrite bool
		// waitsIdle: the request is incomplete, so only the idle timeout
		// ends it; any other is closed at once.
		waitsIdle bool
	}{
		{"empty connection, closed", nil, true, false},
		{"empty connection, idle", nil, false, true},
		{"one byte, closed", []byte{0}, true, false},
		{"one byte, idle", []byte{0}, false, true},
		{"zero length", lenPrefix(0), false, false},
		{"length 3058 (one past the limit)", lenPrefix(portmapper.MaxRequestLen + 1), false, false},
		{"length 65535", lenPrefix(0xffff), false, false},
		{"length 65535 followed by data", append(lenPrefix(0xffff), make([]byte, 4096)...), false, false},
		{"partial request, closed", append(lenPrefix(100), "zabc"...), true, false},
		{"partial request, idle", append(lenPrefix(100), "zabc"...), false, true},
		{"unknown opcode 0", frame([]byte{0}), false, false},
		{"unknown opcode 255", frame([]byte{255, 1, 2, 3}), false, false},
		{"old ALIVE request", frame([]byte("a\x00\x10victim")), false, false},
		{"old PORT request", frame([]byte("pvictim")), false, false},
		{"NUL inside an ALIVE2 name", frame(alive2Body("vic\x00tim", 1, 6, 5, nil)), false, false},
		{"NUL inside a PORT_PLEASE2 name", frame([]byte("zvic\x00tim")), false, false},
		{"NUL inside a STOP name", frame([]byte("svic\x00tim")), false, false},
		{"ALIVE2 with its name length past the end", frame(func() []byte {
			b := alive2Body("abc", 1, 6, 5, nil)
			b[9], b[10] = 0xff, 0xff
			return b
		}()), false, false},
		{"ALIVE2 cut short", frame(alive2Body("abc", 1, 6, 5, nil)[:12]), false, false},
		{"PORT_PLEASE2 of an invalid name", frame([]byte("z\xff\xfe")), false, false},
		{"PORT_PLEASE2 of a name too long", frame([]byte("z" + strings.Repeat("a", 256))), false, false},
		{"STOP of the victim with a NUL", frame([]byte("svictim\x00")), false, false},
		{"ALIVE2 followed by junk", append(frame(alive2Body("junky", 1, 6, 5, nil)), "junk"...), false, false},
		{"PORT_PLEASE2 followed by another", append(frame([]byte("zvictim")), frame([]byte("zvictim"))...), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // the idle ones take the idle timeout each
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if len(tt.send) > 0 {
				if _, err := c.Write(tt.send); err != nil {
					t.Fatal(err)
				}
			}
			if tt.closeWrite {
				c.(*net.TCPConn).CloseWrite()
			}
			// The daemon must close the connection: at once for a bad
			// request, after the idle timeout for a silent client.
			start := time.Now()
			c.SetReadDeadline(time.Now().Add(idle + 5*time.Second))
			got, err := io.ReadAll(c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("connection still open %v later", time.Since(start))
			}
			if len(got) != 0 {
				t.Fatalf("answered %q", got)
			}
			took := time.Since(start)
			switch {
			case tt.waitsIdle && took < idle-idle/10:
				t.Fatalf("closed after %v, before the idle timeout of %v", took, idle)
			case !tt.waitsIdle && took >= idle:
				t.Fatalf("closed only by the idle timeout (%v), not at once", took)
			}
			if !isRegistered(t, addr, "victim") {
				t.Fatal("the registered node was lost")
			}
			if isRegistered(t, addr, "junky") {
				t.Fatal("a broken registration was kept")
			}
		})
	}
}

// TestRequestOneByteAtATime feeds valid requests in single bytes: the
// daemon must assemble them and answer.
func TestRequestOneByteAtATime(t *testing.T) {
	s := startServer(t, Config{})
	addr := addrOf(s)
	tests := []struct {
		name string
		req  []byte
		want []byte
	}{
		{"port2", frame([]byte("znobody")), []byte{tagPort2Resp, 1}},
		{"alive2", frame(alive2Body("slow", 1234, 6, 5, nil)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // the idle ones take the idle timeout each
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.(*net.TCPConn).SetNoDelay(true)
			for i := range tt.req {
				if _, err := c.Write(tt.req[i : i+1]); err != nil {
					t.Fatal(err)
				}
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			head := make([]byte, 2)
			if _, err := io.ReadFull(c, head); err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && !bytes.Equal(head, tt.want) {
				t.Fatalf("answer %x, want %x", head, tt.want)
			}
			if tt.want == nil && (head[0] != tagAlive2XResp || head[1] != 0) {
				t.Fatalf("ALIVE2 answer %x", head)
			}
		})
	}
}

// TestManyIdleConnections opens thousands of idle connections: lookups go
// on being served, the oldest idle connections are closed at the cap, the
// registration is never touched, and the rest go at the idle timeout.
func TestManyIdleConnections(t *testing.T) {
	const (
		conns      = 2000
		maxPending = 500
		idle       = 2 * time.Second
	)
	s := startServer(t, Config{IdleTimeout: idle, MaxPending: maxPending})
	addr := addrOf(s)
	rawRegister(t, addr, alive2Body("busy", 4000, 6, 5, nil))
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial after %d connections: %v", len(open), err)
		}
		open = append(open, c)
	}
	if !isRegistered(t, addr, "busy") {
		t.Fatal("lookup failed under a flood of idle connections")
	}
	pending := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.pending.Len()
	}
	testkit.Eventually(t, 5*time.Second, "the pending connections to be capped", func() bool { return pending() <= maxPending })
	// The first connections were evicted: the daemon closed them.
	open[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open[0].Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("oldest idle connection not closed: %v", err)
	}
	// The idle timeout closes the rest.
	testkit.Eventually(t, idle+5*time.Second, "idle connections to time out", func() bool { return pending() == 0 })
	last := open[len(open)-1]
	last.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := last.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("idle connection not closed after the timeout: %v", err)
	}
	if !isRegistered(t, addr, "busy") {
		t.Fatal("the registration was closed with the idle connections")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestResetBeforeReply has clients that reset the connection right after
// their request, before the daemon answers.
func TestResetBeforeReply(t *testing.T) {
	s := startServer(t, Config{})
	addr := addrOf(s)
	requests := [][]byte{
		frame([]byte{portmapper.OpNames}),
		frame([]byte("zanything")),
		frame([]byte{portmapper.OpDump}),
		frame(alive2Body("resetter", 1, 6, 5, nil)),
	}
	for range 50 {
		for _, req := range requests {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Write(req)
			c.(*net.TCPConn).SetLinger(0) // close sends RST
			c.Close()
		}
	}
	// resetter's registration, if it happened, must go with its connection.
	// The daemon serves connections concurrently, so a registration read
	// late may still come and go after an earlier look found none: wait
	// until the table is empty, which it must become.
	testkit.Eventually(t, 5*time.Second, "every registration to go with its connection", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, names, err := portmapper.Names(ctx, addr)
		return err == nil && len(names) == 0
	})
}

// TestRegistrationSendingData: a node that writes on its registration
// connection breaks the protocol; it loses its registration, as with epmd.
func TestRegistrationSendingData(t *testing.T) {
	s := startServer(t, Config{})
	addr := addrOf(s)
	c, _ := rawRegister(t, addr, alive2Body("chatty", 1, 6, 5, nil))
	c.Write([]byte("junk"))
	testkit.Eventually(t, 5*time.Second, "chatty to be unregistered", func() bool { return !isRegistered(t, addr, "chatty") })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("connection not closed: %v", err)
	}
}
