package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// linkedPair connects a and b and returns a trapping process on a linked
// to a process on b, and a monitor a holds on that process.
func linkedPair(t *testing.T, a, b *testNode) (pa *node.Proc, remote term.Pid, ref term.Ref) {
	t.Helper()
	remote = echo(t, b.Dist, "")
	pa = proc(t, a.Dist)
	pa.TrapExit(true)
	if err := pa.Link(remote); err != nil {
		t.Fatal(err)
	}
	ref = pa.Monitor(remote)
	// a round trip makes sure the link and monitor are in place on b
	pa.Send(remote, term.T(pa.Self(), "sync"))
	recv(t, pa, "sync", func(m any) bool { return m == "sync" })
	return pa, remote, ref
}

func expectNoConnection(t *testing.T, pa *node.Proc, remote term.Pid, ref term.Ref) {
	t.Helper()
	gotExit, gotDown := false, false
	for !gotExit || !gotDown {
		switch m := recv(t, pa, "noconnection", func(any) bool { return true }).(type) {
		case term.ExitSignal:
			if m.From != remote || m.Reason != term.NoConnection {
				t.Fatalf("exit %v", m)
			}
			gotExit = true
		case term.Down:
			if m.Ref != ref || m.Reason != term.NoConnection {
				t.Fatalf("down %v", m)
			}
			gotDown = true
		case term.NodeDown:
		default:
			t.Fatalf("unexpected %v", m)
		}
	}
}

func TestNodeUpDownAndNoConnection(t *testing.T) {
	eachTransport(t, 2, nil, func(t *testing.T, ns []*testNode) {
		a, b := ns[0], ns[1]
		watch := proc(t, a.Dist)
		watch.MonitorNodes(true)
		pa, remote, ref := linkedPair(t, a, b)
		if up := recv(t, watch, "nodeup", func(any) bool { return true }); up != (term.NodeUp{Node: b.Name()}) {
			t.Fatalf("got %v", up)
		}
		// abrupt close of the socket, no goodbye: detected at once
		a.mgr.up(b.Name()).nc.Close()
		expectNoConnection(t, pa, remote, ref)
		nd := recv(t, watch, "nodedown", func(any) bool { return true }).(term.NodeDown)
		if nd.Node != b.Name() || nd.Reason != ReasonClosed {
			t.Fatalf("nodedown %v", nd)
		}
		testkit.Eventually(t, waitTime, "b sees a down", func() bool { return !hasNode(b.Nodes(), a.Name()) })
		// the remote end of the link got noconnection too, and died of it
		testkit.Eventually(t, waitTime, "remote linked process ends", func() bool { return !b.Node().Alive(remote) })
		// a process that heard of the loss and sends at once reconnects:
		// connMgr.connDown forgets the connection before it delivers the
		// nodedown, and the new connection's nodeup comes after it
		fresh := echo(t, b.Dist, "")
		if err := watch.Send(fresh, term.T(watch.Self(), "again")); err != nil {
			t.Fatal(err)
		}
		recv(t, watch, "again", func(m any) bool { return m == "again" })
		if up := recv(t, watch, "nodeup again", func(m any) bool { _, ok := m.(term.NodeUp); return ok }); up != (term.NodeUp{Node: b.Name()}) {
			t.Fatalf("got %v", up)
		}
	})
}

func TestStopWithoutGoodbye(t *testing.T) {
	ns := tcpNodes(t, 3, nil)
	a, b, c := ns[0], ns[1], ns[2]
	pa, remote, ref := linkedPair(t, a, b)
	pc := proc(t, c.Dist)
	pc.MonitorNode(b.Name(), true)
	// b stops: every connection it has closes with it
	if err := b.Node().StopTimeout(waitTime); err != nil {
		t.Fatal(err)
	}
	expectNoConnection(t, pa, remote, ref)
	nd := recv(t, pc, "nodedown at c", func(any) bool { return true }).(term.NodeDown)
	if nd.Node != b.Name() {
		t.Fatalf("nodedown %v", nd)
	}
}

