package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestSendReceiveOrder(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	echo, _ := n.Spawn(func(p *Proc) {
		for {
			m := p.Receive().(term.Tuple)
			p.Send(m[0], m[1])
		}
	})
	for i := 0; i < 100; i++ {
		if err := me.Send(echo, term.T(me.Self(), i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		sameTerm(t, recv(t, me), i)
	}
}

func TestSendToDeadPidIsSilent(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	pid, ref := me.SpawnMonitor(func(p *Proc) {})
	expectDown(t, me, ref)
	if err := me.Send(pid, "hello"); err != nil {
		t.Fatalf("send to dead pid: %v", err)
	}
	old := term.Pid{Node: n.Name(), ID: pid.ID, Creation: n.Creation() + 1}
	if err := me.Send(old, "hello"); err != nil {
		t.Fatalf("send to pid of another incarnation: %v", err)
	}
}

// TestSendToPidAllocatesNothing checks that Send and Call keep nothing of
// their target (see targetCopy): a pid in a variable, put in an interface
// to be passed, stays on the caller's stack. A send of a small int to a
// pid then allocates nothing, and a Call its request and its reply only.
func TestSendToPidAllocatesNothing(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	self := me.Self()
	srv, _ := n.Spawn(func(p *Proc) {
		for {
			if c, ok := p.Receive().(term.Request); ok {
				p.Reply(c, c.Body)
			}
		}
	})
	cases := []struct {
		name string
		want float64
		f    func()
	}{
		{"send to self, receive", 0, func() {
			me.Send(self, 1)
			me.Receive()
		}},
		{"call", 2, func() { me.Call(srv, 1, Forever) }},
	}
	for _, c := range cases {
		if got := testing.AllocsPerRun(200, c.f); got > c.want {
			t.Errorf("%s: %v allocations, want at most %v", c.name, got, c.want)
		}
	}
}

// TestSendToBadTargetSaysWhat checks the error of a send to something
// that is neither a pid nor a name: it shows the value as erl would, or
// the Go type of a value gerl does not print.
func TestSendToBadTargetSaysWhat(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	for _, tt := range []struct {
		target any
		want   string
	}{
		{42, "send: 42 is not a pid or a name"},
		{nil, "send: nil is not a pid or a name"},
		{term.T(1, 2, 3), "send: {1,2,3} is not a pid or a name"},
		{3.5, "send: a value of type float64 is not a pid or a name"},
		{map[string]int{}, "send: a value of type map[string]int is not a pid or a name"},
	} {
		err := me.Send(tt.target, "hello")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("send to %#v: %v, want %q...", tt.target, err, tt.want)
		}
	}
}

func TestSendUnsendableIsAnError(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	for _, msg := range []any{make(chan int), func() {}, term.T(1, &struct{}{})} {
		err := me.Send(me.Self(), msg)
		if !errors.Is(err, term.ErrUnsendable) {
			t.Errorf("send %T: err %v, want ErrUnsendable", msg, err)
		}
	}
	noMessage(t, me) // nothing half-sent
}

func TestReceiveTimeout(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	start := time.Now()
	if m, ok := me.ReceiveTimeout(20 * time.Millisecond); ok {
		t.Fatalf("got %v from an empty mailbox", m)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("ReceiveTimeout returned before its timeout")
	}
	if _, ok := me.ReceiveTimeout(0); ok {
		t.Fatal("poll of empty mailbox succeeded")
	}
	me.Send(me.Self(), 1)
	if m, ok := me.ReceiveTimeout(0); !ok || m != 1 {
		t.Fatalf("poll = %v, %v", m, ok)
	}
}

func TestSelectiveReceiveKeepsOthersInOrder(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	for _, m := range []any{1, "a", 2, "b", 3} {
		me.Send(me.Self(), m)
	}
	isString := func(m any) bool { _, ok := m.(string); return ok }
	sameTerm(t, recvMatch(t, me, isString), "a")
	sameTerm(t, recvMatch(t, me, isString), "b")
	for _, want := range []any{1, 2, 3} {
		sameTerm(t, recv(t, me), want)
	}
	if _, ok := me.ReceiveMatch(isString, 0); ok { // every message was sent before
		t.Fatal("matched a message that is not there")
	}
}

func TestSelectiveReceiveWaitsForLateMatch(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	self := me.Self()
	n.Spawn(func(p *Proc) {
		for i := 0; i < 50; i++ {
			p.Send(self, i)
		}
		p.Send(self, "done")
	})
	sameTerm(t, recvMatch(t, me, func(m any) bool { return m == "done" }), "done")
	for i := 0; i < 50; i++ {
		sameTerm(t, recv(t, me), i)
	}
}

func TestExitReasons(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	tests := []struct {
		name string
		fn   func(*Proc)
		want any
	}{
		{"return", func(p *Proc) {}, term.Normal},
		{"panic string", func(p *Proc) { panic("boom") }, term.T(term.PanicTag, "boom")},
		{"panic error", func(p *Proc) { panic(errors.New("bad")) }, term.T(term.PanicTag, "bad")},
		{"runtime error", func(p *Proc) {
			var s []int
			_ = s[p.MailboxLen()+3]
		}, term.T(term.PanicTag, "runtime error: index out of range [3] with length 0")},
		{"exit self custom", func(p *Proc) { p.ExitSelf(term.T(term.A("bad_input"), 7)) }, term.T(term.A("bad_input"), 7)},
		{"exit self normal", func(p *Proc) { p.ExitSelf(term.Normal) }, term.Normal},
		{"error return", func(p *Proc) {
			f, _ := Entry(func() error { return errors.New("no luck") })
			f(p)
		}, term.T(term.A("error"), "no luck")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ref := me.SpawnMonitor(tc.fn)
			sameTerm(t, expectDown(t, me, ref), tc.want)
		})
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "proc_test.go") {
		t.Errorf("crash report lacks the panic value or its stack:\n%s", logs.String())
	}
}

