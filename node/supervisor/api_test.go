package supervisor

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

func expectErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

func TestDynamicChildren(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	sup := mustStart(t, n, Spec{Intensity: 10})
	d := Child{ID: "d", Fn: worker, Args: []any{term.A("d"), term.Pid{}}}

	pid, err := sup.StartChild(d)
	if err != nil || !n.Alive(pid) {
		t.Fatalf("start_child = %s, %v", pid, err)
	}
	_, err = sup.StartChild(d)
	expectErr(t, "start_child of a running id", err, ErrAlreadyStarted)
	if err := sup.TerminateChild("d"); err != nil {
		t.Fatal(err)
	}
	if n.Alive(pid) || !pidOf(t, sup, "d").IsZero() {
		t.Fatal("terminate_child left d running")
	}
	_, err = sup.StartChild(d)
	expectErr(t, "start_child of a present id", err, ErrAlreadyPresent)
	pid2, err := sup.RestartChild("d")
	if err != nil || pid2 == pid || pidOf(t, sup, "d") != pid2 {
		t.Fatalf("restart_child = %s, %v", pid2, err)
	}
	_, err = sup.RestartChild("d")
	expectErr(t, "restart_child of a running child", err, ErrRunning)
	expectErr(t, "delete_child of a running child", sup.DeleteChild("d"), ErrRunning)

	// A dynamic child is supervised like any other.
	crash(t, me, sup, "d", term.A("boom"))
	if p := pidOf(t, sup, "d"); p.IsZero() || p == pid2 {
		t.Fatalf("d not restarted: %s", p)
	}

	// Temporary: forgotten once terminated.
	if _, err := sup.StartChild(Child{ID: "tmp", Fn: worker, Args: []any{term.A("tmp"), term.Pid{}}, Restart: Temporary}); err != nil {
		t.Fatal(err)
	}
	if c, _ := sup.CountChildren(); c != (Counts{Specs: 2, Active: 2, Workers: 2}) {
		t.Fatalf("count_children = %+v", c)
	}
	if err := sup.TerminateChild("tmp"); err != nil {
		t.Fatal(err)
	}
	if kids := children(t, sup); len(kids) != 1 {
		t.Fatalf("temporary child kept: %v", kids)
	}

	if err := sup.TerminateChild("d"); err != nil {
		t.Fatal(err)
	}
	if c, _ := sup.CountChildren(); c != (Counts{Specs: 1, Active: 0, Workers: 1}) {
		t.Fatalf("count_children = %+v", c)
	}
	if err := sup.DeleteChild("d"); err != nil {
		t.Fatal(err)
	}
	if kids := children(t, sup); len(kids) != 0 {
		t.Fatalf("children after delete: %v", kids)
	}

	expectErr(t, "terminate_child nope", sup.TerminateChild("nope"), ErrNotFound)
	expectErr(t, "delete_child nope", sup.DeleteChild("nope"), ErrNotFound)
	_, err = sup.RestartChild("nope")
	expectErr(t, "restart_child nope", err, ErrNotFound)
	_, err = sup.StartChild(Child{ID: "bad"})
	expectErr(t, "start_child without start", err, ErrInvalidSpec)
	_, err = At(n, sup.Pid()).StartChild(d)
	expectErr(t, "start_child through At", err, ErrNoSpecHandle)
	if _, err := At(n, 42).WhichChildren(); err == nil {
		t.Fatal("which_children of 42 succeeded")
	}

	// A child whose name is taken fails to start and is not added.
	if err := me.Register("taken"); err != nil {
		t.Fatal(err)
	}
	_, err = sup.StartChild(Child{ID: "named", Start: func(p *node.Proc) { p.Receive() }, Name: "taken"})
	var se *StartError
	if !errors.As(err, &se) || se.ID != "named" || !errors.Is(err, node.ErrNameTaken) {
		t.Fatalf("start_child with a taken name: %v", err)
	}
	if kids := children(t, sup); len(kids) != 0 {
		t.Fatalf("failed child added: %v", kids)
	}
}

// TestRestartingChild: a restart that fails (here: the child's name is
// taken) leaves the child restarting and is retried until it works. The
// clock moves a whole period at every reading, so retries never exhaust
// the intensity.
func TestRestartingChild(t *testing.T) {
	setup := func(t *testing.T) (*node.Node, *node.Proc, *Sup, *testkit.Buffer) {
		n, logs := newTestNode(t)
		me := testProc(t, n)
		clock := &fakeClock{}
		clock.step.Store(int64(time.Hour + time.Nanosecond))
		sup := mustStart(t, n, Spec{Strategy: OneForAll, Period: time.Hour, now: clock.now, Children: []Child{
			{ID: "a", Fn: worker, Args: []any{term.A("a"), term.Pid{}}, Name: "na"},
			{ID: "b", Fn: worker, Args: []any{term.A("b"), term.Pid{}}},
		}})
		if err := sup.TerminateChild("a"); err != nil {
			t.Fatal(err)
		}
		if err := me.Register("na"); err != nil {
			t.Fatal(err)
		}
		// b's crash restarts all: a cannot start while me holds its name.
		crash(t, me, sup, "b", term.A("boom"))
		return n, me, sup, logs
	}

	t.Run("retried until it starts", func(t *testing.T) {
		n, _, sup, logs := setup(t)
		// Every request is served while the name is still taken, so each
		// sees a restarting, whatever number of retries ran in between.
		kids := children(t, sup)
		if !kids[0].Restarting || !kids[0].Pid.IsZero() || kids[1].Restarting || !kids[1].Pid.IsZero() {
			t.Fatalf("children while a's restart fails: %v", kids)
		}
		if kids[0].String() != "{a,restarting,permanent,na}" {
			t.Fatalf("printed as %s", kids[0])
		}
		_, err := sup.RestartChild("a")
		expectErr(t, "restart_child while restarting", err, ErrRestarting)
		expectErr(t, "delete_child while restarting", sup.DeleteChild("a"), ErrRestarting)
		if logs.Lines("context=start_error", "child=a", "already_started") == nil {
			t.Fatalf("failed restart not reported:\n%s", logs)
		}
		if err := n.Unregister("na"); err != nil {
			t.Fatal(err)
		}
		// The retry comes when the supervisor gets to its try-again
		// message; nothing announces it to the test.
		testkit.Eventually(t, waitTime, "a and b to run again", func() bool {
			kids := children(t, sup)
			return !kids[0].Pid.IsZero() && !kids[1].Pid.IsZero()
		})
		if pid, _ := n.Whereis("na"); pid != pidOf(t, sup, "a") {
			t.Fatal("na does not name a")
		}
	})

	t.Run("terminate_child calls it off", func(t *testing.T) {
		_, _, sup, _ := setup(t)
		if err := sup.TerminateChild("a"); err != nil {
			t.Fatal(err)
		}
		if kids := children(t, sup); kids[0].Restarting || !kids[0].Pid.IsZero() {
			t.Fatalf("a after terminate_child: %v", kids[0])
		}
	})
}