func TestTickTimeout(t *testing.T) {
	// b stops reading and writing: a sees nothing, not even ticks, and
	// declares b down after the tick time.
	ns := memNodes(t, 2, func(c *Config) { c.TickTime = 400 * time.Millisecond })
	a, b := ns[0], ns[1]
	pa, remote, ref := linkedPair(t, a, b)
	watch := proc(t, a.Dist)
	watch.MonitorNode(b.Name(), true)
	// Freeze b's side: its connection's reader and writer are blocked on
	// a pipe nobody serves once we swap in a silent conn.
	cb := b.mgr.up(a.Name())
	frozen := make(chan struct{})
	t.Cleanup(func() { close(frozen) })
	cb.q.mu.Lock() // b's writer cannot take frames, so it sends nothing...
	go func() { <-frozen; cb.q.mu.Unlock() }()
	expectNoConnection(t, pa, remote, ref)
	nd := recv(t, watch, "nodedown", func(any) bool { return true }).(term.NodeDown)
	if nd.Reason != ReasonTickTimeout {
		t.Fatalf("nodedown reason %v", nd.Reason)
	}
}

func TestIdleConnectionSurvivesTicks(t *testing.T) {
	ns := memNodes(t, 2, func(c *Config) { c.TickTime = time.Second })
	a, b := ns[0], ns[1]
	watch := proc(t, a.Dist)
	watch.MonitorNode(b.Name(), true)
	// idle for several tick times: ticks keep it up
	if m, ok := watch.ReceiveTimeout(3 * time.Second); ok {
		t.Fatalf("idle connection: %v\n%s\n%s", m, a.logs, b.logs)
	}
	if !a.Ping(context.Background(), b.Name()) {
		t.Fatal("pang")
	}
}

func TestLinksAndMonitorsAcrossNodes(t *testing.T) {
	eachTransport(t, 2, nil, func(t *testing.T, ns []*testNode) {
		a, b := ns[0], ns[1]
		pa := proc(t, a.Dist)
		pa.TrapExit(true)
		// a remote process dies: the link and the monitor fire with its reason
		victim, _ := b.Node().Spawn(func(p *node.Proc) { p.Receive(); p.ExitSelf(term.A("boom")) })
		pa.Link(victim)
		ref := pa.Monitor(victim)
		pa.Send(victim, "die")
		for got := 0; got < 2; {
			switch m := recv(t, pa, "exit and down", func(any) bool { return true }).(type) {
			case term.ExitSignal:
				if m.Reason != term.A("boom") {
					t.Fatalf("exit %v", m)
				}
				got++
			case term.Down:
				if m.Ref != ref || m.Reason != term.A("boom") {
					t.Fatalf("down %v", m)
				}
				got++
			}
		}
		// link to a remote pid that no longer exists: noproc
		pa.Link(victim)
		if m := recv(t, pa, "noproc", func(any) bool { return true }).(term.ExitSignal); m.Reason != term.NoProc {
			t.Fatalf("link to dead: %v", m)
		}
		// monitor a remote registered name, then demonitor
		named := echo(t, b.Dist, "named")
		ref = pa.Monitor(term.Name{Name: "named", Node: b.Name()})
		pa.Demonitor(ref, true)
		ref2 := pa.Monitor(term.Name{Name: "named", Node: b.Name()})
		a.Ping(context.Background(), b.Name()) // the monitor is in place on b after this round trip
		b.Node().Exit(named, term.Kill)
		d := recv(t, pa, "down by name", func(any) bool { return true }).(term.Down)
		if d.Ref != ref2 || d.Reason != term.Killed || d.Name != "named" || d.Pid != named {
			t.Fatalf("down %+v", d)
		}
		// monitor an unknown remote name: noproc at once
		ref3 := pa.Monitor(term.Name{Name: "nobody", Node: b.Name()})
		if d := recv(t, pa, "noproc", func(any) bool { return true }).(term.Down); d.Ref != ref3 || d.Reason != term.NoProc {
			t.Fatalf("down %v", d)
		}
		// a local process dies: the remote linked process gets the exit
		pb := proc(t, b.Dist)
		pb.TrapExit(true)
		local, _ := a.Node().Spawn(func(p *node.Proc) { p.Receive(); p.ExitSelf(term.A("bye")) })
		pb.Link(local)
		pb.Send(local, term.T(pb.Self(), 0)) // wakes it after the link is in place
		if m := recv(t, pb, "exit from a", func(m any) bool { _, ok := m.(term.ExitSignal); return ok }).(term.ExitSignal); m.Reason != term.A("bye") || m.From != local {
			t.Fatalf("exit %v", m)
		}
		// demonitor across nodes: no Down after it, and b forgets it
		alive := echo(t, b.Dist, "")
		ref4 := pa.Monitor(alive)
		a.Ping(context.Background(), b.Name())
		if !pa.Demonitor(ref4, false) {
			t.Fatal("demonitor: not active")
		}
		b.Node().Exit(alive, term.Kill)
		if !a.Ping(context.Background(), b.Name()) {
			t.Fatal("pang")
		}
		if m, ok := pa.ReceiveMatch(func(m any) bool { d, ok := m.(term.Down); return ok && d.Ref == ref4 }, 0); ok {
			t.Fatalf("down after demonitor: %v", m)
		}
	})
}

