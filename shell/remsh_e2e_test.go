package shell

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRemoteShell: inputs typed here run on the remote node, output shows
// here; q() leaves the remote node running; halt() asks first.
func TestRemoteShell(t *testing.T) {
	e := newTestEnv(t)
	b := e.startNode(t, "-name", "b@127.0.0.1", "-setcookie", "rc")
	b.expect(`register("keeper", self())`, "true")

	tm := e.startTmux(t, "-remsh", "b@127.0.0.1", "-setcookie", "rc")
	tm.waitFor("(b@127.0.0.1)1>")
	tm.line("node()")
	tm.waitFor("'b@127.0.0.1'")
	tm.line(`fmt.Println("printed on b")`)
	tm.waitFor("\nprinted on b\n") // the output, not the echo of the input
	// What a process started here prints, later, shows here too, not on b.
	tm.line(`p := spawn(func() { receive(); fmt.Println("later, from a process") }); p ! 1`)
	tm.waitFor("\nlater, from a process\n")
	tm.line(`whereis("keeper") != A("undefined")`)
	tm.waitFor("!= A(\"undefined\")\ntrue\n")
	tm.line("undefinedOnB")
	tm.waitFor("* 1:1: undefined: undefinedOnB")
	tm.line("q()")
	if code := tm.waitExit(); code != 0 {
		t.Fatalf("q() in a remote shell: exit status %d", code)
	}
	if got := b.expect("1 + 1", "2"); strings.Contains(got, "later") { // b is still running
		t.Fatalf("the remote shell's output showed on b: %q", got)
	}

	tm2 := e.startTmux(t, "-remsh", "b@127.0.0.1", "-setcookie", "rc")
	tm2.waitFor("(b@127.0.0.1)1>")
	tm2.line("halt()")
	tm2.waitFor("Stop node b@127.0.0.1?")
	tm2.line("n")
	tm2.waitFor("(b@127.0.0.1)2>")
	b.expect("2 + 2", "4") // still running after "no"
	tm2.line("halt()")
	tm2.waitFor("Stop node b@127.0.0.1?")
	tm2.line("y")
	tm2.waitExit()
	if code := b.waitExit(); code != 0 {
		t.Fatalf("b after halt() from a remote shell: exit status %d", code)
	}
}

// TestNoShellAndDetached: -noshell runs until halted from elsewhere;
// -detached returns at once and leaves the node running in the background.
func TestNoShellAndDetached(t *testing.T) {
	e := newTestEnv(t)
	n := e.startNode(t, "-name", "quiet@127.0.0.1", "-setcookie", "dc", "-noshell", "-eval", `register("x", spawn(func() { receive() }))`)
	a := e.startNode(t, "-name", "a@127.0.0.1", "-setcookie", "dc")
	a.waitPong("quiet@127.0.0.1")
	a.eval(`rpc("quiet@127.0.0.1", "gerl.halt")`) // the node may stop before it answers
	if code := n.waitExit(); code != 0 {
		t.Fatalf("-noshell node: exit status %d", code)
	}

	out, errText, code := e.runPiped(t, "", "-detached", "-name", "bg@127.0.0.1", "-setcookie", "dc")
	if code != 0 {
		t.Fatalf("-detached: status %d, stdout %q, stderr %q", code, out, errText)
	}
	a.expect(`ping("bg@127.0.0.1")`, "pong") // -detached returns once the node is up
	// A detached node that cannot start says why, and fails.
	_, errText, code = e.runPiped(t, "", "-detached", "-name", "bg@127.0.0.1", "-setcookie", "dc")
	if code != 1 || !strings.Contains(errText, "the detached node did not start") || !strings.Contains(errText, "already running") {
		t.Fatalf("second -detached bg: status %d, stderr %q", code, errText)
	}
	// -detached=true is -detached (the node it starts must not detach again).
	if out, errText, code := e.runPiped(t, "", "-detached=true", "-name", "bg2@127.0.0.1", "-setcookie", "dc"); code != 0 {
		t.Fatalf("-detached=true: status %d, stdout %q, stderr %q", code, out, errText)
	}
	a.expect(`ping("bg2@127.0.0.1")`, "pong")
	a.eval(`rpc("bg2@127.0.0.1", "gerl.halt")`)
	a.eval(`rpc("bg@127.0.0.1", "gerl.halt")`) // that they stop, the pings below show
	for _, bg := range []string{"bg@127.0.0.1", "bg2@127.0.0.1"} {
		deadline := time.Now().Add(waitTime)
		for !strings.Contains(a.eval(fmt.Sprintf("ping(%q)", bg)), "pang") { // nothing announces the stop here
			if time.Now().After(deadline) {
				t.Fatalf("the detached node %s did not stop", bg)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	logs, _ := filepath.Glob(filepath.Join(e.home, ".local", "state", "gerl", "bg@127.0.0.1.log"))
	if len(logs) != 1 {
		entries, _ := os.ReadDir(filepath.Join(e.home, ".local", "state", "gerl"))
		t.Fatalf("no log file for the detached node: %v", entries)
	}
}