func TestPanicDoesNotAffectOthers(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	survivor, ref := me.SpawnMonitor(func(p *Proc) {
		for {
			m := p.Receive().(term.Pid)
			p.Send(m, "still here")
		}
	})
	for i := 0; i < 10; i++ {
		_, r := me.SpawnMonitor(func(p *Proc) { panic(fmt.Sprint("crash ", i)) })
		expectDown(t, me, r)
	}
	me.Send(survivor, me.Self())
	sameTerm(t, recv(t, me), "still here")
	me.Exit(survivor, term.Kill)
	sameTerm(t, expectDown(t, me, ref), term.Killed)
}

func TestExitSignals(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	tests := []struct {
		name    string
		trap    bool
		reason  any
		dies    bool
		want    any // exit reason if dies, else the Exit message's reason or nil
		message bool
	}{
		{"kill untrapped", false, term.Kill, true, term.Killed, false},
		{"kill trapped still kills", true, term.Kill, true, term.Killed, false},
		{"normal ignored", false, term.Normal, false, nil, false},
		{"normal trapped is a message", true, term.Normal, false, term.Normal, true},
		{"custom kills", false, term.A("bye"), true, term.A("bye"), false},
		{"custom trapped", true, term.A("bye"), false, term.A("bye"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ready := make(chan struct{})
			target, ref := me.SpawnMonitor(func(p *Proc) {
				p.TrapExit(tc.trap)
				close(ready)
				m := p.Receive() // an Exit message, or a request to report
				if e, ok := m.(term.ExitSignal); ok {
					m = p.Receive()
					p.Send(m, e)
					return
				}
				p.Send(m, "no exit message")
			})
			<-ready
			me.Exit(target, tc.reason)
			if tc.dies {
				sameTerm(t, expectDown(t, me, ref), tc.want)
				return
			}
			me.Send(target, me.Self())
			got := recv(t, me)
			if tc.message {
				e, ok := got.(term.ExitSignal)
				if !ok || e.From != me.Self() {
					t.Fatalf("got %s, want an Exit from %s", term.Format(got), me.Self())
				}
				sameTerm(t, e.Reason, tc.want)
			} else {
				sameTerm(t, got, "no exit message")
			}
			sameTerm(t, expectDown(t, me, ref), term.Normal)
		})
	}
}

