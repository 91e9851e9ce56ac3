package testkit

import "testing"

// SkipYaegiRace skips the calling test when it runs under the race
// detector and shows a data race inside yaegi (v0.16.1, the only version
// there is) that gerl cannot avoid. yaegiRace below is the one list of
// such tests, with the yaegi source lines of each race; every other test
// of every package runs under -race, the gerl binaries the tests drive
// included.
//
// Two races a shell meets at once are avoided by gerl, and tests under
// -race check that they stay avoided (eval's racy_test.go):
//
//   - interp/interp.go:132 (newFrame reads its parent frame's done field,
//     without the lock) against interp/run.go:113 (every Execute writes
//     the global frame's, under it): a function literal passed to a
//     compiled function at the top level of an input (spawn(func() {...}))
//     has the global frame as its parent. eval makes such a literal inside
//     a function that a compiled helper calls (eval/rewrite_toplevel.go).
//     A function or method DECLARED at the prompt has the global frame as
//     its parent too, and nothing gerl can do changes that: calling it from
//     a process (spawn(pong), a server's methods) while the next input
//     executes races there. That is why the gerl binaries the end-to-end
//     tests drive are built without the race detector (BuildGerl), and
//     in-process tests do not run a declared function in a process across
//     inputs.
//   - interp/interp.go:486 and :490 (resizeFrame copies the global frame's
//     slots into a new slice and replaces the old) against
//     interp/value.go:139 and run.go:1711 (running code reads and writes
//     global slots without a lock): nearly every input against every
//     process that uses a global. eval gives the frame room in advance
//     (eval/globalframe.go), so it moves only a few times in a session
//     (TestYaegiRaceGlobalFrameMove below).
func SkipYaegiRace(t testing.TB) {
	t.Helper()
	if !Race {
		return
	}
	if why := yaegiRace(t.Name()); why != "" {
		t.Skip("a data race inside yaegi that gerl cannot avoid: " + why)
	}
}

// yaegiRace says why test shows a race inside yaegi, or "".
func yaegiRace(test string) string {
	switch test {
	case "TestYaegiRacePanicWhileCompiling": // eval
		// A panic unwinding interpreted frames (in a process, or a go
		// statement's goroutine) names the function it leaves with
		// panicFunc, which reads the package scope's pkgID without a lock
		// (interp/run.go:189, via run.go:198), while every compilation
		// writes it under the interpreter's mutex (interp/scope.go:226,
		// initScopePkg, from gta.go:14). The value written is always the
		// same ("main"), but nothing orders the two.
		return "interp/run.go:189 (panicFunc) reads what interp/scope.go:226 (initScopePkg) writes"
	case "TestYaegiRaceGlobalFrameMove": // eval
		// When the room eval keeps in the global frame runs out (64 slots,
		// then 96, 144...: an input adds about three), the frame moves
		// (eval/globalframe.go's prepare does what yaegi's resizeFrame,
		// interp/interp.go:490, would), under processes that read globals
		// with no lock (interp/value.go:16 and :139). Under the race
		// detector the room starts at 4096 slots (eval/frameroom_race.go),
		// which no other test fills, so no other test meets this race.
		return "the global frame moves (eval/globalframe.go, as interp/interp.go:490) under interp/value.go:16 and :139, when eval's room runs out"
	case "TestYaegiRacePointerTypeWhileCompiling": // eval
		// Compiling a pointer type *T (nodeType2) takes T's one cached
		// pointer type descriptor (ptrOf, interp/type.go:235) and writes its
		// incomplete field (interp/type.go:430), with no lock; code already
		// running reads that field each time it asks the descriptor for its
		// reflect type (refType, interp/type.go:2065), as a closure taking a
		// *Proc does on every call (interp/run.go:1909). Every shell user
		// spawns func(p *Proc) {...} and types *Proc again.
		return "interp/type.go:2065 (refType) reads what interp/type.go:430 (nodeType2) writes"
	}
	return ""
}
