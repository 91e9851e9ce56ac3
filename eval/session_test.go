package eval

import (
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

type testShell struct {
	t   testing.TB
	n   *node.Node
	env *Env
	s   *Session
	out *testkit.Buffer
}

func newTestShell(t testing.TB) *testShell {
	t.Helper()
	env := NewEnv()
	env.Attach(node.New(node.Config{Name: "sh@host", OnGoroutine: env.OnGoroutine}))
	return newTestShellOn(t, env)
}

// newTestShellOn starts a session on env's node, and stops the node at
// the end of the test.
func newTestShellOn(t testing.TB, env *Env) *testShell {
	t.Helper()
	n := env.Node()
	out := &testkit.Buffer{}
	s, err := NewSession(SessionConfig{Env: env, Stdout: out, Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if err := n.StopTimeout(waitTime); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return &testShell{t: t, n: n, env: env, s: s, out: out}
}

// eval evaluates src and returns the printed form of its value, or the
// error text.
func (ts *testShell) eval(src string) string {
	ts.t.Helper()
	o, err := ts.s.Eval(src)
	if err != nil {
		return "ERR " + err.Error()
	}
	if !o.HasValue {
		return ""
	}
	parts := make([]string, len(o.Values))
	for i := range o.Values {
		parts[i] = o.Format(i) // as the shell shows it
	}
	return strings.Join(parts, ", ")
}

func TestSessionSmoke(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		{"1 + 2", "3"},
		{`"hi"`, `"hi"`},
		{"var a = 1; a++", ""},
		{"a", "2"},
		{"func f() (int, string) { return a, \"x\" }; f()", `2, "x"`},
		{"x := T(A(\"ping\"), 1)", "{ping,1}"},
		{"x", "{ping,1}"},
		{"self() ! x", "{ping,1}"},
		{"flush()", "ok"},
		{"node()", "sh@host"},
		{"undefinedThing + 1", "ERR 1:1: undefined: undefinedThing"},
		{`panic("boom")`, "ERR ** exception error: boom"},
		{"a", "2"},
	} {
		if got := ts.eval(c.in); got != c.want {
			t.Errorf("%s => %q, want %q", c.in, got, c.want)
		}
	}
	if !strings.Contains(ts.out.String(), "Shell got {ping,1}") {
		t.Errorf("flush output: %q", ts.out.String())
	}
}

func TestSessionProcesses(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		// spawn a closure; inside it self() is the new process
		{`me := self()`, "<sh@host.1.0>"},
		{`p := spawn(func() { me ! T(A("hello"), self()) })`, "<sh@host.3.0>"},
		{`m := receive(5000).(Tuple)`, "{hello,<sh@host.3.0>}"},
		{`m[1] == p`, "true"},
		{`m[1] == me`, "false"},
		// ten processes spawned in a loop report ten different values
		{`for i := 0; i < 10; i++ { spawn(func() { me ! i }) }`, ""},
		{`seen := map[int]bool{}; for k := 0; k < 10; k++ { seen[receive(5000).(int)] = true }; len(seen)`, "10"},
		// the same with arguments
		{`for i := 0; i < 10; i++ { spawn(func(p *Proc, n int) { p.Send(me, n) }, i) }`, ""},
		{`seen = map[int]bool{}; for k := 0; k < 10; k++ { seen[receive(5000).(int)] = true }; len(seen)`, "10"},
		// receive with a timeout gives the atom timeout
		{`receive(10)`, "timeout"},
		// a crashing process does not disturb the shell (the Down is
		// received in the same input: a panic unwinding prompt code while
		// the next input compiles is a race inside yaegi, see
		// testkit.SkipYaegiRace)
		{`pid, ref := spawn_monitor(func() { panic("bad") }); d := receive(5000).(Down); d.Ref == ref && d.Pid == pid`, "true"},
		{`d.Reason`, `{panic,"bad"}`},
		// registered names and ! to a name
		{`echo := spawn(func() { for { m := receive().(Tuple); m[0].(Pid) ! m[1] } }); _ = echo`, ""},
		{`register("echo", echo)`, "true"},
		{`"echo" ! T(self(), "via name")`, `{<sh@host.1.0>,"via name"}`},
		{`receive(5000)`, `"via name"`},
		{`whereis("echo") == echo`, "true"},
		{`whereis("nobody")`, "undefined"},
		// links: the shell traps, and sees the EXIT
		{`trap_exit(true)`, "false"},
		{`l := spawn_link(func() { exit(A("oops")) }); _ = l`, ""},
		{`e := receive(5000).(ExitSignal); e.From == l`, "true"},
		{`e.Reason`, "oops"},
		// request/reply
		{`srv := spawn(func() { for { r := receive().(Request); reply(r, r.Body.(int) * 2) } }); _ = srv`, ""},
		{`call(srv, 21, 5000)`, "42"},
		{`call(srv, 1)`, "2"},
		// gerl API qualified
		{`gerl.Self() == self()`, "true"},
		// v(n)
		{`v(-1) == v(-1)`, "true"},
	} {
		if got := ts.eval(c.in); got != c.want {
			t.Fatalf("%s => %q, want %q\noutput: %s", c.in, got, c.want, ts.out.String())
		}
	}
}

func TestSessionShellCommandsSurviveShadowing(t *testing.T) {
	ts := newTestShell(t)
	ts.eval(`for i := 0; i < 2; i++ {}`)
	if got := ts.eval(`i()`); got != "ok" {
		t.Fatalf("i() after a loop over i = %q", got)
	}
	if !strings.Contains(ts.out.String(), "Initial Call") {
		t.Fatalf("i() printed %q", ts.out.String())
	}
}

func TestSessionExitReplacesShellProcess(t *testing.T) {
	ts := newTestShell(t)
	old := ts.eval(`self()`)
	got := ts.eval(`exit(A("bye"))`)
	if got != "ERR ** exception exit: bye" {
		t.Fatalf("exit: %q", got)
	}
	o, err := ts.s.Eval(`self()`)
	if err != nil || FormatValue(o.Values[0]) == old {
		t.Fatalf("self after exit = %v, %v (old %s)", o.Values, err, old)
	}
	// Killed from outside while idle: reported at once, and the next
	// input runs in a new process, with the variables kept.
	ts.eval(`x := 5`)
	pid := ts.s.Proc().Self()
	ts.n.Exit(pid, term.Kill)
	deadline := time.Now().Add(waitTime)
	for !strings.Contains(ts.out.String(), "** exception exit: killed") {
		if time.Now().After(deadline) {
			t.Fatalf("the exit of the idle shell process was not reported: %q", ts.out.String())
		}
		time.Sleep(time.Millisecond)
	}
	o, err = ts.s.Eval(`x`)
	if err != nil || o.Values[0] != 5 || ts.s.Proc().Self() == pid {
		t.Fatalf("after kill: %v %v %v", o.Values, o.Notices, err)
	}
}

func TestSessionErrorsHavePositions(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		{"x := 1 +", "ERR 1:9: expected operand"},
		{"y := 1\nz := undefinedVar", "ERR 2:6: undefined: undefinedVar"},
		{`self() ! `, "ERR 1:8: missing message after !"},
		{`a := 1; b := "s"; a + b`, "ERR"},
	} {
		if got := ts.eval(c.in); !strings.HasPrefix(got, c.want) {
			t.Errorf("%q => %q, want prefix %q", c.in, got, c.want)
		}
	}
}

