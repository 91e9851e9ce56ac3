package supervisor

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// exitCase is one way for a child to end.
type exitCase struct {
	name   string
	reason any                                     // the exit reason the child ends with
	cause  func(me *node.Proc, pid term.Pid) error // makes it end so
	normal bool                                    // normal in OTP's sense: a transient child is not restarted
}

func exitCases() []exitCase {
	ask := func(msg any) func(*node.Proc, term.Pid) error {
		return func(me *node.Proc, pid term.Pid) error { return me.Send(pid, msg) }
	}
	exitWith := func(r any) func(*node.Proc, term.Pid) error { return ask(term.T(term.A("exit"), r)) }
	shutdownX := term.T(term.Shutdown, term.A("maintenance"))
	return []exitCase{
		{"normal", term.Normal, exitWith(term.Normal), true},
		{"shutdown", term.Shutdown, exitWith(term.Shutdown), true},
		{"shutdown_term", shutdownX, exitWith(shutdownX), true},
		{"error", term.A("boom"), exitWith(term.A("boom")), false},
		{"panic", term.T(term.PanicTag, "bad input"), ask(term.T(term.A("panic"), "bad input")), false},
		{"killed", term.Killed, func(me *node.Proc, pid term.Pid) error { return me.Exit(pid, term.Kill) }, false},
	}
}

// TestStrategies crashes the middle one of three children, for every
// strategy, restart type of that child and exit reason, and checks which
// children were terminated (and in what order), which were restarted (and
// in what order), which pids changed, and what was reported.
func TestStrategies(t *testing.T) {
	for _, strategy := range []Strategy{OneForOne, OneForAll, RestForOne} {
		for _, restart := range []Restart{Permanent, Transient, Temporary} {
			for _, ec := range exitCases() {
				t.Run(fmt.Sprintf("%s/%s/%s", strategy, restart, ec.name), func(t *testing.T) {
					testStrategy(t, strategy, restart, ec)
				})
			}
		}
	}
}

func testStrategy(t *testing.T, strategy Strategy, restart Restart, ec exitCase) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	spec := Spec{Strategy: strategy, Intensity: 10}
	for _, id := range []term.Atom{"a", "b", "c"} {
		r := Permanent
		if id == "b" {
			r = restart
		}
		spec.Children = append(spec.Children, Child{ID: id, Fn: worker, Args: []any{id, me.Self()}, Restart: r})
	}
	sup := mustStart(t, n, spec)
	awaitReady(t, me, 3)
	before := children(t, sup)

	b := before[1].Pid
	ref := me.Monitor(b)
	if err := ec.cause(me, b); err != nil {
		t.Fatal(err)
	}
	sameTerm(t, expectDown(t, me, ref), ec.reason)
	after := children(t, sup) // barrier: see crash()

	restarted := restart == Permanent || (restart == Transient && !ec.normal)
	var wantStopped []term.Atom // in termination order
	wantNew := map[term.Atom]bool{}
	switch {
	case !restarted:
	case strategy == OneForOne:
		wantNew["b"] = true
	case strategy == OneForAll:
		wantStopped = []term.Atom{"c", "a"}
		wantNew = map[term.Atom]bool{"a": true, "b": true, "c": true}
	case strategy == RestForOne:
		wantStopped = []term.Atom{"c"}
		wantNew = map[term.Atom]bool{"b": true, "c": true}
	}
	if got := stopping(me); !slices.Equal(got, wantStopped) {
		t.Errorf("terminated %v, want %v", got, wantStopped)
	}

	wantIDs := []term.Atom{"a", "b", "c"}
	if !restarted && restart == Temporary {
		wantIDs = []term.Atom{"a", "c"}
	}
	var ids []term.Atom
	for _, c := range after {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("children after the exit: %v, want %v", after, wantIDs)
	}
	var lastNew uint64
	for _, c := range after {
		var old term.Pid
		for _, o := range before {
			if o.ID == c.ID {
				old = o.Pid
			}
		}
		switch {
		case c.ID == "b" && !restarted:
			if !c.Pid.IsZero() || c.Restarting {
				t.Errorf("b after a %s exit: %v, want not running", ec.name, c)
			}
		case wantNew[c.ID]:
			if c.Pid.IsZero() || c.Pid == old || !n.Alive(c.Pid) {
				t.Errorf("%s was not restarted: %v (was %s)", c.ID, c, old)
			}
			// Pids grow with each spawn: restarts happened in start order.
			if c.Pid.ID <= lastNew {
				t.Errorf("%s restarted out of start order: %v", c.ID, after)
			}
			lastNew = c.Pid.ID
		default:
			if c.Pid != old {
				t.Errorf("%s changed from %s to %v though it should be untouched", c.ID, old, c)
			}
		}
	}

	reported := len(logs.Lines("context=child_terminated", "child=b")) > 0
	wantReport := restart == Permanent || !ec.normal
	if reported != wantReport {
		t.Errorf("child_terminated reported: %v, want %v; log:\n%s", reported, wantReport, logs)
	}
	if restarted && len(logs.Lines("supervisor progress", "started=b")) != 2 {
		t.Errorf("restart of b not logged as a start:\n%s", logs)
	}
	if strings.Contains(logs.String(), "shutdown_error") {
		t.Errorf("unexpected shutdown_error:\n%s", logs)
	}
	if err := sup.Stop(waitTime); err != nil {
		t.Fatal(err)
	}
}

