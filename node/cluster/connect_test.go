package cluster

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	testkit.Eventually(t, waitTime, "acceptor logs the rejection", func() bool {
		return contains(b.logs.String(), "cookie mismatch") && contains(b.logs.String(), "peer=a@localhost")
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
	if _, err := c.Read(make([]byte, 1)); !closedByPeer(err) {
		t.Fatalf("kept an Erlang dialer: %v", err)
	}
	testkit.Eventually(t, waitTime, "log", func() bool { return contains(a.logs.String(), "an Erlang node tried to connect") })
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
	// an Erlang node registers without gerl's Extra
	reg, err := portmapper.Register(context.Background(), portmapper.LoopbackAddr(pm),
		portmapper.NodeInfo{Name: "erl", Port: 9, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	err = a.PingErr(context.Background(), "erl@localhost")
	if !errors.Is(err, ErrErlangPeer) || !contains(err.Error(), "erl@localhost is an Erlang node; gerl speaks its own distribution protocol") {
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

// TestHandshakeSlotsPerHost: one address may hold at most
// maxHandshakesPerHost handshakes before the cookie is checked; others,
// and loopback, still get slots; a finished handshake gives its slot back.
func TestHandshakeSlotsPerHost(t *testing.T) {
	d := &Dist{log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		handshakes: make(chan struct{}, maxHandshakes), hsByHost: map[string]int{}}
	from := func(ip string) net.Conn {
		return addrConn{addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}
	}
	var hosts []string
	for i := 0; i < maxHandshakesPerHost; i++ {
		host, ok := d.admitHandshake(from("192.0.2.7"))
		if !ok {
			t.Fatalf("handshake %d from one host refused", i+1)
		}
		hosts = append(hosts, host)
	}
	if _, ok := d.admitHandshake(from("192.0.2.7")); ok {
		t.Fatal("one host got more than maxHandshakesPerHost slots")
	}
	if _, ok := d.admitHandshake(from("192.0.2.8")); !ok {
		t.Fatal("another host was refused")
	}
	for i := 0; i < maxHandshakesPerHost+1; i++ {
		if _, ok := d.admitHandshake(from("127.0.0.1")); !ok {
			t.Fatalf("loopback handshake %d refused", i+1)
		}
	}
	d.endHandshake(hosts[0])
	if _, ok := d.admitHandshake(from("192.0.2.7")); !ok {
		t.Fatal("a slot given back was not reused")
	}
}

// closedByPeer reports whether a read failed because the other side
// closed the connection, not because the read's deadline passed.
func closedByPeer(err error) bool {
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}
