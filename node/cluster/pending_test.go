package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// heldPair starts a and b on one in-memory network, a's dials held until
// the returned transport's gate is closed.
func heldPair(t *testing.T, tweak func(*Config)) (a, b *testNode, ct *countingTransport) {
	t.Helper()
	mem := NewMemNetwork()
	ct = &countingTransport{Transport: mem.Transport(), gate: make(chan struct{})}
	cfg := Config{Name: "a@mem", Transport: ct}
	if tweak != nil {
		tweak(&cfg)
	}
	a = startNode(t, cfg)
	b = startNode(t, Config{Name: "b@mem", Transport: mem.Transport()})
	return a, b, ct
}

// returns runs f on its own goroutine and reports whether it returned
// before the deadline.
func returns(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	return done
}

// TestSendsDoNotWaitForTheHandshake: while the connection is being set up
// (the dial is held), sends, links, monitors and exit signals return at
// once; once it is up, everything queued arrives in order, before what is
// sent later, and the link and monitor are in place.
func TestSendsDoNotWaitForTheHandshake(t *testing.T) {
	a, b, ct := heldPair(t, nil)
	pb := proc(t, b.Dist)
	target := echo(t, b.Dist, "")
	victim := echo(t, b.Dist, "")
	pa := proc(t, a.Dist)
	pa.TrapExit(true)
	const n = 500
	var ref term.Ref
	sent := returns(func() {
		for i := 0; i < n; i++ {
			if err := pa.Send(pb.Self(), i); err != nil {
				t.Error(err)
				return
			}
		}
		if err := pa.Link(target); err != nil {
			t.Error(err)
		}
		ref = pa.Monitor(target)
		if err := pa.Exit(victim, term.A("stop")); err != nil {
			t.Error(err)
		}
	})
	select {
	case <-sent:
	case <-time.After(waitTime):
		t.Fatal("sends waited for a handshake that is held")
	}
	testkit.Eventually(t, waitTime, "the dial", func() bool { return ct.dials.Load() == 1 })
	close(ct.gate)
	if err := pa.Send(pb.Self(), n); err != nil { // after the queue, in order
		t.Fatal(err)
	}
	for i := 0; i <= n; i++ {
		if m := recv(t, pb, "queued message", func(any) bool { return true }); m != i {
			t.Fatalf("message %d arrived as %v", i, m)
		}
	}
	if d := ct.dials.Load(); d != 1 {
		t.Fatalf("%d dials for one connection", d)
	}
	testkit.Eventually(t, waitTime, "the exit signal", func() bool { return !b.Node().Alive(victim) })
	if err := b.Node().Exit(target, term.A("bye")); err != nil {
		t.Fatal(err)
	}
	recv(t, pa, "the link's exit", func(m any) bool {
		e, ok := m.(term.ExitSignal)
		return ok && e.From == target && e.Reason == term.A("bye")
	})
	recv(t, pa, "the monitor's down", func(m any) bool { d, ok := m.(term.Down); return ok && d.Ref == ref && d.Reason == term.A("bye") })
}

// TestSendToAnUnreachableNodeReturnsAtOnce: a node whose host does not
// answer (the dial hangs) costs the sender nothing; when the attempt gives
// up, the queued link fires with noconnection.
func TestSendToAnUnreachableNodeReturnsAtOnce(t *testing.T) {
	a, _, _ := heldPair(t, func(c *Config) { c.HandshakeTimeout = 200 * time.Millisecond })
	p := proc(t, a.Dist)
	p.TrapExit(true)
	far := term.Pid{Node: "b@mem", ID: 99, Creation: 1}
	done := returns(func() {
		for i := 0; i < 100; i++ {
			_ = p.Send(far, i)
		}
		_ = p.Link(far)
	})
	select {
	case <-done:
	case <-time.After(waitTime):
		t.Fatal("a send to an unreachable node waited")
	}
	m := recv(t, p, "noconnection", func(m any) bool { _, ok := m.(term.ExitSignal); return ok }).(term.ExitSignal)
	if m.From != far || m.Reason != term.NoConnection {
		t.Fatalf("got %v", m)
	}
	testkit.Eventually(t, waitTime, "the warning", func() bool { return contains(a.logs.String(), "messages=100") })
}

// TestPendingQueueIsBounded: while the handshake is held, a message that
// finds more than the send queue's limit queued waits (and the log says
// so); once the connection is up everything arrives, in order.
func TestPendingQueueIsBounded(t *testing.T) {
	a, b, ct := heldPair(t, func(c *Config) { c.SendQueueBytes = 4 << 10 })
	pb := proc(t, b.Dist)
	const n = 64
	sent := returns(func() {
		for i := 0; i < n; i++ {
			if err := a.Node().Send(pb.Self(), term.T(i, make([]byte, 1<<10))); err != nil {
				t.Error(err)
			}
		}
	})
	testkit.Eventually(t, waitTime, "the warning that senders wait", func() bool {
		return len(a.logs.Lines("senders wait")) == 1
	})
	select {
	case <-sent:
		t.Fatal("all sent past the limit while the handshake was held")
	default:
	}
	close(ct.gate)
	for i := 0; i < n; i++ {
		m := recv(t, pb, "message", func(any) bool { return true }).(term.Tuple)
		if m[0] != i {
			t.Fatalf("message %d arrived as %d", i, m[0])
		}
	}
	<-sent
}

