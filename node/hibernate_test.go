package node

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
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
// path's frames were cut, 0.7-0.9 after). The measure is testdata/stackfit,
// a program built without the race detector (which enlarges every frame)
// and run with that setting (which the runtime reads only at start).
func TestWakeSendFitsTheFirstStack(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "stackfit")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/stackfit").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/stackfit: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "GODEBUG=adaptivestackstart=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stackfit: %v\n%s", err, out)
	}
	var woken, bare int64
	if _, err := fmt.Sscanf(string(out), "woken %d bare %d", &woken, &bare); err != nil {
		t.Fatalf("stackfit printed %q: %v", out, err)
	}
	t.Logf("stack memory of %d processes woken to send: %d bytes; of as many bare goroutines: %d", 2000, woken, bare)
	// Without a growth, the woken take the stacks they left (a few KB in
	// all); with one, a new stack each, twice a bare goroutine's.
	if woken > bare/2 {
		t.Fatalf("processes woken from hibernation grew their stacks to send: %d bytes of new stack, %d for as many bare goroutines", woken, bare)
	}
}
