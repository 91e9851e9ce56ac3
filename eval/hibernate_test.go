package eval

import (
	"fmt"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// TestHibernateAtThePrompt: a process spawned at the prompt hibernates
// between messages (with no goroutine: i() says hibernated), keeps its
// state in the function it resumes in, and keeps the stack limit it set
// itself; the shell's own process is refused.
func TestHibernateAtThePrompt(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`me := self(); _ = me`, ""},
		{`var loop func(n int)`, ""},
		{`loop = func(n int) { m := receive(); if m == A("get") { me ! T(n, process_flag("max_stack", 1<<20)); return }; hibernate(loop, n+1) }`, "#Fun<func(int)>"},
		{`p := spawn(func() { process_flag("max_stack", 3<<20); hibernate(loop, 0) }); _ = p`, ""},
	})
	waitHibernated := func() {
		t.Helper()
		testkit.Eventually(t, waitTime, "the process to hibernate", func() bool {
			n := 0
			for _, pi := range ts.env.node.Processes() {
				if pi.Status == "hibernated" {
					n++
				}
			}
			return n == 1
		})
	}
	for range 3 {
		waitHibernated()
		ts.eval(`p ! A("tick")`)
	}
	waitHibernated()
	evalCases(t, ts, []struct{ in, want string }{
		{`p ! A("get"); receive(5000)`, "{3,3145728}"},
		// misuse
		{`hibernate(func() {})`, "ERR ** exception error: hibernate: the shell's process cannot hibernate"},
		// One input: a process's panic must not meet the shell compiling
		// (testkit.SkipYaegiRace).
		{`_, ref := spawn_monitor(func() { hibernate(5) }); receive(5000).(Down).Reason`, `{panic,"hibernate: 5 is not a function"}`},
		{`_, ref = spawn_monitor(func() { hibernate(func(n int) {}) }); receive(5000).(Down).Reason`, `{panic,"hibernate: func(int) wants 1 argument, got 0"}`},
		{`_, ref = spawn_monitor(func() { hibernate("nobody.Here") }); receive(5000).(Down).Reason`, `{panic,"hibernate: no function named \"nobody.Here\" (load its module with c(), or register it)"}`},
	})
}

// TestServerHibernateAtThePrompt: a server written at the prompt
// hibernates when its handler returns server.Hibernate, after replying,
// and answers the next call with its state.
func TestServerHibernateAtThePrompt(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`type Sleepy struct{ N int }`, ""},
		{`func (s *Sleepy) Init(args any) error { s.N = args.(int); return nil }`, ""},
		{`func (s *Sleepy) HandleCall(req any, from server.From) (any, error) { s.N++; return s.N, server.Hibernate }`, ""},
		{`func (s *Sleepy) HandleCast(msg any) error { return nil }`, ""},
		{`pid, _ := server.Start(&Sleepy{}, 41, server.Options{Name: "sleepy"}); _ = pid`, ""},
		{`server.Call("sleepy", "inc", time.Second)`, "42, nil"},
	})
	for want := 43; want <= 44; want++ {
		testkit.Eventually(t, waitTime, "the server to hibernate", func() bool {
			for _, pi := range ts.env.node.Processes() {
				if pi.Name == "sleepy" && pi.Status == "hibernated" {
					return true
				}
			}
			return false
		})
		evalCases(t, ts, []struct{ in, want string }{
			{`server.Call("sleepy", "inc", time.Second)`, fmt.Sprintf("%d, nil", want)},
		})
	}
}
