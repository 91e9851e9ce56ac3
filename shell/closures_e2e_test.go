package shell

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// twoNodes starts a and b, connected, and returns them.
func twoNodes(t *testing.T, e *testEnv) (a, b *nodeProc) {
	t.Helper()
	b = e.startNode(t, "-name", "b@127.0.0.1", "-setcookie", "cl")
	b.expect("1", "1")
	a = e.startNode(t, "-name", "a@127.0.0.1", "-setcookie", "cl")
	a.expect(`ping("b@127.0.0.1")`, "pong")
	return a, b
}

// TestClosuresTravel: each form that takes a closure runs it on the other
// node, with copies of the variables it captured, of several types.
func TestClosuresTravel(t *testing.T) {
	e := newTestEnv(t)
	a, b := twoNodes(t, e)
	a.expect(`n := 21; word := "hi"; xs := []int{1, 2}; m := map[string]int{"k": 3}; me := self(); who := A("ann")`, "")
	a.expect(`nd := A("b@127.0.0.1")`, "")

	// rpc: the result comes back; the values are copies.
	a.expect(`rpc(nd, func() int { return n * 2 })`, "42")
	a.expect(`rpc(nd, func() string { return word + string(node()) })`, `"hib@127.0.0.1"`)
	a.expect(`rpc(nd, func() int { xs[0] = 100; return xs[0] + xs[1] + m["k"] })`, "105")
	a.expect(`xs[0]`, "1")
	a.expect(`rpc(nd, func(k int) Tuple { return T(who, k, len(xs)) }, 7)`, "{ann,7,2}")

	// spawn: the process runs there and sends home.
	a.expect(`p := spawn(nd, func() { me ! T(A("from"), node(), n) })`, "<b@127.0.0.1.")
	a.expect(`receive(5000)`, "{from,'b@127.0.0.1',21}")
	a.expect(`spawn(nd, func(x int) { me ! x + n }, 1)`, "<b@127.0.0.1.")
	a.expect(`receive(5000)`, "22")

	// spawn_link and spawn_monitor: the link and the monitor are there.
	a.expect(`trap_exit(true)`, "false")
	a.expect(`pl := spawn_link(nd, func() { exit(A("bye")) })`, "<b@127.0.0.1.")
	a.expect(`receive(5000).(ExitSignal).Reason`, "bye")
	a.expect(`pm, ref := spawn_monitor(nd, func() { panic("boom") })`, "<b@127.0.0.1.")
	a.expect(`d := receive(5000).(Down); d.Ref == ref && d.Pid == pm`, "true")

	// multicall: every node runs its own copy.
	a.expect(`multicall(func() Atom { return node() })`, "['a@127.0.0.1','b@127.0.0.1'], []")

	// Timers: to a process on b, and started by a process on b.
	a.expect(`fwd := spawn(nd, func() { me ! T(A("via"), node(), receive()) })`, "<b@127.0.0.1.")
	a.expect(`send_after(1, fwd, A("timed"))`, "#Ref<a@127.0.0.1.")
	a.expect(`receive(T(A("via"), Any, Any), 5000)`, "{via,'b@127.0.0.1',timed}")
	a.expect(`bt := spawn(nd, func() { t := interval(1, me, A("beat")); receive(A("stop")); me ! cancel_timer(t) })`, "<b@127.0.0.1.")
	a.expect(`receive(A("beat"), 5000)`, "beat")
	a.expect(`bt ! A("stop"); receive(true, 5000)`, "true")

	// The same forms take a function by name.
	a.expect(`rpc(nd, "strings.ToUpper", "abc")`, `"ABC"`)
	a.expect(`rpc(nd, "nodes")`, "['a@127.0.0.1']")
	got := a.eval(`rpc(nd, "os.Getpid")`)
	if strings.TrimSpace(got) == "" {
		t.Fatalf("rpc os.Getpid printed nothing")
	}
	_ = b
}

