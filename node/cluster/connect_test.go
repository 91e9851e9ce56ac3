package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
	"github.com/gerl-dev/gerl/portmapper"
)

// countingTransport counts dials and can hold them until released.
type countingTransport struct {
	Transport
	dials atomic.Int32
	gate  chan struct{} // nil: no hold
}

func (c *countingTransport) Dial(ctx context.Context, node term.Atom) (net.Conn, error) {
	c.dials.Add(1)
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return c.Transport.Dial(ctx, node)
}

func TestCallersWaitForOneHandshake(t *testing.T) {
	mem := NewMemNetwork()
	ct := &countingTransport{Transport: mem.Transport(), gate: make(chan struct{})}
	a := startNode(t, Config{Name: "a@mem", Transport: ct})
	b := startNode(t, Config{Name: "b@mem", Transport: mem.Transport()})
	pid := echo(t, b.Dist, "echo")
	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- a.Node().Send(pid, i)
		}()
	}
	testkit.Eventually(t, waitTime, "first dial", func() bool { return ct.dials.Load() == 1 })
	close(ct.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := ct.dials.Load(); n != 1 {
		t.Fatalf("%d dials for %d callers", n, callers)
	}
}

func TestSimultaneousConnect(t *testing.T) {
	for _, tr := range []string{"mem", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			var ns []*testNode
			if tr == "mem" {
				ns = memNodes(t, 2, nil)
			} else {
				ns = tcpNodes(t, 2, nil)
			}
			a, b := ns[0], ns[1]
			wa, wb := proc(t, a.Dist), proc(t, b.Dist)
			wa.MonitorNodes(true)
			wb.MonitorNodes(true)
			for i := 0; i < 25; i++ {
				var wg sync.WaitGroup
				var ea, eb error
				wg.Add(2)
				go func() { defer wg.Done(); ea = a.ConnectContext(context.Background(), b.Name()) }()
				go func() { defer wg.Done(); eb = b.ConnectContext(context.Background(), a.Name()) }()
				wg.Wait()
				if ea != nil || eb != nil {
					t.Fatalf("round %d: %v / %v\n%s\n%s", i, ea, eb, a.logs, b.logs)
				}
				recv(t, wa, "nodeup at a", func(m any) bool { return m == term.NodeUp{Node: b.Name()} })
				recv(t, wb, "nodeup at b", func(m any) bool { return m == term.NodeUp{Node: a.Name()} })
				ca, cb := a.mgr.up(b.Name()), b.mgr.up(a.Name())
				if ca == nil || cb == nil || ca.peer.id != cb.peer.id || ca.outgoing == cb.outgoing {
					t.Fatalf("round %d: the two sides disagree on the connection", i)
				}
				// exactly one connection: nothing else comes up or down
				if !a.Ping(context.Background(), b.Name()) || !b.Ping(context.Background(), a.Name()) {
					t.Fatal("pang")
				}
				if m, ok := wa.ReceiveTimeout(0); ok {
					t.Fatalf("round %d: extra event at a: %v\n%s\n%s", i, m, a.logs, b.logs)
				}
				if m, ok := wb.ReceiveTimeout(0); ok {
					t.Fatalf("round %d: extra event at b: %v\n%s\n%s", i, m, a.logs, b.logs)
				}
				if !a.Disconnect(b.Name()) {
					t.Fatal("disconnect: not connected")
				}
				recv(t, wa, "nodedown at a", func(m any) bool { d, ok := m.(term.NodeDown); return ok && d.Reason == ReasonDisconnect })
				recv(t, wb, "nodedown at b", func(m any) bool { _, ok := m.(term.NodeDown); return ok })
			}
		})
	}
}

func TestWrongCookie(t *testing.T) {
	ns := tcpNodes(t, 2, func(c *Config) {
		if c.Name == "b@localhost" {
			c.Cookie = "other"
		}
	})
	a, b := ns[0], ns[1]
	err := a.PingErr(context.Background(), b.Name())
	if !errors.Is(err, ErrAuth) || !contains(err.Error(), "b@localhost rejected the connection: cookie mismatch") {
		t.Fatalf("dialer error: %v", err)
	}
	if a.Ping(context.Background(), b.Name()) {
		t.Fatal("pong with a wrong cookie")
	}
	// The acceptor cannot tell a wrong cookie from a forged or replayed
	// proof, and the name is only a claim: it says both.
	testkit.Eventually(t, waitTime, "acceptor logs the rejection", func() bool {
		return contains(b.logs.String(), "does not match this node's cookie (a node started with another cookie, or a forged or replayed handshake)") &&
			contains(b.logs.String(), "claimed_name=a@localhost")
	})
	if len(a.Nodes()) != 0 || len(b.Nodes()) != 0 {
		t.Fatal("connected with a wrong cookie")
	}
	if !contains(a.logs.String(), "authentication failed") {
		t.Fatalf("dialer log:\n%s", a.logs)
	}
}

