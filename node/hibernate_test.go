package node

import (
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

// hibernated waits until pid has no goroutine and waits for a message.
func hibernated(t *testing.T, n *Node, pid term.Pid) {
	t.Helper()
	testkit.Eventually(t, waitTime, pid.String()+" to hibernate", func() bool {
		info, ok := n.Info(pid)
		return ok && info.Status == "hibernated"
	})
}

func TestHibernateResumesOnMessage(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	self := me.Self()
	var deferred atomic.Bool
	pid, _ := n.Spawn(func(p *Proc) {
		defer deferred.Store(true) // the stack is discarded: defers run
		p.Register("sleeper")
		p.Hibernate(func(p *Proc) {
			m := p.Receive()
			p.Send(self, term.Tuple{term.Atom("woke"), m, p.Self()})
		})
		panic("Hibernate returned")
	})
	hibernated(t, n, pid)
	if !deferred.Load() {
		t.Error("the deferred call did not run when the process hibernated")
	}
	if got, _ := n.Whereis("sleeper"); got != pid {
		t.Errorf("whereis(sleeper) = %v while hibernated, want %v", got, pid)
	}
	if info, _ := n.Info(pid); !strings.Contains(info.Func, "TestHibernateResumesOnMessage") {
		t.Errorf("Func = %q, want the function it resumes in", info.Func)
	}
	if err := me.Send(term.Atom("sleeper"), 42); err != nil {
		t.Fatal(err)
	}
	want := term.Tuple{term.Atom("woke"), 42, pid}
	if got := recv(t, me); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", term.Format(got), term.Format(want))
	}
}

func TestHibernateWithMessageWaitingResumesAtOnce(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	self := me.Self()
	_, ref, _ := n.SpawnOpt(me, SpawnOptions{Monitor: true}, func(p *Proc) {
		p.Send(p.Self(), "early")
		p.Hibernate(func(p *Proc) { p.Send(self, p.Receive()) })
	})
	if got := recv(t, me); got != "early" {
		t.Errorf("got %v, want early", term.Format(got))
	}
	if r := expectDown(t, me, ref); r != term.Normal {
		t.Errorf("exit reason %v, want normal: it ends when its resumed function returns", term.Format(r))
	}
}

// TestHibernateLoop is a server that hibernates between messages, as a
// gen_server returning hibernate does: state carries over in the closure.
func TestHibernateLoop(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	var loop func(sum int) func(*Proc)
	loop = func(sum int) func(*Proc) {
		return func(p *Proc) {
			switch m := p.Receive().(type) {
			case int:
				p.Hibernate(loop(sum + m))
			case term.Pid:
				p.Send(m, sum)
			}
		}
	}
	pid, _ := n.Spawn(loop(0))
	const k = 200
	for i := 1; i <= k; i++ {
		me.Send(pid, i)
	}
	me.Send(pid, me.Self())
	if got := recv(t, me); got != k*(k+1)/2 {
		t.Errorf("sum %v, want %d", got, k*(k+1)/2)
	}
}

func TestHibernatedProcessDiesOfSignals(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	sleep := func(p *Proc) { p.Hibernate(func(p *Proc) { p.Receive() }) }

	// A kill ends it where it sleeps; its monitor sees the reason.
	pid, _ := n.Spawn(sleep)
	ref := me.Monitor(pid)
	hibernated(t, n, pid)
	n.Exit(pid, term.Kill)
	if r := expectDown(t, me, ref); r != term.Killed {
		t.Errorf("killed hibernating process: reason %v, want killed", term.Format(r))
	}

	// A linked process's crash takes it down too, with that reason.
	pid, _ = n.Spawn(sleep)
	ref = me.Monitor(pid)
	hibernated(t, n, pid)
	n.Spawn(func(p *Proc) {
		p.Link(pid)
		p.Exit(p.Self(), term.Atom("boom"))
	})
	if r := expectDown(t, me, ref); r != term.Atom("boom") {
		t.Errorf("linked exit: reason %v, want boom", term.Format(r))
	}

	// Trapping exits, the signal is a message: it wakes and reads it.
	self := me.Self()
	pid, _ = n.Spawn(func(p *Proc) {
		p.TrapExit(true)
		p.Hibernate(func(p *Proc) { p.Send(self, p.Receive()) })
	})
	hibernated(t, n, pid)
	n.Exit(pid, term.Atom("wake up"))
	m := recv(t, me)
	if e, ok := m.(term.ExitSignal); !ok || e.Reason != term.Atom("wake up") {
		t.Errorf("trapped exit: got %v, want an exit signal with reason 'wake up'", term.Format(m))
	}
}

func TestHibernateMisuse(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	_, ref, _ := n.SpawnOpt(me, SpawnOptions{Monitor: true}, func(p *Proc) { p.Hibernate(nil) })
	r := expectDown(t, me, ref)
	if s := term.Format(r); !strings.Contains(s, "Hibernate needs a function") {
		t.Errorf("Hibernate(nil): reason %s, want it to say what was wrong", s)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "cannot hibernate") {
				t.Errorf("an attached process hibernating: panic %v, want it refused", r)
			}
		}()
		me.Hibernate(func(*Proc) {})
	}()
	if !me.Alive() {
		t.Error("the refused Hibernate ended the attached process")
	}
}

