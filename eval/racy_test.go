package eval

import (
	"fmt"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// The data races inside yaegi that a shell meets, and what gerl does about
// them, are listed in one place: testkit.SkipYaegiRace. The tests here show
// each of them. Those gerl avoids run under -race like every other test;
// the one it cannot avoid is skipped there.

// TestYaegiRacePanicWhileCompiling: a process whose prompt-defined code
// panics while the next input compiles. The shell goes on, and the
// process's monitor says why it died; under -race the test is skipped.
func TestYaegiRacePanicWhileCompiling(t *testing.T) {
	testkit.SkipYaegiRace(t)
	ts := newTestShell(t)
	ts.eval(`pids := []Pid{}`)
	for i := 0; i < 5; i++ {
		ts.eval(`p, _ := spawn_monitor(func() { panic("bad") }); pids = append(pids, p)`)
		ts.eval(fmt.Sprintf("x%d := %d", i, i)) // compiled while p unwinds
	}
	for i := 0; i < 5; i++ {
		if got := ts.eval(`d := receive(5000).(Down); d.Reason`); got != `{panic,"bad"}` {
			t.Fatalf("down %d: %s", i, got)
		}
	}
}

// TestNoRaceTopLevelLiteral: function literals passed to compiled
// functions at the top level (spawn, a go statement, a callback) run while
// later inputs compile; eval rebinds them (rewrite_toplevel.go) so that
// yaegi does not read the global frame from their goroutines.
func TestNoRaceTopLevelLiteral(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		{`me := self()`, ""},
		{`echo := spawn(func() { for { m := receive().(Tuple); m[0].(Pid) ! m[1] } })`, ""},
		{`w, ref := spawn_monitor(func(n int) { me ! n }, 7)`, ""},
		{`go func() { me ! A("go") }()`, ""},
		{`l := spawn_link(func(p *Proc) { p.Receive() })`, ""},
		{`y := 1`, ""},
		{`echo ! T(me, "back")`, `{<sh@host.1.0>,"back"}`},
		{`others := func() (n int) { for i := 0; i < 4; i++ { if _, down := receive(5000).(Down); !down { n++ } }; return }; others()`, "3"},
	} {
		if got := ts.eval(c.in); got != c.want {
			t.Fatalf("%s => %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNoRaceGlobalFrame: a process reads and writes globals while inputs
// declare new ones, which would make yaegi move the global frame under it;
// eval gives the frame room in advance (globalframe.go).
func TestNoRaceGlobalFrame(t *testing.T) {
	ts := newTestShell(t)
	ts.eval(`me := self()`)
	ts.eval(`count := 0`)
	ts.eval(`double := func(x int) int { return 2 * x }`)
	ts.eval(`counter := spawn(func() { for { m := receive(); if m == A("stop") { me ! count; return }; count = double(count + 1) / 2 } })`)
	for i := 0; i < 50; i++ {
		ts.eval(fmt.Sprintf(`counter ! 1; v%d := []int{%d}`, i, i))
	}
	if got := ts.eval(`counter ! A("stop"); receive(5000)`); got != "50" {
		t.Fatalf("the counter counted %s, want 50", got)
	}
	if got := ts.eval(`v49[0] + v0[0]`); got != "49" {
		t.Fatalf("v49[0] + v0[0] = %s", got)
	}
}