// TestRemoteCallsAreCancellable: ping, rpc, remote spawn and connect end
// when their context is cancelled during a handshake that does not
// finish, and leave no goroutine and no table entry behind.
func TestRemoteCallsAreCancellable(t *testing.T) {
	a, b, ct := heldPair(t, nil)
	funcs(t, b.Dist)
	calls := map[string]func(ctx context.Context) error{
		"ping":    func(ctx context.Context) error { return a.PingErr(ctx, b.Name()) },
		"rpc":     func(ctx context.Context) error { _, err := a.Call(ctx, b.Name(), "add", 1, 2); return err },
		"spawn":   func(ctx context.Context) error { _, err := a.Spawn(ctx, b.Name(), "nothing"); return err },
		"connect": func(ctx context.Context) error { return a.ConnectContext(ctx, b.Name()) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			dials := ct.dials.Load()
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				testkit.Eventually(t, waitTime, "the dial", func() bool { return ct.dials.Load() > dials })
				cancel()
			}()
			if err := call(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v", err)
			}
			if a.mgr.known(b.Name()) {
				t.Fatal("the entry is left in the table")
			}
			goleak.VerifyNone(t, before)
		})
	}
	// with the handshake let through, the same calls work
	close(ct.gate)
	if err := a.PingErr(context.Background(), b.Name()); err != nil {
		t.Fatal(err)
	}
}

// TestCancelledWaiterLeavesQueuedSignals: a caller that gives up does not
// cancel a dial others depend on: here a message queued on the entry.
func TestCancelledWaiterLeavesQueuedSignals(t *testing.T) {
	a, b, ct := heldPair(t, nil)
	pb := proc(t, b.Dist)
	if err := a.Node().Send(pb.Self(), "queued"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.PingErr(ctx, b.Name()); !errors.Is(err, context.Canceled) {
		t.Fatalf("ping: %v", err)
	}
	if !a.mgr.known(b.Name()) {
		t.Fatal("the attempt was cancelled with a message queued on it")
	}
	close(ct.gate)
	recv(t, pb, "the queued message", func(m any) bool { return m == "queued" })
}

// TestSendNeverRaisesWhenTheConnectionDrops: a process blocked in a send
// on a full queue (the peer does not read) returns without an error when
// the connection goes down under it; the message is dropped, and its
// links and monitors across say noconnection (RELIABILITY.md 5).
func TestSendNeverRaisesWhenTheConnectionDrops(t *testing.T) {
	mem := NewMemNetwork()
	a := startNode(t, Config{Name: "a@mem", Transport: mem.Transport(), SendQueueBytes: 4 << 10})
	pr := fakePeer(t, mem, "b@mem")
	far := term.Pid{Node: "b@mem", ID: 7, Creation: 1}
	watcher := proc(t, a.Dist)
	watcher.TrapExit(true)
	results := make(chan error, 1)
	_, err := a.Node().Spawn(func(p *node.Proc) {
		for i := 0; i < 50; i++ {
			if err := p.Send(far, term.T(i, make([]byte, 1<<10))); err != nil {
				results <- err
				return
			}
		}
		results <- nil
	})
	if err != nil {
		t.Fatal(err)
	}
	peer := <-pr
	defer peer.c.Close()
	var c *conn
	testkit.Eventually(t, waitTime, "connection up", func() bool { c = a.mgr.up("b@mem"); return c != nil })
	if err := watcher.Link(far); err != nil {
		t.Fatal(err)
	}
	ref := watcher.Monitor(far)
	testkit.Eventually(t, waitTime, "the sender blocks", func() bool { _, blocked := c.q.stats(); return blocked > 0 })
	a.Disconnect("b@mem")
	if err := <-results; err != nil {
		t.Fatalf("the send raised: %v", err)
	}
	expectNoConnection(t, watcher, far, ref)
}

// TestSendContextGivesUpWaitingForRoom: a send that waits for room in the
// queue to a peer that does not read ends when its context does (the
// shell's Ctrl-C), with the context's error.
func TestSendContextGivesUpWaitingForRoom(t *testing.T) {
	mem := NewMemNetwork()
	a := startNode(t, Config{Name: "a@mem", Transport: mem.Transport(), SendQueueBytes: 4 << 10})
	pr := fakePeer(t, mem, "b@mem")
	far := term.Pid{Node: "b@mem", ID: 7, Creation: 1}
	p := proc(t, a.Dist)
	if err := p.Send(far, "first"); err != nil {
		t.Fatal(err)
	}
	peer := <-pr
	defer peer.c.Close()
	var c *conn
	testkit.Eventually(t, waitTime, "connection up", func() bool { c = a.mgr.up("b@mem"); return c != nil })
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() {
		var err error
		for i := 0; err == nil; i++ {
			err = p.SendContext(ctx, far, term.T(i, make([]byte, 1<<10)))
		}
		result <- err
	}()
	testkit.Eventually(t, waitTime, "the sender waits", func() bool { _, blocked := c.q.stats(); return blocked > 0 })
	cancel()
	err := <-result
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}