// TestRestartKeepsSpecArgs: every incarnation of a child started from Fn
// and Args gets the original arguments, even if the caller changed its
// slice afterwards.
func TestRestartKeepsSpecArgs(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	report := func(p *node.Proc, to term.Pid, list []any) {
		_ = p.Send(to, term.T(term.A("args"), list))
		list[0] = "mutated by the child"
		worker(p, "x", term.Pid{})
	}
	args := []any{me.Self(), []any{"original"}}
	sup := mustStart(t, n, Spec{Children: []Child{{ID: "x", Fn: report, Args: args}}})
	args[1].([]any)[0] = "mutated by the caller"
	isArgs := func(m any) bool { t, ok := m.(term.Tuple); return ok && t.Tag() == "args" }
	sameTerm(t, recvMatch(t, me, isArgs), term.T(term.A("args"), []any{"original"}))
	crash(t, me, sup, "x", term.A("boom"))
	sameTerm(t, recvMatch(t, me, isArgs), term.T(term.A("args"), []any{"original"}))
	if children(t, sup)[0].ID != "x" {
		t.Fatal("child x missing")
	}
}

// TestTemporaryChildrenInGroupRestart: temporary children terminated along
// with a group are not restarted but removed, wherever they sit.
func TestTemporaryChildrenInGroupRestart(t *testing.T) {
	for _, tc := range []struct {
		strategy    Strategy
		crash       term.Atom
		wantStopped []term.Atom
		wantIDs     []term.Atom
	}{
		{OneForAll, "e", []term.Atom{"d", "c", "b", "a"}, []term.Atom{"a", "c", "e"}},
		{OneForAll, "a", []term.Atom{"e", "d", "c", "b"}, []term.Atom{"a", "c", "e"}},
		{RestForOne, "c", []term.Atom{"e", "d"}, []term.Atom{"a", "b", "c", "e"}},
	} {
		t.Run(tc.strategy.String()+"/"+string(tc.crash), func(t *testing.T) {
			n, _ := newTestNode(t)
			me := testProc(t, n)
			spec := Spec{Strategy: tc.strategy, Intensity: 5}
			for _, id := range []term.Atom{"a", "b", "c", "d", "e"} {
				r := Permanent
				if id == "b" || id == "d" {
					r = Temporary
				}
				spec.Children = append(spec.Children, Child{ID: id, Fn: worker, Args: []any{id, me.Self()}, Restart: r})
			}
			sup := mustStart(t, n, spec)
			awaitReady(t, me, 5)
			crash(t, me, sup, tc.crash, term.A("boom"))
			if got := stopping(me); !slices.Equal(got, tc.wantStopped) {
				t.Errorf("terminated %v, want %v", got, tc.wantStopped)
			}
			var ids []term.Atom
			for _, c := range children(t, sup) {
				ids = append(ids, c.ID)
				if c.Pid.IsZero() {
					t.Errorf("%s not running", c.ID)
				}
			}
			if !slices.Equal(ids, tc.wantIDs) {
				t.Errorf("children %v, want %v", ids, tc.wantIDs)
			}
		})
	}
}

// TestGroupRestartStartsStoppedChildren: as in OTP, a group restart starts
// every child of the group that stays in the spec, also one that was not
// running (a transient child that ended normally, a terminated child).
// Checked against Erlang/OTP 25's supervisor.
func TestGroupRestartStartsStoppedChildren(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	spec := Spec{Strategy: OneForAll, Intensity: 5}
	for _, id := range []term.Atom{"a", "b", "c"} {
		spec.Children = append(spec.Children, Child{ID: id, Fn: worker, Args: []any{id, term.Pid{}}, Restart: Transient})
	}
	sup := mustStart(t, n, spec)
	crash(t, me, sup, "b", term.Normal)
	if err := sup.TerminateChild("c"); err != nil {
		t.Fatal(err)
	}
	crash(t, me, sup, "a", term.A("boom"))
	for _, c := range children(t, sup) {
		if c.Pid.IsZero() {
			t.Errorf("%s not started by the group restart", c.ID)
		}
	}
}
