package shell

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestCtrlCDuringSlowConnect: at the terminal, and in a remote shell,
// Ctrl-C ends a ping stuck connecting to a node that never answers (a gerl
// node stopped with SIGSTOP: the kernel accepts the connection, nobody
// speaks), and what was defined before keeps working.
func TestCtrlCDuringSlowConnect(t *testing.T) {
	e := newTestEnv(t)
	hole := exec.Command(gerlBin, "-name", "hole@127.0.0.1", "-setcookie", "cc", "-noshell")
	hole.Env = e.environ()
	if err := hole.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = hole.Process.Signal(syscall.SIGCONT)
		_ = hole.Process.Kill()
		_ = hole.Wait()
	})
	a := e.startNode(t, "-name", "a@127.0.0.1", "-setcookie", "cc")
	a.waitPong("hole@127.0.0.1")
	if err := hole.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	b := e.startNode(t, "-name", "b@127.0.0.1", "-setcookie", "cc")
	b.expect("1 + 1", "2")

	for _, args := range [][]string{
		{"-name", "c@127.0.0.1", "-setcookie", "cc"},
		{"-remsh", "b@127.0.0.1", "-setcookie", "cc"},
	} {
		tm := e.startTmux(t, args...)
		tm.waitFor("1> ")
		tm.line(`double := func(x int) int { return 2 * x }`)
		tm.waitFor("2> ")
		// The line is read: the terminal has left raw mode (where Ctrl-C
		// is a key for the next prompt, not a signal) once the input runs.
		tm.line(`fmt.Println("pinging"); ping("hole@127.0.0.1")`)
		tm.waitFor("\npinging\n")
		tm.send("C-c")
		screen := tm.waitFor("3> ")
		if !strings.Contains(screen, "** interrupted") || strings.Contains(screen, "pang") {
			t.Fatalf("gerl %s: the ping was not interrupted:\n%s", strings.Join(args, " "), screen)
		}
		tm.line(`double(21)`)
		tm.waitFor("42\n")
		tm.line("q()")
		if code := tm.waitExit(); code != 0 {
			t.Fatalf("gerl %s: exit status %d", strings.Join(args, " "), code)
		}
	}
}
