package interop

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// testFuncs are the Go functions the rpc tests call from Erlang.
func testFuncs() map[string]any {
	return map[string]any{
		"add":    func(a, b int) int { return a + b },
		"panics": func() string { panic("boom") },
		"fails":  func() (int, error) { return 0, errors.New("no luck") },
		"notify": func(p *node.Proc, to term.Pid, msg any) { _ = p.Send(to, msg) },
		"exits":  func(p *node.Proc, reason term.Atom) { p.ExitSelf(reason) },
		"words":  func(s []string, sep string) string { return strings.Join(s, sep) },
		"sum": func(m map[string]int) int {
			n := 0
			for _, v := range m {
				n += v
			}
			return n
		},
	}
}

// TestRPCFromErlang: rpc:call, erpc:call, rpc:cast and spawn/4,
// spawn_link/4, spawn_monitor/4 from an Erlang node run Go functions on
// the gerl node, module = Go package, function = Go name; arguments and
// results cross by docs/terms.md's mapping; failures in Erlang's shapes.
func TestRPCFromErlang(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	e.startGerl(t, "g", testFuncs())
	cases := []struct {
		code string
		want string // as Erlang prints it (~tp)
	}{
		{`rpc:call(g@localhost, strings, 'ToUpper', [<<"hi">>]).`, `<<"HI">>`},
		{`rpc:call(g@localhost, strings, 'Repeat', ["ab", 3]).`, `<<"ababab">>`},
		{`rpc:call(g@localhost, erlang, node, []).`, `g@localhost`},
		{`rpc:call(g@localhost, erlang, nodes, []).`, `[a@localhost]`},
		{`rpc:call(g@localhost, gerl, add, [1, 2]).`, `3`},
		{`rpc:call(g@localhost, gerl, add, [1 bsl 40, 2]).`, `1099511627778`},
		{`rpc:call(g@localhost, gerl, words, [[<<"a">>, "b", c], <<"-">>]).`, `<<"a-b-c">>`},
		{`rpc:call(g@localhost, gerl, sum, [#{<<"x">> => 1, "y" => 2}]).`, `3`},
		{`rpc:call(g@localhost, nosuch, fn, [1]).`, `{badrpc,{'EXIT',{undef,[{nosuch,fn,[1],[]}]}}}`},
		{`rpc:call(g@localhost, gerl, add, [1]).`, `{badrpc,{'EXIT',{undef,[{gerl,add,[1],[]}]}}}`},
		{`rpc:call(g@localhost, gerl, panics, []).`, `{badrpc,{'EXIT',{{panic,<<"boom">>},[{gerl,panics,0,[]}]}}}`},
		{`rpc:call(g@localhost, gerl, fails, []).`, `{badrpc,{'EXIT',{{error,<<"no luck">>},[{gerl,fails,0,[]}]}}}`},
		{`{element(1, element(2, rpc:call(g@localhost, gerl, add, [a, 2]))), element(1, element(1, element(2, element(2, rpc:call(g@localhost, gerl, add, [a, 2])))))}.`, `{'EXIT',badarg}`},
		{`try erpc:call(g@localhost, gerl, panics, []) catch C:{exception, R, _} -> {C, R} end.`, `{error,{panic,<<"boom">>}}`},
		{`rpc:cast(g@localhost, gerl, notify, [self(), casted]), interop_agent:recv(5000).`, `casted`},
		{`spawn(g@localhost, gerl, notify, [self(), spawned]), interop_agent:recv(5000).`, `spawned`},
		{`process_flag(trap_exit, true), P = spawn_link(g@localhost, gerl, exits, [bye]), {'EXIT', P, R} = interop_agent:recv(5000), {node(P), R}.`, `{g@localhost,bye}`},
		{`{P, R} = spawn_monitor(g@localhost, gerl, exits, [bye]), {'DOWN', R, process, P, Why} = interop_agent:recv(5000), Why.`, `bye`},
		{`{P, R} = spawn_monitor(g@localhost, nosuch, fn, [x]), {'DOWN', R, process, P, Why} = interop_agent:recv(5000), Why.`, `{undef,[{nosuch,fn,[x],[]}]}`},
		{`{P, R} = spawn_monitor(g@localhost, gerl, add, [1, 2]), {'DOWN', R, process, P, Why} = interop_agent:recv(5000), Why.`, `normal`},
	}
	for _, c := range cases {
		if got := a.run(c.code); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.code, got, c.want)
		}
	}
	if s := a.out.String(); strings.Contains(s, "rror report") || strings.Contains(s, "Missing") {
		t.Errorf("%s logged:\n%s", a.name, s)
	}
}

