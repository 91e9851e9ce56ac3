package supervisor

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// treeSpec is a two-level tree: top (one_for_one) starts worker w, then the
// supervisor inner (one_for_all, registered as inner_sup) with workers a
// and b. Every worker reports to events.
func treeSpec(events term.Pid, inner Spec) Spec {
	inner.Name = "inner_sup"
	inner.Strategy = OneForAll
	inner.Children = []Child{
		{ID: "a", Fn: worker, Args: []any{term.A("a"), events}},
		{ID: "b", Fn: worker, Args: []any{term.A("b"), events}},
	}
	return Spec{Name: "top", Children: []Child{
		{ID: "w", Fn: worker, Args: []any{term.A("w"), events}},
		{ID: "inner", Supervisor: &inner},
	}}
}

func TestTree(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	top := mustStart(t, n, treeSpec(me.Self(), Spec{}))
	awaitReady(t, me, 3)

	kids := children(t, top)
	if len(kids) != 2 || kids[0].Supervisor || !kids[1].Supervisor || kids[1].Name != "inner_sup" {
		t.Fatalf("top's children: %v", kids)
	}
	if got := kids[1].String(); !strings.HasPrefix(got, "{inner,<") || !strings.HasSuffix(got, ">,permanent,supervisor,inner_sup}") {
		t.Fatalf("ChildInfo.String() = %s", got)
	}
	counts, err := top.CountChildren()
	if err != nil || counts != (Counts{Specs: 2, Active: 2, Supervisors: 1, Workers: 1}) {
		t.Fatalf("count_children: %+v, %v", counts, err)
	}
	innerPid := kids[1].Pid
	if pid, _ := n.Whereis("inner_sup"); pid != innerPid {
		t.Fatalf("inner_sup is %s, the child %s", pid, innerPid)
	}

	// A crash inside the inner supervisor is its business: one_for_all
	// restarts a and b; inner and w stay.
	inner := top.Sub("inner_sup")
	oldB := pidOf(t, inner, "b")
	crash(t, me, inner, "a", term.A("boom"))
	awaitReady(t, me, 2)
	if got := stopping(me); !reflect.DeepEqual(got, []term.Atom{"b"}) {
		t.Fatalf("one_for_all terminated %v, want [b]", got)
	}
	if pidOf(t, inner, "b") == oldB {
		t.Fatal("one_for_all inside the tree did not restart b")
	}
	if pidOf(t, top, "inner") != innerPid {
		t.Fatal("the inner supervisor was restarted for its child's crash")
	}

	// Children can be added to a nested supervisor through Sub, not At.
	pid, err := inner.StartChild(Child{ID: "c", Fn: worker, Args: []any{term.A("c"), term.Pid{}}})
	if err != nil || pid.IsZero() {
		t.Fatalf("StartChild through Sub: %s, %v", pid, err)
	}
	if _, err := At(n, "inner_sup").StartChild(Child{ID: "d", Fn: worker, Args: []any{term.A("d"), term.Pid{}}}); !errors.Is(err, ErrNoSpecHandle) {
		t.Fatalf("StartChild through At: %v", err)
	}

	// Stopping the top terminates the tree depth first, in reverse start
	// order: inner's children (c, b, a), then inner, then w.
	if err := top.Stop(waitTime); err != nil {
		t.Fatal(err)
	}
	if got, want := stopping(me), []term.Atom{"b", "a", "w"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("terminated in order %v, want %v", got, want)
	}
	if n.Alive(innerPid) || n.Alive(pid) {
		t.Fatal("the inner supervisor or its child outlived the tree")
	}
}