func TestExitSelfNormalSignal(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	_, ref := me.SpawnMonitor(func(p *Proc) {
		p.Exit(p.Self(), term.Normal) // erlang:exit(self(), normal) ends a non-trapping process
		panic("not reached")
	})
	sameTerm(t, expectDown(t, me, ref), term.Normal)
}

func TestKillWakesBlockedReceiveAndSleep(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	cleanedUp := make(chan string, 2)
	blocked, r1 := me.SpawnMonitor(func(p *Proc) {
		defer func() { cleanedUp <- "receive" }()
		p.Receive()
	})
	sleeping, r2 := me.SpawnMonitor(func(p *Proc) {
		defer func() { cleanedUp <- "sleep" }()
		p.Sleep(time.Hour)
	})
	// Kill them only once both wait: the point is to wake a blocked
	// Receive and Sleep, not to stop processes that have not run yet.
	for _, pid := range []term.Pid{blocked, sleeping} {
		testkit.Eventually(t, waitTime, pid.String()+" to wait", func() bool {
			info, ok := n.Info(pid)
			return ok && info.Status == "waiting"
		})
	}
	me.Exit(blocked, term.Kill)
	me.Exit(sleeping, term.Kill)
	sameTerm(t, expectDown(t, me, r1), term.Killed)
	sameTerm(t, expectDown(t, me, r2), term.Killed)
	got := map[string]bool{<-cleanedUp: true, <-cleanedUp: true}
	if !got["receive"] || !got["sleep"] {
		t.Fatalf("deferred calls of killed processes: %v", got)
	}
}

func TestSpawnArgs(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	self := me.Self()
	report := func(p *Proc, to term.Pid, a int64, rest ...string) {
		p.Send(to, term.T(a, rest))
	}
	if _, _, err := n.SpawnFunc(nil, SpawnOptions{}, report, self, 5, "x", "y"); err != nil {
		t.Fatal(err)
	}
	sameTerm(t, recv(t, me), term.T(int64(5), []string{"x", "y"}))

	// Arguments are copies: mutating the slice after spawning changes nothing.
	data := []int{1, 2, 3}
	gate := make(chan struct{})
	n.SpawnFunc(nil, SpawnOptions{}, func(p *Proc, to term.Pid, d []int) {
		<-gate
		p.Send(to, d)
	}, self, data)
	data[0] = 99
	close(gate)
	sameTerm(t, recv(t, me), []int{1, 2, 3})

	bad := []struct {
		fn   any
		args []any
		msg  string
	}{
		{42, nil, "not a function"},
		{func(int) {}, nil, "wants 1 argument, got 0"},
		{func(int) {}, []any{"x"}, `cannot use "x" (string) as int`},
		{func(int8) {}, []any{1000}, "does not fit"},
		{func(int) {}, []any{make(chan int)}, "cannot send"},
		{func(int, ...int) {}, nil, "at least 1"},
	}
	for _, b := range bad {
		if _, _, err := n.SpawnFunc(nil, SpawnOptions{}, b.fn, b.args...); err == nil || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("SpawnFunc(%T, %v): err %v, want %q", b.fn, b.args, err, b.msg)
		}
	}
}

func TestLoopSpawnWithArgsGivesEachItsValue(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	for i := 0; i < 10; i++ {
		n.SpawnFunc(nil, SpawnOptions{}, func(p *Proc, to term.Pid, i int) { p.Send(to, i) }, me.Self(), i)
	}
	seen := map[any]bool{}
	for i := 0; i < 10; i++ {
		seen[recv(t, me)] = true
	}
	if len(seen) != 10 {
		t.Fatalf("ten processes reported %d distinct values: %v", len(seen), seen)
	}
}

func TestAttachedProcessExitPanicsWithExitError(t *testing.T) {
	n, _ := newTestNode(t)
	shell := testProc(t, n)
	killer := testProc(t, n)
	killer.Exit(shell.Self(), term.Kill)
	defer func() {
		r := recover()
		ee, ok := r.(*ExitError)
		if !ok || ee.Reason != term.Killed {
			t.Fatalf("recovered %v, want *ExitError with reason killed", r)
		}
	}()
	shell.Receive()
	t.Fatal("receive on a killed attached process returned")
}