// TestRPCToErlang: gerl's rpc, spawn and multicall reach Erlang functions
// by "module:function".
func TestRPCToErlang(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", testFuncs())
	h := e.startGerl(t, "h", nil)
	ctx := context.Background()

	if v, err := g.Call(ctx, a.name, "erlang:node"); err != nil || v != any(a.name) {
		t.Fatalf("erlang:node: %v %v", v, err)
	}
	if v, err := g.Call(ctx, a.name, "lists:reverse", []int{1, 2, 300}); err != nil || !reflect.DeepEqual(v, []any{300, 2, 1}) {
		t.Fatalf("lists:reverse: %s %v", format(v), err)
	}
	if v, err := g.Call(ctx, a.name, "string:uppercase", "gerl"); err != nil || !reflect.DeepEqual(v, []byte("GERL")) {
		t.Fatalf("string:uppercase: %s %v", format(v), err)
	}
	if _, err := g.Call(ctx, a.name, "nosuch:fn", 1); !errors.Is(err, cluster.ErrNoFunction) || !strings.Contains(err.Error(), "undef") {
		t.Fatalf("undef: %v", err)
	}
	if _, err := g.Call(ctx, a.name, "erlang:error", term.Atom("boom")); !errors.Is(err, cluster.ErrRemoteFailed) || !strings.Contains(err.Error(), "{error,boom}") {
		t.Fatalf("error: %v", err)
	}
	if _, err := g.Call(ctx, a.name, "reverse"); err == nil || !strings.Contains(err.Error(), `"module:function"`) {
		t.Fatalf("a name without a module: %v", err)
	}
	// output of the rpc comes home (this node is the group leader)
	if _, err := g.Call(ctx, a.name, "io:format", "hello ~p~n", []any{term.Atom("world")}); err != nil {
		t.Fatal(err)
	}
	if got := g.out.String(); got != "hello world\n" {
		t.Fatalf("output %q", got)
	}

	// multicall over an Erlang node, a gerl node and this one
	if err := g.PingErr(ctx, h.Name()); err != nil {
		t.Fatal(err)
	}
	res, bad := g.MultiCall(ctx, []term.Atom{a.name, h.Name(), g.Name()}, "erlang:node")
	var names []any
	for _, r := range res {
		names = append(names, r.Value)
	}
	if len(bad) != 0 || !reflect.DeepEqual(names, []any{a.name, h.Name(), g.Name()}) {
		t.Fatalf("multicall: %v %v", res, bad)
	}

	// spawn, spawn_link, spawn_monitor on the Erlang node
	err := g.Node().WithProcess("t", func(p *node.Proc) error {
		p.TrapExit(true)
		pid, err := g.Spawn(ctx, a.name, "erlang:send", p.Self(), term.Atom("spawned"))
		if err != nil || pid.Node != a.name {
			t.Fatalf("spawn: %v %v", pid, err)
		}
		if m := recv(t, p); m != any(term.Atom("spawned")) {
			t.Errorf("spawned: %s", format(m))
		}
		pid, err = g.SpawnLink(ctx, p, a.name, "erlang:exit", term.Atom("bye"))
		if err != nil {
			t.Fatal(err)
		}
		if m := recv(t, p); !reflect.DeepEqual(m, term.ExitSignal{From: pid, Reason: term.Atom("bye")}) {
			t.Errorf("spawn_link: %s", format(m))
		}
		pid, ref, err := g.SpawnMonitor(ctx, p, a.name, "erlang:exit", term.Atom("bye"))
		if err != nil {
			t.Fatal(err)
		}
		if m := recv(t, p); !reflect.DeepEqual(m, term.Down{Ref: ref, Pid: pid, Reason: term.Atom("bye")}) {
			t.Errorf("spawn_monitor: %s", format(m))
		}
		// a function that does not exist still gets a process, which
		// exits with undef
		pid, ref, err = g.SpawnMonitor(ctx, p, a.name, "nosuch:fn")
		if err != nil {
			t.Fatal(err)
		}
		if m, ok := recv(t, p).(term.Down); !ok || m.Ref != ref || m.Pid != pid || !strings.Contains(format(m.Reason), "undef") {
			t.Errorf("spawn of nosuch:fn: %s", format(m))
		}
		// cast
		if err := g.Cast(a.name, "erlang:send", p.Self(), term.Atom("casted")); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, p); m != any(term.Atom("casted")) {
			t.Errorf("cast: %s", format(m))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGenServer: Erlang's gen_server:call reaches a gerl process as a
// term.Request, whose Reply Erlang's caller gets; a reply after the caller's
// timeout is dropped (it goes to the caller's alias); gerl's Call reaches
// an Erlang gen_server.
func TestGenServer(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", nil)
	calls := make(chan term.Request, 10)
	_, err := g.Node().Spawn(func(p *node.Proc) {
		_ = p.Register("gsrv")
		for {
			if c, ok := p.Receive().(term.Request); ok {
				if c.Body == any(term.Atom("slow")) {
					calls <- c // answered by the test, late
					continue
				}
				_ = p.Reply(c, term.T(term.Atom("ok"), c.Body))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.run(`gen_server:call({gsrv, g@localhost}, hello).`); got != `{ok,hello}` {
		t.Fatalf("gen_server:call: %s", got)
	}
	if got := a.run(`catch gen_server:call({gsrv, g@localhost}, slow, 100).`); !strings.Contains(got, "timeout") {
		t.Fatalf("timeout: %s", got)
	}
	c := <-calls
	if err := g.Node().Send(c.From, c.ReplyWith(late)); err != nil {
		t.Fatal(err)
	}
	// the late reply did not reach the caller: the agent's stdin process
	// made the call, and its mailbox is empty
	if got := a.run(`interop_agent:flush().`); got != `[]` {
		t.Fatalf("a late reply reached the caller: %s", got)
	}
	// gerl calls an Erlang gen_server
	g.eval(t, a.name, `interop_agent:gen_echo_start(), ok.`)
	err = g.Node().WithProcess("t", func(p *node.Proc) error {
		v, err := p.Call(term.Name{Name: "gen_echo", Node: a.name}, term.T(term.Atom("ask"), 1), waitTime)
		if err != nil || !reflect.DeepEqual(v, term.T(term.Atom("echo"), term.T(term.Atom("ask"), 1))) {
			t.Errorf("call to gen_echo: %s %v", format(v), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var late = term.Atom("late")
