package supervisor

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// watchAll monitors the supervisor and its children from me.
func watchAll(t *testing.T, me *node.Proc, sup *Sup) (supRef term.Ref, kids map[term.Atom]term.Ref) {
	t.Helper()
	kids = map[term.Atom]term.Ref{}
	for _, c := range children(t, sup) {
		kids[c.ID] = me.Monitor(c.Pid)
	}
	return me.Monitor(sup.Pid()), kids
}

func abcSpec(events term.Pid) Spec {
	var spec Spec
	for _, id := range []term.Atom{"a", "b", "c"} {
		spec.Children = append(spec.Children, Child{ID: id, Fn: worker, Args: []any{id, events}})
	}
	return spec
}

// TestParentExit: when the parent exits, the supervisor terminates its
// children in reverse order and exits with the parent's reason.
func TestParentExit(t *testing.T) {
	for _, reason := range []any{term.A("boom"), term.Normal} {
		t.Run(term.Format(reason), func(t *testing.T) {
			n, _ := newTestNode(t)
			me := testProc(t, n)
			got := make(chan *Sup, 1)
			parent, _ := n.Spawn(func(p *node.Proc) {
				sup, err := StartLink(p, abcSpec(me.Self()))
				if err != nil {
					panic(err)
				}
				got <- sup
				p.Receive() // {exit, Reason}
				p.ExitSelf(reason)
			})
			sup := <-got
			awaitReady(t, me, 3)
			supRef, kids := watchAll(t, me, sup)
			if err := me.Send(parent, term.T(term.A("exit"))); err != nil {
				t.Fatal(err)
			}
			sameTerm(t, expectDown(t, me, supRef), reason)
			for id, ref := range kids {
				if r := expectDown(t, me, ref); r != term.Shutdown {
					t.Errorf("%s exited with %s", id, term.Format(r))
				}
			}
			if got := stopping(me); !slices.Equal(got, []term.Atom{"c", "b", "a"}) {
				t.Errorf("terminated %v, want [c b a]", got)
			}
		})
	}
}

// TestForeignExitSignals: the supervisor traps exits; an exit signal from
// a process that is neither its parent nor a child (or from outside any
// process) is ignored, as in OTP. Only kill ends it.
func TestForeignExitSignals(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	sup := mustStart(t, n, abcSpec(term.Pid{}))
	if err := sup.TerminateChild("b"); err != nil {
		t.Fatal(err)
	}
	before := children(t, sup)
	if err := n.Exit(sup.Pid(), term.A("boom")); err != nil {
		t.Fatal(err)
	}
	if err := me.Exit(sup.Pid(), term.Shutdown); err != nil {
		t.Fatal(err)
	}
	if after := children(t, sup); !slices.Equal(after, before) {
		t.Fatalf("children changed from %v to %v", before, after)
	}
	ref := me.Monitor(sup.Pid())
	if err := n.Exit(sup.Pid(), term.Kill); err != nil {
		t.Fatal(err)
	}
	sameTerm(t, expectDown(t, me, ref), term.Killed)
}

// TestSupervisorExitReachesParent: a supervisor that gives up takes its
// (non-trapping) parent along, with reason shutdown.
func TestSupervisorExitReachesParent(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	got := make(chan *Sup, 1)
	_, parentRef := me.SpawnMonitor(func(p *node.Proc) {
		sup, err := StartLink(p, abcSpec(term.Pid{}))
		if err != nil {
			panic(err)
		}
		got <- sup
		p.Receive()
	})
	sup := <-got
	crash(t, me, sup, "a", term.A("boom")) // the one restart allowed
	a := pidOf(t, sup, "a")
	supRef := me.Monitor(sup.Pid())
	_ = me.Send(a, term.T(term.A("exit"), term.A("boom")))
	sameTerm(t, expectDown(t, me, supRef), term.Shutdown)
	sameTerm(t, expectDown(t, me, parentRef), term.Shutdown)
}

// TestStop: children terminated in reverse order, the supervisor exits
// normal, and a linked parent carries on.
func TestStop(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	parent := testProc(t, n)
	spec := abcSpec(me.Self())
	spec.Name = "top"
	sup, err := StartLink(parent, spec)
	if err != nil {
		t.Fatal(err)
	}
	awaitReady(t, me, 3)
	supRef, kids := watchAll(t, me, sup)
	if err := At(n, "top").Stop(waitTime); err != nil {
		t.Fatal(err)
	}
	sameTerm(t, expectDown(t, me, supRef), term.Normal)
	for id, ref := range kids {
		if r := expectDown(t, me, ref); r != term.Shutdown {
			t.Errorf("%s exited with %s", id, term.Format(r))
		}
	}
	if got := stopping(me); !slices.Equal(got, []term.Atom{"c", "b", "a"}) {
		t.Errorf("terminated %v, want [c b a]", got)
	}
	if !parent.Alive() {
		t.Fatal("Stop took the linked parent down")
	}
	if _, ok := n.Whereis("top"); ok {
		t.Fatal("name still registered")
	}

	// A second Stop finds nobody.
	err = sup.Stop(waitTime)
	var ce *node.CallError
	if !errors.As(err, &ce) || ce.Reason != term.NoProc {
		t.Fatalf("second stop: %v", err)
	}
	if err := At(n, "top").Stop(waitTime); err == nil {
		t.Fatal("stop of an unregistered name succeeded")
	}
}

