package hotload

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/cluster"
)

// workerSrc is a module whose functions return closures: they capture
// variables of several types, call the module's unexported functions and
// touch its package-level variable.
const workerSrc = `package worker

import "strings"

var calls int

func base() int { return 100 }

// Reply returns a closure that sends its answer home.
func Reply(to Pid, tag string, n int) func() {
	return func() { to ! T(A(tag), n*2, node()) }
}

// Adder's closures count their calls in the node's calls.
func Adder(k int) func(int) int {
	return func(n int) int { calls++; return n + k + base() }
}

func Calls() int { return calls }

func Upper(words []string, sep map[string]string) func() string {
	return func() string { return strings.ToUpper(strings.Join(words, sep["sep"])) }
}

func Nested(k int) func() func() int {
	return func() func() int { return func() int { return k * 3 } }
}

func Many(n int) []func() int {
	var fs []func() int
	for i := 0; i < n; i++ {
		fs = append(fs, func() int { return i * 10 })
	}
	return fs
}

// Ask spawns a closure of its own on node nd and waits for its answer.
func Ask(nd string, k int) any {
	me := self()
	spawn(nd, func() { me ! k+base() })
	return receive(5000)
}

func Chan() func() {
	c := make(chan int)
	return func() { close(c) }
}

func LocalType() func() int {
	type pair struct{ x, y int }
	v := pair{1, 2}
	return func() int { return v.x }
}

func Local() func() any {
	type point struct{ x int }
	return func() any { return point{1} }
}
`

// Closures made by a module's functions travel: spawn and rpc on another
// node run them there, with copies of what they captured, the module's
// functions and the other node's package-level variables.
func TestModuleClosuresTravel(t *testing.T) {
	net := cluster.NewMemNetwork()
	a := startClusterNode(t, net, "a@mem", 1)
	b := startClusterNode(t, net, "b@mem", 2)
	connect(t, a, b)
	a.write("worker.go", workerSrc)
	if _, err := a.srv.NetLoad(context.Background(), "worker"); err != nil {
		t.Fatal(err)
	}
	sh := newShell(a.harness)
	for _, tc := range []struct{ in, want string }{
		{`spawn("b@mem", worker.Reply(self(), "done", 21)); receive(5000)`, "{done,42,b@mem}"},
		{`rpc("b@mem", worker.Adder(2), 1)`, "103"},
		{`rpc("b@mem", "worker.Calls")`, "1"},
		{`worker.Calls()`, "0"},
		{`rpc("b@mem", worker.Upper([]string{"a", "b"}, map[string]string{"sep": "-"}))`, `"A-B"`},
		{`f := worker.Nested(5)(); rpc("b@mem", f)`, "15"},
		{`pid, ref := spawn_monitor("b@mem", worker.Reply(self(), "m", 1)); receive(5000)`, "{m,2,b@mem}"},
		{`receive(5000).(Down).Reason`, "normal"},
		{`rpc("b@mem", worker.Many(3)[2])`, "20"},
		{`worker.Ask("b@mem", 7)`, "107"},
	} {
		if got := sh.eval(tc.in); got != tc.want {
			t.Errorf("%s\n got: %s\nwant: %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{`spawn("b@mem", worker.Chan())`, "captures c, a chan int, which cannot travel to b@mem"},
		{`spawn("b@mem", worker.Local())`, "uses point, declared in the function around it"},
		{`spawn("b@mem", worker.LocalType())`, "cannot travel to b@mem: its captured variable v is a pair, a type the module's top level cannot name"},
		{`spawn("b@mem", strings.ToUpper)`, "only closures travel"},
	} {
		if got := sh.eval(tc.in); !strings.Contains(got, tc.want) {
			t.Errorf("%s\n got: %s\nwant it to say: %s", tc.in, got, tc.want)
		}
	}

	// What a peer sends is checked: the literal, the values' number and
	// types.
	b.srv.mu.RLock()
	hash := b.srv.mods["worker"].current.Load().src.hash
	b.srv.mu.RUnlock()
	pid := a.me.Self()
	for _, tc := range []struct {
		code cluster.Code
		want string
	}{
		{cluster.Code{Names: []string{"to", "tag", "n"}, Types: []string{"Pid", "string", "int"}, Values: []any{pid, "t", 1},
			Made: &cluster.Made{Module: "worker", Version: hash, Index: 999}}, "has no maker 999"},
		{cluster.Code{Names: []string{"to"}, Types: []string{"Pid"}, Values: []any{pid},
			Made: &cluster.Made{Module: "worker", Version: hash, Index: 0}}, "takes 3 captured values, got 1"},
		{cluster.Code{Names: []string{"to", "tag", "n"}, Types: []string{"Pid", "string", "int"}, Values: []any{"x", "t", 1},
			Made: &cluster.Made{Module: "worker", Version: hash, Index: 0}}, "captured variable to: cannot use a string"},
		{cluster.Code{Made: &cluster.Made{Module: "nosuch", Version: hash, Index: 0}}, "module nosuch, which b@mem has not loaded"},
		{cluster.Code{Made: &cluster.Made{Module: "worker", Version: "other", Index: 0}}, "another version of module worker than b@mem runs"},
	} {
		if _, err := b.env.RunCode(&tc.code); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RunCode(%+v): %v, want an error saying %q", tc.code.Made, err, tc.want)
		}
	}
	fn, err := b.env.RunCode(&cluster.Code{Names: []string{"to", "tag", "n"}, Types: []string{"Pid", "string", "int"},
		Values: []any{pid, "direct", 5}, Made: &cluster.Made{Module: "worker", Version: hash, Index: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := fn.(func()); !ok {
		t.Fatalf("the maker made a %T", fn)
	} else if f(); !strings.Contains(fmt.Sprint(a.me.ReceiveTimeout(waitTime)), "direct 10") {
		t.Fatal("the closure made from the literal did not send {direct, 10, ...}")
	}

	// The other node must run the same source.
	a.write("worker.go", strings.Replace(workerSrc, "n*2", "n*4", 1))
	if _, err := a.srv.Load("worker"); err != nil {
		t.Fatal(err)
	}
	if got, want := sh.eval(`spawn("b@mem", worker.Reply(self(), "done", 21))`), `another version of module worker than b@mem runs (nl("worker")`; !strings.Contains(got, want) {
		t.Errorf("spawn of a closure of another version:\n got: %s\nwant it to say: %s", got, want)
	}
	if _, err := a.srv.NetLoad(context.Background(), "worker"); err != nil {
		t.Fatal(err)
	}
	if got, want := sh.eval(`spawn("b@mem", worker.Reply(self(), "done", 21)); receive(5000)`), "{done,84,b@mem}"; got != want {
		t.Errorf("after nl:\n got: %s\nwant: %s", got, want)
	}
}
