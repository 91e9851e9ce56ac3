package daemon

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
)

// TestRequests drives every request over real TCP with raw bytes, as an
// Erlang node or epmd's own client sends them, and checks the exact answer.
func TestRequests(t *testing.T) {
	s := startServer(t, Config{})
	addr := addrOf(s)
	port := s.Port()
	portPrefix := string(binary.BigEndian.AppendUint32(nil, uint32(port)))

	// A real OTP 25 registration (port 0x90d1, name capx).
	capx, answer := rawRegister(t, addr, erlangRequests["alive2 capx"][2:])
	if answer[0] != tagAlive2XResp || answer[1] != 0 || binary.BigEndian.Uint32(answer[2:]) < 4 {
		t.Fatalf("ALIVE2 answer %x", answer)
	}
	_, answer = rawRegister(t, addr, alive2Body("gerlnode", 4242, 6, 5, portmapper.GerlExtra()))
	if answer[0] != tagAlive2XResp || answer[1] != 0 {
		t.Fatalf("ALIVE2 answer %x", answer)
	}

	tests := []struct {
		name string
		req  []byte // framed
		want string
	}{
		{"port2 Erlang node", frame([]byte("zcapx")),
			"\x77\x00\x90\xd1\x4d\x00\x00\x06\x00\x05\x00\x04capx\x00\x00"},
		{"port2 gerl node", frame([]byte("zgerlnode")),
			"\x77\x00\x10\x92\x4d\x00\x00\x06\x00\x05\x00\x08gerlnode\x00\x06gerl/1"},
		{"port2 NUL-terminated name", frame([]byte("zcapx\x00")),
			"\x77\x00\x90\xd1\x4d\x00\x00\x06\x00\x05\x00\x04capx\x00\x00"},
		{"port2 unknown", frame([]byte("znope")), "\x77\x01"},
		{"names, newest first", erlangRequests["names"],
			portPrefix + "name gerlnode at port 4242\nname capx at port 37073\n"},
		{"dump", frame([]byte{portmapper.OpDump}),
			portPrefix + "active name     <gerlnode> at port 4242, fd = 2\n\x00active name     <capx> at port 37073, fd = 1\n\x00"},
		{"kill refused while nodes live", erlangRequests["kill"], "NO"},
		{"stop refused when not relaxed", erlangRequests["stop foo"], ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawExchange(t, addr, tt.req, 5*time.Second)
			if !got.closed {
				t.Fatal("the daemon did not close the connection after answering")
			}
			if string(got.answer) != tt.want {
				t.Fatalf("answer\n%q, want\n%q", got.answer, tt.want)
			}
		})
	}

	// The registration lives exactly as long as its connection.
	capx.Close()
	testkit.Eventually(t, 5*time.Second, "capx to be unregistered", func() bool { return !isRegistered(t, addr, "capx") })
	if !isRegistered(t, addr, "gerlnode") {
		t.Fatal("gerlnode lost its registration")
	}
}

func TestAlive2AnswerFormByVersion(t *testing.T) {
	s := startServer(t, Config{})
	tests := []struct {
		name    string
		highest uint16
		tag     byte
		size    int
	}{
		{"version 6: ALIVE2_X_RESP, 32-bit creation", 6, tagAlive2XResp, 6},
		{"version 7: ALIVE2_X_RESP", 7, tagAlive2XResp, 6},
		{"version 5: ALIVE2_RESP, 16-bit creation", 5, tagAlive2Resp, 4},
		{"version 0: ALIVE2_RESP", 0, tagAlive2Resp, 4},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, answer := rawRegister(t, addrOf(s), alive2Body("v"+itoa(i), 1000, tt.highest, 0, nil))
			defer c.Close()
			if answer[0] != tt.tag || answer[1] != 0 || len(answer) != tt.size {
				t.Fatalf("answer %x", answer)
			}
			if tt.tag == tagAlive2Resp {
				if c := binary.BigEndian.Uint16(answer[2:]); c < 1 || c > 3 {
					t.Fatalf("16-bit creation %d, want 1..3", c)
				}
			} else if c := binary.BigEndian.Uint32(answer[2:]); c < 4 {
				t.Fatalf("32-bit creation %d, want >= 4", c)
			}
		})
	}
}

