package eval

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// interruptAfter evaluates src with a context it cancels (Ctrl-C) once the
// input has started running, and returns the error. The input signals
// that it started through the built-in __started, which the test adds.
func interruptAfter(t *testing.T, ts *testShell, src string) error {
	t.Helper()
	started := make(chan struct{}, 1)
	ts.env.AddBuiltin("__started", Builtin{Fn: func() {
		select {
		case started <- struct{}{}:
		default:
		}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := ts.s.EvalContext(ctx, "__started(); "+src)
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("%s ended before it was interrupted: %v", src, err)
	case <-time.After(waitTime):
		t.Fatalf("%s never started", src)
	}
	cancel()
	select {
	case err := <-done:
		return err
	case <-time.After(waitTime):
		t.Fatalf("%s: not interrupted within %v", src, waitTime)
	}
	return nil
}

func isInterrupted(err error) bool {
	var ee *EvalError
	return errors.As(err, &ee) && ee.Kind == Interrupted
}

// defineClosures defines, at ts's prompt, what must survive an
// interrupted input: a variable, a closure, and a process running a
// closure that calls it.
func defineClosures(t *testing.T, ts *testShell) {
	t.Helper()
	for _, src := range []string{
		`me := self()`,
		`double := func(x int) int { return 2 * x }`,
		`srv := spawn(func() { for { m := receive().(Tuple); m[0].(Pid) ! double(m[1].(int)) } })`,
	} {
		if got := ts.eval(src); strings.HasPrefix(got, "ERR") {
			t.Fatalf("%s: %s", src, got)
		}
	}
}

// checkClosures checks that what defineClosures defined still works.
func checkClosures(t *testing.T, ts *testShell, after string) {
	t.Helper()
	if got := ts.eval(`double(21)`); got != "42" {
		t.Fatalf("after interrupting %s: double(21) = %s", after, got)
	}
	if got := ts.eval(`srv ! T(me, 5); receive(5000)`); got != "10" {
		t.Fatalf("after interrupting %s: the server answered %s", after, got)
	}
}

func TestInterruptKeepsProcessesAndClosures(t *testing.T) {
	ts := newTestShell(t)
	defineClosures(t, ts)
	for _, src := range []string{
		`receive()`,             // blocked in a gerl call
		`time.Sleep(time.Hour)`, // blocked in time.Sleep, which the shell replaces
		`sleep(3600000)`,        // the sleep built-in
		`sleep(A("infinity"))`,  // for ever
		`<-make(chan int)`,      // blocked on a channel: cancellable
		`for {}`,                // busy: the interpreter is stopped, then resumed
		`x := 0; for { x++ }`,   // busy, with state
	} {
		if err := interruptAfter(t, ts, src); !isInterrupted(err) {
			t.Fatalf("%s: err %v, want interrupted", src, err)
		}
		checkClosures(t, ts, src)
	}
}

// blackHole is a distributed node whose peer "hole@localhost" accepts TCP
// connections and never says a word: connecting to it waits for the
// handshake timeout, a minute here, unless cancelled.
func blackHole(t *testing.T) *testShell {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		var held []net.Conn // read by no one: silent
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	env := NewEnv()
	d, err := cluster.Start(context.Background(), cluster.Config{
		Name: "sh@localhost", Cookie: "secret", ListenIP: "127.0.0.1",
		Registrar: cluster.NoRegistrar{}, Resolver: staticResolver{"hole@localhost": ln.Addr().String()},
		HandshakeTimeout: time.Minute, Functions: env,
		Node: node.Config{OnGoroutine: env.OnGoroutine},
	})
	if err != nil {
		t.Fatal(err)
	}
	env.Attach(d.Node())
	env.SetCluster(DistCluster(d))
	return newTestShellOn(t, env)
}

type staticResolver map[term.Atom]string

func (r staticResolver) Resolve(_ context.Context, n term.Atom) (string, error) {
	if a, ok := r[n]; ok {
		return a, nil
	}
	return "", cluster.ErrNoNode
}

// TestInterruptRemoteOperations: Ctrl-C ends a remote operation stuck
// connecting to a node that never answers, at once, and what the earlier
// inputs defined keeps working.
func TestInterruptRemoteOperations(t *testing.T) {
	ts := blackHole(t)
	defineClosures(t, ts)
	for _, src := range []string{
		`ping("hole@localhost")`,
		`rpc("hole@localhost", "m.F")`,
		`spawn("hole@localhost", "m.F")`,
		`spawn_link("hole@localhost", "m.F", 1)`,
		`spawn_monitor(A("hole@localhost"), "m.F")`,
		`gerl.Ping("hole@localhost")`,
		`monitor_node("hole@localhost", true)`,
		`call(Name{"srv", "hole@localhost"}, 1)`,
		`gerl.Call(T(A("srv"), A("hole@localhost")), 1, gerl.Forever)`,
	} {
		err := interruptAfter(t, ts, src)
		if !isInterrupted(err) {
			t.Fatalf("%s: err %v, want interrupted", src, err)
		}
		if strings.Contains(err.Error(), "stopped") {
			t.Fatalf("%s: the interpreter had to be stopped, the operation did not give up: %v", src, err)
		}
		checkClosures(t, ts, src)
	}
}

func TestInterruptBusyProcessIsReported(t *testing.T) {
	ts := newTestShell(t)
	ts.eval(`busy, ref := spawn_monitor(func() { for { } })`)
	if err := interruptAfter(t, ts, `for {}`); !isInterrupted(err) {
		t.Fatalf("err %v", err)
	}
	// The busy process ran interpreted code when the interpreter stopped:
	// it is reported as exited with reason interrupted, not normal.
	if got := ts.eval(`d := receive(5000).(Down); d.Pid == busy && d.Ref == ref`); got != "true" {
		t.Fatalf("down: %s", got)
	}
	if got := ts.eval(`d.Reason`); got != "interrupted" {
		t.Fatalf("reason %s", got)
	}
}

// TestInterruptUninterruptibleCall: an input blocked in a call outside
// gerl is left behind, and the shell goes on in a fresh interpreter.
func TestInterruptUninterruptibleCall(t *testing.T) {
	ts := newTestShell(t)
	ts.s.grace, ts.s.giveUp = 10*time.Millisecond, 50*time.Millisecond
	release := make(chan struct{})
	defer close(release) // let the input left behind finish, so no goroutine leaks
	ts.env.AddBuiltin("block", Builtin{Fn: func() { <-release }})
	ts.eval(`x := 5`)
	ts.eval(`import "strings"`)
	ts.eval(`waiter, ref := spawn_monitor(func() { receive() })`)
	err := interruptAfter(t, ts, `block()`)
	if !isInterrupted(err) || !strings.Contains(err.Error(), "cannot interrupt") || !strings.Contains(err.Error(), "fresh interpreter") {
		t.Fatalf("err %v", err)
	}
	if got := ts.eval(`d := receive(5000).(Down); d.Reason`); got != "interrupted" {
		t.Fatalf("the shell's process was not reported: %s", got)
	}
	for _, c := range []struct{ in, want string }{
		{`1 + 1`, "2"},
		{`x`, "ERR 1:1: undefined: x"},
		{`strings.ToUpper("imported again")`, `"IMPORTED AGAIN"`},
		{`block`, "#Fun<func()>"}, // built-ins added by other packages are back
		{`self() == me`, "ERR 1:11: undefined: me"},
	} {
		if got := ts.eval(c.in); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestInterruptStopsProcessesOfTheInput(t *testing.T) {
	ts := newTestShell(t)
	ts.eval(`me := self()`)
	ts.eval(`older := spawn(func() { me ! A("ready"); m := receive(); <-time.After(time.Millisecond); me ! T(A("older"), m) })`)
	// It must have started before the input that is interrupted: a
	// function that starts during it is stopped with it (yaegi gives it
	// that input's frames).
	if got := ts.eval(`receive(5000)`); got != "ready" {
		t.Fatalf("older did not start: %s", got)
	}
	err := interruptAfter(t, ts, `w, r := spawn_monitor(func() { m := receive(); <-time.After(time.Millisecond); me ! m }); for {}`)
	if !isInterrupted(err) || !strings.Contains(err.Error(), "were stopped with it") {
		t.Fatalf("err %v", err)
	}
	// The process the interrupted input started is gone, its monitor says
	// why.
	if got := ts.eval(`d, _ := gerl.ReceiveMatch(func(m any) bool { _, ok := m.(Down); return ok }, 5*time.Second); d.(Down).Reason`); got != "interrupted" {
		t.Fatalf("the input's process ended with %s, want interrupted", got)
	}
	// A process started by an earlier input keeps working.
	if got := ts.eval(`older ! 1; m, _ := gerl.ReceiveMatch(func(m any) bool { t, ok := m.(Tuple); return ok && t.Tag() == "older" }, 5*time.Second); m`); got != "{older,1}" {
		t.Fatalf("older process: %s", got)
	}
}

// TestInterruptBeforeTheInputRuns: a context cancelled before the input
// runs (Ctrl-C right after Enter) interrupts it; nothing runs.
func TestInterruptBeforeTheInputRuns(t *testing.T) {
	ts := newTestShell(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ts.s.EvalContext(ctx, `me := self(); me ! A("ran")`); !isInterrupted(err) {
		t.Fatalf("EvalContext = %v, want interrupted", err)
	}
	if got := ts.eval(`receive(0)`); got != "timeout" {
		t.Fatalf("the input ran: its message is %s", got)
	}
}
