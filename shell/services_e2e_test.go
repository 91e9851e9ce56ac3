package shell

import (
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// TestGlobalAndPGAcrossProcesses runs three real gerl nodes: a global name
// and group members on c are seen on a; a concurrent registration of one
// name from a and b has one winner; when c is killed with SIGKILL, its
// name and members are gone on a and b.
func TestGlobalAndPGAcrossProcesses(t *testing.T) {
	e := newTestEnv(t)
	args := func(name string) []string { return []string{"-name", name + "@127.0.0.1", "-setcookie", "svc"} }
	var nodes []*nodeProc
	for _, name := range []string{"a", "b", "c"} {
		n := e.startNode(t, args(name)...)
		n.expect(`node()`, name) // it has started, and registered with the port mapper
		nodes = append(nodes, n)
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	a.expect(`ping("b@127.0.0.1")`, "pong")
	a.expect(`ping("c@127.0.0.1")`, "pong")
	for _, n := range nodes { // the mesh connects b and c
		testkit.Eventually(t, waitTime, "a full mesh", func() bool { return strings.TrimSpace(n.eval(`len(nodes())`)) == "2" })
	}

	c.eval(`p := spawn(func() { receive() })`)
	c.expect(`global.RegisterName("on_c", p)`, "true")
	c.eval(`pg.Join("g", p, self())`)
	a.expect(`global.WhereisName("on_c")`, "<c@127.0.0.1.")
	a.expect(`pg.Sync(); len(pg.GetMembers("g"))`, "2")
	b.expect(`pg.Sync(); len(pg.GetMembers("g"))`, "2")

	// Both register "race" at the same moment: each starts a process that
	// waits for a go message, then registers it; exactly one says true.
	for _, n := range []*nodeProc{a, b} {
		n.eval(`me := self(); r := spawn(func() { receive(); me ! global.RegisterName("race", self()); receive() })`)
	}
	a.eval(`r ! A("go")`)
	b.eval(`r ! A("go")`)
	wins := 0
	for _, n := range []*nodeProc{a, b} {
		out := n.eval(`receive()`)
		switch strings.TrimSpace(out) {
		case "true":
			wins++
		case "false":
		default:
			t.Fatalf("register race: %q", out)
		}
	}
	if wins != 1 {
		t.Fatalf("%d winners", wins)
	}
	onA := a.eval(`global.Sync(); global.WhereisName("race")`)
	if onB := b.eval(`global.Sync(); global.WhereisName("race")`); onA != onB || !strings.HasSuffix(strings.TrimSpace(onA), "true") {
		t.Fatalf("the winner: %q on a, %q on b", onA, onB)
	}

	// SIGKILL c: a and b drop its name and members.
	for _, n := range []*nodeProc{a, b} {
		n.expect(`monitor_node("c@127.0.0.1", true)`, "true")
	}
	c.kill()
	for _, n := range []*nodeProc{a, b} {
		n.expect(`receive().(NodeDown).Node`, "c@127.0.0.1")
		n.expect(`global.Sync(); global.RegisteredNames()`, "[race]")
		n.expect(`pg.Sync(); pg.GetMembers("g")`, "[]")
	}
}
