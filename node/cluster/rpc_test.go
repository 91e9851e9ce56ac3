package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// funcs registers the test functions on d.
func funcs(t *testing.T, d *Dist) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.RegisterFunc("add", func(a, b int64) int64 { return a + b }))
	must(d.RegisterFunc("divmod", func(a, b int) (int, int) { return a / b, a % b }))
	must(d.RegisterFunc("sum", func(xs ...int) int {
		s := 0
		for _, x := range xs {
			s += x
		}
		return s
	}))
	must(d.RegisterFunc("self", func(p *node.Proc) term.Pid { return p.Self() }))
	must(d.RegisterFunc("fail", func() (int, error) { return 0, errors.New("no luck") }))
	must(d.RegisterFunc("boom", func() int { panic("kaboom") }))
	must(d.RegisterFunc("chan", func() any { return make(chan int) }))
	must(d.RegisterFunc("nothing", func() {}))
	must(d.RegisterFunc("exit", func(p *node.Proc) int { p.ExitSelf(term.A("gone")); return 0 }))
	must(d.RegisterFunc("ints", func(xs []int, m map[string][]int) int { return len(xs) + len(m["k"]) }))
	must(d.RegisterFunc("tell", func(p *node.Proc, to term.Pid, what string) { p.Send(to, what) }))
	must(d.RegisterFunc("loop", func(p *node.Proc, to term.Pid) {
		for {
			m := p.Receive()
			if m == "stop" {
				p.ExitSelf(term.A("stopped"))
			}
			p.Send(to, m)
		}
	}))
	must(d.RegisterFunc("crash", func(reason string) { panic(reason) }))
}

func TestRPC(t *testing.T) {
	eachTransport(t, 2, nil, func(t *testing.T, ns []*testNode) {
		a, b := ns[0], ns[1]
		funcs(t, b.Dist)
		funcs(t, a.Dist)
		ctx := context.Background()
		call := func(fn string, args ...any) (any, error) { return a.Call(ctx, b.Name(), fn, args...) }
		if v, err := call("add", 2, 3); err != nil || v != int64(5) {
			t.Fatalf("add: %v %v", v, err)
		}
		if v, err := call("divmod", 7, 2); err != nil || !sameTerm(v, term.T(3, 1)) {
			t.Fatalf("divmod: %v %v", v, err)
		}
		if v, err := call("sum", 1, 2, 3); err != nil || v != 6 {
			t.Fatalf("sum: %v %v", v, err)
		}
		if v, err := call("self"); err != nil || v.(term.Pid).Node != b.Name() {
			t.Fatalf("self: %v %v", v, err)
		}
		// no results answers ok, as Erlang does, remotely and locally
		if v, err := call("nothing"); err != nil || v != term.OK {
			t.Fatalf("nothing: %v %v", v, err)
		}
		if v, err := a.Call(ctx, a.Name(), "nothing"); err != nil || v != term.OK {
			t.Fatalf("local nothing: %v %v", v, err)
		}
		if v, err := call("ints", []int{1, 2}, map[string][]int{"k": {1}}); err != nil || v != 3 {
			t.Fatalf("ints: %v %v", v, err)
		}
		for _, tc := range []struct {
			fn   string
			args []any
			want error
			text string
		}{
			{"missing", nil, ErrNoFunction, "knows no function"},
			{"add", []any{1}, ErrBadArgs, "wants 2 arguments"},
			{"add", []any{"x", 1}, ErrBadArgs, "cannot use"},
			{"fail", nil, ErrRemoteFailed, "no luck"},
			{"boom", nil, ErrRemotePanic, "kaboom"},
			{"chan", nil, ErrBadResult, "cannot send chan int"},
			{"exit", nil, ErrRemoteFailed, "gone"},
		} {
			_, err := call(tc.fn, tc.args...)
			var re *RemoteError
			if !errors.Is(err, tc.want) || !errors.As(err, &re) || !contains(err.Error(), tc.text) {
				t.Errorf("%s%v: %v", tc.fn, tc.args, err)
			}
		}
		if _, err := call("add", make(chan int), 1); !errors.Is(err, term.ErrUnsendable) {
			t.Errorf("unsendable argument: %v", err)
		}
		// the same on the local node
		if v, err := a.Call(ctx, a.Name(), "add", 1, 1); err != nil || v != int64(2) {
			t.Fatalf("local add: %v %v", v, err)
		}
		if _, err := a.Call(ctx, a.Name(), "boom"); !errors.Is(err, ErrRemotePanic) {
			t.Fatalf("local boom: %v", err)
		}
		// cast: no answer, but it runs
		p := proc(t, a.Dist)
		if err := a.Cast(b.Name(), "tell", p.Self(), "cast ran"); err != nil {
			t.Fatal(err)
		}
		recv(t, p, "the cast's message", func(m any) bool { return m == "cast ran" })
		// multicall over a, b and a node that does not exist
		res, bad := a.MultiCall(ctx, []term.Atom{a.Name(), b.Name(), term.Atom("ghost@" + hostOf(a.Name()))}, "add", 20, 1)
		if len(res) != 2 || res[0].Value != int64(21) || res[1].Value != int64(21) || len(bad) != 1 {
			t.Fatalf("multicall: %+v, bad %v", res, bad)
		}
		res, _ = a.MultiCall(ctx, []term.Atom{b.Name()}, "missing")
		if len(res) != 1 || !errors.Is(res[0].Err, ErrNoFunction) {
			t.Fatalf("multicall missing: %+v", res)
		}
	})
}

