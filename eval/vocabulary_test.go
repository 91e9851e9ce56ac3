package eval

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// evalCases evaluates each input in order and checks what it gives: the
// printed value, or for errors a prefix of "ERR " and the error's text.
func evalCases(t *testing.T, ts *testShell, cases []struct{ in, want string }) {
	t.Helper()
	for _, c := range cases {
		got := ts.eval(c.in)
		if strings.HasPrefix(c.want, "ERR") {
			if !strings.HasPrefix(got, c.want) {
				t.Errorf("%s => %q, want it to start with %q", c.in, got, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s => %q, want %q", c.in, got, c.want)
		}
	}
}

// TestTimeouts: every built-in that takes a timeout takes milliseconds, a
// time.Duration or A("infinity"), and refuses a negative one; the gerl
// API takes a time.Duration, Forever for infinity.
func TestTimeouts(t *testing.T) {
	ts := newTestShell(t)
	const negative = "it is negative; want milliseconds (0 or more), a time.Duration, or A(\"infinity\")"
	evalCases(t, ts, []struct{ in, want string }{
		{`me := self(); _ = me`, ""},
		{`srv := spawn(func() { for { r := receive().(Request); reply(r, r.Body) } }); _ = srv`, ""},
		// receive
		{`receive(0)`, "timeout"},
		{`receive(1.5)`, "timeout"},
		{`receive(time.Millisecond)`, "timeout"},
		{`receive(-5)`, "ERR ** exception error: receive: -5 is not a timeout: " + negative},
		{`receive(-time.Second)`, "ERR ** exception error: receive: -1s is not a timeout: " + negative},
		{`receive(-0.5)`, "ERR ** exception error: receive: -0.5 is not a timeout: " + negative},
		{`receive("soon", 0)`, "timeout"}, // a pattern: the string "soon"
		{`receive(1 << 62)`, `ERR ** exception error: receive: 4611686018427387904 is not a timeout: it is too long; for no timeout, say A("infinity")`},
		{`spawn(func() { me ! A("late") }); receive(A("infinity"))`, "late"},
		{`spawn(func() { me ! A("later") }); receive(gerl.Forever)`, "later"},
		{`receive(1, 2)`, "timeout"}, // the pattern 1, the timeout 2
		// sleep
		{`sleep(0)`, "ok"},
		{`sleep(time.Millisecond)`, "ok"},
		{`sleep(1)`, "ok"},
		{`sleep(-1)`, "ERR ** exception error: sleep: -1 is not a timeout: " + negative},
		{`sleep(A("forever"))`, "ERR ** exception error: sleep: forever is not a timeout"},
		{`time.Sleep(-time.Second)`, ""}, // Go's own: returns at once
		// call
		{`call(srv, 1, 5000)`, "1"},
		{`call(srv, 2, 5*time.Second)`, "2"},
		{`call(srv, 3, A("infinity"))`, "3"},
		{`call(srv, 4, -3)`, "ERR ** exception error: call: -3 is not a timeout: " + negative},
		// the gerl API
		{`gerl.ReceiveTimeout(-5)`, "ERR ** exception error: receive: the timeout -5ns is negative (gerl.Forever waits as long as it takes)"},
		{`gerl.ReceiveMatch(func(any) bool { return true }, -time.Second)`, "ERR ** exception error: receive: the timeout -1s is negative"},
		{`gerl.Sleep(-time.Second)`, "ERR ** exception error: sleep: the timeout -1s is negative"},
		{`gerl.Call(srv, 5, -time.Second)`, "ERR ** exception error: call: the timeout -1s is negative"},
		{`v, err := gerl.Call(srv, 6, gerl.Forever); v`, "6"},
	})
}

// TestSleepForever: sleep(A("infinity")) sleeps until interrupted, where
// it used to return at once.
func TestSleepForever(t *testing.T) {
	ts := newTestShell(t)
	for _, src := range []string{`sleep(A("infinity"))`, `gerl.Sleep(gerl.Forever)`} {
		if err := interruptAfter(t, ts, src); !isInterrupted(err) {
			t.Fatalf("%s: %v, want it interrupted", src, err)
		}
	}
	// In a process, until it is killed.
	ts.eval(`sleeper, ref := spawn_monitor(func() { sleep(A("infinity")); fmt.Println("woke up") })`)
	ts.eval(`exit(sleeper, A("kill"))`)
	if got := ts.eval(`d := receive(5000).(Down); d.Reason`); got != "killed" {
		t.Fatalf("the sleeper ended with %s", got)
	}
	if strings.Contains(ts.out.String(), "woke up") {
		t.Fatal("sleep(A(\"infinity\")) returned")
	}
}

// TestHistory: v(n) reaches the last HistoryLen inputs, as erl's v/1, and
// says why an older or missing one has no value.
func TestHistory(t *testing.T) {
	ts := newTestShell(t)
	for i := 1; i <= HistoryLen+5; i++ {
		if got := ts.eval(fmt.Sprint(i * 10)); got != fmt.Sprint(i*10) {
			t.Fatalf("input %d: %s", i, got)
		}
	}
	last := HistoryLen + 5 // the inputs so far; the next is last+1
	evalCases(t, ts, []struct{ in, want string }{
		{fmt.Sprintf("v(%d)", last), fmt.Sprint(last * 10)},
		{"v(-2)", fmt.Sprint(last * 10)}, // the input before the previous one (v(26))
		{fmt.Sprintf("v(%d)", last-HistoryLen+3), fmt.Sprint((last - HistoryLen + 3) * 10)},
		{"v(5)", fmt.Sprintf("ERR ** exception error: v(5): input 5 is gone: the shell keeps the values of the last %d inputs", HistoryLen)},
		{"v(0)", "ERR ** exception error: v(0): there is no input 0"},
		{"v(1000)", "ERR ** exception error: v(1000): there is no input 1000"},
		{"x := 1; _ = x", ""},
		{"v(-1)", fmt.Sprintf("ERR ** exception error: v(%d): input %d has no value", last+7, last+7)}, // x := 1
		{`T(1, "a")`, `{1,"a"}`},
		{"v(-1)", `{1,"a"}`},
	})
}

// TestSpawnForms: spawn, spawn_link and spawn_monitor take the same forms,
// at the prompt and in Go: a function, a function's name with arguments,
// and a node with a name and arguments.
func TestSpawnForms(t *testing.T) {
	ts := newTestShell(t)
	if err := ts.env.RegisterFunc("echo.Back", func(p *node.Proc, to term.Pid, tag string) { p.Send(to, term.T(term.A(tag), p.Self())) }); err != nil {
		t.Fatal(err)
	}
	evalCases(t, ts, []struct{ in, want string }{
		{`me := self(); _ = me`, ""},
		{`trap_exit(true)`, "false"},
		{`p := spawn("echo.Back", me, "plain"); m := receive(5000).(Tuple); m[0] == A("plain") && m[1] == p`, "true"},
		{`p = spawn_link("echo.Back", me, "linked"); m = receive(5000).(Tuple); m[1] == p`, "true"},
		{`e := receive(5000).(ExitSignal); e.From == p && e.Reason == A("normal")`, "true"},
		{`p, ref := spawn_monitor("echo.Back", me, "monitored"); receive(5000).(Tuple)[0]`, "monitored"},
		{`d := receive(5000).(Down); d.Ref == ref && d.Pid == p`, "true"},
		// node forms, here on this node by its name
		{`p = spawn(node(), "echo.Back", me, "n1"); receive(5000).(Tuple)[0]`, "n1"},
		{`p = spawn_link(node(), "echo.Back", me, "n2"); receive(5000).(Tuple)[0]`, "n2"},
		{`receive(5000).(ExitSignal).From == p`, "true"},
		{`p, ref = spawn_monitor(string(node()), "echo.Back", me, "n3"); receive(5000).(Tuple)[0]`, "n3"},
		{`receive(5000).(Down).Ref == ref`, "true"},
		{`p = gerl.SpawnLink(node(), "echo.Back", me, "go"); receive(5000).(Tuple)[0]`, "go"},
		{`receive(5000).(ExitSignal).From == p`, "true"},
		// errors
		{`spawn_link("nobody.Here")`, `ERR ** exception error: spawn_link: no function named "nobody.Here"`},
		{`spawn_monitor(A("far@away"))`, `ERR ** exception error: spawn_monitor: far@away is a node, not a function`},
		{`spawn_link("far@away", func() {})`, `ERR ** exception error: spawn_link: this node is not distributed`},
		{`spawn_link("far@away", fmt.Println)`, `ERR ** exception error: spawn_link: this node is not distributed`},
		{`spawn_monitor("far@away", "echo.Back", me, "x")`, "ERR ** exception error: spawn_monitor: this node is not distributed"},
	})
}

// TestOneVocabulary: the exit signal is exit at the prompt and gerl.Exit in
// Go; what a trapping process gets is an ExitSignal; the type call sends
// is a Request, in messages about types too.
func TestOneVocabulary(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`trap_exit(true)`, "false"},
		{`w := spawn_link(func() { receive() }); _ = w`, ""},
		{`gerl.Exit(w, A("stop"))`, ""},
		{`e := receive(5000).(ExitSignal); e.From == w && e.Reason == A("stop")`, "true"},
		{`k := spawn_link(func() { trap_exit(true); receive() }); _ = k`, ""},
		{`gerl.Exit(k, gerl.Kill)`, ""},
		{`receive(5000).(ExitSignal).Reason`, "killed"},
		{`reply(5, 1)`, "ERR 1:7: cannot convert untyped int to gerl.Request"},
		{`var x ExitSignal = 5`, "ERR 1:20: cannot convert untyped int to gerl.ExitSignal"},
		{`func(r Request, p *Proc) {}`, "#Fun<func(gerl.Request, *gerl.Proc)>"},
		{`var m any = T(1); m.(Request)`, "ERR ** exception error: interface conversion: interface {} is gerl.Tuple, not gerl.Request"},
	})
	for _, name := range []string{`"gerl.Exit"`, `gerl.Exit`, `"gerl.ExitSelf"`} {
		ts.out.Reset()
		ts.eval(`h(` + name + `)`)
		if !strings.Contains(ts.out.String(), "exit(reason) / exit(pid, reason)") {
			t.Errorf("h(%s) printed %q", name, ts.out.String())
		}
	}
}