// TestConcurrentReceiveIsRefused: a second goroutine receiving as a
// process is refused, whether the process has a mailbox yet (the refusal
// then comes from its mailbox's claim) or not (from the park).
func TestConcurrentReceiveIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mailbox bool // the process has received a message before
	}{
		{"no mailbox yet", false},
		{"with a mailbox", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := newTestNode(t)
			me := testProc(t, n)
			panicked := make(chan any, 1)
			second := make(chan struct{})
			pid, _ := n.Spawn(func(p *Proc) {
				if tc.mailbox {
					p.Receive()
				}
				go func() {
					<-second
					defer func() { panicked <- recover() }()
					p.Receive()
				}()
				p.Receive()
			})
			if tc.mailbox {
				me.Send(pid, "first") // a local send enqueues at once: the mailbox exists
				testkit.Eventually(t, waitTime, "the first message to be taken", func() bool {
					q := n.procs.lookup(pid.ID)
					return q != nil && q.MailboxLen() == 0
				})
			}
			// The second receiver starts once the process waits in its own.
			testkit.Eventually(t, waitTime, "the process to wait in receive", func() bool {
				info, ok := n.Info(pid)
				return ok && info.Status == "waiting"
			})
			close(second)
			select {
			case r := <-panicked:
				if r == nil || !strings.Contains(fmt.Sprint(r), "two goroutines receive") {
					t.Fatalf("second receiver: %v, want the refusal", r)
				}
			case <-time.After(waitTime):
				t.Fatal("the second receiver was not refused")
			}
			me.Exit(pid, term.Kill)
		})
	}
}

func TestSpawnAfterStopFails(t *testing.T) {
	n := New(Config{})
	if err := n.StopTimeout(waitTime); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Spawn(func(*Proc) {}); !errors.Is(err, ErrStopped) {
		t.Fatalf("spawn after stop: %v", err)
	}
	if _, err := n.Attach("x"); !errors.Is(err, ErrStopped) {
		t.Fatalf("attach after stop: %v", err)
	}
}

func TestEntryStartsSeveralProcesses(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	entry, err := Entry(func(p *Proc, to term.Pid) { p.Send(to, p.Self()) }, me.Self())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := n.Spawn(entry)
	b, _ := n.Spawn(entry)
	got := map[any]bool{recv(t, me): true, recv(t, me): true}
	if !got[a] || !got[b] {
		t.Fatalf("each process must get its own handle: got %v for %v and %v", got, a, b)
	}
}

// TestEntryCopiesArgumentsPerProcess: each process an entry starts gets
// its own copy of the arguments, as they were when Entry was called; what
// one process does to its copy, the next one does not see.
func TestEntryCopiesArgumentsPerProcess(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	data := []int{1, 2, 3}
	entry, err := Entry(func(p *Proc, d []int, to term.Pid) {
		d[0]++
		p.Send(to, d[0])
	}, data, me.Self())
	if err != nil {
		t.Fatal(err)
	}
	data[0] = 100 // after Entry: not seen by the processes
	for i := 0; i < 3; i++ {
		n.Spawn(entry)
		if got := recv(t, me); got != 2 {
			t.Fatalf("process %d saw d[0] = %v, want 2 (its own copy of [1 2 3])", i+1, got)
		}
	}
}

func TestNodeMonitorsAndHiddenNodes(t *testing.T) {
	n, _ := newTestNode(t)
	all := testProc(t, n)
	all.MonitorNodes(true)
	one := testProc(t, n)
	one.MonitorNode("h@x", true) // not connected: no remote, so nodedown at once
	sameTerm(t, recv(t, one), term.NodeDown{Node: "h@x", Reason: term.NoConnection})

	n.NodeUp("v@x", false)
	sameTerm(t, recv(t, all), term.NodeUp{Node: "v@x"})
	n.NodeUp("h@x", true)
	n.NodeDown("h@x", term.A("connection_closed"), true)()
	noMessage(t, all) // hidden nodes are not reported to monitor_nodes
	n.NodeDown("v@x", term.A("connection_closed"), false)()
	sameTerm(t, recv(t, all), term.NodeDown{Node: "v@x", Reason: term.A("connection_closed")})
}