// rawPeer connects to d's listener directly (TCP) and returns the conn.
func rawPeer(t *testing.T, d *Dist) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", d.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHandshakeTimeoutWithSilentPeer(t *testing.T) {
	ns := tcpNodes(t, 1, func(c *Config) { c.HandshakeTimeout = 300 * time.Millisecond })
	a := ns[0]
	// a silent acceptor: a listener that never answers
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	res := staticResolver{"silent@localhost": ln.Addr().String()}
	a.tr.(*TCPTransport).Resolver = res
	err = a.PingErr(context.Background(), "silent@localhost")
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent acceptor: %v", err)
	}
	(<-accepted).Close()
	// a silent dialer: the acceptor gives up and closes
	c := rawPeer(t, a.Dist)
	c.SetReadDeadline(time.Now().Add(waitTime))
	if _, err := c.Read(make([]byte, 1)); !closedByPeer(err) {
		t.Fatalf("acceptor kept a silent dialer: %v", err)
	}
}

type staticResolver map[term.Atom]string

func (s staticResolver) Resolve(_ context.Context, n term.Atom) (string, error) {
	if a, ok := s[n]; ok {
		return a, nil
	}
	return "", ErrNoNode
}

func TestErlangNodeDialsUs(t *testing.T) {
	a := tcpNodes(t, 1, nil)[0]
	c := rawPeer(t, a.Dist)
	// Erlang's send_name: 2-byte length, 'N', flags, creation, name
	msg := []byte{'N', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 'e', '@', 'h'}
	c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...))
	c.SetReadDeadline(time.Now().Add(waitTime))
	got, err := io.ReadAll(c)
	if err != nil && !closedByPeer(err) {
		t.Fatalf("kept an Erlang dialer: %v", err)
	}
	if !bytes.Equal(got, append([]byte{0, 12}, "snot_allowed"...)) {
		t.Fatalf("answered %q", got)
	}
	// Erlang's handshake, on the same listener: a dialer without the
	// flags OTP 25 requires is refused, saying which.
	testkit.Eventually(t, waitTime, "log", func() bool {
		return contains(a.logs.String(), "incoming handshake from an Erlang node failed") && contains(a.logs.String(), "BIG_CREATION")
	})
}

// handshaken connects to d as node name with d's cookie and returns the
// raw connection after the handshake, for frame-level tests.
func handshaken(t *testing.T, d *Dist, name term.Atom) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := rawPeer(t, d)
	br := bufio.NewReader(c)
	_, err := dialHandshake(br, c, hsConfig{name: name, creation: 1, flags: defaultFlags, cookie: d.cfg.Cookie}, d.name, func() bool { return true }, func(hsPeer) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	return c, br
}

func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	ns := tcpNodes(t, 2, func(c *Config) { c.MaxFrame = 1 << 16 })
	a, b := ns[0], ns[1]
	pid := echo(t, b.Dist, "echo")
	p := proc(t, a.Dist)
	p.Send(pid, term.T(p.Self(), 1))
	recv(t, p, "before", func(m any) bool { return m == 1 })
	if err := b.RegisterFunc("wait", func(p *node.Proc) { p.Receive() }); err != nil {
		t.Fatal(err)
	}
	const evil = term.Atom("evil@localhost")
	// An exit signal that claims to come from a third node's process.
	forged, err := b.codec.encodeExit(opExit, term.Pid{Node: "third@localhost", ID: 1, Creation: 1}, pid, term.Kill)
	if err != nil {
		t.Fatal(err)
	}
	// Two held spawns with the same id.
	held, err := b.codec.encodeSpawnReq(7, term.Pid{Node: evil, ID: 1, Creation: 1}, "wait", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, frame := range [][]byte{
		{0x7f, 0xff, 0xff, 0xff},                   // oversized: refused before allocating
		{0, 0, 0, 5, 0xdd, 0xff, 0xff, 0xff, 0xff}, // array of 4G elements in 5 bytes
		{0, 0, 0, 2, 0x91, 99},                     // unknown op
		{0, 0, 0, 3, 0x92, opLink, 0xc0},           // wrong field type
		{0, 0, 0, 1, 0xc1},                         // reserved code
		forged,
		append(append([]byte(nil), held...), held...),
	} {
		before := len(b.logs.Lines("closing connection"))
		c, br := handshaken(t, b.Dist, evil)
		c.Write(frame)
		c.SetReadDeadline(time.Now().Add(waitTime))
		for {
			_, err := readFrame(br, nil, 1<<20)
			if err == nil {
				continue // a tick, or the answer to the first spawn
			}
			if !closedByPeer(err) {
				t.Fatalf("frame %d: b kept the connection: %v", i, err)
			}
			break
		}
		testkit.Eventually(t, waitTime, fmt.Sprintf("frame %d logged", i), func() bool {
			return len(b.logs.Lines("closing connection")) > before
		})
	}
	// b and its other connection are fine, and so is the process the
	// forged exit signal named.
	p.Send(pid, term.T(p.Self(), 2))
	recv(t, p, "after", func(m any) bool { return m == 2 })
}

