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

// TestYaegiRacePanicWhileCompiling: processes whose prompt-defined code
// panics while the next inputs compile. The shell goes on, and the
// processes' monitors say why they died; under -race the test is skipped.
func TestYaegiRacePanicWhileCompiling(t *testing.T) {
	testkit.SkipYaegiRace(t)
	ts := newTestShell(t)
	ts.eval(`me := self()`)
	// Goroutines that panic (goroutines, not processes: a process that
	// dies synchronizes with the shell, which can hide the race from the
	// detector), while the next inputs compile. At the top level, not in a
	// loop: yaegi's scope of a loop's body is written once.
	for i := 0; i < 20; i++ {
		ts.eval(`go func() { panic("bad") }()`)
		ts.eval(fmt.Sprintf("x%d := %d", i, i))
	}
	if got := ts.eval(`_, ref := spawn_monitor(func() { panic("bad") }); d := receive(5000).(Down); d.Ref == ref && gerl.Format(d.Reason) == "{panic,\"bad\"}"`); got != "true" {
		t.Fatalf("a crash after: %s", got)
	}
}

// TestYaegiRacePointerTypeWhileCompiling: goroutines keep calling a
// closure that takes a *Proc while the next inputs compile *Proc again;
// yaegi updates the one type descriptor both use. Under -race the test is
// skipped.
func TestYaegiRacePointerTypeWhileCompiling(t *testing.T) {
	testkit.SkipYaegiRace(t)
	ts := newTestShell(t)
	ts.eval(`me := self()`)
	ts.eval(`use := func(p *Proc, n int) int { return n + 1 }`)
	ts.eval(`caller := spawn(func(p *Proc) { for n := 0; ; n++ { go use(p, n); if n == 1 { me ! A("calling") }; if _, ok := p.ReceiveTimeout(0); ok { me ! n; return }; time.Sleep(100 * time.Microsecond) } })`)
	if got := ts.eval(`receive(5000)`); got != "calling" {
		t.Fatalf("the caller: %s", got)
	}
	for i := 0; i < 20; i++ {
		ts.eval(fmt.Sprintf(`var q%d *Proc`, i)) // compiles *Proc while the caller calls use
	}
	if got := ts.eval(`caller ! A("stop"); receive(5000).(int) > 1`); got != "true" {
		t.Fatalf("the caller stopped with %s", got)
	}
}

// TestNoRaceTopLevelLiteral: function literals passed to compiled
// functions at the top level (spawn, a go statement, a callback) run while
// later inputs compile; eval rebinds them (rewrite_toplevel.go) so that
// yaegi does not read the global frame from their goroutines.
func TestNoRaceTopLevelLiteral(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		{`me := self()`, "<sh@host.1.0>"},
		{`echo := spawn(func() { for { m := receive().(Tuple); m[0].(Pid) ! m[1] } })`, "<sh@host.3.0>"},
		{`w, ref := spawn_monitor(func(n int) { me ! n }, 7); _, _ = w, ref`, ""},
		{`go func() { me ! A("go") }()`, ""},
		{`l := spawn_link(func(p *Proc) { p.Receive() })`, "<sh@host.5.0>"},
		{`y := 1`, "1"},
		{`echo ! T(me, "back")`, `{<sh@host.1.0>,"back"}`},
		{`others := func() (n int) { for i := 0; i < 4; i++ { if _, down := receive(5000).(Down); !down { n++ } }; return }; others()`, "3"},
	} {
		if got := ts.eval(c.in); got != c.want {
			t.Fatalf("%s => %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNoRaceGlobalFrame: a process reads and writes globals while inputs
// declare new ones, which would make yaegi move the global frame under it
// at every input; eval gives the frame room in advance (globalframe.go),
// which these inputs stay within.
func TestNoRaceGlobalFrame(t *testing.T) {
	globalFrameCounter(t, 8)
}

// TestYaegiRaceGlobalFrameMove: the same, with enough inputs to fill the
// room: the frame moves, under the process. Under -race the test is
// skipped.
func TestYaegiRaceGlobalFrameMove(t *testing.T) {
	testkit.SkipYaegiRace(t)
	globalFrameCounter(t, frameRoom/2+10) // each input adds about four slots
}

// globalFrameCounter runs a process that counts messages in a global
// while n inputs each send it one and declare a variable.
func globalFrameCounter(t *testing.T, n int) {
	ts := newTestShell(t)
	ts.eval(`me := self()`)
	ts.eval(`count := 0`)
	ts.eval(`double := func(x int) int { return 2 * x }`)
	ts.eval(`counter := spawn(func() { for { m := receive(); if m == A("stop") { me ! count; return }; count = double(count + 1) / 2 } })`)
	for i := 0; i < n; i++ {
		ts.eval(fmt.Sprintf(`counter ! 1; v%d := []int{%d}`, i, i))
	}
	if got := ts.eval(`counter ! A("stop"); receive(5000)`); got != fmt.Sprint(n) {
		t.Fatalf("the counter counted %s, want %d", got, n)
	}
	if got := ts.eval(fmt.Sprintf(`v%d[0] + v0[0]`, n-1)); got != fmt.Sprint(n-1) {
		t.Fatalf("v%d[0] + v0[0] = %s", n-1, got)
	}
}
