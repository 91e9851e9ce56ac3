package shell

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/hotload/hotloadtest"
)

// TestHotReloadThroughTheBinary: a server process loaded from a real file
// keeps running while the file is edited (saved as editors save) and
// reloaded, answers with the new code after its next qualified call, and
// keeps the old code serving when an edit is broken.
func TestHotReloadThroughTheBinary(t *testing.T) {
	e := newTestEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "counter.go")
	if err := os.WriteFile(src, []byte(hotloadtest.CounterModule(1)), 0o644); err != nil {
		t.Fatal(err)
	}
	n := e.startNode(t, "-pa", dir)
	n.expect(`c("counter")`, "{ok,counter}")
	n.expect(`pid := spawn("counter.Loop", 0)`, "")
	n.expect(`call(pid, "inc")`, "1")

	if err := hotloadtest.SaveLikeEditor(src, hotloadtest.CounterModule(10)); err != nil {
		t.Fatal(err)
	}
	n.expect(`l("counter")`, "{module,counter}")
	n.expect(`call(pid, "inc")`, "11") // same process, new code
	n.expect(`whereis("nobody") == A("undefined")`, "true")

	if err := hotloadtest.SaveLikeEditor(src, hotloadtest.BrokenCounterModule()); err != nil {
		t.Fatal(err)
	}
	out := n.eval(`l("counter")`)
	if !strings.Contains(out, "counter.go:") || !strings.Contains(out, "error") {
		t.Fatalf("a broken edit should report file:line:col; printed %q", out)
	}
	n.expect(`call(pid, "inc")`, "21") // the running version keeps serving
}

// TestWatchReloadsOnSave: with -watch, saving the file reloads the module.
func TestWatchReloadsOnSave(t *testing.T) {
	e := newTestEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "counter.go")
	if err := os.WriteFile(src, []byte(hotloadtest.CounterModule(1)), 0o644); err != nil {
		t.Fatal(err)
	}
	n := e.startNode(t, "-pa", dir, "-watch")
	n.expect(`c("counter")`, "{ok,counter}")
	n.expect(`pid := spawn("counter.Loop", 0)`, "")
	n.expect(`call(pid, "inc")`, "1")
	if err := hotloadtest.SaveLikeEditor(src, hotloadtest.CounterModule(100)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitTime)
	for !strings.Contains(n.eval(`m()`), "counter  2") {
		if time.Now().After(deadline) {
			t.Fatalf("the save was not picked up: %s", n.eval(`m()`))
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.expect(`call(pid, "inc")`, "101")
}

// TestCrashReport: a process spawned at the prompt that panics is reported
// with its pid and reason, and the shell carries on.
func TestCrashReport(t *testing.T) {
	e := newTestEnv(t)
	n := e.startNode(t)
	out := n.eval(`pid := spawn(func() { panic("kaboom") }); ref := monitor(pid); receive(5000)`)
	for _, want := range []string{"=CRASH REPORT", "exited: {panic,\"kaboom\"}", "{'DOWN',"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	n.expect("1 + 1", "2")
}

// TestColors: -color always colors piped output; NO_COLOR and -color
// never do not.
func TestColors(t *testing.T) {
	e := newTestEnv(t)
	out, _, _ := e.runPiped(t, "1 + 1\n", "-color", "always")
	if !strings.Contains(out, "\x1b[") {
		t.Errorf("-color always: no escape codes in %q", out)
	}
	out, _, _ = e.runPiped(t, "1 + 1\n", "-color", "never")
	if strings.Contains(out, "\x1b[") {
		t.Errorf("-color never: escape codes in %q", out)
	}
	tm := e.startTmuxEnv(t, []string{"NO_COLOR=1"})
	tm.waitFor("1>")
	tm.line("1 + 41")
	tm.waitFor("42")
	if strings.Contains(tm.tmux("capture-pane", "-p", "-e", "-t", tm.name), "\x1b[36m") {
		t.Error("NO_COLOR: the result is colored")
	}
	tm.send("C-d")
	tm.waitExit()
	tm2 := e.startTmux(t)
	tm2.waitFor("1>")
	tm2.line("1 + 41")
	tm2.waitFor("42")
	if !strings.Contains(tm2.tmux("capture-pane", "-p", "-e", "-t", tm2.name), "\x1b[36m") {
		t.Error("a terminal: the result is not colored")
	}
	tm2.send("C-d")
	tm2.waitExit()
}

// TestTypingWhileProcessesPrint: output from a process while the user is
// typing goes above the line being edited, which stays intact.
func TestTypingWhileProcessesPrint(t *testing.T) {
	e := newTestEnv(t)
	tm := e.startTmux(t)
	tm.waitFor("1>")
	tm.line(`go1 := make(chan bool); spawn(func() { <-go1; fmt.Println("output from a process") })`)
	tm.waitFor("2>")
	tm.line(`gate := go1`)
	tm.waitFor("3>")
	// Let the process print while a line is half typed: a second shell
	// input cannot do it (it would end the line), so a process waits for a
	// file the test creates once the half line is on the screen.
	now := filepath.Join(e.home, "print-now")
	tm.line(fmt.Sprintf(`spawn(func() { for { if _, err := os.Stat(%q); err == nil { break }; sleep(5) }; gate <- true })`, now))
	tm.waitFor("4>")
	tm.send(`y := "still typing`)
	tm.waitFor(`4> y := "still typing`)
	if err := os.WriteFile(now, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tm.waitFor("output from a process")
	screen := trimLines(tm.screen())
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if last := lines[len(lines)-1]; last != `4> y := "still typing` {
		t.Fatalf("after output from a process, the line being edited is %q; screen:\n%s", last, screen)
	}
	tm.send(`"`, "Enter")
	tm.waitFor("5>")
	tm.line("y")
	tm.waitFor(`"still typing"`)
	tm.send("C-d")
	tm.waitExit()
}

// TestHistorySearch: Ctrl-R finds an earlier input.
func TestHistorySearch(t *testing.T) {
	e := newTestEnv(t)
	tm := e.startTmux(t)
	tm.waitFor("1>")
	tm.line(`magicNumber := 4242`)
	tm.waitFor("2>")
	tm.line(`1 + 1`)
	tm.waitFor("3>")
	tm.send("C-r", "magicN")
	tm.send("Enter") // accept the line found, and run it
	tm.waitFor("3> magicNumber := 4242\n4242\n4> ")
	tm.line("magicNumber")
	tm.waitFor("4> magicNumber\n4242\n5> ")
	tm.send("C-d")
	tm.waitExit()
}