// TestSlowConsumerIsCut: a peer that completes the handshake, keeps
// sending ticks (so reads never time out) but never reads what it is
// sent is declared down, reason net_tick_timeout, once writes to it have
// made no progress for the tick time; the process whose message was
// stuck in the write or the queue returns, without an error.
func TestSlowConsumerIsCut(t *testing.T) {
	a := tcpNodes(t, 1, func(c *Config) { c.TickTime = time.Second })[0]
	const peer = term.Atom("slow@localhost")
	c, _ := handshaken(t, a.Dist, peer)
	stopTicks := make(chan struct{})
	defer close(stopTicks)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopTicks:
				return
			case <-tick.C:
				if _, err := c.Write(make([]byte, 4)); err != nil {
					return
				}
			}
		}
	}()
	watch := proc(t, a.Dist)
	testkit.Eventually(t, waitTime, "connection up", func() bool { return a.mgr.up(peer) != nil })
	watch.MonitorNode(peer, true)
	sent := make(chan error, 1)
	a.Node().Spawn(func(p *node.Proc) {
		far := term.Pid{Node: peer, ID: 1, Creation: 1}
		for a.mgr.up(peer) != nil {
			if err := p.Send(far, make([]byte, 64<<10)); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	})
	nd := recv(t, watch, "nodedown", func(m any) bool { _, ok := m.(term.NodeDown); return ok }).(term.NodeDown)
	if nd.Reason != ReasonTickTimeout {
		t.Fatalf("nodedown %v", nd)
	}
	if err := <-sent; err != nil {
		t.Fatalf("the sender got %v", err)
	}
	if !contains(a.logs.String(), "a slow consumer") {
		t.Fatalf("log:\n%s", a.logs)
	}
}

// TestMonitorNodeWhileClosingDialsAgain: monitor_node asked while a
// connection's nodedown is being delivered (its entry is closing) is not
// lost: once the old connection is gone, the node dials again.
func TestMonitorNodeWhileClosingDialsAgain(t *testing.T) {
	ns := memNodes(t, 2, nil)
	a, b := ns[0], ns[1]
	watch := proc(t, a.Dist)
	watch.MonitorNodes(true)
	if err := a.PingErr(context.Background(), b.Name()); err != nil {
		t.Fatal(err)
	}
	recv(t, watch, "nodeup", func(m any) bool { return m == term.NodeUp{Node: b.Name()} })
	c := a.mgr.up(b.Name())
	// As connDown does first: the entry is closing.
	a.mgr.mu.Lock()
	a.mgr.entries[b.Name()].closing = true
	a.mgr.mu.Unlock()
	if err := a.Connect(b.Name()); err != nil { // what monitor_node calls
		t.Fatal(err)
	}
	c.close(ReasonClosed)
	recv(t, watch, "nodedown", func(m any) bool { _, ok := m.(term.NodeDown); return ok })
	recv(t, watch, "nodeup again", func(m any) bool { return m == term.NodeUp{Node: b.Name()} })
}
