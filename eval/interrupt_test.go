package eval

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// interruptAfter evaluates src and presses Ctrl-C once the input has
// started (polling until the shell is evaluating), returning the error.
func interruptAfter(t *testing.T, ts *testShell, src string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := ts.s.Eval(src)
		done <- err
	}()
	deadline := time.Now().Add(waitTime)
	for {
		ts.s.mu.Lock()
		running := ts.s.cancel != nil
		ts.s.mu.Unlock()
		if running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("input never started")
		}
		time.Sleep(time.Millisecond)
	}
	ts.s.Interrupt()
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

func TestInterruptKeepsProcessesAndClosures(t *testing.T) {
	ts := newTestShell(t)
	for _, src := range []string{
		`me := self()`,
		`double := func(x int) int { return 2 * x }`,
		`srv := spawn(func() { for { m := receive().(Tuple); m[0].(Pid) ! double(m[1].(int)) } })`,
	} {
		if got := ts.eval(src); strings.HasPrefix(got, "ERR") {
			t.Fatalf("%s: %s", src, got)
		}
	}
	for _, src := range []string{
		`receive()`,             // blocked in a gerl call
		`time.Sleep(time.Hour)`, // blocked in time.Sleep, which the shell replaces
		`sleep(3600000)`,        // the sleep built-in
		`<-make(chan int)`,      // blocked on a channel: cancellable
		`for {}`,                // busy: the interpreter is stopped, then resumed
		`x := 0; for { x++ }`,   // busy, with state
	} {
		if err := interruptAfter(t, ts, src); !isInterrupted(err) {
			t.Fatalf("%s: err %v, want interrupted", src, err)
		}
		// Everything defined before still works: the closure, the server.
		if got := ts.eval(`double(21)`); got != "42" {
			t.Fatalf("after interrupting %s: double(21) = %s", src, got)
		}
		if got := ts.eval(`srv ! T(me, 5); receive(5000)`); got != "10" {
			t.Fatalf("after interrupting %s: server answered %s", src, got)
		}
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

func TestInterruptUninterruptibleCall(t *testing.T) {
	ts := newTestShell(t)
	ts.s.grace = 10 * time.Millisecond
	ts.eval(`import "sync"`)
	ts.eval(`var wg sync.WaitGroup`)
	ts.eval(`wg.Add(1)`)
	ts.eval(`waiter, ref := spawn_monitor(func() { receive() })`)
	err := interruptAfter(t, ts, `wg.Wait()`)
	if !isInterrupted(err) || !strings.Contains(err.Error(), "cannot interrupt") {
		t.Fatalf("err %v", err)
	}
	if got := ts.eval(`d := receive(5000).(Down); d.Pid == waiter && d.Reason == A("interrupted")`); got != "true" {
		t.Fatalf("the shell's process was not reported: %s", got)
	}
	if got := ts.eval(`1 + 1`); got != "2" {
		t.Fatalf("shell after abandoning: %s", got)
	}
	ts.eval(`wg.Done()`) // let the abandoned input finish, so no goroutine leaks
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

// TestInterruptBeforeTheInputRuns: a Ctrl-C pressed right after Enter,
// while the input is still being prepared, interrupts it; it is not lost.
func TestInterruptBeforeTheInputRuns(t *testing.T) {
	ts := newTestShell(t)
	reached, release := make(chan struct{}), make(chan struct{})
	ts.s.mu.Lock()
	ts.s.pending = append(ts.s.pending, func() { close(reached); <-release }) // runs first in Eval
	ts.s.mu.Unlock()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := ts.s.Eval("receive(20000)")
		done <- err
	}()
	<-reached
	ts.s.Interrupt()
	close(release)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("Eval = %v, want interrupted", err)
		}
	case <-time.After(waitTime):
		t.Fatalf("the Ctrl-C was lost: receive still waiting after %v", time.Since(start))
	}
}
