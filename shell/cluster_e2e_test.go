package shell

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
)

// TestKillANode runs two real gerl nodes, links and monitors across them,
// then SIGKILLs one: the other sees nodedown, and its monitor and link fire
// with noconnection.
func TestKillANode(t *testing.T) {
	e := newTestEnv(t)
	b := e.startNode(t, "-name", "b@127.0.0.1", "-setcookie", "kc")
	b.expect(`register("worker", spawn(func() { for { m := receive().(Tuple); m[0].(Pid) ! T(A("pid"), self()) } }))`, "true")

	a := e.startNode(t, "-name", "a@127.0.0.1", "-setcookie", "kc")
	a.expect(`ping("b@127.0.0.1")`, "pong")
	a.expect(`nodes()`, "['b@127.0.0.1']")
	a.expect(`monitor_node("b@127.0.0.1", true)`, "true")
	a.expect(`Name{"worker", "b@127.0.0.1"} ! T(self())`, "{<a@127.0.0.1.")
	a.expect(`w := receive(5000).(Tuple)[1].(Pid); w.Node`, "b@127.0.0.1")
	a.expect(`ref := monitor(w)`, "")
	a.expect(`trap_exit(true)`, "false")
	a.expect(`link(w)`, "true")

	b.kill()

	a.expect(`gerl.ReceiveMatch(func(m any) bool { _, ok := m.(NodeDown); return ok }, 10*time.Second)`, "{nodedown,'b@127.0.0.1'")
	a.expect(`d, _ := gerl.ReceiveMatch(func(m any) bool { _, ok := m.(Down); return ok }, 10*time.Second); d.(Down).Reason`, "noconnection")
	a.expect(`e, _ := gerl.ReceiveMatch(func(m any) bool { _, ok := m.(ExitSignal); return ok }, 10*time.Second); e.(ExitSignal).From == w && e.(ExitSignal).Reason == A("noconnection")`, "true")
	a.expect(`nodes()`, "[]")
	a.expect(`ping("b@127.0.0.1")`, "pang")
}

// TestWrongCookie: the accepting node reports which node it rejected and
// why; the connecting node explains, and ping answers pang.
func TestWrongCookie(t *testing.T) {
	e := newTestEnv(t)
	b := e.startNode(t, "-name", "b@127.0.0.1", "-setcookie", "right")
	b.expect("1", "1") // b answers its prompt: it is registered and listening
	a := e.startNode(t, "-name", "a@127.0.0.1", "-setcookie", "wrong")
	got := a.eval(`ping("b@127.0.0.1")`)
	if !strings.Contains(got, "pang") || !strings.Contains(got, "cookie") {
		t.Fatalf("ping with a wrong cookie printed %q; want pang and why", got)
	}
	got = a.eval(`gerl.RPC("b@127.0.0.1", "gerl.halt")`)
	if !strings.Contains(strings.ToLower(got), "cookie") {
		t.Errorf("the connecting node does not explain: %q", got)
	}
	log := b.eval(`1`)
	if !strings.Contains(log, "a@127.0.0.1") || !strings.Contains(strings.ToLower(log), "cookie") {
		t.Errorf("the accepting node did not report the rejected node and why: %q", log)
	}
}

// TestPortMapperPortTaken: a node whose port mapper port is held by
// something that is not a port mapper stops at start and says so, without
// waiting out its start timeout (30 s, more than runPiped waits).
func TestPortMapperPortTaken(t *testing.T) {
	e := newTestEnv(t)
	// Accept and hang up, as many a stranger on a port would.
	testkit.Serve(t, portmapper.LoopbackAddr(e.pmPort), func(net.Conn, <-chan struct{}) {})
	_, errText, code := e.runPiped(t, "", "-name", "x@127.0.0.1", "-setcookie", "c")
	want := fmt.Sprintf("port %d is taken by something that is not a port mapper", e.pmPort)
	if code == 0 || !strings.Contains(errText, want) || !strings.Contains(errText, "GERL_PORTMAPPER_PORT") {
		t.Fatalf("status %d, stderr %q; want %q and how to choose another port", code, errText, want)
	}
}

// TestNameTaken: a second node with a taken name stops at start with a
// clear message.
func TestNameTaken(t *testing.T) {
	e := newTestEnv(t)
	e.startNode(t, "-name", "dup@127.0.0.1", "-setcookie", "c").expect("1", "1")
	_, errText, code := e.runPiped(t, "", "-name", "dup@127.0.0.1", "-setcookie", "c")
	if code == 0 || !strings.Contains(errText, "a node named dup is already running on this host") {
		t.Fatalf("second node with the same name: status %d, stderr %q", code, errText)
	}
}
