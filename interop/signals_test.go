package interop

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// echoProc spawns a gerl process that sends every {From, Msg} back to
// From as Msg, registered as name when name is not empty.
func echoProc(t *testing.T, g *gerlNode, name term.Atom) term.Pid {
	t.Helper()
	ready := make(chan struct{})
	pid, err := g.Node().Spawn(func(p *node.Proc) {
		if name != "" {
			if err := p.Register(name); err != nil {
				t.Error(err)
			}
		}
		close(ready)
		for {
			m := p.Receive()
			if x, ok := m.(term.Tuple); ok && len(x) == 2 {
				if from, ok := x[0].(term.Pid); ok {
					_ = p.Send(from, x[1])
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	<-ready
	return pid
}

// dieOn spawns a gerl process that exits with the reason it is sent
// ({die, Reason}), registered as name when given; trap makes it trap exits
// and forward what it gets to report.
func dieOn(t *testing.T, g *gerlNode, name term.Atom, trap bool, report term.Pid) term.Pid {
	t.Helper()
	ready := make(chan struct{})
	pid, err := g.Node().Spawn(func(p *node.Proc) {
		if name != "" {
			if err := p.Register(name); err != nil {
				t.Error(err)
			}
		}
		p.TrapExit(trap)
		close(ready)
		for {
			m := p.Receive()
			if x, ok := m.(term.Tuple); ok && len(x) == 2 && x.Tag() == "die" {
				p.ExitSelf(x[1])
			}
			if !report.IsZero() {
				_ = p.Send(report, m)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	<-ready
	return pid
}

// TestMessages: sends both ways, to pids and to registered names, from
// processes and from outside any process.
func TestMessages(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", nil)
	echo := echoProc(t, g, "gecho")

	// Erlang -> gerl, by name and by pid, and back
	v := g.eval(t, a.name, `{gecho, g@localhost} ! {self(), {by_name, "charlist", <<"bin">>}}, 
		P ! {self(), by_pid}, [interop_agent:recv(5000), interop_agent:recv(5000)].`, "P", echo)
	want := []any{term.T(term.Atom("by_name"), []any{99, 104, 97, 114, 108, 105, 115, 116}, []byte("bin")), term.Atom("by_pid")}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("echo: %s, want %s", format(v), format(want))
	}

	// gerl -> Erlang: a registered Erlang process, from a process and from
	// outside any process (the system pid is the sender)
	g.eval(t, a.name, `register(eecho, spawn(fun interop_agent:echo/0)), ok.`)
	err := g.Node().WithProcess("t", func(p *node.Proc) error {
		if err := p.Send(term.Name{Name: "eecho", Node: a.name}, term.T(p.Self(), "go string")); err != nil {
			return err
		}
		if m := recv(t, p); !reflect.DeepEqual(m, []byte("go string")) {
			t.Errorf("echo from Erlang: %s", format(m))
		}
		// outside any process: a REG_SEND needs a pid, gerl gives its own
		if err := g.Node().Send(term.Name{Name: "eecho", Node: a.name}, term.T(p.Self(), int64(1)<<40)); err != nil {
			return err
		}
		if m := recv(t, p); m != any(1<<40) {
			t.Errorf("echo from Erlang: %s", format(m))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// and the connection is still the same one: nothing killed it
	if v := a.run("length(nodes())."); v != "1" {
		t.Fatalf("nodes: %s", v)
	}
}

// TestLinksAndMonitorsFromErlang: an Erlang process links to and
// monitors gerl processes (by pid and by name); they exit; unlink and
// demonitor; exit/2 both ways; noproc.
func TestLinksAndMonitorsFromErlang(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", nil)

	p := dieOn(t, g, "victim", false, term.Pid{})
	v := g.eval(t, a.name, `process_flag(trap_exit, true), link(P),
		R1 = monitor(process, P), R2 = monitor(process, {victim, g@localhost}),
		P ! {die, {custom, 1}},
		M1 = interop_agent:recv(5000), M2 = interop_agent:recv(5000), M3 = interop_agent:recv(5000),
		{M1, lists:sort([M2, M3]) =:= lists:sort([{'DOWN', R1, process, P, {custom, 1}}, {'DOWN', R2, process, {victim, g@localhost}, {custom, 1}}])}.`, "P", p)
	want := term.T(term.T(term.Atom("EXIT"), p, term.T(term.Atom("custom"), 1)), true)
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("link and monitors: %s", format(v))
	}

	// noproc, by pid (a dead one) and by name
	v = g.eval(t, a.name, `process_flag(trap_exit, true), link(P), R1 = monitor(process, P), R2 = monitor(process, {nobody, g@localhost}),
		lists:sort([interop_agent:recv(5000), interop_agent:recv(5000), interop_agent:recv(5000)]) =:=
		lists:sort([{'EXIT', P, noproc}, {'DOWN', R1, process, P, noproc}, {'DOWN', R2, process, {nobody, g@localhost}, noproc}]).`, "P", p)
	if v != true {
		t.Fatalf("noproc: %s", format(v))
	}

	// unlink and demonitor, then the exit: nothing arrives
	q := dieOn(t, g, "", false, term.Pid{})
	v = g.eval(t, a.name, `process_flag(trap_exit, true), link(Q), R = monitor(process, Q),
		unlink(Q), demonitor(R), Q ! {die, boom}, interop_agent:recv(500).`, "Q", q)
	if v != term.Atom("timeout") {
		t.Fatalf("after unlink and demonitor: %s", format(v))
	}
	// the link protocol: an unlink then a link again, quickly, then exit
	r := dieOn(t, g, "", false, term.Pid{})
	v = g.eval(t, a.name, `process_flag(trap_exit, true), link(Q), unlink(Q), link(Q), Q ! {die, twice}, interop_agent:recv(5000).`, "Q", r)
	if !reflect.DeepEqual(v, term.T(term.Atom("EXIT"), r, term.Atom("twice"))) {
		t.Fatalf("link after unlink: %s", format(v))
	}

	// exit/2 from Erlang: kill, and a trapped reason
	k := dieOn(t, g, "", false, term.Pid{})
	rep := g.Node()
	var got []any
	_ = rep.WithProcess("report", func(me *node.Proc) error {
		trapper := dieOn(t, g, "", true, me.Self())
		g.eval(t, a.name, `exit(K, kill), exit(T, please), ok.`, "K", k, "T", trapper)
		got = append(got, recv(t, me))
		return nil
	})
	if !reflect.DeepEqual(got[0], term.ExitSignal{From: got[0].(term.ExitSignal).From, Reason: term.Atom("please")}) || got[0].(term.ExitSignal).From.Node != a.name {
		t.Fatalf("trapped exit/2: %s", format(got[0]))
	}
	testkit.Eventually(t, waitTime, "the killed process to be gone", func() bool { return !g.Node().Alive(k) })
}

// TestLinksAndMonitorsFromGerl: a gerl process links to and monitors
// Erlang processes, by pid and by name.
func TestLinksAndMonitorsFromGerl(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", nil)
	spawnErl := func(name string) term.Pid {
		code := `spawn(fun() -> receive {die, R} -> exit(R) end end).`
		if name != "" {
			code = `P = spawn(fun() -> receive {die, R} -> exit(R) end end), register(` + name + `, P), P.`
		}
		return g.eval(t, a.name, code).(term.Pid)
	}
	err := g.Node().WithProcess("t", func(p *node.Proc) error {
		p.TrapExit(true)
		ep := spawnErl("evictim")
		if err := p.Link(ep); err != nil {
			return err
		}
		r1 := p.Monitor(ep)
		r2 := p.Monitor(term.Name{Name: "evictim", Node: a.name})
		_ = p.Send(ep, term.T(term.Atom("die"), term.T(term.Atom("custom"), 2)))
		reason := term.T(term.Atom("custom"), 2)
		if m := recv(t, p); !reflect.DeepEqual(m, term.ExitSignal{From: ep, Reason: reason}) {
			t.Errorf("exit: %s", format(m))
		}
		downs := []any{recv(t, p), recv(t, p)}
		want := map[term.Ref]term.Down{
			r1: {Ref: r1, Pid: ep, Reason: reason},
			r2: {Ref: r2, Pid: term.Pid{Node: a.name}, Name: "evictim", Reason: reason},
		}
		for _, d := range downs {
			dd, ok := d.(term.Down)
			if !ok || !reflect.DeepEqual(dd, want[dd.Ref]) {
				t.Errorf("down: %s", format(d))
			}
		}
		// noproc: a pid of a process that exited, a name nobody has
		_ = p.Link(ep)
		r3 := p.Monitor(term.Name{Name: "nobody", Node: a.name})
		if m := recv(t, p); !reflect.DeepEqual(m, term.ExitSignal{From: ep, Reason: term.NoProc}) {
			t.Errorf("link noproc: %s", format(m))
		}
		if m := recv(t, p); !reflect.DeepEqual(m, term.Down{Ref: r3, Pid: term.Pid{Node: a.name}, Name: "nobody", Reason: term.NoProc}) {
			t.Errorf("monitor noproc: %s", format(m))
		}
		// unlink and demonitor: nothing arrives
		e2 := spawnErl("")
		_ = p.Link(e2)
		r4 := p.Monitor(e2)
		p.Unlink(e2)
		p.Demonitor(r4, false)
		_ = p.Send(e2, term.T(term.Atom("die"), term.Atom("quiet")))
		if m, ok := p.ReceiveTimeout(500 * time.Millisecond); ok {
			t.Errorf("after unlink and demonitor: %s", format(m))
		}
		// exit/2 to an Erlang process that traps exits, and a kill
		e3 := g.eval(t, a.name, `spawn(fun() -> process_flag(trap_exit, true), Self ! ready, receive M -> Self ! {got, M} end end).`, "Self", p.Self()).(term.Pid)
		if m := recv(t, p); m != any(term.Atom("ready")) {
			t.Errorf("ready: %s", format(m))
		}
		_ = p.Exit(e3, term.Atom("please"))
		if m := recv(t, p); !reflect.DeepEqual(m, term.T(term.Atom("got"), term.T(term.Atom("EXIT"), p.Self(), term.Atom("please")))) {
			t.Errorf("exit/2: %s", format(m))
		}
		e4 := spawnErl("")
		r5 := p.Monitor(e4)
		_ = g.Node().Exit(e4, term.Kill) // from outside any process: the system pid
		if m := recv(t, p); !reflect.DeepEqual(m, term.Down{Ref: r5, Pid: e4, Reason: term.Killed}) {
			t.Errorf("kill: %s", format(m))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := a.out.String(); strings.Contains(s, "rror") {
		t.Errorf("%s logged:\n%s", a.name, s)
	}
}