// TestStopTimeout: Stop gives up waiting, with ErrTimeout, on a supervisor
// held up by a child that takes its time; the supervisor still stops.
func TestStopTimeout(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	sup := mustStart(t, n, Spec{Children: []Child{
		{ID: "slow", Fn: slowToStop, Args: []any{me.Self()}, Shutdown: Infinity},
	}})
	awaitReady(t, me, 1)
	slow := pidOf(t, sup, "slow")
	supRef := me.Monitor(sup.Pid())
	done := make(chan error, 1)
	go func() { done <- sup.Stop(time.Nanosecond) }()
	recvMatch(t, me, isTag("asked"))
	if err := <-done; !errors.Is(err, node.ErrTimeout) {
		t.Fatalf("stop: %v, want ErrTimeout", err)
	}
	_ = me.Send(slow, term.T(term.A("go")))
	sameTerm(t, expectDown(t, me, supRef), term.Normal)
}

// TestNamedChildFollowsRestarts: the child's name is registered for every
// incarnation, before the next child starts.
func TestNamedChildFollowsRestarts(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	// b looks a up by name as soon as it runs: a's name must be there.
	lookup := func(p *node.Proc) {
		pid, ok := p.Node().Whereis("cache")
		_ = p.Send(me.Self(), term.T(term.A("found"), pid, ok))
		worker(p, "b", term.Pid{})
	}
	sup := mustStart(t, n, Spec{Strategy: OneForAll, Intensity: 5, Children: []Child{
		{ID: "a", Fn: worker, Args: []any{term.A("a"), term.Pid{}}, Name: "cache"},
		{ID: "b", Start: lookup, Name: "lookup"},
	}})
	for i := 0; i < 3; i++ {
		a := pidOf(t, sup, "a")
		sameTerm(t, recvMatch(t, me, isTag("found")), term.T(term.A("found"), a, true))
		if pid, _ := n.Whereis("cache"); pid != a {
			t.Fatalf("cache is %s, child a is %s", pid, a)
		}
		if pid, _ := n.Whereis("lookup"); pid != pidOf(t, sup, "b") {
			t.Fatalf("lookup is %s", pid)
		}
		if kids := children(t, sup); kids[0].Name != "cache" || kids[1].Name != "lookup" {
			t.Fatalf("names: %v", kids)
		}
		crash(t, me, sup, "a", term.A("boom"))
		if pidOf(t, sup, "a") == a {
			t.Fatal("a not restarted")
		}
	}
}

func TestInvalidSpecs(t *testing.T) {
	fn := func(p *node.Proc) {}
	two := func(a, b int) {}
	cases := map[string]Spec{
		"strategy":        {Strategy: 7},
		"intensity":       {Intensity: -5},
		"period":          {Period: -time.Second},
		"sup name":        {Name: "undefined"},
		"no id":           {Children: []Child{{Start: fn}}},
		"duplicate id":    {Children: []Child{{ID: "a", Start: fn}, {ID: "a", Start: fn}}},
		"no start":        {Children: []Child{{ID: "a"}}},
		"start and fn":    {Children: []Child{{ID: "a", Start: fn, Fn: fn}}},
		"args with start": {Children: []Child{{ID: "a", Start: fn, Args: []any{1}}}},
		"fn not a func":   {Children: []Child{{ID: "a", Fn: 42}}},
		"wrong args":      {Children: []Child{{ID: "a", Fn: two, Args: []any{1}}}},
		"unsendable arg":  {Children: []Child{{ID: "a", Fn: func(c chan int) {}, Args: []any{make(chan int)}}}},
		"restart":         {Children: []Child{{ID: "a", Start: fn, Restart: 9}}},
		"shutdown":        {Children: []Child{{ID: "a", Start: fn, Shutdown: -time.Second}}},
		"child name":      {Children: []Child{{ID: "a", Start: fn, Name: "undefined"}}},
		"name twice":      {Children: []Child{{ID: "a", Start: fn, Name: "x"}, {ID: "b", Start: fn, Name: "x"}}},
		"sup's name":      {Name: "x", Children: []Child{{ID: "a", Start: fn, Name: "x"}}},
	}
	n, _ := newTestNode(t)
	for name, spec := range cases {
		t.Run(name, func(t *testing.T) {
			sup, err := Start(n, spec)
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("start = %v, %v; want ErrInvalidSpec", sup, err)
			}
			if c := n.ProcessCount(); c != 0 {
				t.Fatalf("%d processes after a refused spec", c)
			}
		})
	}
}