func hostOf(n term.Atom) string {
	_, h, _ := SplitNodeName(string(n))
	return h
}

func TestRPCNodeDown(t *testing.T) {
	ns := memNodes(t, 2, nil)
	a, b := ns[0], ns[1]
	started := make(chan struct{})
	b.RegisterFunc("hang", func(p *node.Proc) int { close(started); p.Receive(); return 0 })
	errc := make(chan error, 1)
	go func() { _, err := a.Call(context.Background(), b.Name(), "hang"); errc <- err }()
	<-started
	a.Disconnect(b.Name())
	if err := <-errc; !errors.Is(err, ErrNodeDown) {
		t.Fatalf("call across a lost connection: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	b.RegisterFunc("hang2", func(p *node.Proc) int { p.Receive(); return 0 })
	if _, err := a.Call(ctx, b.Name(), "hang2"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
}

func TestRemoteSpawn(t *testing.T) {
	eachTransport(t, 2, nil, func(t *testing.T, ns []*testNode) {
		a, b := ns[0], ns[1]
		funcs(t, b.Dist)
		ctx := context.Background()
		p := proc(t, a.Dist)
		p.TrapExit(true)
		// plain spawn
		pid, err := a.Spawn(ctx, b.Name(), "loop", p.Self())
		if err != nil || pid.Node != b.Name() {
			t.Fatalf("spawn: %v %v", pid, err)
		}
		p.Send(pid, "hi")
		recv(t, p, "hi", func(m any) bool { return m == "hi" })
		// spawn_link: the link is there before the child runs; a child that
		// dies at once reports its real reason, not noproc
		child, err := a.SpawnLink(ctx, p, b.Name(), "crash", "instant")
		if err != nil {
			t.Fatal(err)
		}
		ex := recv(t, p, "exit", func(m any) bool { _, ok := m.(term.ExitSignal); return ok }).(term.ExitSignal)
		if ex.From != child || !sameTerm(ex.Reason, term.T(term.PanicTag, "instant")) {
			t.Fatalf("exit %v", ex)
		}
		// spawn_monitor likewise
		child, ref, err := a.SpawnMonitor(ctx, p, b.Name(), "crash", "again")
		if err != nil {
			t.Fatal(err)
		}
		d := recv(t, p, "down", func(m any) bool { _, ok := m.(term.Down); return ok }).(term.Down)
		if d.Ref != ref || d.Pid != child || !sameTerm(d.Reason, term.T(term.PanicTag, "again")) {
			t.Fatalf("down %v", d)
		}
		// errors
		if _, err := a.Spawn(ctx, b.Name(), "missing"); !errors.Is(err, ErrNoFunction) {
			t.Fatalf("missing: %v", err)
		}
		if _, err := a.Spawn(ctx, b.Name(), "add", 1); !errors.Is(err, ErrBadArgs) {
			t.Fatalf("bad args: %v", err)
		}
		// a linked child sees noconnection when the connection drops
		child, err = a.SpawnLink(ctx, p, b.Name(), "loop", p.Self())
		if err != nil {
			t.Fatal(err)
		}
		a.Disconnect(b.Name())
		ex = recv(t, p, "noconnection", func(m any) bool { _, ok := m.(term.ExitSignal); return ok }).(term.ExitSignal)
		if ex.From != child || ex.Reason != term.NoConnection {
			t.Fatalf("exit %v", ex)
		}
		testkit.Eventually(t, waitTime, "child dies of noconnection", func() bool { return !b.Node().Alive(child) })
		// local spawn by name
		funcs(t, a.Dist)
		pid, err = a.Spawn(ctx, a.Name(), "loop", p.Self())
		if err != nil || pid.Node != a.Name() {
			t.Fatalf("local spawn: %v %v", pid, err)
		}
		p.Send(pid, "local")
		recv(t, p, "local", func(m any) bool { return m == "local" })
	})
}
