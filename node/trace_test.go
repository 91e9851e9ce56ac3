package node

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

// traceLog collects trace events as text.
type traceLog struct {
	mu     sync.Mutex
	events []string
}

func (l *traceLog) tracer(ev *TraceEvent) {
	var s string
	switch ev.Kind {
	case TraceSend:
		s = fmt.Sprintf("%s send %s to %s", ev.Pid, term.Format(ev.Msg), term.Format(ev.To))
	case TraceReceive:
		s = fmt.Sprintf("%s receive %s from %s", ev.Pid, term.Format(ev.Msg), ev.From)
	case TraceExit:
		s = fmt.Sprintf("%s exit %s", ev.Pid, term.Format(ev.Msg))
	}
	l.mu.Lock()
	l.events = append(l.events, s)
	l.mu.Unlock()
}

func (l *traceLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.events
	l.events = nil
	return out
}

func TestTraceSendReceiveExit(t *testing.T) {
	n, _ := newTestNode(t)
	var log traceLog
	n.SetTracer(log.tracer)
	me := testProc(t, n)
	echo, _ := n.Spawn(func(p *Proc) {
		m := p.Receive().(term.Tuple)
		_ = p.Send(m[0], m[1])
	})
	ref := me.Monitor(echo)
	if err := n.Trace(echo, true); err != nil {
		t.Fatal(err)
	}
	if err := me.Send(echo, term.T(me.Self(), "hi")); err != nil {
		t.Fatal(err)
	}
	if m := recvMatch(t, me, func(m any) bool { return m == "hi" }); m != "hi" {
		t.Fatalf("got %v", m)
	}
	expectDown(t, me, ref)
	want := []string{
		fmt.Sprintf("%s receive {%s,\"hi\"} from %s", echo, me.Self(), me.Self()),
		fmt.Sprintf("%s send \"hi\" to %s", echo, me.Self()),
		fmt.Sprintf("%s exit normal", echo),
	}
	got := log.take()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events:\n%q\nwant:\n%q", got, want)
	}
	// The flag went with the process.
	if all, pids := n.Tracing(); all || len(pids) != 0 || n.trace.on.Load() {
		t.Fatalf("after the exit: all %v, pids %v, on %v", all, pids, n.trace.on.Load())
	}
}

func TestTraceAllAndUntraceable(t *testing.T) {
	n, _ := newTestNode(t)
	var log traceLog
	n.SetTracer(log.tracer)
	me := testProc(t, n)
	me.Untraceable()
	n.TraceAll(true)
	other, _ := n.Spawn(func(p *Proc) {
		for {
			p.Receive() // until killed: the trace must end in "exit killed"
		}
	})
	_ = me.Send(other, "x")       // traced: other receives
	_ = me.Send("nobody_here", 1) // an error, and me is untraceable
	ref := me.Monitor(other)
	_ = n.Exit(other, term.Kill)
	expectDown(t, me, ref)
	n.UntraceAll()
	got := log.take()
	want := []string{
		fmt.Sprintf(`%s receive "x" from %s`, other, me.Self()),
		fmt.Sprintf("%s exit killed", other),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events:\n%q\nwant:\n%q", got, want)
	}
	// Off: nothing more.
	_ = me.Send(me.Self(), "y")
	recv(t, me)
	if got := log.take(); len(got) != 0 {
		t.Fatalf("events after UntraceAll: %q", got)
	}
}

func TestTraceErrors(t *testing.T) {
	n, _ := newTestNode(t)
	for _, tc := range []struct {
		pid  term.Pid
		want error
	}{
		{term.Pid{Node: n.Name(), ID: 999, Creation: n.Creation()}, ErrNoProc},
		{term.Pid{Node: "other@host", ID: 1, Creation: 1}, ErrTraceRemote},
	} {
		if err := n.Trace(tc.pid, true); !errors.Is(err, tc.want) {
			t.Errorf("Trace(%s) = %v, want %v", tc.pid, err, tc.want)
		}
	}
}

func TestDetailMailboxAndMonitors(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	parked := make(chan struct{})
	target, _ := n.Spawn(func(p *Proc) {
		p.Receive() // "go"
		close(parked)
		p.ReceiveMatch(func(m any) bool { return m == "end" }, Forever)
	})
	ref := me.Monitor(target)
	_ = me.Send(target, "go")
	<-parked
	for i := 0; i < 5; i++ {
		_ = me.Send(target, i)
	}
	var d ProcDetail
	// Wait until the process has looked at its mailbox and parked again,
	// holding the five messages in its own half.
	testkit.Eventually(t, waitTime, "the process parked with 5 messages", func() bool {
		d, _ = n.Detail(target, 3)
		return d.Status == "waiting" && len(d.MailboxHead) == 3 && !d.MailboxPartial && d.MailboxLen == 5
	})
	if fmt.Sprint(d.MailboxHead) != "[0 1 2]" || d.MailboxLen != 5 {
		t.Errorf("head %q, len %d", d.MailboxHead, d.MailboxLen)
	}
	if len(d.MonitoredBy) != 1 || d.MonitoredBy[0] != me.Self() {
		t.Errorf("monitored by %v", d.MonitoredBy)
	}
	if d.Memory <= 0 {
		t.Errorf("memory %d", d.Memory)
	}
	_ = me.Send(target, "end")
	expectDown(t, me, ref)
}
