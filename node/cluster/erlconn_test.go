package cluster

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/erldist"
	"github.com/gerl-dev/gerl/node/term"
)

// fakeErl plays an Erlang node on the far end of a pipe: its connection
// is installed in a gerl node's table as acceptErlang installs one after
// the handshake, and the test writes Erlang's control messages and reads
// what the gerl node sends. The peer is hidden, so neither global's sync
// nor the mesh talk to it on their own.
type fakeErl struct {
	t    *testing.T
	d    *testNode
	name term.Atom
	nc   net.Conn
	in   chan erlMsg
}

func newFakeErl(t *testing.T, d *testNode, name term.Atom) *fakeErl {
	t.Helper()
	ours, theirs := net.Pipe()
	peer := erlPeer(erldist.Peer{Name: name, Flags: erldist.DefaultFlags, Creation: 9})
	id := d.nextID.Add(1)
	if code, msg := d.mgr.decideIncoming(peer, id, true); code != 0 {
		t.Fatalf("decide: %s", msg)
	}
	d.erlServices()
	dr := newDeadlineReader(ours)
	c := newConn(d.Dist, ours, dr, bufio.NewReaderSize(dr, connBufSize), peer, false)
	if !d.mgr.attemptDone(name, id, c, nil) {
		t.Fatal("not installed")
	}
	d.connUp(c)
	f := &fakeErl{t: t, d: d, name: name, nc: theirs, in: make(chan erlMsg, 100)}
	go func() {
		defer close(f.in)
		br := bufio.NewReader(theirs)
		var dec erlDecoder
		for {
			var hdr [4]byte
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				return
			}
			b := make([]byte, binary.BigEndian.Uint32(hdr[:]))
			if _, err := io.ReadFull(br, b); err != nil {
				return
			}
			if len(b) == 0 {
				continue // a tick
			}
			m, err := dec.decode(b)
			if err != nil {
				t.Errorf("the gerl node sent a bad frame: %v", err)
				return
			}
			f.in <- m
		}
	}()
	t.Cleanup(func() { theirs.Close() })
	return f
}

// pid is a pid of the fake node.
func (f *fakeErl) pid(id uint64) term.Pid { return term.Pid{Node: f.name, ID: id, Creation: 9} }

// send writes a frame built by one of the erl* encoders.
func (f *fakeErl) send(frame []byte, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.nc.Write(frame); err != nil {
		f.t.Fatal(err)
	}
}

// next returns the next control message the gerl node sent.
func (f *fakeErl) next() erlMsg {
	f.t.Helper()
	select {
	case m, ok := <-f.in:
		if !ok {
			f.t.Fatal("the connection closed")
		}
		return m
	case <-time.After(waitTime):
		f.t.Fatal("the gerl node sent nothing")
	}
	return erlMsg{}
}

// expect checks that the next control message has op and the fields of
// want that are set.
func (f *fakeErl) expect(want erlMsg) erlMsg {
	f.t.Helper()
	m := f.next()
	ok := m.op == want.op &&
		(want.from.IsZero() || m.from == want.from) && (want.to.IsZero() || m.to == want.to) &&
		(want.name == "" || m.name == want.name) && (want.ref.IsZero() || m.ref == want.ref) &&
		(want.unlinkID == nil || reflect.DeepEqual(m.unlinkID, want.unlinkID)) &&
		(want.payload == nil || reflect.DeepEqual(m.payload, want.payload)) &&
		(want.result == nil || reflect.DeepEqual(m.result, want.result)) && m.flags == want.flags
	if !ok {
		f.t.Fatalf("got %+v\nwant %+v", m, want)
	}
	return m
}

// roundTrip makes sure what the fake sent before has been applied: it
// sends p a message through the same connection and waits for it.
func (f *fakeErl) roundTrip(p *node.Proc) {
	f.t.Helper()
	f.send(erlSend(nil, p.Self(), term.Atom("sync")))
	recv(f.t, p, "sync", func(m any) bool { return m == any(term.Atom("sync")) })
}

