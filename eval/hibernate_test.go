package eval

import (
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