func TestDuplicateAndInvalidRegistrations(t *testing.T) {
	s := startServer(t, Config{})
	addr := addrOf(s)
	rawRegister(t, addr, alive2Body("taken", 1000, 6, 5, nil))
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"duplicate name, version 6", alive2Body("taken", 1001, 6, 5, nil), "760100000063"},
		{"duplicate name, version 5", alive2Body("taken", 1001, 5, 5, nil), "79010063"},
		{"name of 256 characters", alive2Body(strings.Repeat("a", 256), 1, 6, 5, nil), "760100000063"},
		{"name not UTF-8", alive2Body("\xff\xfe", 1, 6, 5, nil), "760100000063"},
		{"name with a newline", alive2Body("a\nb", 1, 6, 5, nil), "760100000063"},
		{"extra of 1021 bytes", alive2Body("x", 1, 6, 5, make([]byte, portmapper.MaxExtraLen+1)), "760100000063"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawExchange(t, addr, frame(tt.body), 5*time.Second)
			if hex.EncodeToString(got.answer) != tt.want || !got.closed {
				t.Fatalf("answer %x closed=%v, want %s and a close", got.answer, got.closed, tt.want)
			}
		})
	}
	// The longest legal name and extra are accepted.
	_, answer := rawRegister(t, addr, alive2Body(strings.Repeat("é", portmapper.MaxNameChars), 1, 6, 5, make([]byte, portmapper.MaxExtraLen)))
	if answer[1] != 0 {
		t.Fatalf("longest name refused: %x", answer)
	}
}

// TestFullTable: a daemon holding MaxNodes registrations refuses more with
// its own result (2), not the name clash's (1), says so in its log once per
// spell of fullness, and registers again once a slot is free.
func TestFullTable(t *testing.T) {
	var logs testkit.Buffer
	s := startServer(t, Config{MaxNodes: 2, Logger: debugLogger(&logs)})
	addr := addrOf(s)
	first, _ := rawRegister(t, addr, alive2Body("one", 1000, 6, 5, nil))
	rawRegister(t, addr, alive2Body("two", 1001, 6, 5, nil))
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"a free name, version 6", alive2Body("three", 1002, 6, 5, nil), "760200000063"},
		{"a free name, version 5", alive2Body("three", 1002, 5, 5, nil), "79020063"},
		{"a free name again", alive2Body("four", 1003, 6, 5, nil), "760200000063"},
		{"a taken name: the clash is the answer", alive2Body("one", 1004, 6, 5, nil), "760100000063"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawExchange(t, addr, frame(tt.body), 5*time.Second)
			if hex.EncodeToString(got.answer) != tt.want || !got.closed {
				t.Fatalf("answer %x closed=%v, want %s and a close", got.answer, got.closed, tt.want)
			}
		})
	}
	warnings := func() int {
		return strings.Count(logs.String(), `level=WARN msg="ALIVE2 refused: the table of nodes is full"`)
	}
	if n := warnings(); n != 1 {
		t.Fatalf("%d warnings for a full table, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `level=WARN msg="ALIVE2 refused: the name is taken" name=one`) {
		t.Fatalf("no warning for the taken name:\n%s", logs.String())
	}
	first.Close()
	testkit.Eventually(t, 5*time.Second, "one to be unregistered", func() bool { return !isRegistered(t, addr, "one") })
	if _, answer := rawRegister(t, addr, alive2Body("three", 1002, 6, 5, nil)); answer[1] != 0 {
		t.Fatalf("registration refused after a slot freed: %x", answer)
	}
	// Full again: a new spell, a new warning.
	rawExchange(t, addr, frame(alive2Body("five", 1005, 6, 5, nil)), 5*time.Second)
	if n := warnings(); n != 2 {
		t.Fatalf("%d warnings after the table filled again, want 2:\n%s", n, logs.String())
	}
}

func TestCreationChangesWhenANameComesBack(t *testing.T) {
	s := startServer(t, Config{})
	addr := addrOf(s)
	seen := map[uint32]bool{}
	for range 5 {
		c, answer := rawRegister(t, addr, alive2Body("again", 1000, 6, 5, nil))
		cr := binary.BigEndian.Uint32(answer[2:])
		if seen[cr] || cr < 4 {
			t.Fatalf("creation %d repeated or < 4 (seen %v)", cr, seen)
		}
		seen[cr] = true
		c.Close()
		testkit.Eventually(t, 5*time.Second, "unregistration", func() bool { return !isRegistered(t, addr, "again") })
	}
}

