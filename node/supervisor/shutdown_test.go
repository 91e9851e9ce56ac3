package supervisor

import (
	"testing"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

func isTag(tag term.Atom) func(any) bool {
	return func(m any) bool {
		t, ok := m.(term.Tuple)
		return ok && t.Tag() == tag
	}
}

// TestShutdownTimeoutThenKill: a child that ignores shutdown is killed
// once its Shutdown has passed, and that is reported.
func TestShutdownTimeoutThenKill(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	sup := mustStart(t, n, Spec{Children: []Child{
		// The child must run within Shutdown to say it ignores the signal:
		// 1 ms was too short for a loaded machine (a CI run saw no
		// {ignoring, shutdown} in 20 s: the child was killed before it
		// ran). A second is a thousand times what it needs there.
		{ID: "stubborn", Fn: stubborn, Args: []any{me.Self()}, Shutdown: time.Second},
	}})
	awaitReady(t, me, 1)
	pid := pidOf(t, sup, "stubborn")
	ref := me.Monitor(pid)
	if err := sup.TerminateChild("stubborn"); err != nil {
		t.Fatal(err)
	}
	sameTerm(t, recvMatch(t, me, isTag("ignoring")), term.T(term.A("ignoring"), term.Shutdown))
	sameTerm(t, expectDown(t, me, ref), term.Killed)
	if len(logs.Lines("context=shutdown_error", "reason=killed", "child=stubborn")) != 1 {
		t.Fatalf("kill after timeout not reported:\n%s", logs)
	}
	if c := children(t, sup)[0]; !c.Pid.IsZero() || c.Restarting {
		t.Fatalf("terminated child: %v", c)
	}
}

// TestBrutalKill: no shutdown signal, no wait: killed at once, and that is
// what was asked for, so nothing is reported.
func TestBrutalKill(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	sup := mustStart(t, n, Spec{Children: []Child{
		{ID: "stubborn", Fn: stubborn, Args: []any{me.Self()}, Shutdown: BrutalKill},
	}})
	pid := pidOf(t, sup, "stubborn")
	ref := me.Monitor(pid)
	if err := sup.TerminateChild("stubborn"); err != nil {
		t.Fatal(err)
	}
	sameTerm(t, expectDown(t, me, ref), term.Killed)
	if m, ok := me.ReceiveMatch(isTag("ignoring"), 0); ok {
		t.Fatalf("brutal_kill sent a trappable signal first: %s", term.Format(m))
	}
	if logs.Lines("shutdown_error") != nil {
		t.Fatalf("brutal kill reported as an error:\n%s", logs)
	}
}

// slowToStop traps exits; on shutdown it tells events and waits for
// {go} before it exits with shutdown.
func slowToStop(p *node.Proc, events term.Pid) {
	trapping(p, events)
	for {
		if e, ok := p.Receive().(term.ExitSignal); ok {
			_ = p.Send(events, term.T(term.A("asked"), e.Reason))
			p.ReceiveMatch(isTag("go"), node.Forever)
			p.ExitSelf(e.Reason)
		}
	}
}

// TestShutdownInfinityKeepsOtherExits: while the supervisor waits for a
// child with Shutdown Infinity, another child crashes. Its EXIT must be
// handled afterwards, attributed to it, and the slow child must not be
// killed.
func TestShutdownInfinityKeepsOtherExits(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	sup := mustStart(t, n, Spec{Intensity: 5, Children: []Child{
		{ID: "slow", Fn: slowToStop, Args: []any{me.Self()}, Shutdown: Infinity},
		{ID: "other", Fn: worker, Args: []any{term.A("other"), term.Pid{}}},
	}})
	awaitReady(t, me, 1)
	slow, other := pidOf(t, sup, "slow"), pidOf(t, sup, "other")
	slowRef, otherRef := me.Monitor(slow), me.Monitor(other)

	done := make(chan error, 1)
	go func() { done <- sup.TerminateChild("slow") }()
	sameTerm(t, recvMatch(t, me, isTag("asked")), term.T(term.A("asked"), term.Shutdown))

	// The supervisor is now waiting for slow. Crash other meanwhile.
	if err := me.Send(other, term.T(term.A("exit"), term.A("boom"))); err != nil {
		t.Fatal(err)
	}
	sameTerm(t, expectDown(t, me, otherRef), term.A("boom"))
	if !n.Alive(slow) {
		t.Fatal("slow was not given all the time it takes")
	}
	if err := me.Send(slow, term.T(term.A("go"))); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sameTerm(t, expectDown(t, me, slowRef), term.Shutdown)

	kids := children(t, sup)
	if !kids[0].Pid.IsZero() {
		t.Errorf("slow restarted after TerminateChild: %v", kids[0])
	}
	if kids[1].Pid.IsZero() || kids[1].Pid == other {
		t.Errorf("other's crash was lost: %v", kids[1])
	}
	if len(logs.Lines("context=child_terminated", "reason=boom", "child=other", "pid="+other.String())) != 1 {
		t.Errorf("other's crash not reported as its own:\n%s", logs)
	}
	if logs.Lines("child=slow", "supervisor report") != nil {
		t.Errorf("slow's orderly exit reported:\n%s", logs)
	}
}

// TestTerminateChildThatAlreadyDied: a child that crashed while the
// supervisor was busy is found dead when its turn to be terminated comes;
// its real exit reason is reported, and its EXIT is not handled again as a
// crash afterwards.
func TestTerminateChildThatAlreadyDied(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	sup := mustStart(t, n, Spec{Children: []Child{
		{ID: "a", Fn: worker, Args: []any{term.A("a"), term.Pid{}}},
		{ID: "slow", Fn: slowToStop, Args: []any{me.Self()}, Shutdown: Infinity},
	}})
	awaitReady(t, me, 1)
	a, slow := pidOf(t, sup, "a"), pidOf(t, sup, "slow")
	aRef, supRef := me.Monitor(a), me.Monitor(sup.Pid())

	// Stop terminates slow first, which holds the supervisor up...
	done := make(chan error, 1)
	go func() { done <- sup.Stop(node.Forever) }()
	recvMatch(t, me, isTag("asked"))
	// ... while a crashes.
	if err := me.Send(a, term.T(term.A("exit"), term.A("boom"))); err != nil {
		t.Fatal(err)
	}
	sameTerm(t, expectDown(t, me, aRef), term.A("boom"))
	if err := me.Send(slow, term.T(term.A("go"))); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sameTerm(t, expectDown(t, me, supRef), term.Normal)
	if len(logs.Lines("context=shutdown_error", "reason=boom", "child=a")) != 1 {
		t.Errorf("a's crash not reported at its termination:\n%s", logs)
	}
	if logs.Lines("context=child_terminated") != nil {
		t.Errorf("a's EXIT handled as a crash too:\n%s", logs)
	}
}
