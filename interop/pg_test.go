package interop

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/pg"
	"github.com/gerl-dev/gerl/node/term"
)

// TestPG: gerl's pg scope server speaks Erlang pg's protocol: an Erlang
// node's pg and a gerl node's share their groups both ways.
func TestPG(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", nil)
	s, err := pg.Start(g.Node(), pg.DefaultScope, pg.Options{Nodes: g.Nodes, SyncNodes: g.GerlNodes})
	if err != nil {
		t.Fatal(err)
	}
	member := echoProc(t, g, "")
	if err := s.Join(term.Atom("room"), member); err != nil {
		t.Fatal(err)
	}
	g.eval(t, a.name, `{ok, _} = pg:start(pg), ok.`)
	if err := g.PingErr(context.Background(), a.name); err != nil {
		t.Fatal(err)
	}
	ep := g.eval(t, a.name, `P = spawn(fun interop_agent:echo/0), ok = pg:join(room, P), P.`).(term.Pid)
	testkit.Eventually(t, waitTime, "gerl to see the Erlang member", func() bool {
		return reflect.DeepEqual(s.Members(term.Atom("room")), []term.Pid{ep, member}) ||
			reflect.DeepEqual(s.Members(term.Atom("room")), []term.Pid{member, ep})
	})
	testkit.Eventually(t, waitTime, "Erlang to see the gerl member", func() bool {
		v, _ := g.evalErr(a.name, `lists:sort(pg:get_members(room)) =:= lists:sort([P, Q]).`, "P", ep, "Q", member)
		return v == true
	})
	// a leave on each side, and gerl's Sync, which asks gerl nodes only
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	g.eval(t, a.name, `ok = pg:leave(room, P).`, "P", ep)
	if err := s.Leave(term.Atom("room"), member); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, waitTime, "gerl to see the leave", func() bool { return len(s.Members(term.Atom("room"))) == 0 })
	testkit.Eventually(t, waitTime, "Erlang to see the leave", func() bool {
		v, _ := g.evalErr(a.name, `pg:get_members(room).`)
		return reflect.DeepEqual(v, []any{})
	})
	if out := a.out.String(); strings.Contains(out, "rror") || strings.Contains(out, "CRASH") {
		t.Fatalf("%s logged:\n%s", a.name, out)
	}
}