func TestStartFailures(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	me.TrapExit(true)
	if err := me.Register("taken"); err != nil {
		t.Fatal(err)
	}

	// The supervisor's own name is taken.
	_, err := StartLink(me, Spec{Name: "taken"})
	if !errors.Is(err, node.ErrNameTaken) {
		t.Fatalf("start with a taken name: %v", err)
	}

	// A child's name is taken: the children started before it are
	// terminated, and the parent gets the error, no exit signal.
	spec := abcSpec(me.Self())
	spec.Name = "sup"
	spec.Children[2].Name = "taken"
	_, err = StartLink(me, spec)
	var se *StartError
	if !errors.As(err, &se) || se.ID != "c" || !errors.Is(err, node.ErrNameTaken) {
		t.Fatalf("start with a child's name taken: %v", err)
	}
	sameTerm(t, se.Reason, term.T(atomAlreadyStarted, me.Self()))
	// a and b are gone by the time the error is returned. (The order of
	// termination is the same code as everywhere, tested there: here a and
	// b may be terminated before they have even run.)
	for _, info := range n.Processes() {
		if info.Func == node.FuncName(worker) {
			t.Fatalf("child left running: %+v", info)
		}
	}
	if len(logs.Lines("context=start_error", "child=c")) != 1 {
		t.Fatalf("no start_error report:\n%s", logs)
	}
	if _, ok := n.Whereis("sup"); ok {
		t.Fatal("a supervisor that failed to start kept its name")
	}
	// Retrying at once works: the name is free.
	spec.Children[2].Name = "c"
	sup, err := StartLink(me, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Stop(waitTime); err != nil {
		t.Fatal(err)
	}
	for _, m := range me.Drain() {
		if e, ok := m.(term.ExitSignal); ok && !term.IsNormal(e.Reason) {
			t.Fatalf("parent got %s", term.Format(e))
		}
	}
	if !me.Alive() {
		t.Fatal("parent died")
	}
	if _, err := StartLink(nil, spec); err == nil {
		t.Fatal("StartLink without a parent succeeded")
	}
}

// TestMain checks that no test leaves a goroutine behind once its node has
// stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestStopLeavesNoGoroutine: stopping a supervisor, on a node that keeps
// running, ends every goroutine it and its children had: after restarts,
// dynamic children, a child that had to be killed and a failed start.
func TestStopLeavesNoGoroutine(t *testing.T) {
	n := node.New(node.Config{Name: "leak@host"})
	defer func() {
		if err := n.StopTimeout(waitTime); err != nil {
			t.Error(err)
		}
	}()
	me, err := n.Attach("test")
	if err != nil {
		t.Fatal(err)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	spec := abcSpec(term.Pid{})
	spec.Strategy = OneForAll
	spec.Intensity = 10
	spec.Children = append(spec.Children, Child{ID: "stubborn", Fn: stubborn, Args: []any{me.Self()}, Shutdown: time.Millisecond})
	sup := mustStart(t, n, spec)
	awaitReady(t, me, 1)
	crash(t, me, sup, "b", term.A("boom"))
	awaitReady(t, me, 1) // stubborn was restarted along
	if _, err := sup.StartChild(Child{ID: "d", Fn: worker, Args: []any{term.A("d"), term.Pid{}}, Name: "d"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.StartChild(Child{ID: "e", Fn: worker, Args: []any{term.A("e"), term.Pid{}}, Name: "d"}); err == nil {
		t.Fatal("second child named d started")
	}
	if err := sup.Stop(waitTime); err != nil {
		t.Fatal(err)
	}
	_ = n.Exit(me.Self(), term.Kill)
	if c := n.ProcessCount(); c != 0 {
		t.Fatalf("%d processes left", c)
	}
}

// TestStartRacingNodeStop: a node that stops while a supervisor starts
// kills it in the middle of its start (here the first child sets the stop
// off); Start must return all the same (almost always with an error),
// never hang.
func TestStartRacingNodeStop(t *testing.T) {
	for i := 0; i < 30; i++ {
		n := node.New(node.Config{Name: "race@host"})
		stopped := make(chan error, 1)
		spec := Spec{Children: []Child{{ID: "stopper", Start: func(p *node.Proc) {
			go func() { stopped <- n.StopTimeout(waitTime) }()
			p.Receive()
		}}}}
		for j := 0; j < 10; j++ {
			id := term.Atom(fmt.Sprintf("w%d", j))
			spec.Children = append(spec.Children, Child{ID: id, Fn: worker, Args: []any{id, term.Pid{}}, Name: id})
		}
		done := make(chan error, 1)
		go func() {
			_, err := Start(n, spec)
			done <- err
		}()
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(waitTime):
			t.Fatal("Start hangs after the node stopped")
		}
	}
}