func TestKill(t *testing.T) {
	tests := []struct {
		name     string
		relaxed  bool
		register bool
		want     string
	}{
		{"no nodes", false, false, "OK"},
		{"nodes registered", false, true, "NO"},
		{"nodes registered, relaxed", true, true, "OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, Config{Relaxed: tt.relaxed})
			var reg net.Conn
			if tt.register {
				reg, _ = rawRegister(t, addrOf(s), alive2Body("live", 1000, 6, 5, nil))
			}
			got := rawExchange(t, addrOf(s), frame([]byte{portmapper.OpKill}), 5*time.Second)
			if string(got.answer) != tt.want || !got.closed {
				t.Fatalf("answer %q closed=%v, want %q", got.answer, got.closed, tt.want)
			}
			if tt.want == "NO" {
				if !isRegistered(t, addrOf(s), "live") {
					t.Fatal("refused KILL unregistered the node")
				}
				return
			}
			if err := stopped(t, s); !errors.Is(err, ErrKilled) {
				t.Fatalf("Serve returned %v, want ErrKilled", err)
			}
			if reg != nil { // the registration connection was closed
				reg.SetReadDeadline(time.Now().Add(5 * time.Second))
				if n, err := reg.Read(make([]byte, 1)); n != 0 || err == nil {
					t.Fatalf("registration still open after KILL: %d %v", n, err)
				}
			}
			if _, err := net.Dial("tcp", addrOf(s)); err == nil {
				t.Fatal("still accepting after KILL")
			}
		})
	}
}

func TestStop(t *testing.T) {
	s := startServer(t, Config{Relaxed: true})
	addr := addrOf(s)
	erl, _ := rawRegister(t, addr, alive2Body("erl", 1000, 6, 5, nil))
	gerl, _ := rawRegister(t, addr, alive2Body("gerl", 1001, 6, 5, portmapper.GerlExtra()))
	tests := []struct {
		name   string
		conn   net.Conn
		notice string // what the node reads before the close
	}{
		{"erl", erl, ""},
		{"gerl", gerl, portmapper.StopNotice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawExchange(t, addr, frame([]byte("s"+tt.name)), 5*time.Second)
			if string(got.answer) != "STOPPED" {
				t.Fatalf("answer %q", got.answer)
			}
			tt.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			b := make([]byte, 32)
			var read []byte
			for {
				n, err := tt.conn.Read(b)
				read = append(read, b[:n]...)
				if err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						t.Fatal("registration connection not closed by STOP")
					}
					break
				}
			}
			if string(read) != tt.notice {
				t.Fatalf("node read %q, want %q", read, tt.notice)
			}
			if isRegistered(t, addr, tt.name) {
				t.Fatal("still registered after STOP")
			}
		})
	}
	got := rawExchange(t, addr, frame([]byte("snobody")), 5*time.Second)
	if string(got.answer) != "NOEXIST" {
		t.Fatalf("STOP of an unknown name: %q", got.answer)
	}
}

// TestNonLocalPeer plays a client from another host: the daemon serves it
// lookups and names, and closes the connection on everything else.
func TestNonLocalPeer(t *testing.T) {
	s := NewServer(Config{Relaxed: true})
	s.isLocal = func(net.Addr, net.Addr) bool { return false }
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	defer func() { s.Close(); <-done }()
	addr := addrOf(s)
	tests := []struct {
		name     string
		req      []byte
		answered bool
	}{
		{"alive2", frame(alive2Body("remote", 1, 6, 5, nil)), false},
		{"dump", frame([]byte{portmapper.OpDump}), false},
		{"kill", frame([]byte{portmapper.OpKill}), false},
		{"stop", frame([]byte("sremote")), false},
		{"port2", frame([]byte("zremote")), true},
		{"names", frame([]byte{portmapper.OpNames}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rawExchange(t, addr, tt.req, 5*time.Second)
			if !got.closed || (len(got.answer) > 0) != tt.answered {
				t.Fatalf("answer %q closed=%v, want answered=%v", got.answer, got.closed, tt.answered)
			}
		})
	}
	if s.reg.count() != 0 {
		t.Fatal("a remote peer registered")
	}
}

