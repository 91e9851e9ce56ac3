package node

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

// server answers {add, A, B} with A+B, answers {slow} only once it is sent
// "go", and panics on crash.
func server(p *Proc) {
	for {
		c, ok := p.Receive().(term.Request)
		if !ok {
			continue
		}
		req := c.Body.(term.Tuple)
		switch req.Tag() {
		case "add":
			p.Reply(c, req[1].(int)+req[2].(int))
		case "slow":
			p.ReceiveMatch(func(m any) bool { return m == "go" }, Forever)
			p.Reply(c, "late")
		case "crash":
			panic("asked to crash")
		}
	}
}

func TestCall(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	srv, _ := n.Spawn(server)
	if err := n.Register("calc", srv); err != nil {
		t.Fatal(err)
	}

	v, err := me.Call(srv, term.T(term.A("add"), 2, 3), time.Second*10)
	if err != nil || v != 5 {
		t.Fatalf("call = %v, %v", v, err)
	}
	v, err = me.Call("calc", term.T(term.A("add"), 1, 1), Forever)
	if err != nil || v != 2 {
		t.Fatalf("call by name = %v, %v", v, err)
	}

	// Timeout: a clear error, and the late reply never lands.
	_, err = me.Call(srv, term.T(term.A("slow")), time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("slow call: %v, want ErrTimeout", err)
	}
	// The server answers late; a second call proves the late reply was
	// dropped, because it is sent before the second one's.
	_ = me.Send(srv, "go")
	v, err = me.Call(srv, term.T(term.A("add"), 3, 4), waitTime)
	if err != nil || v != 7 {
		t.Fatalf("call after timeout = %v, %v", v, err)
	}
	noMessage(t, me)

	// Callee dies: CallError with the reason.
	_, err = me.Call(srv, term.T(term.A("crash")), waitTime)
	var ce *CallError
	if !errors.As(err, &ce) {
		t.Fatalf("call to crashing server: %v", err)
	}
	sameTerm(t, ce.Reason, term.T(term.PanicTag, "asked to crash"))
	noMessage(t, me)

	// Dead callee: noproc.
	_, err = me.Call(srv, term.T(term.A("add"), 1, 2), waitTime)
	if !errors.As(err, &ce) || ce.Reason != term.NoProc {
		t.Fatalf("call to dead server: %v", err)
	}
	_, err = me.Call("calc", 1, waitTime)
	if !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("call to a name whose process died: %v, want ErrNotRegistered", err)
	}
	noMessage(t, me)

	// Not a pid or a name: an error, as Send gives, not a panic.
	if _, err := me.Call(42, 1, waitTime); err == nil || !strings.Contains(err.Error(), "not a pid or a name") {
		t.Fatalf("call to 42: %v", err)
	}
	noMessage(t, me)
}

