package shell

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// nodeProc is a gerl process of the test's environment, fed inputs on its
// stdin one at a time (piped mode).
type nodeProc struct {
	*testkit.Gerl
	t *testing.T
}

func (e *testEnv) startNode(t *testing.T, args ...string) *nodeProc {
	t.Helper()
	return &nodeProc{Gerl: testkit.StartGerl(t, gerlBin, e.environ(), "", args...), t: t}
}

// eval sends one input and returns what it printed.
func (np *nodeProc) eval(input string) string {
	np.t.Helper()
	return np.Eval(input)
}

// expect evaluates input and fails unless its output contains want.
func (np *nodeProc) expect(input, want string) string {
	np.t.Helper()
	got := np.Eval(input)
	if !strings.Contains(got, want) {
		np.t.Fatalf("%s printed %q, want it to contain %q", input, got, want)
	}
	return got
}

// kill sends SIGKILL and waits for the process to end.
func (np *nodeProc) kill() { np.Kill() }

// waitExit waits for the process to end and returns its status.
func (np *nodeProc) waitExit() int {
	np.t.Helper()
	return np.Wait(waitTime)
}

// waitRegistered asks node from np until name is registered there: a
// -noshell node runs its -eval after it is up, so a message sent to a name
// its -eval registers could arrive first and be dropped, as in Erlang.
func (np *nodeProc) waitRegistered(node, name string) {
	np.t.Helper()
	np.evalUntil(fmt.Sprintf(`rpc(%q, func() bool { return whereis(%q) != A("undefined") })`, node, name),
		"true", fmt.Sprintf("%s never registered %s", node, name))
}

// waitPong pings node from np until it answers pong: a node started in
// the background may still be starting, and nothing announces that it is
// up.
func (np *nodeProc) waitPong(node string) {
	np.t.Helper()
	np.evalUntil(fmt.Sprintf("ping(%q)", node), "pong", fmt.Sprintf("%s never answered", node))
}

// evalUntil evaluates input every 20 ms until its output contains want,
// failing with failure after waitTime. (Each try is a round trip through
// the node's terminal, so it polls less often than testkit.Eventually.)
func (np *nodeProc) evalUntil(input, want, failure string) {
	np.t.Helper()
	deadline := time.Now().Add(waitTime)
	for !strings.Contains(np.eval(input), want) {
		if time.Now().After(deadline) {
			np.t.Fatal(failure)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