func TestIsLocalPeer(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 1} }
	tests := []struct {
		remote, local net.Addr
		want          bool
	}{
		{tcp("127.0.0.1"), tcp("127.0.0.1"), true},
		{tcp("127.1.2.3"), tcp("127.0.0.1"), true},
		{tcp("::1"), tcp("::1"), true},
		{tcp("::ffff:127.0.0.1"), tcp("::ffff:127.0.0.1"), true},
		{tcp("192.0.2.7"), tcp("192.0.2.7"), true}, // the host's own address
		{tcp("192.0.2.8"), tcp("192.0.2.7"), false},
		{tcp("2001:db8::1"), tcp("2001:db8::2"), false},
		{&net.UnixAddr{Name: "x"}, tcp("127.0.0.1"), false},
	}
	for _, tt := range tests {
		if got := isLocalPeer(tt.remote, tt.local); got != tt.want {
			t.Errorf("isLocalPeer(%v, %v) = %v", tt.remote, tt.local, got)
		}
	}
}

func TestListen(t *testing.T) {
	t.Run("loopback addresses share one port", func(t *testing.T) {
		s := startServer(t, Config{Addresses: []string{"127.0.0.2", "127.0.0.1"}})
		addrs := s.Addrs()
		var hosts []string
		for _, a := range addrs {
			ta := a.(*net.TCPAddr)
			if ta.Port != s.Port() {
				t.Fatalf("%v is not on port %d", a, s.Port())
			}
			hosts = append(hosts, ta.IP.String())
		}
		want := []string{"127.0.0.1", "::1", "127.0.0.2"}
		if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
			want = []string{"127.0.0.1", "127.0.0.2"} // no IPv6 here
		} else {
			ln.Close()
		}
		if fmt.Sprint(hosts) != fmt.Sprint(want) {
			t.Fatalf("listening on %v, want %v", hosts, want)
		}
		for _, h := range want {
			a := net.JoinHostPort(h, itoa(s.Port()))
			if _, _, err := portmapper.Names(ctxT(t), a); err != nil {
				t.Fatalf("names via %s: %v", a, err)
			}
		}
	})
	t.Run("a wildcard is bound alone", func(t *testing.T) {
		// Not listened on: tests stay on loopback. Binding a wildcard and
		// another address on one port would collide.
		for _, tc := range []struct{ in, want string }{
			{"0.0.0.0", "[0.0.0.0]"},
			{"0.0.0.0,127.0.0.2", "[0.0.0.0]"},
			{"10.0.0.5,0.0.0.0", "[0.0.0.0]"},
			{"0.0.0.0,::", "[::]"},
			{"::1,::", "[::]"},
		} {
			addrs, required, err := listenAddrs(strings.Split(tc.in, ","))
			if err != nil || fmt.Sprint(addrs) != tc.want || len(required) != 1 || !required[0] {
				t.Errorf("listenAddrs(%s) = %v %v, %v; want %s, required", tc.in, addrs, required, err, tc.want)
			}
		}
	})
	t.Run("bad address", func(t *testing.T) {
		if err := NewServer(Config{Addresses: []string{"localhost"}}).Listen(); err == nil {
			t.Fatal("accepted a host name")
		}
	})
	t.Run("port in use", func(t *testing.T) {
		s := startServer(t, Config{})
		err := NewServer(Config{Port: s.Port()}).Listen()
		if !errors.Is(err, ErrAddrInUse) {
			t.Fatalf("second daemon on port %d: %v, want ErrAddrInUse", s.Port(), err)
		}
	})
	t.Run("Serve before Listen", func(t *testing.T) {
		if err := NewServer(Config{}).Serve(); err == nil {
			t.Fatal("Serve without Listen succeeded")
		}
	})
}

func TestCloseUnregistersAndIsIdempotent(t *testing.T) {
	s := NewServer(Config{})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	reg, _ := rawRegister(t, addrOf(s), alive2Body("n", 1, 6, 5, nil))
	idle, err := net.Dial("tcp", addrOf(s))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	testkit.Eventually(t, 5*time.Second, "the idle connection to be accepted", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.pending.Len() == 1
	})
	if s.reg.count() != 1 {
		t.Fatalf("%d nodes registered before Close, want 1", s.reg.count())
	}
	s.Close()
	s.Close()
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	if n := s.reg.count(); n != 0 {
		t.Fatalf("%d nodes still registered after Close", n)
	}
	for _, c := range []net.Conn{reg, idle} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("connection still open after Close")
		}
	}
	if s.Listen() == nil {
		t.Fatal("Listen after Close succeeded")
	}
}
