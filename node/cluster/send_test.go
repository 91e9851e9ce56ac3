package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// eachTransport runs f on an in-memory network and on loopback TCP.
func eachTransport(t *testing.T, n int, tweak func(*Config), f func(t *testing.T, nodes []*testNode)) {
	t.Run("mem", func(t *testing.T) { f(t, memNodes(t, n, tweak)) })
	t.Run("tcp", func(t *testing.T) { f(t, tcpNodes(t, n, tweak)) })
}

func TestSendPidAndName(t *testing.T) {
	eachTransport(t, 2, nil, func(t *testing.T, ns []*testNode) {
		a, b := ns[0], ns[1]
		pid := echo(t, b.Dist, "echo")
		p := proc(t, a.Dist)
		if err := p.Send(pid, term.T(p.Self(), term.A("hello"))); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, p, "echo by pid", func(any) bool { return true }); m != term.A("hello") {
			t.Fatalf("got %v", m)
		}
		if err := p.Send(term.Name{Name: "echo", Node: b.Name()}, term.T(p.Self(), "by name")); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, p, "echo by name", func(any) bool { return true }); m != "by name" {
			t.Fatalf("got %v", m)
		}
		// an unknown remote name drops silently; the connection stays up
		if err := p.Send(term.Name{Name: "nobody", Node: b.Name()}, 1); err != nil {
			t.Fatal(err)
		}
		p.Send(term.T(term.A("echo"), b.Name()), term.T(p.Self(), 2))
		if m := recv(t, p, "after unknown", func(any) bool { return true }); m != 2 {
			t.Fatalf("got %v", m)
		}
		if !hasNode(a.Nodes(), b.Name()) || !hasNode(b.Nodes(), a.Name()) {
			t.Fatalf("nodes: %v %v", a.Nodes(), b.Nodes())
		}
	})
}

func TestOrderingAndTypes(t *testing.T) {
	eachTransport(t, 2, nil, func(t *testing.T, ns []*testNode) {
		a, b := ns[0], ns[1]
		pb := proc(t, b.Dist)
		const n = 2000
		senders := 3
		done := make(chan struct{})
		for s := 0; s < senders; s++ {
			a.Node().Spawn(func(p *node.Proc) {
				for i := 0; i < n; i++ {
					p.Send(pb.Self(), term.T(s, i))
				}
				done <- struct{}{}
			})
		}
		next := make([]int, senders)
		for k := 0; k < senders*n; k++ {
			m := recv(t, pb, "ordered", func(any) bool { return true }).(term.Tuple)
			s, i := m[0].(int), m[1].(int)
			if i != next[s] {
				t.Fatalf("sender %d: got %d, want %d", s, i, next[s])
			}
			next[s]++
		}
		for s := 0; s < senders; s++ {
			<-done
		}
		pa := proc(t, a.Dist)
		for _, v := range sample {
			if _, ok := v.(term.Reply); ok {
				continue // the runtime delivers a Reply only to a waiting caller
			}
			if err := pa.Send(pb.Self(), v); err != nil {
				t.Fatal(err)
			}
			got, ok := pb.ReceiveTimeout(waitTime)
			if !ok {
				t.Fatalf("%#v did not arrive; logs:\n%s\n%s", v, a.logs, b.logs)
			}
			want, _ := term.Copy(v)
			if !sameTerm(got, want) {
				t.Fatalf("remote %#v arrived as %#v", want, got)
			}
		}
		if err := pa.Send(pb.Self(), make(chan int)); !errors.Is(err, term.ErrUnsendable) {
			t.Fatalf("unsendable: %v", err)
		}
	})
}

