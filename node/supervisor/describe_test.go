package supervisor

import (
	"testing"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

func TestDescribeCountsRestarts(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	inner := Spec{Strategy: OneForAll, Children: []Child{{ID: "x", Fn: worker, Args: []any{term.A("x"), term.Pid{}}}}}
	sup := mustStart(t, n, Spec{Strategy: RestForOne, Intensity: 10, Period: time.Minute, Children: []Child{
		{ID: "a", Fn: worker, Args: []any{term.A("a"), term.Pid{}}, Name: "a_name"},
		{ID: "b", Fn: worker, Args: []any{term.A("b"), term.Pid{}}},
		{ID: "sub", Supervisor: &inner},
	}})
	crash(t, me, sup, "b", term.A("boom")) // restarts b and sub (rest for one)
	crash(t, me, sup, "b", term.A("boom"))
	d, err := Describe(me, sup.Pid(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d.Strategy != RestForOne || d.Intensity != 10 || d.Period != time.Minute || len(d.Children) != 3 {
		t.Fatalf("description: %+v", d)
	}
	for i, want := range []struct {
		id       term.Atom
		restarts int
		name     term.Atom
		sup      bool
	}{{"a", 0, "a_name", false}, {"b", 2, "", false}, {"sub", 2, "", true}} {
		c := d.Children[i]
		if c.ID != want.id || c.Restarts != want.restarts || c.Name != want.name || c.Supervisor != want.sup || c.Pid.IsZero() {
			t.Errorf("child %d: %+v, want %+v", i, c, want)
		}
	}
	sub, err := Describe(me, d.Children[2].Pid, 5*time.Second)
	if err != nil || sub.Strategy != OneForAll || len(sub.Children) != 1 || sub.Children[0].Restarts != 0 {
		t.Fatalf("nested: %+v, %v", sub, err)
	}
	// Anything but a supervisor: an error, not a hang.
	if _, err := Describe(me, term.Pid{Node: n.Name(), ID: 99999, Creation: n.Creation()}, 5*time.Second); err == nil {
		t.Fatal("describe of no process succeeded")
	}
}