func TestBackpressure(t *testing.T) {
	// b's side of the connection is a fake peer that stops reading: a's
	// senders block once the queue is over its limit, and every message
	// arrives, in order, once the peer reads again.
	mem := NewMemNetwork()
	a := startNode(t, Config{Name: "a@mem", Transport: mem.Transport(), SendQueueBytes: 4 << 10})
	got := fakePeer(t, mem, "b@mem")
	const n = 3000
	sent := make(chan error, 1)
	to := term.Pid{Node: "b@mem", ID: 7, Creation: 1}
	go func() {
		for i := 0; i < n; i++ {
			if err := a.Node().Send(to, term.T(i, make([]byte, 64))); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	var pr rawPeerConn
	select {
	case pr = <-got:
	case <-time.After(waitTime):
		t.Fatal("the fake peer's handshake did not complete")
	}
	defer pr.c.Close()
	var c *conn
	testkit.Eventually(t, waitTime, "connection up", func() bool { c = a.mgr.up("b@mem"); return c != nil })
	testkit.Eventually(t, waitTime, "a sender blocks", func() bool { _, blocked := c.q.stats(); return blocked > 0 })
	select {
	case err := <-sent:
		t.Fatalf("all sent while the peer did not read: %v", err)
	default:
	}
	codec := NewCodec()
	for i := 0; i < n; {
		frame, err := readFrame(pr.br, nil, 1<<20)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if len(frame) == 0 {
			continue
		}
		m, err := codec.decodeMessage(frame)
		if err != nil {
			t.Fatal(err)
		}
		if m.op == opNodes {
			continue
		}
		if m.op != opSend || m.to != to || m.payload.(term.Tuple)[0] != i {
			t.Fatalf("message %d: %+v", i, m)
		}
		i++
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}

func TestErlangNodeInPortMapper(t *testing.T) {
	pm := portMapper(t)
	a := startNode(t, Config{Name: "a@localhost", ListenIP: "127.0.0.1", PortMapperPort: pm})
	// A stand-in Erlang node: it answers Erlang's send_name with
	// not_allowed, as an Erlang node refusing us would.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var hdr [2]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		if _, err := io.ReadFull(c, make([]byte, binary.BigEndian.Uint16(hdr[:]))); err != nil {
			return
		}
		c.Write(append([]byte{0, 12}, "snot_allowed"...))
	}()
	// an Erlang node registers without gerl's Extra
	reg, err := portmapper.Register(context.Background(), portmapper.LoopbackAddr(pm),
		portmapper.NodeInfo{Name: "erl", Port: ln.Addr().(*net.TCPAddr).Port, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	err = a.PingErr(context.Background(), "erl@localhost")
	if err == nil || !contains(err.Error(), "erl@localhost answered not_allowed") {
		t.Fatalf("got %v", err)
	}
	if err := a.PingErr(context.Background(), "nobody@localhost"); !errors.Is(err, ErrNoNode) {
		t.Fatalf("unregistered: %v", err)
	}
}

// addrConn is a net.Conn that says it comes from addr.
type addrConn struct {
	net.Conn
	addr net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.addr }

// TestAdmission: the rules that keep a flood of unauthenticated
// connections from locking real peers out (admit.go). An address at its
// cap evicts its own oldest silent connection, or is refused if all of
// its connections are under way; loopback has no per-address cap. When
// all slots are taken a newcomer evicts a silent connection before any
// under way, in each group the oldest of the address holding the most. A
// finished handshake gives its slot back.
func TestAdmission(t *testing.T) {
	var pipes []net.Conn
	t.Cleanup(func() {
		for _, p := range pipes {
			p.Close()
		}
	})
	from := func(ip string) net.Conn {
		c1, c2 := net.Pipe()
		pipes = append(pipes, c1, c2)
		return addrConn{Conn: c1, addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}
	}
	admitTo := func(a *admission, ip string) *hsSlot {
		t.Helper()
		s, why := a.admit(from(ip))
		if s == nil {
			t.Fatalf("a connection from %s refused: %s", ip, why)
		}
		return s
	}
	evicted := func(slots []*hsSlot) (n int) {
		for _, s := range slots {
			if s.evicted.Load() {
				n++
			}
		}
		return n
	}

	// per address
	var a admission
	var fromA []*hsSlot
	for i := 0; i < maxHandshakesPerHost; i++ {
		fromA = append(fromA, admitTo(&a, "192.0.2.7"))
	}
	fromA = append(fromA, admitTo(&a, "192.0.2.7"))
	if !fromA[0].evicted.Load() || evicted(fromA) != 1 {
		t.Fatal("an address at its cap did not evict its oldest silent connection")
	}
	for _, s := range fromA {
		s.hello.Store(true)
	}
	if s, _ := a.admit(from("192.0.2.7")); s != nil {
		t.Fatal("an address whose handshakes are all under way got one more")
	}
	admitTo(&a, "192.0.2.8")
	var local []*hsSlot
	for i := 0; i < 2*maxHandshakesPerHost; i++ {
		local = append(local, admitTo(&a, "127.0.0.1"))
	}
	if evicted(local) != 0 {
		t.Fatal("loopback connections evicted below the total cap")
	}

	// all slots taken
	var b admission
	var few, many []*hsSlot
	for i := 0; i < 10; i++ {
		few = append(few, admitTo(&b, "192.0.2.9"))
	}
	for b.live < maxHandshakes {
		many = append(many, admitTo(&b, "127.0.0.1"))
	}
	admitTo(&b, "203.0.113.1")
	if evicted(few) != 0 || !many[0].evicted.Load() || evicted(many) != 1 {
		t.Fatal("a newcomer did not evict the oldest silent connection of the address holding the most")
	}
	for _, s := range append(few[1:], many...) {
		s.hello.Store(true)
	}
	admitTo(&b, "203.0.113.2")
	if !few[0].evicted.Load() || evicted(many) != 1 {
		t.Fatal("a handshake under way was evicted while a silent connection remained")
	}
	admitTo(&b, "203.0.113.3") // the newcomers are silent: one of them goes
	before := evicted(many)
	for _, s := range b.slots {
		s.hello.Store(true)
	}
	admitTo(&b, "203.0.113.4")
	if evicted(many) != before+1 || !many[1].evicted.Load() {
		t.Fatal("with every handshake under way, the oldest of the biggest address was not the one evicted")
	}

	// release
	live := b.live
	for _, s := range many[2:12] {
		b.release(s)
	}
	if b.live != live-10 {
		t.Fatalf("released 10 slots: %d live, was %d", b.live, live)
	}
}

// closedByPeer reports whether a read failed because the other side
// closed the connection, not because the read's deadline passed.
func closedByPeer(err error) bool {
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// TestTwinDisplacementIsWarned: a node that keeps being replaced by a new
// connection under its name (an impostor with the cookie, or the same node
// started twice) is reported with a warning, once per window, where a
// single replacement (a peer that lost its connection) stays at info
// (RELIABILITY.md 8).
func TestTwinDisplacementIsWarned(t *testing.T) {
	ns := tcpNodes(t, 2, nil)
	a, b := ns[0], ns[1]
	if err := b.PingErr(context.Background(), a.Name()); err != nil {
		t.Fatal(err)
	}
	prev := a.mgr.up(b.Name())
	for i := 1; i <= replaceWarnAt+1; i++ {
		handshaken(t, a.Dist, b.Name()) // an impostor with b's name and the cookie
		testkit.Eventually(t, waitTime, "the impostor's connection installed", func() bool {
			c := a.mgr.up(b.Name())
			return c != nil && c != prev
		})
		prev = a.mgr.up(b.Name())
		if i < replaceWarnAt && len(a.logs.Lines("replaced again and again")) != 0 {
			t.Fatalf("warned after %d replacements", i)
		}
	}
	if n := len(a.logs.Lines("replacing a connection the peer has lost")); n != replaceWarnAt+1 {
		t.Fatalf("%d replacements logged, want %d", n, replaceWarnAt+1)
	}
	if n := len(a.logs.Lines("replaced again and again")); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, a.logs)
	}
}
