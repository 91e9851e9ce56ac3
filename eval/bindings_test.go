package eval

import "testing"

// TestFailedInputBindsNothing: as in erl, an input that fails leaves the
// shell's variables as they were: one it declared again keeps its earlier
// value, a new one stays undefined, whatever failed (a panic, a compile
// error, the shell process's exit).
func TestFailedInputBindsNothing(t *testing.T) {
	ts := newTestShell(t)
	const boom = `func() int { panic("boom") }()`
	evalCases(t, ts, []struct{ in, want string }{
		{`x := 1`, "1"},
		{`x := ` + boom, "ERR ** exception error: boom"},
		{`x`, "1"},
		{`y := ` + boom, "ERR ** exception error: boom"},
		{`y`, "ERR 1:1: undefined: y"},
		{`z, w := 1, ` + boom, "ERR ** exception error: boom"},
		{`z`, "ERR 1:1: undefined: z"},
		{`var u int = ` + boom, "ERR ** exception error: boom"},
		{`u`, "ERR 1:1: undefined: u"},
		{`x := "s"`, `"s"`}, // a new type is fine
		{`x := nosuch()`, "ERR 1:6: undefined: nosuch"},
		{`x`, `"s"`},
		{`x := 2; a := 3; panic("late")`, "ERR ** exception error: late"},
		{`x`, `"s"`},
		{`a`, "ERR 1:1: undefined: a"},
		{`x := exit(A("bye"))`, "ERR"}, // exit returns nothing: a compile error
		{`x := func() int { exit(A("bye")); return 1 }()`, "ERR ** exception exit: bye"},
		{`x`, `"s"`},
		// What the failed input declared besides variables stays.
		{`func twice(n int) int { return 2 * n }; t := twice(` + boom + `)`, "ERR ** exception error: boom"},
		{`twice(4)`, "8"},
		{`t`, "ERR 1:1: undefined: t"},
	})
}

// TestForget: f() forgets every variable, f("x") the ones named, as erl's
// f() and f(X); the names can be bound again with any type, and code
// typed before keeps the values it saw.
func TestForget(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`x := 1`, "1"},
		{`y := "why"`, `"why"`},
		{`const c = 7`, ""},
		{`func getX() int { return x }`, ""},
		{`f("x")`, "ok"},
		{`x`, "ERR 1:1: undefined: x"},
		{`y`, `"why"`},
		{`getX()`, "1"},
		{`x := "now a string"`, `"now a string"`},
		{`getX()`, "1"},
		{`f("nope")`, "ok"}, // erl's f(X) of an unbound X is ok too
		{`f("getX")`, "ERR ** exception error: f: getX is not a variable of the shell; f forgets variables (and constants) only"},
		{`f("fmt")`, "ok"}, // not a name of the prompt's own
		{`f()`, "ok"},
		{`x`, "ERR 1:1: undefined: x"},
		{`y`, "ERR 1:1: undefined: y"},
		{`c`, "ERR 1:1: undefined: c"},
		{`getX()`, "1"},
		{`x, y := 1, 2; x + y`, "3"},
		{`f("x", "y")`, "ok"},
		{`x`, "ERR 1:1: undefined: x"},
		{`y`, "ERR 1:1: undefined: y"},
		// The shell's own variables stay: guards and loops still work.
		{`n := 0; for i := 0; i < 300; i++ { n += i }; n`, "44850"},
	})
	ts.out.Reset()
	if got := ts.eval(`b()`); got != "ok" {
		t.Fatalf("b() => %s", got)
	}
	if out := ts.out.String(); out != "i = 300\nn = 44850\n" { // yaegi makes a loop's variable at the top level global
		t.Errorf("b() after f(\"x\", \"y\") printed %q, want only the variable left", out)
	}
}

// TestForgetOnlyAtThePrompt: a process that calls f fails with a clear
// error; the shell's variables stay.
func TestForgetOnlyAtThePrompt(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`x := 1`, "1"},
		// One input: the process's panic unwinds while no input compiles
		// (testkit.SkipYaegiRace, TestYaegiRacePanicWhileCompiling).
		{`_, ref := spawn_monitor(func() { f() }); receive(Down{Ref: ref}, 5000).(Down).Reason`, `{panic,"f: it forgets the shell's variables, so only the shell's input calls it"}`},
		{`x`, "1"},
	})
}

// TestTypesDeclaredAgain: a type typed at the prompt replaces a built-in
// type of the same name (Request, Name, Down), and one an earlier input
// declared, as a Go declaration would; a declaration that does not
// compile leaves the name as it was. yaegi kept the type already there:
// type Request struct{ A int }, then Request{A: 3}, said "unknown field A
// in struct literal". Code compiled before keeps the type it was compiled
// with.
func TestTypesDeclaredAgain(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`type Request struct{ A int }`, ""},
		{`r := Request{A: 3}; r.A`, "3"},
		{`type Name string; Name("x")`, `"x"`},
		{`gerl.Request{}.From`, "<.0.0>"}, // the built-in, qualified
		{`type P struct{ X int }`, ""},
		{`func (p P) Get() int { return p.X }`, ""},
		{`old := func(p P) int { return p.Get() }; old(P{X: 7})`, "7"},
		{`type P struct{ X, Y int }`, ""},
		{`P{Y: 2}`, "{X:0 Y:2}"},
		{`P{Y: 2}.Get()`, "ERR 1:1: undefined selector: Get"}, // a new type has no methods
		{`func (p P) Get() int { return p.X + p.Y }; P{1, 2}.Get()`, "3"},
		// the same declaration again (an input pasted twice) keeps the type
		{`type Q struct{ X int }; q := Q{1}`, "{X:1}"},
		{`type Q struct{ X int }`, ""},
		{`func getX(v Q) int { return v.X }; getX(q)`, "1"},
		{`type Down struct{ A zzz }`, "ERR 1:21: undefined: zzz"},
		{`self() ! T(1); _, ok := receive(0).(Tuple); ok`, "true"},
		{`spawn_monitor(func() {}); receive(5000).(Down).Reason`, "normal"}, // still the built-in
	})
}