// TestRemoteUnreachable: as in Erlang, a send to a node that cannot be
// reached is no error (the message is dropped, with a warning that says
// why); a link to a process there fails with an exit signal noconnection,
// a monitor with a Down noconnection, monitor_node with a nodedown; ping
// answers pang.
func TestRemoteUnreachable(t *testing.T) {
	ns := memNodes(t, 1, nil)
	a := ns[0]
	p := proc(t, a.Dist)
	p.TrapExit(true)
	ghost := term.Pid{Node: "ghost@mem", ID: 1}
	if err := p.Send(ghost, 1); err != nil {
		t.Fatalf("send to unreachable: %v", err)
	}
	if err := p.Link(ghost); err != nil {
		t.Fatalf("link to unreachable: %v", err)
	}
	ref := p.Monitor(term.Name{Name: "x", Node: "ghost@mem"})
	p.MonitorNode("ghost@mem", true)
	gotExit, gotDown, gotNodeDown := false, false, false
	for !gotExit || !gotDown || !gotNodeDown {
		switch m := recv(t, p, "noconnection", func(any) bool { return true }).(type) {
		case term.ExitSignal:
			if m.From != ghost || m.Reason != term.NoConnection {
				t.Fatalf("exit %v", m)
			}
			gotExit = true
		case term.Down:
			if m.Ref != ref || m.Reason != term.NoConnection || m.Pid.Node != "ghost@mem" {
				t.Fatalf("down %v", m)
			}
			gotDown = true
		case term.NodeDown:
			if m.Node != "ghost@mem" || m.Reason != term.NoConnection {
				t.Fatalf("nodedown %v", m)
			}
			gotNodeDown = true
		default:
			t.Fatalf("unexpected %v", m)
		}
	}
	if len(p.Links()) != 0 {
		t.Fatalf("links left: %v", p.Links())
	}
	testkit.Eventually(t, waitTime, "the warning about the dropped message", func() bool {
		return len(a.logs.Lines("messages dropped")) > 0 && contains(a.logs.String(), "ghost@mem")
	})
	if a.Ping(context.Background(), "ghost@mem") {
		t.Fatal("ping ghost: pong")
	}
	// a name that is no node name is an error at once for a send; a link
	// to a process there fails as for any unreachable node
	bad := term.Pid{Node: "no-at-sign", ID: 1}
	if err := p.Send(bad, 1); err == nil {
		t.Fatal("send to a bad node name: no error")
	}
	if err := p.Link(bad); err != nil {
		t.Fatalf("link to a bad node name: %v", err)
	}
	if m := recv(t, p, "noconnection", func(any) bool { return true }).(term.ExitSignal); m.From != bad || m.Reason != term.NoConnection {
		t.Fatalf("got %v", m)
	}
}

func TestMessageLargerThanAFrame(t *testing.T) {
	eachTransport(t, 2, func(c *Config) { c.MaxFrame = 4096 }, func(t *testing.T, ns []*testNode) {
		a, b := ns[0], ns[1]
		pid := echo(t, b.Dist, "echo")
		p := proc(t, a.Dist)
		p.TrapExit(true)
		if err := p.Link(pid); err != nil {
			t.Fatal(err)
		}
		err := p.Send(pid, term.T(p.Self(), make([]byte, 8192)))
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("send of 8 KiB with a 4 KiB frame limit: %v", err)
		}
		// The connection, and the link across it, are still there.
		if err := p.Send(pid, term.T(p.Self(), "small")); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, p, "echo after the refused send", func(any) bool { return true }); m != "small" {
			t.Fatalf("got %s", term.Format(m))
		}
	})
}

// TestSignalsCannotGrowTheQueueWithoutEnd: signals never wait for the
// queue, but past overflowFactor times its limit they are refused (and the
// connection closed by conn.send); an empty queue takes any one frame.
func TestSignalsCannotGrowTheQueueWithoutEnd(t *testing.T) {
	var q sendQueue
	q.init(1000, newMonoClock()) // writerBusy until a writer starts: nothing drains
	frame := make([]byte, 1000)
	if _, err := q.push(context.Background(), make([]byte, 40*1000), false); err != nil {
		t.Fatalf("a large frame into an empty queue: %v", err)
	}
	q.buf, q.writing = nil, 0
	for i := 0; i < overflowFactor; i++ {
		if _, err := q.push(context.Background(), frame, false); err != nil {
			t.Fatalf("signal %d: %v", i+1, err)
		}
	}
	if _, err := q.push(context.Background(), frame, false); !errors.Is(err, errPeerNotReading) {
		t.Fatalf("signal past %d times the limit: %v", overflowFactor, err)
	}
}