// TestTreeInnerIntensity: a nested supervisor that exceeds its restart
// intensity exits with shutdown; its parent restarts it, with the children
// of its spec only.
func TestTreeInnerIntensity(t *testing.T) {
	n, logs := newTestNode(t)
	me := testProc(t, n)
	top := mustStart(t, n, treeSpec(me.Self(), Spec{Intensity: NoRestarts}))
	awaitReady(t, me, 3)
	inner := top.Sub("inner_sup")
	if _, err := inner.StartChild(Child{ID: "extra", Fn: worker, Args: []any{term.A("extra"), term.Pid{}}}); err != nil {
		t.Fatal(err)
	}
	oldInner := pidOf(t, top, "inner")
	ref := me.Monitor(oldInner)
	a := pidOf(t, inner, "a")
	if err := me.Send(a, term.T(term.A("exit"), term.A("boom"))); err != nil {
		t.Fatal(err)
	}
	if reason := expectDown(t, me, ref); reason != term.Shutdown {
		t.Fatalf("inner exited with %s, want shutdown", term.Format(reason))
	}
	awaitReady(t, me, 2) // the new inner's a and b
	kids := children(t, top)
	if kids[1].Pid.IsZero() || kids[1].Pid == oldInner {
		t.Fatalf("inner not restarted: %v", kids)
	}
	var ids []term.Atom
	for _, c := range children(t, inner) {
		ids = append(ids, c.ID)
	}
	if !reflect.DeepEqual(ids, []term.Atom{"a", "b"}) {
		t.Fatalf("the restarted inner supervisor has children %v, want its spec's [a b]", ids)
	}
	if logs.Lines("context=shutdown", "reason=reached_max_restart_intensity", "supervisor=inner_sup") == nil {
		t.Fatalf("no report of inner's shutdown:\n%s", logs)
	}
}

// TestTreeStartFailure: a child of a nested supervisor that cannot start
// (its name is taken) fails the nested supervisor's start, and so the
// whole tree's; nothing of the tree is left running.
func TestTreeStartFailure(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	if err := me.Register("taken"); err != nil {
		t.Fatal(err)
	}
	w := func(p *node.Proc) { p.Receive() }
	inner := Spec{Name: "inner_sup", Children: []Child{{ID: "bad", Start: w, Name: "taken"}}}
	_, err := Start(n, Spec{Name: "top", Children: []Child{
		{ID: "w", Start: w},
		{ID: "inner", Supervisor: &inner},
	}})
	var se *StartError
	if !errors.As(err, &se) || se.ID != "inner" {
		t.Fatalf("start: %v", err)
	}
	want := term.T(term.Shutdown, term.T(atomFailedToStart, term.A("bad"), term.T(atomAlreadyStarted, me.Self())))
	sameTerm(t, se.Reason, want)
	for _, name := range []term.Atom{"top", "inner_sup"} {
		if _, ok := n.Whereis(name); ok {
			t.Errorf("%s still registered after the failed start", name)
		}
	}
	// Left running: the test's process, and perhaps top itself, which
	// exits right after it reports the failure. Its children are gone.
	for _, info := range n.Processes() {
		if info.Pid != me.Self() && info.Func != "supervisor" {
			t.Errorf("left running after the failed start: %+v", info)
		}
	}
}

func TestTreeInvalidSpecs(t *testing.T) {
	w := func(p *node.Proc) { p.Receive() }
	loop := Spec{}
	loop.Children = []Child{{ID: "self", Supervisor: &loop}}
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"supervisor and start", Spec{Children: []Child{{ID: "x", Start: w, Supervisor: &Spec{}}}}, "only one"},
		{"supervisor with a child name", Spec{Children: []Child{{ID: "x", Name: "n", Supervisor: &Spec{}}}}, "Spec.Name"},
		{"a spec that contains itself", loop, "nested more than"},
		{"a bad nested child", Spec{Children: []Child{{ID: "x", Supervisor: &Spec{Children: []Child{{ID: "y"}}}}}}, "child y: no start function"},
		{"a name used twice across levels", Spec{Children: []Child{
			{ID: "x", Start: w, Name: "same"},
			{ID: "y", Supervisor: &Spec{Name: "same"}},
		}}, "name same is used twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, _ := newTestNode(t)
			_, err := Start(n, tt.spec)
			if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v, want ErrInvalidSpec containing %q", err, tt.want)
			}
		})
	}
}
