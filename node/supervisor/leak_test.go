package supervisor

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

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
