package interop

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

// TestPingAndNodes: ping both ways, nodes() on both sides, global:sync()
// on the Erlang side (gerl takes part in global, so it returns), and what
// Erlang sends a new peer answered without errors in erl's log.
func TestPingAndNodes(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", nil)

	// erl -> gerl
	if v := a.run("net_adm:ping(g@localhost)."); v != "pong" {
		t.Fatalf("net_adm:ping: %s", v)
	}
	if v := g.eval(t, a.name, "nodes()."); !reflect.DeepEqual(v, []any{term.Atom("g@localhost")}) {
		t.Fatalf("nodes() on erl: %s", format(v))
	}
	if got := g.Nodes(); !reflect.DeepEqual(got, []term.Atom{"a@localhost"}) {
		t.Fatalf("Nodes() on gerl: %v", got)
	}
	if k, _ := g.Kind("a@localhost"); k != "erlang" {
		t.Fatalf("kind %q", k)
	}
	if v := g.eval(t, a.name, "global:sync()."); v != term.OK {
		t.Fatalf("global:sync(): %s", format(v))
	}
	// global's register_name asks every node it synced with, gerl too.
	if v := g.eval(t, a.name, "global:register_name(x, self())."); v != term.Atom("yes") {
		t.Fatalf("global:register_name: %s", format(v))
	}

	// gerl -> erl, a second Erlang node that does not know gerl yet
	b := e.startErl(t, "b")
	if err := g.PingErr(context.Background(), b.name); err != nil {
		t.Fatalf("ping b: %v", err)
	}
	// b learns of a from g (gerl asks b to connect to it) and through
	// global's sync with g; either way the connection is made after the
	// ping returns, as Erlang's connect_all makes it: wait for it.
	want := []any{term.Atom("a@localhost"), term.Atom("g@localhost")}
	testkit.Eventually(t, waitTime, "b connected to a and g", func() bool {
		return reflect.DeepEqual(g.eval(t, b.name, "global:sync(), lists:sort(nodes())."), want)
	})
	for _, n := range []*erlNode{a, b} {
		if s := n.out.String(); strings.Contains(s, "ERROR") || strings.Contains(s, "rror report") || strings.Contains(s, "unexpected") {
			t.Errorf("%s logged:\n%s", n.name, s)
		}
	}
}