// TestTimers: send_after fires once, interval repeats, cancel_timer stops
// either, and a timer stops when the process that started it exits.
func TestTimers(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`me := self(); _ = me`, ""},
		{`t1 := send_after(1, me, A("tick")); receive(T(A("x")), 0)`, "timeout"},
		{`receive(A("tick"), 5000)`, "tick"},
		{`cancel_timer(t1)`, "false"}, // fired already
		{`t2 := send_after(A("infinity"), me, 1)`, "ERR ** exception error: send_after: a timer needs a time, not infinity"},
		{`t3 := send_after(60000, me, A("never")); cancel_timer(t3)`, "true"},
		{`cancel_timer(t3)`, "false"},
		{`t4 := interval(1, me, A("beat")); receive(A("beat"), 5000)`, "beat"},
		{`receive(A("beat"), 5000)`, "beat"},
		{`cancel_timer(t4)`, "true"},
		{`interval(0, me, 1)`, "ERR ** exception error: interval: an interval needs a time above 0"},
		// A timer dies with its owner: the owner's interval stops sending.
		{`owner := spawn(func() { me ! interval(1, me, A("orphan")); receive() }); tr := receive(func(m any) bool { _, ok := m.(Ref); return ok }, 5000).(Ref); receive(A("orphan"), 5000)`, "orphan"},
		{`exit(owner, A("kill"))`, "true"},
	})
	// The timer process ends with its owner, and leaves the table: a
	// cancel then finds nothing to stop.
	testkit.Eventually(t, waitTime, "the orphan timer to stop", func() bool {
		ts.env.timers.mu.Lock()
		defer ts.env.timers.mu.Unlock()
		return len(ts.env.timers.pids) == 0
	})
	if got := ts.eval(`cancel_timer(tr)`); got != "false" {
		t.Errorf("cancel_timer of a timer whose owner exited: %s", got)
	}
}