// TestCallLeavesBacklog checks that a Call made while other messages wait
// takes only its answer, leaves the backlog as it was, in order, and
// leaves nothing of its own behind: not a second reply, not the Down of a
// callee that exits right after replying.
func TestCallLeavesBacklog(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	const backlog = 1000
	var want []any
	for i := range backlog {
		m := term.T(term.A("noise"), i)
		want = append(want, m)
		me.Send(me.Self(), m)
	}
	for _, tc := range []struct {
		name  string
		serve func(p *Proc, c term.Request)
	}{
		{"one reply", func(p *Proc, c term.Request) { p.Reply(c, "ok") }},
		{"two replies", func(p *Proc, c term.Request) { p.Reply(c, "ok"); p.Reply(c, "again") }},
		{"reply then exit", func(p *Proc, c term.Request) { p.Reply(c, "ok"); p.ExitSelf(term.A("gone")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := n.Spawn(func(p *Proc) {
				c := p.Receive().(term.Request)
				tc.serve(p, c)
			})
			v, err := me.Call(srv, "hello", waitTime)
			if err != nil || v != "ok" {
				t.Fatalf("call = %v, %v", v, err)
			}
			testkit.Eventually(t, waitTime, "the server to exit", func() bool { return n.lookup(srv) == nil })
			got := me.Drain()
			if len(got) != backlog {
				t.Fatalf("mailbox has %d messages after the call, want the %d of the backlog; tail %v", len(got), backlog, got[max(0, len(got)-3):])
			}
			for i, m := range got {
				sameTerm(t, m, want[i])
				me.Send(me.Self(), m) // restore for the next case
			}
		})
	}
}

// BenchmarkCallBacklog measures a Call while the caller's mailbox holds
// other messages: with Erlang's receive optimization, the same at every
// size.
func BenchmarkCallBacklog(b *testing.B) {
	for _, backlog := range []int{10, 10_000, 1_000_000} {
		b.Run(strconv.Itoa(backlog), func(b *testing.B) {
			n, _ := newTestNode(b)
			me := testProc(b, n)
			srv, _ := n.Spawn(server)
			for i := range backlog {
				me.Send(me.Self(), i)
			}
			req := term.T(term.A("add"), 1, 2)
			b.ResetTimer()
			for range b.N {
				if _, err := me.Call(srv, req, Forever); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if l := me.MailboxLen(); l != backlog {
				b.Fatalf("mailbox has %d messages, want %d", l, backlog)
			}
		})
	}
}

// TestReplyUnsendable checks that a reply that cannot be sent is an error
// for the server, and that the caller, still waiting, gets nothing of it.
func TestReplyUnsendable(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	errs := make(chan error, 1)
	srv, _ := n.Spawn(func(p *Proc) {
		c := p.Receive().(term.Request)
		errs <- p.Reply(c, make(chan int))
		p.Reply(c, "sendable")
	})
	v, err := me.Call(srv, "q", waitTime)
	if err != nil || v != "sendable" {
		t.Fatalf("call = %v, %v", v, err)
	}
	err = <-errs
	if !errors.Is(err, term.ErrUnsendable) || !strings.Contains(err.Error(), "reply to") {
		t.Fatalf("reply of a channel: %v", err)
	}
	noMessage(t, me)
}

// TestCallMonitor checks the monitor a Call holds on a local callee: it
// shows in both processes' info while the call waits, it is gone once the
// call returns, and a caller killed in the middle of a call leaves none
// behind on the callee.
func TestCallMonitor(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	srv, _ := n.Spawn(func(p *Proc) {
		for {
			c := p.Receive().(term.Request)
			if c.Body == "hold" {
				p.Send(me.Self(), "holding")
				p.ReceiveMatch(func(m any) bool { return m == "go" }, Forever)
			}
			p.Reply(c, c.Body)
		}
	})
	monitors := func() int {
		info, ok := n.Info(srv)
		if !ok {
			t.Fatal("the server is gone")
		}
		return info.Monitors
	}

	done := make(chan error, 1)
	caller, _ := n.Spawn(func(p *Proc) {
		_, err := p.Call(srv, "hold", Forever)
		done <- err
	})
	if m := recv(t, me); m != "holding" {
		t.Fatalf("got %v, want holding", m)
	}
	d, ok := n.Detail(caller, 0)
	if !ok || d.Watching != 1 || len(d.Monitoring) != 1 || d.Monitoring[0] != srv {
		t.Fatalf("caller in a call: watching %d, monitoring %v; want the server", d.Watching, d.Monitoring)
	}
	if m := monitors(); m != 1 {
		t.Fatalf("server called: %d monitors, want 1", m)
	}
	me.Send(srv, "go")
	if err := <-done; err != nil {
		t.Fatalf("call: %v", err)
	}
	if m := monitors(); m != 0 {
		t.Fatalf("after the call: the server has %d monitors, want 0", m)
	}

	// Killed in the middle of a call: its exit takes the monitor away.
	caller, _ = n.Spawn(func(p *Proc) { p.Call(srv, "hold", Forever) })
	if m := recv(t, me); m != "holding" {
		t.Fatalf("got %v, want holding", m)
	}
	ref := me.Monitor(caller)
	if err := n.Exit(caller, term.Kill); err != nil {
		t.Fatal(err)
	}
	recvMatch(t, me, func(m any) bool { d, ok := m.(term.Down); return ok && d.Ref == ref })
	if m := monitors(); m != 0 {
		t.Fatalf("caller killed in a call: the server has %d monitors, want 0", m)
	}
	me.Send(srv, "go")
	if v, err := me.Call(srv, "after", waitTime); err != nil || v != "after" {
		t.Fatalf("call after: %v, %v", v, err)
	}
	noMessage(t, me)
}

// TestSecondParkerIsAMisuse checks that a goroutine that parks as a process
// another goroutine is already parked as (a Sleep during a Receive) is told
// so at once: one wake-up could not end both waits, and both would hang.
func TestSecondParkerIsAMisuse(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	got := make(chan any, 1)
	go func() { got <- me.Receive() }()
	testkit.Eventually(t, waitTime, "the receiver to park", func() bool { return me.Info().Status == "waiting" })
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "two goroutines") {
				t.Fatalf("a Sleep while another goroutine receives: recovered %v, want the misuse reported", r)
			}
		}()
		me.Sleep(time.Hour)
	}()
	me.Send(me.Self(), "wake")
	if m := <-got; m != "wake" {
		t.Fatalf("the receiver got %v, want wake", m)
	}
}