// TestErlLinkProtocol: the new link protocol's interleavings
// (erl_dist_protocol.md, "Link Protocol").
func TestErlLinkProtocol(t *testing.T) {
	d := tcpNodes(t, 1, nil)[0]
	f := newFakeErl(t, d, "e@localhost")
	p := proc(t, d.Dist)
	r := f.pid(100)

	// An exit along a link we are unlinking, and a LINK crossing the
	// unlink, are ignored; the ack ends the unlink; a LINK after it links.
	_ = p.Link(r)
	f.expect(erlMsg{op: dopLink, from: p.Self(), to: r})
	p.Unlink(r)
	un := f.expect(erlMsg{op: dopUnlinkID, from: p.Self(), to: r})
	f.send(erlExit(nil, dopExit, r, p.Self(), term.Atom("boom")))
	f.send(erlPair(nil, dopLink, r, p.Self()))
	f.roundTrip(p)
	if !p.Alive() || len(p.Links()) != 0 {
		t.Fatalf("during the unlink: alive %v, links %v", p.Alive(), p.Links())
	}
	f.send(erlUnlinkID(nil, dopUnlinkIDAck, un.unlinkID, r, p.Self()))
	f.send(erlPair(nil, dopLink, r, p.Self()))
	f.roundTrip(p)
	if !reflect.DeepEqual(p.Links(), []term.Pid{r}) {
		t.Fatalf("after the ack, LINK: links %v", p.Links())
	}

	// The peer unlinks: acknowledged, link gone.
	f.send(erlUnlinkID(nil, dopUnlinkID, 1<<62, r, p.Self()))
	f.expect(erlMsg{op: dopUnlinkIDAck, unlinkID: 1 << 62, from: p.Self(), to: r})
	f.roundTrip(p)
	if len(p.Links()) != 0 {
		t.Fatalf("after the peer's unlink: %v", p.Links())
	}

	// Link, unlink, link again before the ack: the link is active, an
	// exit along it arrives, and the late ack changes nothing.
	p.TrapExit(true)
	_ = p.Link(r)
	f.expect(erlMsg{op: dopLink})
	p.Unlink(r)
	un = f.expect(erlMsg{op: dopUnlinkID})
	_ = p.Link(r)
	f.expect(erlMsg{op: dopLink})
	f.send(erlUnlinkID(nil, dopUnlinkIDAck, un.unlinkID, r, p.Self()))
	f.send(erlExit(nil, dopExit, r, p.Self(), term.Atom("bye")))
	if m := recv(t, p, "exit", func(m any) bool { _, ok := m.(term.ExitSignal); return ok }); !reflect.DeepEqual(m, term.ExitSignal{From: r, Reason: term.Atom("bye")}) {
		t.Fatalf("exit: %v", m)
	}

	// A local process linked to r dies: EXIT with its reason.
	q, _ := d.Node().Spawn(func(q *node.Proc) { q.Receive(); q.ExitSelf(term.Atom("crash")) })
	f.send(erlPair(nil, dopLink, r, q))
	f.send(erlSend(nil, q, term.Atom("go")))
	f.expect(erlMsg{op: dopExit, from: q, to: r, payload: term.Atom("crash")})
}

// TestErlMonitors: monitors by name carry the name both ways; DEMONITOR_P
// names the target; noproc.
func TestErlMonitors(t *testing.T) {
	d := tcpNodes(t, 1, nil)[0]
	f := newFakeErl(t, d, "e@localhost")
	p := proc(t, d.Dist)
	r := f.pid(100)
	ref := func(n uint32) term.Ref { x, _ := term.RefFromWords(f.name, 9, []uint32{n, 0, 1}); return x }

	srv, _ := d.Node().Spawn(func(q *node.Proc) { _ = q.Register("srv"); q.Receive(); q.ExitSelf(term.Atom("x")) })
	waitRegistered(t, d.Node(), "srv")
	f.send(erlMonitor(nil, dopMonitorP, r, term.Atom("srv"), ref(1)))
	f.send(erlMonitor(nil, dopMonitorP, r, term.Atom("nobody"), ref(2)))
	f.expect(erlMsg{op: dopMonitorPExit, name: "nobody", to: r, ref: ref(2), payload: term.NoProc})
	f.send(erlSend(nil, srv, term.Atom("go")))
	f.expect(erlMsg{op: dopMonitorPExit, name: "srv", to: r, ref: ref(1), payload: term.Atom("x")})

	mref := p.Monitor(term.Name{Name: "remote_srv", Node: f.name})
	f.expect(erlMsg{op: dopMonitorP, from: p.Self(), name: "remote_srv", ref: mref})
	p.Demonitor(mref, false)
	f.expect(erlMsg{op: dopDemonitorP, from: p.Self(), name: "remote_srv", ref: mref})

	mref = p.Monitor(r)
	f.expect(erlMsg{op: dopMonitorP, from: p.Self(), to: r, ref: mref})
	f.send(erlMonitorExit(nil, r, p.Self(), mref, term.Atom("gone")))
	if m := recv(t, p, "down", func(m any) bool { _, ok := m.(term.Down); return ok }); !reflect.DeepEqual(m, term.Down{Ref: mref, Pid: r, Reason: term.Atom("gone")}) {
		t.Fatalf("down: %v", m)
	}
}

