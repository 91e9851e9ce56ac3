package hotload

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTime bounds every wait; it is a deadline for failure, never a delay.
const waitTime = 20 * time.Second

// harness is a node with a code server, a module directory, and a process
// attached for the test goroutine.
type harness struct {
	t    testing.TB
	env  *eval.Env
	node *node.Node
	srv  *Server
	dir  string
	logs *testkit.Buffer
	me   *node.Proc
}

func newHarness(t testing.TB, tweak ...func(*Config)) *harness {
	t.Helper()
	logs := &testkit.Buffer{}
	env := eval.NewEnv()
	n := node.New(node.Config{Name: "hot@host", OnGoroutine: env.OnGoroutine,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	env.Attach(n)
	dir := t.TempDir()
	cfg := Config{Env: env, Dir: dir}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	me, err := n.Attach("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		if err := n.StopTimeout(waitTime); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return &harness{t: t, env: env, node: n, srv: srv, dir: dir, logs: logs, me: me}
}

// write writes a file under the module directory and returns its path.
func (h *harness) write(rel, text string) string {
	h.t.Helper()
	path := filepath.Join(h.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return path
}

// load loads what and fails the test if it does not load.
func (h *harness) load(what string) Loaded {
	h.t.Helper()
	l, err := h.srv.Load(what)
	if err != nil {
		h.t.Fatalf("load %s: %v", what, err)
	}
	return l
}

// fn returns the function a module name resolves to.
func (h *harness) fn(name string) reflect.Value {
	h.t.Helper()
	f, ok := h.srv.Lookup(name)
	if !ok {
		h.t.Fatalf("no function %s", name)
	}
	return reflect.ValueOf(f)
}

// call calls a module function from the test goroutine (no process).
func (h *harness) call(name string, args ...any) any {
	h.t.Helper()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		in[i] = reflect.ValueOf(a)
	}
	out := h.fn(name).Call(in)
	if len(out) == 0 {
		return nil
	}
	return out[0].Interface()
}

// spawn starts a module function by name, monitored by the test process.
func (h *harness) spawn(name string, args ...any) (term.Pid, term.Ref) {
	h.t.Helper()
	f, ok := h.env.Lookup(name)
	if !ok {
		h.t.Fatalf("no function %s", name)
	}
	pid, ref, err := h.node.SpawnFunc(h.me, node.SpawnOptions{Monitor: true, Func: name}, f, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	return pid, ref
}

// request makes a call to a server process.
func (h *harness) request(to term.Pid, req any) any {
	h.t.Helper()
	v, err := h.me.Call(to, req, waitTime)
	if err != nil {
		h.t.Fatalf("call %s %s: %v", to, term.Format(req), err)
	}
	return v
}

// down waits for the DOWN of ref.
func (h *harness) down(ref term.Ref) term.Down {
	h.t.Helper()
	m, ok := h.me.ReceiveMatch(func(m any) bool {
		d, ok := m.(term.Down)
		return ok && d.Ref == ref
	}, waitTime)
	if !ok {
		h.t.Fatalf("no DOWN for %s within %v", ref, waitTime)
	}
	return m.(term.Down)
}

// waitRunning waits until process pid runs version v of module name (a
// process records its version when it starts running).
func (h *harness) waitRunning(pid term.Pid, name string, v int) {
	h.t.Helper()
	testkit.Eventually(h.t, waitTime, fmt.Sprintf("%s runs %s version %d", pid, name, v), func() bool {
		got, ok := h.srv.RunningVersion(pid, name)
		return ok && got == v
	})
}

// counterSrc is the counter server module: version says what "version"
// answers, step how much "inc" adds.
func counterSrc(version string, step int) string {
	return strings.NewReplacer("VERSION", version, "STEP", strconv.Itoa(step)).Replace(`package counter

import "gerl"

// Loop serves requests gen_server style: each one is handled by a
// qualified call, so by the newest version.
func Loop(p *gerl.Proc, n int) {
	for {
		req, ok := p.Receive().(gerl.Request)
		if !ok {
			continue
		}
		n = counter.Handle(req, n)
	}
}

// Rec serves requests the classic Erlang way: handle one, then recurse
// through a qualified call.
func Rec(p *gerl.Proc, n int) {
	req, _ := p.Receive().(gerl.Request)
	n = handle(req, n)
	counter.Rec(p, n)
}

// Stuck never makes a qualified call.
func Stuck(p *gerl.Proc) {
	for {
		p.Receive()
	}
}

func Handle(req gerl.Request, n int) int { return handle(req, n) }

func handle(req gerl.Request, n int) int {
	op, _ := req.Body.(string)
	switch op {
	case "inc":
		n += STEP
		gerl.Reply(req, n)
	case "version":
		gerl.Reply(req, "VERSION")
	}
	return n
}

func Version() string { return "VERSION" }
`)
}
