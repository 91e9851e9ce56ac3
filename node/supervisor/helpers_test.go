package supervisor

import (
	"log/slog"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// waitTime bounds every wait in these tests; it is a deadline for a
// failure, never a delay: passing tests wait only for the events
// themselves (DOWN and EXIT messages, replies).
const waitTime = 20 * time.Second

// newTestNode returns a node that is stopped (and checked for leftover
// processes) when the test ends, and the log of its reports.
func newTestNode(t testing.TB) (*node.Node, *testkit.Buffer) {
	t.Helper()
	logs := &testkit.Buffer{}
	n := node.New(node.Config{Name: "sup@host", Creation: 1, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	t.Cleanup(func() {
		if err := n.StopTimeout(waitTime); err != nil {
			t.Errorf("stop: %v", err)
		}
		if c := n.ProcessCount(); c != 0 {
			t.Errorf("%d processes left after Stop", c)
		}
	})
	return n, logs
}

// testProc attaches a process for the test goroutine to receive on.
func testProc(t testing.TB, n *node.Node) *node.Proc {
	t.Helper()
	p, err := n.Attach("test")
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	return p
}

// recvMatch waits for the first message matching pred or fails the test.
func recvMatch(t testing.TB, p *node.Proc, pred func(any) bool) any {
	t.Helper()
	m, ok := p.ReceiveMatch(pred, waitTime)
	if !ok {
		t.Fatalf("%s: no matching message within %v", p.Self(), waitTime)
	}
	return m
}

// expectDown waits for the DOWN of ref and returns its reason.
func expectDown(t testing.TB, p *node.Proc, ref term.Ref) any {
	t.Helper()
	m := recvMatch(t, p, func(m any) bool {
		d, ok := m.(term.Down)
		return ok && d.Ref == ref
	})
	return m.(term.Down).Reason
}

func sameTerm(t testing.TB, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %s (%T), want %s (%T)", term.Format(got), got, term.Format(want), want)
	}
}

// mustStart starts a supervisor or fails the test.
func mustStart(t testing.TB, n *node.Node, spec Spec) *Sup {
	t.Helper()
	sup, err := Start(n, spec)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return sup
}

// children returns the supervisor's children by id, in start order.
func children(t testing.TB, sup *Sup) []ChildInfo {
	t.Helper()
	kids, err := sup.WhichChildren()
	if err != nil {
		t.Fatalf("which_children: %v", err)
	}
	return kids
}

// pidOf returns the pid of the child id (zero if not running or absent).
func pidOf(t testing.TB, sup *Sup, id term.Atom) term.Pid {
	t.Helper()
	for _, c := range children(t, sup) {
		if c.ID == id {
			return c.Pid
		}
	}
	return term.Pid{}
}

// crash makes the running child id exit with reason and waits until its
// supervisor has handled the exit. The barrier is exact, with no polling:
// a dying process delivers its link exits before its monitor DOWNs, so
// once the test has the DOWN, the EXIT is already in the supervisor's
// mailbox, ahead of the WhichChildren request that follows.
func crash(t testing.TB, me *node.Proc, sup *Sup, id term.Atom, reason any) {
	t.Helper()
	pid := pidOf(t, sup, id)
	if pid.IsZero() {
		t.Fatalf("child %s is not running", id)
	}
	ref := me.Monitor(pid)
	if err := me.Send(pid, term.T(term.A("exit"), reason)); err != nil {
		t.Fatal(err)
	}
	if got := expectDown(t, me, ref); !reflect.DeepEqual(got, reason) {
		t.Fatalf("child %s exited with %s, want %s", id, term.Format(got), term.Format(reason))
	}
	children(t, sup) // barrier: the supervisor has handled the EXIT
}

// worker is a child that exits with Reason on {exit, Reason}, panics on
// {panic, V}, and otherwise waits. With events set, it traps exits, says
// {ready} to events, and reports {stopping, ID} to events when its
// supervisor tells it to shut down, before it does: the order of those
// messages is the order of termination.
func worker(p *node.Proc, id term.Atom, events term.Pid) {
	if !events.IsZero() {
		trapping(p, events)
	}
	for {
		switch m := p.Receive().(type) {
		case term.ExitSignal:
			_ = p.Send(events, term.T(term.A("stopping"), id))
			p.ExitSelf(m.Reason)
		case term.Tuple:
			switch m.Tag() {
			case "exit":
				p.ExitSelf(m[1])
			case "panic":
				panic(m[1])
			}
		}
	}
}

// stubborn traps exits and ignores them: only kill ends it. It tells
// events when it is ready and when it has received the shutdown.
func stubborn(p *node.Proc, events term.Pid) {
	trapping(p, events)
	for {
		if e, ok := p.Receive().(term.ExitSignal); ok {
			_ = p.Send(events, term.T(term.A("ignoring"), e.Reason))
		}
	}
}

// trapping makes p trap exits and tells events {ready}. A test that wants
// to see how a child handles its shutdown waits for that first (see
// awaitReady): a child terminated before it runs never traps anything.
func trapping(p *node.Proc, events term.Pid) {
	p.TrapExit(true)
	_ = p.Send(events, term.T(term.A("ready")))
}

// awaitReady waits until count children have said {ready}.
func awaitReady(t testing.TB, me *node.Proc, count int) {
	t.Helper()
	for i := 0; i < count; i++ {
		recvMatch(t, me, func(m any) bool {
			t, ok := m.(term.Tuple)
			return ok && t.Tag() == "ready"
		})
	}
}

// stopping drains the {stopping, Id} events received so far.
func stopping(me *node.Proc) []term.Atom {
	var out []term.Atom
	for _, m := range me.Drain() {
		if t, ok := m.(term.Tuple); ok && t.Tag() == "stopping" {
			out = append(out, t[1].(term.Atom))
		}
	}
	return out
}

// fakeClock is a clock for restart intensity that moves only when told.
type fakeClock struct {
	t atomic.Int64 // nanoseconds since start
	// step is added on every reading; zero means still.
	step atomic.Int64
}

func (c *fakeClock) now() time.Time {
	return time.Unix(1_700_000_000, c.t.Add(c.step.Load()))
}

func (c *fakeClock) advance(d time.Duration) { c.t.Add(int64(d)) }
