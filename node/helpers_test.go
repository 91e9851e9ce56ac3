package node

import (
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

// waitTime bounds every wait in these tests; it is a deadline for a
// failure, never a delay: passing tests wait only for the events themselves.
const waitTime = 10 * time.Second

// newTestNode returns a node that is stopped (and checked for leftover
// processes) when the test ends, and a log of its crash reports.
func newTestNode(t testing.TB) (*Node, *testkit.Buffer) {
	t.Helper()
	logs := &testkit.Buffer{}
	n := New(Config{Name: "test@host", Creation: 1, Logger: slog.New(slog.NewTextHandler(logs, nil))})
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
func testProc(t testing.TB, n *Node) *Proc {
	t.Helper()
	p, err := n.Attach("test")
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	return p
}

// recv waits for the next message or fails the test.
func recv(t testing.TB, p *Proc) any {
	t.Helper()
	m, ok := p.ReceiveTimeout(waitTime)
	if !ok {
		t.Fatalf("%s: no message within %v", p.Self(), waitTime)
	}
	return m
}

// recvMatch waits for the first message matching pred or fails the test.
func recvMatch(t testing.TB, p *Proc, pred func(any) bool) any {
	t.Helper()
	m, ok := p.ReceiveMatch(pred, waitTime)
	if !ok {
		t.Fatalf("%s: no matching message within %v", p.Self(), waitTime)
	}
	return m
}

// expectDown waits for the Down of ref and returns its reason.
func expectDown(t testing.TB, p *Proc, ref term.Ref) any {
	t.Helper()
	m := recvMatch(t, p, func(m any) bool {
		d, ok := m.(term.Down)
		return ok && d.Ref == ref
	})
	return m.(term.Down).Reason
}

// expectExit waits for an Exit message from pid and returns its reason.
func expectExit(t testing.TB, p *Proc, from term.Pid) any {
	t.Helper()
	m := recvMatch(t, p, func(m any) bool {
		e, ok := m.(term.ExitSignal)
		return ok && e.From == from
	})
	return m.(term.ExitSignal).Reason
}

// noMessage asserts the mailbox is empty right now.
func noMessage(t testing.TB, p *Proc) {
	t.Helper()
	if m, ok := p.ReceiveTimeout(0); ok {
		t.Fatalf("unexpected message %s", term.Format(m))
	}
}

func sameTerm(t testing.TB, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %s (%T), want %s (%T)", term.Format(got), got, term.Format(want), want)
	}
}

// waitForever blocks a process until it is killed.
func waitForever(p *Proc) {
	for {
		p.Receive()
	}
}