// TestHibernatedHoldNoGoroutine checks the point of hibernating: many
// hibernated processes hold no goroutines, and a node with them stops.
func TestHibernatedHoldNoGoroutine(t *testing.T) {
	n, _ := newTestNode(t)
	const k = 1000
	var asleep atomic.Int64
	before := runtime.NumGoroutine()
	for range k {
		n.Spawn(func(p *Proc) {
			asleep.Add(1)
			p.Hibernate(func(p *Proc) { p.Receive() })
		})
	}
	testkit.Eventually(t, waitTime, "every process to hibernate", func() bool {
		return asleep.Load() == k && runtime.NumGoroutine() < before+k/10
	})
	if c := n.ProcessCount(); c != k {
		t.Errorf("%d processes, want %d", c, k)
	}
	// newTestNode's clean-up stops the node: each is woken to die.
}

// TestHibernateDeferredReceive: a deferred call that receives while
// Hibernate unwinds the stack parks and is woken as in any receive; the
// process hibernates after it.
func TestHibernateDeferredReceive(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	self := me.Self()
	pid, _ := n.Spawn(func(p *Proc) {
		defer func() { p.Send(self, term.Tuple{term.Atom("deferred"), p.Receive()}) }()
		p.Send(self, term.Atom("unwinding"))
		p.Hibernate(func(p *Proc) { p.Send(self, term.Tuple{term.Atom("resumed"), p.Receive()}) })
	})
	if got := recv(t, me); got != term.Atom("unwinding") {
		t.Fatalf("got %v", term.Format(got))
	}
	me.Send(pid, 1)
	if got := recv(t, me); !reflect.DeepEqual(got, term.Tuple{term.Atom("deferred"), 1}) {
		t.Fatalf("got %v, want {deferred,1}", term.Format(got))
	}
	hibernated(t, n, pid)
	me.Send(pid, 2)
	if got := recv(t, me); !reflect.DeepEqual(got, term.Tuple{term.Atom("resumed"), 2}) {
		t.Fatalf("got %v, want {resumed,2}", term.Format(got))
	}
}

// TestWakeSendFitsTheFirstStack: a process woken from hibernation receives
// and sends on its new goroutine's first stack (2 KB, as the gerl command
// runs with GODEBUG=adaptivestackstart=0) without growing it: a growth
// copies the whole stack, and made a wake-up three times as slow
// (BenchmarkPingPongHibernated, 2.3-2.7 µs a round trip before the send
// path's frames were cut, 0.7-0.9 after). The check runs in a child
// process with that setting, since the runtime reads it only at start.
// Go keeps an ended goroutine's stack for the next one, so processes that
// wake, send and park again take the stacks their hibernation left, and
// need almost no new stack memory, unless their stacks grew: then a new
// one each, twice the size of a bare goroutine's (measured alongside).
func TestWakeSendFitsTheFirstStack(t *testing.T) {
	if os.Getenv("GERL_STACK_CHILD") == "" {
		if testkit.Race {
			t.Skip("the race detector's instrumentation enlarges every frame")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestWakeSendFitsTheFirstStack$", "-test.v")
		cmd.Env = append(os.Environ(), "GERL_STACK_CHILD=1", "GODEBUG=adaptivestackstart=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the child process failed: %v\n%s", err, out)
		}
		t.Logf("%s", out)
		return
	}
	const k = 2000
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection could shrink a grown stack
	stacks := func() int64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.StackInuse)
	}

	// The baseline: k bare goroutines parked on a channel.
	release := make(chan struct{})
	var parked sync.WaitGroup
	s0 := stacks()
	for range k {
		parked.Add(1)
		go func() { parked.Done(); <-release }()
	}
	parked.Wait()
	bare := stacks() - s0
	close(release)

	n, _ := newTestNode(t)
	me := testProc(t, n)
	resume := func(p *Proc) {
		var own [128]byte // the resumed function's own locals
		stackSink(own[:])
		p.Send(me.Self(), p.Receive())
		p.Receive() // park, holding the stack it sent on
	}
	pids := make([]term.Pid, k)
	for i := range pids {
		pids[i], _ = n.Spawn(func(p *Proc) { p.Hibernate(resume) })
	}
	for _, pid := range pids {
		hibernated(t, n, pid)
	}
	s1 := stacks()
	for _, pid := range pids {
		me.Send(pid, 1)
	}
	for range k {
		if _, ok := me.ReceiveTimeout(waitTime); !ok {
			t.Fatal("a woken process did not answer")
		}
	}
	for _, pid := range pids {
		testkit.Eventually(t, waitTime, "the woken process to wait again", func() bool {
			info, ok := n.Info(pid)
			return ok && info.Status == "waiting"
		})
	}
	woken := stacks() - s1
	t.Logf("stack memory of %d processes woken to send: %d bytes; of as many bare goroutines: %d", k, woken, bare)
	if woken > bare/2 {
		t.Fatalf("processes woken from hibernation grew their stacks to send: %d bytes of stack, bare goroutines %d", woken, bare)
	}
}

// stackSink keeps a buffer on its caller's stack.
//
//go:noinline
func stackSink(b []byte) { b[0] = 1 }