// TestErlSystemPid: a send to a name and an exit signal made from outside
// any process carry the node's system pid, as Erlang requires.
func TestErlSystemPid(t *testing.T) {
	d := tcpNodes(t, 1, nil)[0]
	f := newFakeErl(t, d, "e@localhost")
	sys := d.systemPid()
	if sys.IsZero() || sys.Node != d.Name() {
		t.Fatalf("system pid %v", sys)
	}
	_ = d.Node().Send(term.Name{Name: "x", Node: f.name}, 1)
	f.expect(erlMsg{op: dopRegSend, from: sys, name: "x", payload: 1})
	_ = d.Node().Exit(f.pid(5), term.Kill)
	f.expect(erlMsg{op: dopExit2, from: sys, to: f.pid(5), payload: term.Kill})
}

// TestErlSpawnReplyFirst: a spawn request is answered before any other
// signal of the new process, even one that ends at once.
func TestErlSpawnReplyFirst(t *testing.T) {
	d := tcpNodes(t, 1, nil)[0]
	if err := d.RegisterFunc("quick", func() {}); err != nil {
		t.Fatal(err)
	}
	f := newFakeErl(t, d, "e@localhost")
	r := f.pid(100)
	req, _ := term.RefFromWords(f.name, 9, []uint32{7, 7, 7})
	f.send(erlSpawnRequest(nil, req, r, r, "gerl", "quick", nil, []any{term.Atom("monitor"), term.Atom("link")}))
	rep := f.expect(erlMsg{op: dopSpawnReply, ref: req, to: r, flags: spawnReplyLink | spawnReplyMonitor})
	child := rep.result.(term.Pid)
	got := []int{f.next().op, f.next().op}
	if !(reflect.DeepEqual(got, []int{dopExit, dopMonitorPExit})) {
		t.Fatalf("after the reply: %v", got)
	}
	if child.Node != d.Name() {
		t.Fatalf("child %v", child)
	}
	// an option erts refuses
	f.send(erlSpawnRequest(nil, req, r, r, "gerl", "quick", nil, []any{term.Atom("bogus")}))
	f.expect(erlMsg{op: dopSpawnReply, ref: req, to: r, result: term.Atom("badopt")})
}

// TestErlSignalFromAnotherNode: a signal whose sender is not a process of
// the peer closes the connection, as erts does.
func TestErlSignalFromAnotherNode(t *testing.T) {
	d := tcpNodes(t, 1, nil)[0]
	f := newFakeErl(t, d, "e@localhost")
	p := proc(t, d.Dist)
	p.MonitorNode(f.name, true)
	f.send(erlPair(nil, dopLink, term.Pid{Node: "other@h", ID: 1, Creation: 1}, p.Self()))
	m := recv(t, p, "nodedown", func(m any) bool { _, ok := m.(term.NodeDown); return ok })
	if m.(term.NodeDown).Reason != ReasonProtocol {
		t.Fatalf("nodedown: %v", m)
	}
}

func waitRegistered(t *testing.T, n *node.Node, name term.Atom) {
	t.Helper()
	testkit.Eventually(t, waitTime, string(name)+" registered", func() bool {
		_, ok := n.Whereis(name)
		return ok
	})
}
