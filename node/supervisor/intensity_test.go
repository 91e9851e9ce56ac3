package supervisor

import (
	"slices"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// threeWorkers is a spec of three permanent workers a, b, c that report
// their termination to events, timed by clock.
func threeWorkers(events term.Pid, clock *fakeClock, intensity int, period time.Duration) Spec {
	spec := Spec{Strategy: OneForOne, Intensity: intensity, Period: period, now: clock.now}
	for _, id := range []term.Atom{"a", "b", "c"} {
		spec.Children = append(spec.Children, Child{ID: id, Fn: worker, Args: []any{id, events}})
	}
	return spec
}

// crashUntilStopped makes child a exit abnormally, expecting that to be
// one restart too many: the supervisor must terminate b and c (in that
// order: c first) and exit with reason shutdown.
func crashUntilStopped(t *testing.T, me *node.Proc, sup *Sup) {
	t.Helper()
	kids := children(t, sup)
	supRef := me.Monitor(sup.Pid())
	refs := map[term.Atom]term.Ref{}
	for _, c := range kids {
		refs[c.ID] = me.Monitor(c.Pid)
	}
	stopping(me) // forget earlier events
	if err := me.Send(kids[0].Pid, term.T(term.A("exit"), term.A("boom"))); err != nil {
		t.Fatal(err)
	}
	sameTerm(t, expectDown(t, me, supRef), term.Shutdown)
	sameTerm(t, expectDown(t, me, refs["a"]), term.A("boom"))
	sameTerm(t, expectDown(t, me, refs["b"]), term.Shutdown)
	sameTerm(t, expectDown(t, me, refs["c"]), term.Shutdown)
	if got := stopping(me); !slices.Equal(got, []term.Atom{"c", "b"}) {
		t.Fatalf("terminated %v, want [c b]", got)
	}
}

func TestIntensityExceededStopsSupervisor(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	clock := &fakeClock{}
	sup := mustStart(t, n, threeWorkers(me.Self(), clock, 3, 5*time.Second))
	awaitReady(t, me, 3)
	for i := 0; i < 3; i++ {
		crash(t, me, sup, "a", term.A("boom"))
		clock.advance(time.Second) // all within the period
	}
	crashUntilStopped(t, me, sup)
	if len(logs.Lines("context=shutdown", "reason=reached_max_restart_intensity", "child=a")) != 1 {
		t.Fatalf("no intensity report:\n%s", logs)
	}
	if _, err := sup.WhichChildren(); err == nil {
		t.Fatal("which_children on a stopped supervisor succeeded")
	}
}

func TestIntensitySpreadOverPeriods(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	clock := &fakeClock{}
	const period = 5 * time.Second
	sup := mustStart(t, n, threeWorkers(me.Self(), clock, 2, period))
	// Two restarts per period are allowed; crash twice in quick
	// succession, then let the period pass, twenty times over.
	for i := 0; i < 20; i++ {
		crash(t, me, sup, "a", term.A("boom"))
		crash(t, me, sup, "b", term.A("boom"))
		clock.advance(period + time.Nanosecond)
	}
	if got := len(logs.Lines("context=child_terminated")); got != 40 {
		t.Fatalf("%d crashes reported, want 40", got)
	}
	for _, c := range children(t, sup) {
		if c.Pid.IsZero() || !n.Alive(c.Pid) {
			t.Fatalf("child not running: %v", c)
		}
	}
}

// TestIntensityPeriodBounds: as in OTP, a restart exactly Period ago still
// counts.
func TestIntensityPeriodBounds(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	clock := &fakeClock{}
	const period = 5 * time.Second
	sup := mustStart(t, n, threeWorkers(me.Self(), clock, 1, period))
	awaitReady(t, me, 3)
	crash(t, me, sup, "a", term.A("boom"))
	clock.advance(period)
	crashUntilStopped(t, me, sup)
}

func TestIntensityDefaults(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		// Zero means OTP's 1 restart in 5 s.
		n, _ := newTestNode(t)
		me := testProc(t, n)
		clock := &fakeClock{}
		sup := mustStart(t, n, threeWorkers(me.Self(), clock, 0, 0))
		awaitReady(t, me, 3)
		crash(t, me, sup, "a", term.A("boom"))
		clock.advance(5*time.Second - time.Nanosecond)
		crashUntilStopped(t, me, sup)
	})
	t.Run("default period passes", func(t *testing.T) {
		n, _ := newTestNode(t)
		me := testProc(t, n)
		clock := &fakeClock{}
		sup := mustStart(t, n, threeWorkers(me.Self(), clock, 0, 0))
		crash(t, me, sup, "a", term.A("boom"))
		clock.advance(5*time.Second + time.Nanosecond)
		crash(t, me, sup, "a", term.A("boom"))
		if pidOf(t, sup, "a").IsZero() {
			t.Fatal("a not restarted")
		}
	})
	t.Run("no restarts", func(t *testing.T) {
		n, _ := newTestNode(t)
		me := testProc(t, n)
		sup := mustStart(t, n, threeWorkers(me.Self(), &fakeClock{}, NoRestarts, 0))
		awaitReady(t, me, 3)
		crashUntilStopped(t, me, sup)
	})
}

// TestExitsThatAreNoRestartsDoNotCount: exits that restart nothing do not
// count against the intensity, and neither does RestartChild.
func TestExitsThatAreNoRestartsDoNotCount(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	spec := threeWorkers(me.Self(), &fakeClock{}, 1, time.Hour)
	spec.Children[1].Restart = Transient
	spec.Children[2].Restart = Temporary
	sup := mustStart(t, n, spec)
	for i := 0; i < 5; i++ {
		crash(t, me, sup, "b", term.Normal)
		if _, err := sup.RestartChild("b"); err != nil {
			t.Fatal(err)
		}
	}
	crash(t, me, sup, "c", term.A("boom")) // temporary: gone, not restarted
	crash(t, me, sup, "a", term.A("boom")) // the one restart allowed
	if got := len(children(t, sup)); got != 2 {
		t.Fatalf("%d children, want 2", got)
	}
}