// TestGenericsAndTypesTravel: a closure that calls a generic function
// typed at the prompt, or uses a type or a constant typed alone in an
// input, runs on the other node with them, and an error type's method is
// fmt's and errors' there too. (A type or constant typed
// alone was not recorded, and a generic function's type parameters were
// taken for names it used.)
func TestGenericsAndTypesTravel(t *testing.T) {
	e := newTestEnv(t)
	a, _ := twoNodes(t, e)
	for _, decl := range []string{
		`type P struct{ X int }`,
		`const Scale = 10`,
		`func Map[T, U any](xs []T, f func(T) U) []U { var out []U; for _, x := range xs { out = append(out, f(x)) }; return out }`,
		`type Stack[T any] struct{ items []T }`,
		`func (s *Stack[T]) Push(v T) { s.items = append(s.items, v) }`,
		`type Oops struct{ Why string }`,
		`func (o *Oops) Error() string { return "oops: " + o.Why }`,
		`type Request struct{ A int }`, // named as gerl's own Request
	} {
		if got := a.eval(decl); strings.TrimSpace(got) != "" {
			t.Fatalf("%s printed %q", decl, got)
		}
	}
	a.expect(`rpc("b@127.0.0.1", func() []int { return Map([]P{{1}, {2}}, func(p P) int { return p.X * Scale }) })`, "[10,20]")
	a.expect(`rpc("b@127.0.0.1", func() int { s := &Stack[string]{}; s.Push("a"); s.Push("b"); return len(s.items) })`, "2")
	// An error type of the prompt prints and unwraps there as in Go.
	a.expect(`rpc("b@127.0.0.1", func() string { err := fmt.Errorf("at %s: %w", node(), &Oops{"x"}); var o *Oops; return fmt.Sprint(err, " ", errors.As(err, &o)) })`, `"at b@127.0.0.1: oops: x true"`)
	// slices' functions in a closure run there (yaegi had no Sort).
	a.expect(`rpc("b@127.0.0.1", func() []int { xs := []int{3, 1, 2}; slices.Sort(xs); return xs })`, "[1,2,3]")
	// The prompt's Request, not gerl's, there too.
	a.expect(`rpc("b@127.0.0.1", func() int { return Request{A: 4}.A })`, "4")
}

// TestClosureCannotTravel: capturing what cannot travel is an error at the
// call, naming the variable.
func TestClosureCannotTravel(t *testing.T) {
	e := newTestEnv(t)
	a, _ := twoNodes(t, e)
	a.expect(`ch := make(chan int)`, "")
	got := a.eval(`rpc("b@127.0.0.1", func() int { return len(ch) })`)
	if !strings.Contains(got, "captures ch") || !strings.Contains(got, "chan int") {
		t.Fatalf("a closure over a channel: %q", got)
	}
	a.expect(`type point struct{ x int }; pt := point{1}`, "")
	got = a.eval(`spawn("b@127.0.0.1", func() { _ = pt.x })`)
	if !strings.Contains(got, "captures pt") {
		t.Fatalf("a closure over a struct: %q", got)
	}
	for _, c := range []struct{ setup, call, want string }{
		// a closure over a closure over a channel
		{`inner := func() int { return len(ch) }`, `rpc("b@127.0.0.1", func() int { return inner() })`, "captures inner"},
		// an open file
		{`fh, _ := os.Open("/dev/null")`, `spawn_link("b@127.0.0.1", func() { fh.Close() })`, "captures fh"},
		// a native value that is not a term
		{`var mu sync.Mutex`, `spawn_monitor("b@127.0.0.1", func() { mu.Lock() })`, "captures mu"},
		{`tk := time.NewTicker(time.Hour)`, `multicall(func() { tk.Stop() })`, "captures tk"},
	} {
		a.eval(c.setup)
		got := a.eval(c.call)
		if !strings.Contains(got, c.want) || !strings.Contains(got, "exception") {
			t.Errorf("%s: %q, want an exception naming the variable (%q)", c.call, got, c.want)
		}
		for _, bad := range []string{"reflect", "goroutine", "runtime"} {
			if strings.Contains(got, bad) {
				t.Errorf("%s: %q shows Go internals (%q)", c.call, got, bad)
			}
		}
	}
	a.expect(`1 + 1`, "2") // the shell is alive
}