func TestSessionSupervisor(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		{`import "gerl/supervisor"`, ""},
		{`worker := func(p *Proc) { for { m := p.Receive(); if m == "crash" { panic("bad input") }; register("w", self()) } }`, "#Fun<func(*gerl.Proc)>"},
		{`sup, err := supervisor.Start(supervisor.Spec{Strategy: supervisor.OneForOne, Intensity: 3, Period: time.Minute, Children: []supervisor.Child{{ID: "worker", Start: worker}}}); _, _ = sup, err`, ""},
		{`err`, "nil"},
		{`func child() Pid { kids, _ := sup.WhichChildren(); return kids[0].Pid }`, ""},
		{`first := child(); ref := monitor(first); _ = ref`, ""},
		{`first ! "crash"; d := receive(5000).(Down); d.Reason`, `{panic,"bad input"}`},
		{`child() != first`, "true"},
		{`sup.Stop(5*time.Second)`, "nil"},
	} {
		if got := ts.eval(c.in); got != c.want {
			t.Fatalf("%s => %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSessionSmallFixes(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		{`fmt.Println("x")`, ""}, // no "2, nil"
		{`memory()["processes"] > 0`, "true"},
		{`node(self()) == node()`, "true"},
		{`pid := self(); _ = pid`, ""},
		{`pid("<a@b.1.2>")`, "<a@b.1.2>"}, // the built-in, though pid is a variable
		{`var x any = "s"; x.(int)`, "ERR ** exception error: interface conversion: interface {} is string, not int"},
		{`[]any{T(1), Pid{}}`, "[{1},<.0.0>]"},
	} {
		if got := ts.eval(c.in); got != c.want {
			t.Errorf("%s => %q, want %q", c.in, got, c.want)
		}
	}
}

// TestSessionHelpAndCompletion: h() documents built-ins, gerl API functions
// and the supervisor package, given as names or as the functions
// themselves, and Tab completes the members of gerl and supervisor.
func TestSessionHelpAndCompletion(t *testing.T) {
	ts := newTestShell(t)
	ts.eval(`import "gerl/supervisor"`)
	for _, c := range []struct{ in, printed string }{
		{`h(spawn)`, "spawn(fn, args...) Pid"},
		{`h(gerl.Spawn)`, "spawn(fn, args...) Pid"},
		{`h("gerl.Spawn")`, "spawn(fn, args...) Pid"},
		{`h(supervisor.Start)`, "supervisor.Start(spec) (*Sup, error)"},
		{`h("supervisor.Child")`, "supervisor nested under this one"},
		{`h(fmt.Println)`, "no documentation for that value"},
		{`help()`, "Supervisors:"},
	} {
		ts.out.Reset()
		ts.eval(c.in)
		if out := ts.out.String(); !strings.Contains(out, c.printed) {
			t.Errorf("%s printed %q, want it to contain %q", c.in, out, c.printed)
		}
	}
	for _, c := range []struct{ line, want string }{
		{"supervisor.St", "Start StartLink Strategy"},
		{"gerl.Spaw", "Spawn SpawnLink SpawnMonitor"},
	} {
		got, _ := ts.s.Complete(c.line, len(c.line))
		if strings.Join(got, " ") != c.want {
			t.Errorf("Complete(%q) = %v, want %s", c.line, got, c.want)
		}
	}
}
