package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

var gerlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gerl-interop-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gerlBin = filepath.Join(dir, "gerl")
	if out, err := exec.Command("go", "build", "-o", gerlBin, "../cmd/gerl").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build gerl: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startGerlBin starts the gerl binary as a node short@localhost in dir,
// with the test's port mapper and cookie, in piped mode.
func (e *env) startGerlBin(t *testing.T, short, dir string, extra ...string) *testkit.Gerl {
	t.Helper()
	args := append([]string{"-sname", short + "@localhost", "-net_ticktime", "4"}, extra...)
	if !strings.Contains(strings.Join(extra, " "), "-setcookie") {
		args = append(args, "-setcookie", cookie)
	}
	home := t.TempDir()
	g := testkit.StartGerl(t, gerlBin, testkit.Environ(home, e.pm.Port()), dir, args...)
	if out := g.Eval(`node()`); !strings.Contains(out, short+"@localhost") {
		t.Fatalf("gerl did not start: %s", out)
	}
	return g
}

const counterModule = `package counter

import "gerl"

// Loop serves gen_server calls: inc and get.
func Loop(p *gerl.Proc, count int) {
	for {
		if req, ok := p.Receive().(gerl.Request); ok {
			op, _ := req.Body.(gerl.Atom)
			switch op {
			case "inc":
				count++
				gerl.Reply(req, count)
			case "get":
				gerl.Reply(req, count)
			}
		}
	}
}

// Add adds.
func Add(a, b int) int { return a + b }
`

// TestShell: the gerl binary's prompt talks to an Erlang node (ping,
// nodes, rpc, spawn, multicall, sends), and the Erlang node calls the
// functions of a module loaded at the prompt, spawns its server and calls
// it; then the gerl node is killed (SIGKILL) and the Erlang side gets
// noconnection and nodedown.
func TestShell(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "counter.go"), []byte(counterModule), 0o644); err != nil {
		t.Fatal(err)
	}
	gs := e.startGerlBin(t, "gs", dir)
	steps := []struct{ in, want string }{
		{`ping("a@localhost")`, "pong\n"},
		{`nodes()`, "[a@localhost]\n"},
		{`rpc("a@localhost", "lists:reverse", []int{1, 2, 3})`, "[3,2,1]\n"},
		{`rpc("a@localhost", "erlang:binary_to_atom", "made_in_erlang")`, "made_in_erlang\n"},
		{`rpc("a@localhost", "erlang:list_to_atom", "a Go string is a binary")`, "** exception error: erlang:list_to_atom on a@localhost: the function failed: {error,badarg}\n"},
		{`multicall("erlang:node")`, "[gs@localhost,a@localhost], []\n"},
		{`p := spawn("a@localhost", "erlang:send", self(), A("hi")); p.Node`, "a@localhost\n"},
		{`receive()`, "hi\n"},
		{`c("counter")`, "{ok,counter}\n"},
		{`register("gshell", self())`, "true\n"},
	}
	for _, s := range steps {
		if got := gs.Eval(s.in); got != s.want {
			t.Fatalf("%s\n got %q\nwant %q", s.in, got, s.want)
		}
	}
	for _, c := range []struct{ code, want string }{
		{`rpc:call(gs@localhost, counter, 'Add', [2, 3]).`, `5`},
		{`P = spawn(gs@localhost, counter, 'Loop', [41]), persistent_term:put(cnt, P), gen_server:call(P, inc).`, `42`},
		{`gen_server:call(persistent_term:get(cnt), get).`, `42`},
		{`{gshell, gs@localhost} ! {from_erlang, <<"bin">>, "list"}, ok.`, `ok`},
	} {
		if got := a.run(c.code); got != c.want {
			t.Fatalf("%s\n got %s\nwant %s", c.code, got, c.want)
		}
	}
	if got := gs.Eval(`receive()`); got != "{from_erlang,<<\"bin\">>,[108,105,115,116]}\n" {
		t.Fatalf("receive from Erlang: %q", got)
	}

	// gerl killed: Erlang's links, monitors and monitor_node fire. The
	// watcher says when it has set them up, and only then is gerl killed
	// (a kill before would test Erlang's connection attempts instead).
	if got := a.run(`Self = self(), register(watcher, spawn(fun() ->
		process_flag(trap_exit, true), Cnt = persistent_term:get(cnt), link(Cnt), R = monitor(process, Cnt), monitor_node(gs@localhost, true),
		Self ! watching,
		Got = [interop_agent:recv(20000) || _ <- [1, 2, 3]],
		receive {get, From} -> From ! {R, Got} end end)), interop_agent:recv(20000).`); got != "watching" {
		t.Fatalf("the watcher: %s", got)
	}
	gs.Kill()
	got := a.run(`watcher ! {get, self()}, {R, Got} = interop_agent:recv(20000), lists:sort([case M of {'DOWN', R, process, _, W} -> {down, W}; {'EXIT', _, W} -> {exit, W}; X -> X end || M <- Got]).`)
	if got != "[{down,noconnection},{exit,noconnection},{nodedown,gs@localhost}]" {
		t.Fatalf("after the kill: %s", got)
	}
}

// TestWrongCookie: a cookie mismatch with an Erlang node is explained on
// gerl's side (ping's output) as it is with a gerl node, and erl gets
// pang.
func TestWrongCookie(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	gs := e.startGerlBin(t, "gs", t.TempDir(), "-setcookie", "other")
	out := gs.Eval(`ping("a@localhost")`)
	for _, want := range []string{"pang", "cookie", "a@localhost", "-setcookie"} {
		if !strings.Contains(out, want) {
			t.Errorf("ping's output lacks %q:\n%s", want, out)
		}
	}
	if got := a.run(`net_adm:ping(gs@localhost).`); got != "pang" {
		t.Fatalf("erl pinged: %s", got)
	}
}

// TestRemshToAnErlangNode: gerl -remsh to an Erlang node says that it
// opens gerl's shell on gerl nodes, and how to get an Erlang shell there,
// rather than how spawning gerl's shell service there failed.
func TestRemshToAnErlangNode(t *testing.T) {
	e := setup(t)
	e.startErl(t, "er")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gerlBin, "-remsh", "er@localhost", "-setcookie", cookie)
	cmd.Env = testkit.Environ(t.TempDir(), e.pm.Port())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("gerl -remsh er@localhost: %v, want exit status 1; stderr %q", err, stderr.String())
	}
	for _, want := range []string{"er@localhost is an Erlang node", "erl -sname NAME -setcookie COOKIE -remsh er@localhost"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q lacks %q", stderr.String(), want)
		}
	}
}
