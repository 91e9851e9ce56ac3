package interop

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// TestMixedCluster: two Erlang nodes connected to each other, and two
// gerl nodes, each connected to one node only, end up a full mesh: every
// node lists the three others, each connection in its own protocol, and
// Erlang's global syncs on every Erlang node.
func TestMixedCluster(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	b := e.startErl(t, "b")
	if v := b.run("net_adm:ping(a@localhost)."); v != "pong" {
		t.Fatalf("b pings a: %s", v)
	}
	g := e.startGerl(t, "g", nil)
	h := e.startGerl(t, "h", nil)
	ctx := context.Background()
	if err := g.PingErr(ctx, a.name); err != nil {
		t.Fatal(err)
	}
	if err := h.PingErr(ctx, g.Name()); err != nil {
		t.Fatal(err)
	}
	all := []term.Atom{"a@localhost", "b@localhost", "g@localhost", "h@localhost"}
	others := func(self term.Atom) []term.Atom {
		var out []term.Atom
		for _, n := range all {
			if n != self {
				out = append(out, n)
			}
		}
		return out
	}
	for _, gn := range []*gerlNode{g, h} {
		testkit.Eventually(t, waitTime, string(gn.Name())+" connected to all", func() bool {
			return reflect.DeepEqual(gn.Nodes(), others(gn.Name()))
		})
	}
	for _, en := range []*erlNode{a, b} {
		want := others(en.name)
		testkit.Eventually(t, waitTime, string(en.name)+" connected to all", func() bool {
			v, _ := g.evalErr(en.name, `lists:sort(nodes()).`)
			l, _ := v.([]any)
			var got []term.Atom
			for _, x := range l {
				got = append(got, x.(term.Atom))
			}
			return reflect.DeepEqual(got, want)
		})
		if v := g.eval(t, en.name, `global:sync().`); v != term.OK {
			t.Fatalf("global:sync() on %s: %s", en.name, format(v))
		}
	}
	for _, c := range []struct {
		from *gerlNode
		to   term.Atom
		kind string
	}{{g, "a@localhost", "erlang"}, {g, "b@localhost", "erlang"}, {g, "h@localhost", "gerl"}, {h, "a@localhost", "erlang"}, {h, "g@localhost", "gerl"}} {
		if k, _ := c.from.Kind(c.to); k != c.kind {
			t.Errorf("%s -> %s speaks %q, want %q", c.from.Name(), c.to, k, c.kind)
		}
	}
	// a message from h to an Erlang process registered on b, which h
	// reached through g's mesh
	err := h.Node().WithProcess("t", func(p *node.Proc) error {
		g.eval(t, b.name, `register(eecho, spawn(fun interop_agent:echo/0)), ok.`)
		_ = p.Send(term.Name{Name: "eecho", Node: "b@localhost"}, term.T(p.Self(), term.Atom("via_mesh")))
		if m := recv(t, p); m != any(term.Atom("via_mesh")) {
			t.Errorf("echo: %s", format(m))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestErlangNodeKilled: a gerl process linked to, and monitoring, a
// process of an Erlang node that is killed (SIGKILL) gets noconnection;
// monitor_node gets nodedown.
func TestErlangNodeKilled(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", nil)
	err := g.Node().WithProcess("t", func(p *node.Proc) error {
		p.TrapExit(true)
		ep := g.eval(t, a.name, `spawn(fun() -> receive never -> ok end end).`).(term.Pid)
		_ = p.Link(ep)
		ref := p.Monitor(ep)
		p.MonitorNode(a.name, true)
		// the link and monitor are in place on a's side before the kill
		if v := g.eval(t, a.name, `{links, L} = process_info(P, links), {monitored_by, M} = process_info(P, monitored_by), {L, length(M)}.`, "P", ep); !reflect.DeepEqual(v, term.T([]any{p.Self()}, 1)) {
			t.Fatalf("on a: %s", format(v))
		}
		a.kill()
		got := []string{format(recv(t, p)), format(recv(t, p)), format(recv(t, p))}
		sort.Strings(got)
		want := []string{
			format(term.Down{Ref: ref, Pid: ep, Reason: term.NoConnection}),
			format(term.ExitSignal{From: ep, Reason: term.NoConnection}),
			"{nodedown,a@localhost}",
		}
		sort.Strings(want)
		for i := range want {
			if !strings.HasPrefix(got[i], strings.TrimSuffix(want[i], "}")) {
				t.Errorf("got %v, want %v", got, want)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