// TestWireFormat: the requests and replies are plain terms, as a process
// on another node (or an Erlang one) would exchange them.
func TestWireFormat(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	sup := mustStart(t, n, Spec{Name: "wire", Children: []Child{
		{ID: "a", Fn: worker, Args: []any{term.A("a"), term.Pid{}}, Restart: Transient, Name: "alpha"},
	}})
	call := func(req any) any {
		t.Helper()
		v, err := me.Call("wire", req, waitTime)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a := pidOf(t, sup, "a")
	sameTerm(t, call(term.A("which_children")), []any{term.T(term.A("a"), a, term.A("transient"), term.A("alpha"), term.A("worker"))})
	sameTerm(t, call(term.A("count_children")), []any{
		term.T(term.A("specs"), 1), term.T(term.A("active"), 1),
		term.T(term.A("supervisors"), 0), term.T(term.A("workers"), 1),
	})
	sameTerm(t, call(term.T(term.A("restart_child"), "a")), term.T(atomError, atomRunning))
	sameTerm(t, call(term.T(term.A("terminate_child"), "a")), term.OK) // a string id
	sameTerm(t, call(term.T(term.A("terminate_child"), "zz")), term.T(atomError, atomNotFound))
	sameTerm(t, call(term.A("which_children")), []any{term.T(term.A("a"), term.Undefined, term.A("transient"), term.A("alpha"), term.A("worker"))})
	sameTerm(t, call(term.T(term.A("delete_child"), term.A("a"))), term.OK)
	sameTerm(t, call("hello"), term.T(atomError, term.T(atomBadRequest, "hello")))
	ref := n.MakeRef()
	sameTerm(t, call(term.T(term.A("start_child"), ref)), term.T(atomError, term.T(atomBadRequest, term.T(term.A("start_child"), ref))))

	// A plain message is logged, not answered, and breaks nothing.
	if err := me.Send("wire", term.T(term.A("unexpected"), 1)); err != nil {
		t.Fatal(err)
	}
	children(t, sup)
	if logs.Lines("unexpected message", "{unexpected,1}") == nil {
		t.Fatalf("unexpected message not logged:\n%s", logs)
	}
	if got := At(n, "wire").Pid(); got != sup.Pid() || At(n, "nobody").Pid() != (term.Pid{}) {
		t.Fatalf("At(wire).Pid() = %s", got)
	}
}

// TestCallsToAGoneSupervisor: every method reports the supervisor's exit.
func TestCallsToAGoneSupervisor(t *testing.T) {
	n, _ := newTestNode(t)
	sup := mustStart(t, n, Spec{})
	if err := sup.Stop(waitTime); err != nil {
		t.Fatal(err)
	}
	noproc := func(what string, err error) {
		t.Helper()
		var ce *node.CallError
		if !errors.As(err, &ce) || ce.Reason != term.NoProc {
			t.Fatalf("%s: %v, want a CallError with noproc", what, err)
		}
	}
	_, err := sup.WhichChildren()
	noproc("which_children", err)
	_, err = sup.CountChildren()
	noproc("count_children", err)
	noproc("terminate_child", sup.TerminateChild("a"))
	noproc("delete_child", sup.DeleteChild("a"))
	_, err = sup.RestartChild("a")
	noproc("restart_child", err)
	_, err = sup.StartChild(Child{ID: "a", Start: func(*node.Proc) {}})
	noproc("start_child", err)
}

// TestConcurrentRequests: a Sup is used from many goroutines at once.
func TestConcurrentRequests(t *testing.T) {
	n, _ := newTestNode(t)
	sup := mustStart(t, n, Spec{Intensity: 100})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		id := term.Atom([]string{"a", "b", "c", "d", "e", "f", "g", "h"}[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := sup.StartChild(Child{ID: id, Fn: worker, Args: []any{id, term.Pid{}}}); err != nil {
				errs <- err
				return
			}
			for j := 0; j < 20; j++ {
				if _, err := sup.WhichChildren(); err != nil {
					errs <- err
					return
				}
			}
			if err := sup.TerminateChild(id); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if c, err := sup.CountChildren(); err != nil || c.Specs != 8 || c.Active != 0 {
		t.Fatalf("count_children = %+v, %v", c, err)
	}
}