// TestOutputComesHome: what a process started from a's prompt prints on b
// (rpc, spawn, a process it spawns there, a go statement) shows on a, not
// on b; b's own processes print on b.
func TestOutputComesHome(t *testing.T) {
	e := newTestEnv(t)
	a, b := twoNodes(t, e)
	a.expect(`nd := A("b@127.0.0.1")`, "b@127.0.0.1")
	got := a.eval(`rpc(nd, func() { fmt.Println("rpc on", node()) })`)
	if got != "rpc on b@127.0.0.1\nok\n" {
		t.Fatalf("rpc that prints: %q", got)
	}
	a.expect(`me := self()`, "<a@127.0.0.1.")
	got = a.eval(`spawn(nd, func() { spawn(func() { go func() { fmt.Println("grandchild on", node()); me ! A("done") }() }) }); receive(5000)`)
	if !strings.Contains(got, "grandchild on b@127.0.0.1\n") {
		t.Fatalf("output of a process spawned by a remote process: %q", got)
	}
	a.expect(`rpc(nd, "fmt.Println", "by name")`, "by name")
	a.expect(`rpc(nd, "i")`, "group_leader")
	got = b.eval(`me := self(); spawn(func() { fmt.Println("b's own"); me ! 1 }); receive(5000)`)
	if !strings.Contains(got, "b's own") {
		t.Fatalf("b's own process: %q", got)
	}
	if got := b.eval("1"); strings.Contains(got, "rpc on") || strings.Contains(got, "grandchild") || strings.Contains(got, "by name") {
		t.Fatalf("a's output shows on b: %q", got)
	}
}

// TestOutputComesHomeTerminal: in a real terminal, what a closure prints
// on another node shows on the terminal that started it, also when it
// prints later, while the prompt waits for input; the other node's
// terminal does not show it.
func TestOutputComesHomeTerminal(t *testing.T) {
	e := newTestEnv(t)
	b := e.startNode(t, "-name", "b@127.0.0.1", "-setcookie", "cl")
	b.expect("1", "1")
	tm := e.startTmux(t, "-name", "a@127.0.0.1", "-setcookie", "cl")
	tm.waitFor("(a@127.0.0.1)1> ")
	tm.line(`nd := A("b@127.0.0.1"); who := "ann"`)
	tm.waitFor("(a@127.0.0.1)2> ")
	tm.line(`rpc(nd, func() { fmt.Println("hello", who, "from", node()) })`)
	tm.waitFor("hello ann from b@127.0.0.1\nok\n(a@127.0.0.1)3> ")
	// A process on b that prints after the prompt came back.
	tm.line(`p := spawn(nd, func() { receive(); fmt.Println("late line from", node()) })`)
	tm.waitFor("(a@127.0.0.1)4> ")
	tm.line(`p ! A("go")`)
	tm.waitFor("late line from b@127.0.0.1")
	// The prompt is drawn again after the output, and still works.
	tm.line(`1 + 1`)
	tm.waitFor("2\n(a@127.0.0.1)6> ")
	if got := b.eval(`2`); strings.Contains(got, "hello") || strings.Contains(got, "late line") {
		t.Fatalf("a's output shows on b: %q", got)
	}
	tm.line(`q()`)
	if code := tm.waitExit(); code != 0 {
		t.Fatalf("gerl exited with %d", code)
	}
}

// TestNoShellOutput: a -noshell node's own processes print on its
// standard output; what a shell on another node runs there prints on that
// shell, not on the -noshell node's output.
func TestNoShellOutput(t *testing.T) {
	e := newTestEnv(t)
	q := e.startNode(t, "-name", "quiet@127.0.0.1", "-setcookie", "ns", "-noshell", "-eval",
		`register("x", spawn(func() { for { fmt.Println("x got", receive()) } }))`)
	a := e.startNode(t, "-name", "a@127.0.0.1", "-setcookie", "ns")
	a.waitPong("quiet@127.0.0.1")
	got := a.eval(`rpc("quiet@127.0.0.1", func() { fmt.Println("printed for a") })`)
	if got != "printed for a\nok\n" {
		t.Fatalf("rpc that prints on a -noshell node: %q", got)
	}
	a.waitRegistered("quiet@127.0.0.1", "x")
	a.expect(`Name{"x", "quiet@127.0.0.1"} ! "hi"`, `"hi"`)
	if out := q.ReadUntil("x got hi\n", "x's output", waitTime); strings.Contains(out, "printed for a") {
		t.Fatalf("the -noshell node printed a's output: %q", out)
	}
	a.eval(`rpc("quiet@127.0.0.1", "gerl.halt")`)
	if code := q.waitExit(); code != 0 {
		t.Fatalf("-noshell node: exit status %d", code)
	}
}

