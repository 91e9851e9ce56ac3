package node

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

func TestMonitorDeliversDownWithReason(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	pid, _ := n.Spawn(func(p *Proc) { p.Receive(); p.ExitSelf(term.A("done")) })
	ref := me.Monitor(pid)
	me.Send(pid, "go")
	d := recvMatch(t, me, func(m any) bool { _, ok := m.(term.Down); return ok }).(term.Down)
	if d.Ref != ref || d.Pid != pid || d.Reason != term.A("done") {
		t.Fatalf("down = %s", term.Format(d))
	}
}

func TestMonitorDeadPidGivesNoproc(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	pid, r := me.SpawnMonitor(func(*Proc) {})
	expectDown(t, me, r)
	ref := me.Monitor(pid)
	sameTerm(t, expectDown(t, me, ref), term.NoProc)
	ref = me.Monitor(term.A("nobody"))
	d := recvMatch(t, me, func(m any) bool { d, ok := m.(term.Down); return ok && d.Ref == ref }).(term.Down)
	if d.Reason != term.NoProc || d.Name != "nobody" {
		t.Fatalf("down for unregistered name = %s", term.Format(d))
	}
}

func TestMonitorByName(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	pid, _ := n.Spawn(func(p *Proc) { p.Receive() })
	if err := n.Register("svc", pid); err != nil {
		t.Fatal(err)
	}
	ref := me.Monitor(term.A("svc"))
	me.Send("svc", "stop")
	d := recvMatch(t, me, func(m any) bool { d, ok := m.(term.Down); return ok && d.Ref == ref }).(term.Down)
	if d.Name != "svc" || d.Pid != pid || d.Reason != term.Normal {
		t.Fatalf("down = %s", term.Format(d))
	}
}

func TestMonitorsStack(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	pid, _ := n.Spawn(func(p *Proc) { p.Receive() })
	r1, r2 := me.Monitor(pid), me.Monitor(pid)
	me.Send(pid, "stop")
	expectDown(t, me, r1)
	expectDown(t, me, r2)
}

func TestDemonitor(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)

	// After demonitor, no Down arrives.
	pid, _ := n.Spawn(func(p *Proc) { p.Receive() })
	ref := me.Monitor(pid)
	if !me.Demonitor(ref, false) {
		t.Fatal("demonitor of an active monitor reported inactive")
	}
	me.Exit(pid, term.Kill) // returns once pid is dead and its signals are out
	_, canary := me.SpawnMonitor(func(p *Proc) {})
	expectDown(t, me, canary)
	noMessage(t, me)

	// demonitor with flush removes a Down that already arrived.
	_, ref2 := me.SpawnMonitor(func(p *Proc) {})
	testkit.Eventually(t, waitTime, "the Down arrived", func() bool { return me.MailboxLen() == 1 })
	if me.Demonitor(ref2, true) {
		t.Fatal("demonitor after the Down reported an active monitor")
	}
	noMessage(t, me)
}

func TestMonitorCleanupOnWatcherExit(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	target, _ := n.Spawn(waitForever)
	_, ref := me.SpawnMonitor(func(p *Proc) { p.Monitor(target); p.Monitor(target) })
	expectDown(t, me, ref)
	info, _ := n.Info(target)
	if info.Monitors != 0 {
		t.Fatalf("target still has %d monitors from a dead watcher", info.Monitors)
	}
	me.Exit(target, term.Kill)
}

func TestSpawnMonitorIsAtomic(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	for i := 0; i < 200; i++ {
		_, ref := me.SpawnMonitor(func(p *Proc) { panic("instant") })
		sameTerm(t, expectDown(t, me, ref), term.T(term.PanicTag, "instant"))
	}
}

func TestDownOrderAfterMessages(t *testing.T) {
	// Messages a process sends before exiting arrive before its Down.
	n, _ := newTestNode(t)
	me := testProc(t, n)
	self := me.Self()
	_, ref := me.SpawnMonitor(func(p *Proc) {
		for i := 0; i < 100; i++ {
			p.Send(self, i)
		}
	})
	for i := 0; i < 100; i++ {
		sameTerm(t, recv(t, me), i)
	}
	sameTerm(t, expectDown(t, me, ref), term.Normal)
}

func TestMonitorUnregisteredNameDownNamesTheNode(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	ref := me.Monitor(term.A("nosuch"))
	d := recvMatch(t, me, func(m any) bool { d, ok := m.(term.Down); return ok && d.Ref == ref }).(term.Down)
	if got := term.Format(d); !strings.Contains(got, "{nosuch,'test@host'}") && !strings.Contains(got, "{nosuch,test@host}") {
		t.Fatalf("down = %s, want the name with its node", got)
	}
}

func TestCallDropsLateReply(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	ctx, cancel := context.WithCancel(context.Background())
	srv, _ := n.Spawn(func(p *Proc) {
		c := p.Receive().(term.Request)
		cancel()               // the caller gives up...
		p.Receive()            // (once it has, the test says so)
		p.Reply(c, "answer")   // ...and the reply comes after
		p.Send(c.From, "done") // a marker after the reply
	})
	if _, err := me.CallContext(ctx, srv, "q", waitTime); !errors.Is(err, context.Canceled) {
		t.Fatalf("call: %v", err)
	}
	me.Send(srv, "reply now")
	sameTerm(t, recv(t, me), "done") // the reply never landed
	noMessage(t, me)
}