// twiceModule is a module whose functions return closures.
const twiceModule = `package twice

import "fmt"

// Of returns 2n.
func Of(n int) int { return 2 * n }

// Times returns a function that multiplies twice k by its argument.
func Times(k int) func(int) int {
	return func(n int) int { return Of(k) * n }
}

// Report returns a function that prints where it runs and tells to.
func Report(to Pid, tag string) func() {
	return func() {
		fmt.Println(tag, "runs on", node())
		to ! T(A(tag), node())
	}
}
`

// TestClosureNeedsModule: a closure that calls a module's function, or
// that a module's function made, needs that module on the other node; the
// error names it, and nl fixes it. A module's closure then runs there, and
// what it prints comes home.
func TestClosureNeedsModule(t *testing.T) {
	e := newTestEnv(t)
	a, b := twoNodes(t, e)
	src := filepath.Join(t.TempDir(), "twice.go")
	if err := os.WriteFile(src, []byte(twiceModule), 0o644); err != nil {
		t.Fatal(err)
	}
	a.expect(fmt.Sprintf(`c(%q)`, src), "{ok,twice}")
	a.expect(`k := 5`, "5")
	for _, call := range []string{
		`rpc("b@127.0.0.1", func() int { return twice.Of(k) })`,
		`rpc("b@127.0.0.1", twice.Times(k), 10)`,
	} {
		got := a.eval(call)
		if !strings.Contains(got, "exception") || !strings.Contains(got, `module twice, which b@127.0.0.1 has not loaded (nl("twice")`) {
			t.Fatalf("%s, before b loaded twice: %q", call, got)
		}
	}
	a.expect(`nl("twice")`, "b@127.0.0.1: loaded twice version 1")
	a.expect(`rpc("b@127.0.0.1", func() int { return twice.Of(k) })`, "10")
	a.expect(`rpc("b@127.0.0.1", twice.Times(k), 10)`, "100")
	got := a.eval(`spawn("b@127.0.0.1", twice.Report(self(), "job")); receive(5000)`)
	if !strings.Contains(got, "job runs on b@127.0.0.1\n") || !strings.Contains(got, "{job,'b@127.0.0.1'}") {
		t.Fatalf("spawn of a module's closure: %q", got)
	}
	if got := b.eval("1"); strings.Contains(got, "job runs") {
		t.Fatalf("a's output shows on b: %q", got)
	}
}

// echoModule is a module in the prompt's dialect: !, receive with a
// pattern, self, spawn, register, T, A, no gerl. qualifier.
const echoModule = `package echo

// Loop answers {From, Msg} with {echo, Node, Msg}; anything else stays
// in the mailbox.
func Loop() {
	for {
		m := receive(T(Any, Any)).(Tuple)
		m[0].(Pid) ! T(A("echo"), node(), m[1])
	}
}

// Start spawns Loop, registered as echo, and returns its pid.
func Start() Pid {
	p := spawn(Loop)
	register("echo", p)
	return p
}
`

// TestModuleDialect: a module written like the prompt (!, receive, self,
// spawn, T, A) loads with c, travels with nl, and serves on the other
// node, leaving a stray message alone.
func TestModuleDialect(t *testing.T) {
	e := newTestEnv(t)
	a, _ := twoNodes(t, e)
	src := filepath.Join(t.TempDir(), "echo.go")
	if err := os.WriteFile(src, []byte(echoModule), 0o644); err != nil {
		t.Fatal(err)
	}
	a.expect(fmt.Sprintf(`c(%q)`, src), "{ok,echo}")
	a.expect(`nl("echo")`, "b@127.0.0.1: loaded echo version 1")
	a.expect(`p := rpc("b@127.0.0.1", "echo.Start")`, "<b@127.0.0.1.")
	a.expect(`p ! A("stray")`, "stray")
	a.expect(`p ! T(self(), 42)`, "{<a@127.0.0.1.")
	a.expect(`receive(5000)`, "{echo,'b@127.0.0.1',42}")
	a.expect(`Name{"echo", "b@127.0.0.1"} ! T(self(), A("again"))`, "again")
	a.expect(`receive(5000)`, "{echo,'b@127.0.0.1',again}")
	// The stray message is still in the server's mailbox (i prints here:
	// the rpc's output comes home).
	a.expect(`rpc("b@127.0.0.1", func() { i(p) })`, "message_queue_len: 1\n")
	a.expect(`h("echo.Start")`, "func echo.Start() Pid\n    Start spawns Loop, registered as echo, and returns its pid.")
}
